/**
 * A third implementation of the classifier in plain TypeScript (no tfjs, no onnxruntime), written
 * as literally as possible from the textbook LSTM equations. It is slow and exists to prove that
 * the tfjs network and the exported ONNX graph compute the same function:
 *
 *   f  = σ(W_f·[h_prev, x] + b_f)        i = σ(W_i·[h_prev, x] + b_i)
 *   C̃  = tanh(W_C·[h_prev, x] + b_C)     C = f ∗ C_prev + i ∗ C̃
 *   o  = σ(W_o·[h_prev, x] + b_o)        h = o ∗ tanh(C)
 *
 * Each gate's weight block is picked out of the TensorFlow.js layout (gate order i, f, c, o) by
 * name. Arithmetic is in float64, so the reference is at least as precise as either runtime.
 */
import { lstmInputDim, lstmSteps } from './frame-stacking.js';
import type { DenseWeights, LstmDirectionWeights, ModelWeights } from './types.js';

/** Column block of each gate in the tfjs kernel/recurrentKernel/bias (order i, f, c, o). */
export const TFJS_GATE_BLOCK = { input: 0, forget: 1, candidate: 2, output: 3 } as const;
export type GateName = keyof typeof TFJS_GATE_BLOCK;

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** W_gate·[h_prev, x] + b_gate for one unit: the gate's columns of kernel and recurrentKernel. */
function gatePreactivation(
  w: LstmDirectionWeights,
  gate: GateName,
  unit: number,
  units: number,
  x: ArrayLike<number>,
  hPrev: ArrayLike<number>,
): number {
  const column = TFJS_GATE_BLOCK[gate] * units + unit;
  const width = 4 * units;
  let z = w.bias[column]!;
  for (let k = 0; k < x.length; k++) z += w.kernel[k * width + column]! * x[k]!;
  for (let j = 0; j < units; j++) z += w.recurrentKernel[j * width + column]! * hPrev[j]!;
  return z;
}

/** One LSTM step: returns the new hidden and cell state. */
export function referenceLstmCell(
  w: LstmDirectionWeights,
  units: number,
  x: ArrayLike<number>,
  hPrev: ArrayLike<number>,
  cPrev: ArrayLike<number>,
): { h: Float64Array; c: Float64Array } {
  const h = new Float64Array(units);
  const c = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    const f = sigmoid(gatePreactivation(w, 'forget', u, units, x, hPrev));
    const i = sigmoid(gatePreactivation(w, 'input', u, units, x, hPrev));
    const cTilde = Math.tanh(gatePreactivation(w, 'candidate', u, units, x, hPrev));
    c[u] = f * cPrev[u]! + i * cTilde;
    const o = sigmoid(gatePreactivation(w, 'output', u, units, x, hPrev));
    h[u] = o * Math.tanh(c[u]!);
  }
  return { h, c };
}

/**
 * Runs one LSTM direction over a sequence `inputs` [frames * inputDim] (row-major) from zero
 * state. With `reverse`, the sequence is processed from the last frame to the first, and the
 * output is stored at each frame's own position (as a bidirectional layer's backward half).
 * Returns the hidden state of every frame, [frames * units].
 */
export function referenceLstm(
  w: LstmDirectionWeights,
  inputs: ArrayLike<number>,
  frames: number,
  inputDim: number,
  units: number,
  options: { reverse?: boolean } = {},
): Float64Array {
  checkLength('inputs', inputs.length, frames * inputDim);
  checkLength('kernel', w.kernel.length, inputDim * 4 * units);
  checkLength('recurrentKernel', w.recurrentKernel.length, units * 4 * units);
  checkLength('bias', w.bias.length, 4 * units);
  const out = new Float64Array(frames * units);
  let h: ArrayLike<number> = new Float64Array(units);
  let c: ArrayLike<number> = new Float64Array(units);
  for (let step = 0; step < frames; step++) {
    const t = options.reverse ? frames - 1 - step : step;
    const x = Array.prototype.slice.call(inputs, t * inputDim, (t + 1) * inputDim) as number[];
    ({ h, c } = referenceLstmCell(w, units, x, h, c));
    for (let u = 0; u < units; u++) out[t * units + u] = h[u]!;
  }
  return out;
}

