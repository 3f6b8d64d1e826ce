import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceForward, referenceLstm, referenceLstmCell } from '../model/reference-lstm.js';
import type { LstmDirectionWeights, ModelArchitecture, ModelWeights } from '../model/types.js';

// One unit, one input feature: tfjs layout [i, f, c, o] along the 4 columns. Values are exact in
// float32 so the expected numbers below are exact to double precision.
const oneUnit: LstmDirectionWeights = {
  kernel: Float32Array.from([0.5, -0.25, 0.75, 0.25]),
  recurrentKernel: Float32Array.from([0.125, 0.5, -0.625, 0.75]),
  bias: Float32Array.from([0.0625, 1.0, -0.125, 0.25]),
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

test('reference cell matches the textbook equations on a hand-computed 1-unit step', () => {
  // Step 1: x = 1, h_prev = 0, C_prev = 0, so each pre-activation is w_gate * 1 + b_gate.
  //   i = σ(0.5 + 0.0625) = σ(0.5625)    f = σ(-0.25 + 1) = σ(0.75)
  //   C̃ = tanh(0.75 - 0.125) = tanh(0.625)  o = σ(0.25 + 0.25) = σ(0.5)
  //   C = f*0 + i*C̃,  h = o * tanh(C)
  const i = sigmoid(0.5625);
  const cTilde = Math.tanh(0.625);
  const o = sigmoid(0.5);
  const c1 = i * cTilde;
  const h1 = o * Math.tanh(c1);
  assert.ok(Math.abs(c1 - 0.3532971017468269) < 1e-15);
  assert.ok(Math.abs(h1 - 0.2111981691508186) < 1e-15);

  const step1 = referenceLstmCell(oneUnit, 1, [1], [0], [0]);
  assert.ok(Math.abs(step1.c[0]! - c1) < 1e-12, `c1 ${step1.c[0]} vs ${c1}`);
  assert.ok(Math.abs(step1.h[0]! - h1) < 1e-12, `h1 ${step1.h[0]} vs ${h1}`);

  // Step 2: x = -2 with the state of step 1; the recurrent weights now contribute u_gate * h1.
  const i2 = sigmoid(0.5 * -2 + 0.125 * h1 + 0.0625);
  const f2 = sigmoid(-0.25 * -2 + 0.5 * h1 + 1.0);
  const cTilde2 = Math.tanh(0.75 * -2 - 0.625 * h1 - 0.125);
  const o2 = sigmoid(0.25 * -2 + 0.75 * h1 + 0.25);
  const c2 = f2 * c1 + i2 * cTilde2;
  const h2 = o2 * Math.tanh(c2);
  assert.ok(Math.abs(h2 - 0.011465732506754655) < 1e-15);
  assert.ok(Math.abs(f2 - 0.8327994803297412) < 1e-15, 'the forget gate reads the second tfjs block');

  const sequence = referenceLstm(oneUnit, [1, -2], 2, 1, 1);
  assert.ok(Math.abs(sequence[0]! - h1) < 1e-12);
  assert.ok(Math.abs(sequence[1]! - h2) < 1e-12);
});

test('reverse direction processes the last frame first and stores outputs in place', () => {
  const forwardOnReversed = referenceLstm(oneUnit, [-2, 1], 2, 1, 1);
  const backward = referenceLstm(oneUnit, [1, -2], 2, 1, 1, { reverse: true });
  assert.ok(Math.abs(backward[1]! - forwardOnReversed[0]!) < 1e-15);
  assert.ok(Math.abs(backward[0]! - forwardOnReversed[1]!) < 1e-15);
});

test('referenceForward: 1-unit bidirectional layers, last pooling, output and softmax by hand', () => {
  const arch: ModelArchitecture = {
    inputFrames: 2, inputDim: 1, lstmUnits: [1], pooling: 'last', hiddenUnits: 0, numClasses: 2, dropout: 0,
  };
  const w: ModelWeights = {
    architecture: arch,
    lstm: [{ inputDim: 1, units: 1, forward: oneUnit, backward: oneUnit }],
    hidden: null,
    output: { inDim: 2, outDim: 2, kernel: Float32Array.from([1, 0, 0, 1]), bias: Float32Array.from([0, 0.5]) },
  };
  const { logits, probabilities } = referenceForward(w, Float32Array.from([1, -2]), 2);
  // Forward final state = h after [1, -2]; backward final state (frame 0) = h after [-2, 1].
  const forwardFinal = referenceLstm(oneUnit, [1, -2], 2, 1, 1)[1]!;
  const backwardFinal = referenceLstm(oneUnit, [-2, 1], 2, 1, 1)[1]!;
  assert.ok(Math.abs(forwardFinal - 0.011465732506754655) < 1e-12);
  assert.ok(Math.abs(logits[0]! - forwardFinal) < 1e-6);
  assert.ok(Math.abs(logits[1]! - (backwardFinal + 0.5)) < 1e-6);
  const z0 = forwardFinal / 2;
  const z1 = (backwardFinal + 0.5) / 2;
  const p0 = Math.exp(z0) / (Math.exp(z0) + Math.exp(z1));
  assert.ok(Math.abs(probabilities[0]! - p0) < 1e-6);
  assert.ok(Math.abs(probabilities[0]! + probabilities[1]! - 1) < 1e-6);
});

test('referenceForward rejects features of the wrong length, naming the field', () => {
  const arch: ModelArchitecture = {
    inputFrames: 2, inputDim: 1, lstmUnits: [1], pooling: 'mean', hiddenUnits: 0, numClasses: 2, dropout: 0,
  };
  const w: ModelWeights = {
    architecture: arch,
    lstm: [{ inputDim: 1, units: 1, forward: oneUnit, backward: oneUnit }],
    hidden: null,
    output: { inDim: 2, outDim: 2, kernel: new Float32Array(4), bias: new Float32Array(2) },
  };
  assert.throws(() => referenceForward(w, new Float32Array(3)), /features has 3 values, expected 2/);
});
