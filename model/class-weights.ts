/**
 * Class balancing in the loss: each training clip's cross-entropy is weighed by prior^-power of its
 * label (power 1: every label weighs the same in total; 0: plain loss), normalised so the mean weight
 * over the training clips is 1 and the learning rate keeps its meaning. A model trained so has been
 * trained for the weighted prior (prior x weight); that is the prior the logit adjustment
 * (prior-correction.ts) must take out.
 */
export interface ClassWeighting {
  /** The exponent: weight ∝ prior^-power, in [0, 1]. */
  power: number;
  /** One weight per label, in label order (1 for a label absent from training). */
  weights: number[];
}

/** Loss weights for the labels of a training set whose label shares are `prior`. */
export function classWeighting(prior: readonly number[], power: number): ClassWeighting {
  if (!(power >= 0 && power <= 1)) throw new RangeError(`class weights: power must be in [0, 1], got ${power}`);
  const raw = prior.map((p) => (p > 0 ? p ** -power : 0));
  const mean = prior.reduce((sum, p, c) => sum + p * raw[c]!, 0);
  if (!(mean > 0)) throw new RangeError('class weights: the training prior holds no label');
  return { power, weights: raw.map((w) => (w > 0 ? w / mean : 1)) };
}

/** The label prior a loss weighted by `weights` trains for: prior x weight, normalised to sum 1. */
export function weightedPrior(prior: readonly number[], weights: readonly number[]): number[] {
  if (prior.length !== weights.length) throw new RangeError(`class weights: ${weights.length} weights for ${prior.length} labels`);
  const products = prior.map((p, c) => p * weights[c]!);
  const total = products.reduce((a, b) => a + b, 0);
  return products.map((v) => v / total);
}