function checkLength(field: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new RangeError(`reference-lstm: ${field} has ${actual} values, expected ${expected}`);
  }
}

function dense(layer: DenseWeights, x: ArrayLike<number>): Float64Array {
  checkLength('dense input', x.length, layer.inDim);
  const y = new Float64Array(layer.outDim);
  for (let o = 0; o < layer.outDim; o++) {
    let z = layer.bias[o]!;
    for (let k = 0; k < layer.inDim; k++) z += x[k]! * layer.kernel[k * layer.outDim + o]!;
    y[o] = z;
  }
  return y;
}

function softmax(z: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < z.length; k++) max = Math.max(max, z[k]!);
  const e = new Float64Array(z.length);
  let sum = 0;
  for (let k = 0; k < z.length; k++) sum += e[k] = Math.exp(z[k]! - max);
  for (let k = 0; k < z.length; k++) e[k]! /= sum;
  return e;
}

/**
 * The whole classifier on one clip `features` [T * F] (the forward pass documented on
 * `ModelWeights`): stacked bidirectional LSTMs, mean, last or attention pooling, optional ReLU hidden layer,
 * output layer, softmax(logits / temperature).
 */
export function referenceForward(
  w: ModelWeights,
  features: Float32Array,
  temperature = 1,
): { logits: Float32Array; probabilities: Float32Array } {
  const { inputFrames, inputDim, pooling } = w.architecture;
  checkLength('features', features.length, inputFrames * inputDim);
  // Frame stacking: the first `frames` x k frames, row-major, are already `frames` steps of k x F values.
  const frames = lstmSteps(w.architecture);
  let dim = lstmInputDim(w.architecture);
  let sequence: ArrayLike<number> = features.subarray(0, frames * dim);
  let lastForward: Float64Array | null = null;
  let lastBackward: Float64Array | null = null;
  for (const layer of w.lstm) {
    if (layer.inputDim !== dim) {
      throw new RangeError(`reference-lstm: layer inputDim ${layer.inputDim} does not match ${dim}`);
    }
    const u = layer.units;
    const fwd = referenceLstm(layer.forward, sequence, frames, dim, u);
    const bwd = referenceLstm(layer.backward, sequence, frames, dim, u, { reverse: true });
    const next = new Float64Array(frames * 2 * u);
    for (let t = 0; t < frames; t++) {
      next.set(fwd.subarray(t * u, (t + 1) * u), t * 2 * u);
      next.set(bwd.subarray(t * u, (t + 1) * u), t * 2 * u + u);
    }
    sequence = next;
    dim = 2 * u;
    lastForward = fwd;
    lastBackward = bwd;
  }
  if (lastForward === null || lastBackward === null) {
    throw new RangeError('reference-lstm: the model has no LSTM layers');
  }
  let pooled = new Float64Array(dim);
  if (pooling === 'mean') {
    for (let t = 0; t < frames; t++) for (let k = 0; k < dim; k++) pooled[k]! += sequence[t * dim + k]!;
    for (let k = 0; k < dim; k++) pooled[k]! /= frames;
  } else if (pooling === 'attention') {
    if (!w.attention) throw new RangeError('reference-lstm: attention pooling without attention weights');
    const scores = new Float64Array(frames);
    for (let t = 0; t < frames; t++) {
      const frame = Float64Array.from({ length: dim }, (_, k) => sequence[t * dim + k]!);
      scores[t] = dense(w.attention.score, dense(w.attention.projection, frame).map(Math.tanh))[0]!;
    }
    const weights = softmax(scores);
    for (let t = 0; t < frames; t++) for (let k = 0; k < dim; k++) pooled[k]! += weights[t]! * sequence[t * dim + k]!;
  } else {
    const u = dim / 2;
    // The forward direction's final state is at the last frame; the backward one's at frame 0.
    pooled.set(lastForward.subarray((frames - 1) * u, frames * u), 0);
    pooled.set(lastBackward.subarray(0, u), u);
  }
  if (w.hidden) pooled = dense(w.hidden, pooled).map((v) => Math.max(0, v));
  const logits = dense(w.output, pooled);
  const probabilities = softmax(logits.map((v) => v / temperature));
  return { logits: Float32Array.from(logits), probabilities: Float32Array.from(probabilities) };
}
