/**
 * Seeded weight initialisers (the keras defaults for an LSTM classifier): glorot-uniform kernels,
 * orthogonal recurrent kernels, zero biases with forget-gate bias 1. Plain TypeScript on
 * Float32Arrays so the same seed gives the same weights on every backend.
 */
import { SeededRandom } from '../util/random.js';

/** Uniform in ±sqrt(6 / (fanIn + fanOut)), row-major [fanIn, fanOut]. */
export function glorotUniform(rng: SeededRandom, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/**
 * A [rows, cols] row-major matrix with orthonormal rows (rows <= cols) or columns (rows > cols),
 * from Gram-Schmidt on a seeded Gaussian matrix (the keras Orthogonal initialiser, gain 1).
 */
export function orthogonal(rng: SeededRandom, rows: number, cols: number): Float32Array {
  // Orthonormalise `k` vectors of length `n` (k <= n), then lay them out as rows or columns.
  const k = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  const vectors = Array.from({ length: k }, () => Float64Array.from({ length: n }, () => rng.normal()));
  for (let a = 0; a < k; a++) {
    const v = vectors[a]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const u = vectors[b]!;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += u[j]! * v[j]!;
        for (let j = 0; j < n; j++) v[j]! -= dot * u[j]!;
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += v[j]! * v[j]!;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new RangeError(`orthogonal: degenerate random matrix for [${rows}, ${cols}]`);
    for (let j = 0; j < n; j++) v[j]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let a = 0; a < k; a++) {
    for (let j = 0; j < n; j++) {
      if (rows <= cols) out[a * cols + j] = vectors[a]![j]!;
      else out[j * cols + a] = vectors[a]![j]!;
    }
  }
  return out;
}

/** LSTM bias [4U] in gate order i, f, c, o: zeros with the forget block set to 1. */
export function lstmBias(units: number): Float32Array {
  const bias = new Float32Array(4 * units);
  bias.fill(1, units, 2 * units);
  return bias;
}
