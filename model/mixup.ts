/**
 * Mixup (Zhang et al. 2018) within a training batch: each clip's features are mixed with another
 * clip's of the same batch, and its target with that clip's target by the same share:
 *   x_i <- l_i x_i + (1 - l_i) x_j(i),   t_i <- l_i t_i + (1 - l_i) t_j(i),
 * l_i = max(b, 1 - b) with b ~ Beta(alpha, alpha), j a seeded permutation of the batch. Taking the
 * larger share keeps clip i's own label the dominant one, so the step's accuracy still counts it.
 */
import { SeededRandom } from '../util/random.js';

export class MixupError extends Error {
  override name = 'MixupError';
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); a shape below 1 is boosted by U^(1/shape). */
export function sampleGamma(rng: SeededRandom, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new MixupError(`the gamma shape must be a positive number, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(alpha, alpha) as G1 / (G1 + G2). */
export function sampleSymmetricBeta(rng: SeededRandom, alpha: number): number {
  const a = sampleGamma(rng, alpha);
  const b = sampleGamma(rng, alpha);
  return a + b > 0 ? a / (a + b) : 0.5;
}

/** One-hot targets [labels.length, classes]. */
export function oneHotTargets(labels: Int32Array, classes: number): Float32Array {
  const targets = new Float32Array(labels.length * classes);
  labels.forEach((label, r) => {
    targets[r * classes + label] = 1;
  });
  return targets;
}

export interface MixedBatch {
  x: Float32Array;
  targets: Float32Array;
  /** The partner of each clip and its own share l_i (for tests and logs). */
  partners: Int32Array;
  shares: Float32Array;
}

/**
 * Mixes a batch: `x` is [count, clipSize] flattened, `targets` [count, classes] (one-hot or soft).
 * Neither input is changed.
 */
export function mixBatch(x: Float32Array, targets: Float32Array, count: number, classes: number, alpha: number, rng: SeededRandom): MixedBatch {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new MixupError(`the mixup alpha must be a positive number, got ${alpha}`);
  if (count === 0 || x.length % count !== 0) throw new MixupError(`${x.length} feature values do not split into ${count} clips`);
  if (targets.length !== count * classes) throw new MixupError(`${targets.length} target values for ${count} clips of ${classes} classes`);
  const clipSize = x.length / count;
  const order = Array.from({ length: count }, (_, i) => i);
  rng.shuffle(order);
  const partners = Int32Array.from(order);
  const shares = new Float32Array(count);
  const mixedX = new Float32Array(x.length);
  const mixedTargets = new Float32Array(targets.length);
  for (let i = 0; i < count; i++) {
    const b = sampleSymmetricBeta(rng, alpha);
    const share = Math.max(b, 1 - b);
    shares[i] = share;
    const j = partners[i]!;
    for (let k = 0; k < clipSize; k++) mixedX[i * clipSize + k] = share * x[i * clipSize + k]! + (1 - share) * x[j * clipSize + k]!;
    for (let c = 0; c < classes; c++) mixedTargets[i * classes + c] = share * targets[i * classes + c]! + (1 - share) * targets[j * classes + c]!;
  }
  return { x: mixedX, targets: mixedTargets, partners, shares };
}
