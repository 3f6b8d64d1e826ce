/**
 * Calibration: a top score should mean what it says. Temperature scaling (Guo et al. 2017) divides
 * the logits by one scalar T fitted on validation data to minimise the negative log-likelihood; the
 * expected calibration error (ECE) measures how far confidence is from accuracy.
 */

/** Softmax of logits[n*C + c] / temperature, row by row. */
export function softmaxRows(logits: Float32Array, classes: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length / classes; row++) {
    const o = row * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[o + c] = Math.exp(logits[o + c]! / temperature - max);
    for (let c = 0; c < classes; c++) out[o + c]! /= sum;
  }
  return out;
}

/** Mean negative log-likelihood of the true labels at a temperature, optionally weighted per example. */
export function negativeLogLikelihood(logits: Float32Array, labels: ArrayLike<number>, classes: number, temperature: number, weights?: ArrayLike<number>): number {
  const probs = softmaxRows(logits, classes, temperature);
  let total = 0;
  let weightSum = 0;
  for (let n = 0; n < labels.length; n++) {
    const w = weights ? weights[n]! : 1;
    total -= w * Math.log(Math.max(probs[n * classes + labels[n]!]!, 1e-12));
    weightSum += w;
  }
  return total / Math.max(weightSum, Number.MIN_VALUE);
}

/**
 * Per-example weights that give every class present the same total weight: the validation set
 * then stands for a uniform label prior, the prior a prior-corrected model is adjusted to.
 */
export function classBalancedWeights(labels: ArrayLike<number>, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let n = 0; n < labels.length; n++) counts[labels[n]!]!++;
  const weights = new Float64Array(labels.length);
  for (let n = 0; n < labels.length; n++) weights[n] = labels.length / counts[labels[n]!]!;
  return weights;
}

/**
 * Expected calibration error with `bins` equal-width confidence bins: the average, weighted by bin
 * size, of |accuracy - mean confidence| of the top prediction. `confidences[n]` is the top score of
 * example n and `correct[n]` whether that top prediction was right.
 */
export function topCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): number {
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const right = new Float64Array(bins);
  for (let n = 0; n < confidences.length; n++) {
    const p = confidences[n]!;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]!++;
    confidence[bin]! += p;
    if (correct[n]) right[bin]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0) ece += (count[b]! / confidences.length) * Math.abs(right[b]! / count[b]! - confidence[b]! / count[b]!);
  }
  return ece;
}

/** Expected calibration error of probabilities [n*C + c] against true labels. */
export function expectedCalibrationError(probs: Float32Array, labels: ArrayLike<number>, classes: number, bins = 15): number {
  const confidences = new Float64Array(labels.length);
  const correct: boolean[] = [];
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[n * classes + c]! > probs[n * classes + best]!) best = c;
    confidences[n] = probs[n * classes + best]!;
    correct.push(best === labels[n]);
  }
  return topCalibrationError(confidences, correct, bins);
}

/**
 * The temperature in [0.05, 20] minimising validation NLL, by golden-section search on log T (the
 * NLL is unimodal in T for a fixed set of logits).
 */
export function fitTemperature(logits: Float32Array, labels: ArrayLike<number>, classes: number, weights?: ArrayLike<number>): number {
  if (labels.length === 0) throw new RangeError('fitTemperature needs at least one labelled example');
  const f = (logT: number): number => negativeLogLikelihood(logits, labels, classes, Math.exp(logT), weights);
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = f(b);
    }
  }
  return Math.exp((lo + hi) / 2);
}

export interface Calibration {
  temperature: number;
  /** 'class-balanced': every class weighed equally in the fit; 'as-given': every example once. */
  weighting: CalibrationWeighting;
  eceBefore: number;
  eceAfter: number;
}

export type CalibrationWeighting = 'class-balanced' | 'as-given';

/**
 * Fits the temperature on held-out logits and reports the calibration error (on the examples as
 * given) before and after. With 'class-balanced' the fit weighs every class equally, so the
 * temperature is right for a uniform label prior rather than for the validation set's own mix.
 */
export function calibrate(logits: Float32Array, labels: ArrayLike<number>, classes: number, weighting: CalibrationWeighting = 'as-given'): Calibration {
  const temperature = fitTemperature(logits, labels, classes, weighting === 'class-balanced' ? classBalancedWeights(labels, classes) : undefined);
  return {
    temperature,
    weighting,
    eceBefore: expectedCalibrationError(softmaxRows(logits, classes, 1), labels, classes),
    eceAfter: expectedCalibrationError(softmaxRows(logits, classes, temperature), labels, classes),
  };
}
