/**
 * What follows the MFCCs in the front-end: delta features and mean/variance normalisation.
 */
import type { FeatureMatrix, FeatureNormalization } from './types.js';

/**
 * Smallest standard deviation used when normalising: a dimension that barely varies (e.g. every
 * coefficient of a silent clip) is centred rather than blown up.
 */
export const STD_FLOOR = 1e-3;

export interface GlobalStats {
  mean: number[];
  std: number[];
}

/**
 * Appends first-order deltas to every frame: row t becomes [c_t, d_t] with the standard regression
 * d_t = sum_{n=1..N} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1..N} n^2), frames beyond either end
 * replaced by the edge frame. The result has twice the dimension.
 */
export function appendDeltas(m: FeatureMatrix, window: number): FeatureMatrix {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`appendDeltas: window must be a positive integer, got ${window}`);
  }
  const { frames, dim, data } = m;
  const outDim = dim * 2;
  const out = new Float32Array(frames * outDim);
  let denominator = 0;
  for (let n = 1; n <= window; n++) denominator += n * n;
  denominator *= 2;
  const last = frames - 1;
  for (let t = 0; t < frames; t++) {
    const row = t * outDim;
    out.set(data.subarray(t * dim, (t + 1) * dim), row);
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let n = 1; n <= window; n++) {
        const ahead = Math.min(t + n, last);
        const behind = Math.max(t - n, 0);
        sum += n * (data[ahead * dim + d] - data[behind * dim + d]);
      }
      out[row + dim + d] = sum / denominator;
    }
  }
  return { data: out, frames, dim: outDim };
}

function checkStats(stats: GlobalStats, dim: number, where: string): void {
  if (stats.mean.length !== dim || stats.std.length !== dim) {
    throw new RangeError(
      `${where}: global mean/std have ${stats.mean.length}/${stats.std.length} values, the features have ${dim} dimensions`,
    );
  }
}

/** Per-dimension mean and (population) standard deviation over all frames of all matrices. */
export function computeGlobalStats(matrices: FeatureMatrix[]): GlobalStats {
  if (matrices.length === 0) throw new RangeError('computeGlobalStats: no feature matrices given');
  const dim = matrices[0].dim;
  let frames = 0;
  matrices.forEach((m, i) => {
    if (m.dim !== dim) {
      throw new RangeError(`computeGlobalStats: matrix ${i} has dimension ${m.dim}, matrix 0 has ${dim}`);
    }
    frames += m.frames;
  });
  if (frames === 0) throw new RangeError('computeGlobalStats: the matrices hold no frames');
  // Two passes (mean, then squared deviations) avoid the cancellation of sum(x^2) - n mean^2.
  const mean = new Float64Array(dim);
  for (const m of matrices) {
    for (let i = 0; i < m.frames * dim; i++) mean[i % dim] += m.data[i];
  }
  for (let d = 0; d < dim; d++) mean[d] /= frames;
  const squares = new Float64Array(dim);
  for (const m of matrices) {
    for (let i = 0; i < m.frames * dim; i++) {
      const deviation = m.data[i] - mean[i % dim];
      squares[i % dim] += deviation * deviation;
    }
  }
  return {
    mean: Array.from(mean),
    std: Array.from(squares, (s) => Math.max(Math.sqrt(s / frames), STD_FLOOR)),
  };
}

function applyStats(m: FeatureMatrix, mean: ArrayLike<number>, std: ArrayLike<number>): FeatureMatrix {
  const { frames, dim, data } = m;
  const out = new Float32Array(data.length);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      const i = t * dim + d;
      out[i] = (data[i] - mean[d]) / Math.max(std[d], STD_FLOOR);
    }
  }
  return { data: out, frames, dim };
}

/**
 * 'none': unchanged copy. 'utterance': each dimension centred and scaled by its own mean / std over
 * this matrix's frames (std floored at STD_FLOOR). 'global': the stored mean / std.
 */
export function normalize(m: FeatureMatrix, normalization: FeatureNormalization): FeatureMatrix {
  switch (normalization.kind) {
    case 'none':
      return { data: m.data.slice(), frames: m.frames, dim: m.dim };
    case 'utterance': {
      if (m.frames === 0) return { data: new Float32Array(0), frames: 0, dim: m.dim };
      const stats = computeGlobalStats([m]);
      return applyStats(m, stats.mean, stats.std);
    }
    case 'global':
      checkStats(normalization, m.dim, 'normalize');
      return applyStats(m, normalization.mean, normalization.std);
    default: {
      const kind: never = normalization;
      throw new RangeError(`normalize: unknown normalization kind ${JSON.stringify((kind as { kind: unknown }).kind)}`);
    }
  }
}
