import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../model/backend.js';
import { autodiffLstm } from '../model/lstm/autodiff-lstm.js';
import { bidirectionalLstm, fastLstm, LstmShapeError, type LstmParams } from '../model/lstm/fast-lstm.js';
import { SeededRandom } from '../util/random.js';

const backend = await initBackend();
const [B, T, F, U] = [3, 7, 5, 4];

function random(shape: number[], seed: number, scale = 0.6): tf.Tensor {
  const rng = new SeededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => scale * (2 * rng.next() - 1)), shape);
}

function params(seed: number): LstmParams {
  return {
    kernel: random([F, 4 * U], seed) as tf.Tensor2D,
    recurrentKernel: random([U, 4 * U], seed + 1) as tf.Tensor2D,
    bias: random([4 * U], seed + 2) as tf.Tensor1D,
  };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

const x = random([B, T, F], 1, 1) as tf.Tensor3D;
const p = params(10);

for (const goBackwards of [false, true]) {
  test(`fast LSTM equals tf.layers.lstm (sigmoid gates${goBackwards ? ', goBackwards' : ''}) on ${backend}`, () => {
    const layer = tf.layers.lstm({ units: U, returnSequences: true, recurrentActivation: 'sigmoid', goBackwards });
    const expectedRaw = layer.apply(x) as tf.Tensor3D;
    expectedRaw.dispose();
    layer.setWeights([p.kernel, p.recurrentKernel, p.bias]);
    // keras goBackwards returns outputs in processing order; ours keep each frame's position.
    const keras = layer.apply(x) as tf.Tensor3D;
    const expected = goBackwards ? tf.reverse(keras, 1) : keras;
    const got = fastLstm(x, p, { reverse: goBackwards });
    const diff = maxAbsDiff(got, expected);
    assert.ok(diff <= 1e-4, `max |fast - layers| = ${diff}`);
    // Not trivially zero: the outputs vary across frames.
    assert.ok(tf.tidy(() => tf.moments(got).variance.dataSync()[0]!) > 1e-4);
    tf.dispose([keras, expected, got]);
    layer.dispose();
  });

  test(`hand-written gradients equal autodiff of the plain LSTM (reverse=${goBackwards})`, () => {
    const weight = random([B, T, U], 99, 1);
    const lossOf = (impl: typeof fastLstm) => (xx: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(impl(xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias: b as tf.Tensor1D }, { reverse: goBackwards }), weight));
    const args = [x, p.kernel, p.recurrentKernel, p.bias];
    const fast = tf.grads(lossOf(fastLstm))(args);
    const auto = tf.grads(lossOf(autodiffLstm))(args);
    ['x', 'kernel', 'recurrentKernel', 'bias'].forEach((name, i) => {
      const diff = maxAbsDiff(fast[i]!, auto[i]!);
      assert.ok(diff <= 1e-4, `${name}: max |fast - autodiff| = ${diff}`);
      assert.ok(tf.tidy(() => tf.max(tf.abs(auto[i]!)).dataSync()[0]!) > 1e-3, `${name} gradient is not trivially zero`);
    });
    tf.dispose([...fast, ...auto, weight]);
  });
}

test('bidirectional layer is concat(forward, reverse(backward(reverse x)))', () => {
  const q = params(20);
  const got = bidirectionalLstm(x, p, q);
  const expected = tf.concat([autodiffLstm(x, p), tf.reverse(autodiffLstm(tf.reverse(x, 1), q), 1)], 2);
  assert.deepEqual(got.shape, [B, T, 2 * U]);
  assert.ok(maxAbsDiff(got, expected) <= 1e-5);
  tf.dispose([got, expected, ...Object.values(q)]);
});

test('a single frame works and wrong weight shapes are rejected by name', () => {
  const one = tf.slice(x, [0, 0, 0], [B, 1, F]) as tf.Tensor3D;
  assert.ok(maxAbsDiff(fastLstm(one, p), autodiffLstm(one, p)) <= 1e-6);
  const bad = { ...p, recurrentKernel: tf.zeros([U, 3 * U]) as tf.Tensor2D };
  assert.throws(() => fastLstm(x, bad), (e: Error) => e instanceof LstmShapeError && /recurrentKernel|kernel/.test(e.message));
  assert.throws(() => fastLstm(tf.zeros([B, F]) as unknown as tf.Tensor3D, p), LstmShapeError);
});

test('forward and backward leave no tensors behind', () => {
  const before = tf.memory().numTensors;
  for (let n = 0; n < 2; n++) {
    // valueAndGrads, not grads: tf.grads itself never disposes the loss value.
    const { value, grads } = tf.valueAndGrads((xx: tf.Tensor, k: tf.Tensor) => tf.sum(fastLstm(xx as tf.Tensor3D, { ...p, kernel: k as tf.Tensor2D }, { reverse: n === 1 })))([x, p.kernel]);
    tf.dispose([value, ...grads]);
    tf.tidy(() => {
      fastLstm(x, p);
    });
  }
  assert.equal(tf.memory().numTensors, before);
});
