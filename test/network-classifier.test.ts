import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../model/backend.js';
import { buildLayersModel, setLayersWeights } from '../model/layers-baseline.js';
import { BiLstmClassifier, ModelWeightsError } from '../model/network.js';
import type { ModelArchitecture } from '../model/types.js';
import { SeededRandom } from '../util/random.js';

await initBackend();

const base: ModelArchitecture = { inputFrames: 6, inputDim: 5, lstmUnits: [4, 3], pooling: 'mean', hiddenUnits: 5, numClasses: 3, dropout: 0.2 };

function randomInput(batch: number, arch: ModelArchitecture, seed: number): tf.Tensor3D {
  const rng = new SeededRandom(seed);
  const n = batch * arch.inputFrames * arch.inputDim;
  return tf.tensor3d(Float32Array.from({ length: n }, () => 2 * rng.next() - 1), [batch, arch.inputFrames, arch.inputDim]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

for (const arch of [base, { ...base, pooling: 'last' as const, hiddenUnits: 0 }]) {
  test(`logits equal the tf.layers baseline with the same weights (pooling ${arch.pooling}, hidden ${arch.hiddenUnits})`, () => {
    const net = BiLstmClassifier.create(arch, 5);
    const model = buildLayersModel(arch);
    setLayersWeights(model, net.toWeights());
    const x = randomInput(4, arch, 1);
    const ours = net.logits(x, false);
    const theirs = model.predict(x) as tf.Tensor2D;
    assert.deepEqual(ours.shape, [4, arch.numClasses]);
    const diff = maxAbsDiff(ours, theirs);
    assert.ok(diff <= 1e-4, `max |ours - layers| = ${diff}`);
    tf.dispose([x, ours, theirs]);
    model.dispose();
    net.dispose();
  });
}

test('toWeights/fromWeights round-trips every array and the logits', () => {
  const a = BiLstmClassifier.create(base, 3);
  const w = a.toWeights();
  const b = BiLstmClassifier.fromWeights(w);
  assert.deepEqual(b.toWeights(), w);
  const x = randomInput(2, base, 2);
  assert.equal(maxAbsDiff(a.logits(x, false), b.logits(x, false)), 0);
  assert.throws(() => BiLstmClassifier.fromWeights({ ...w, output: { ...w.output, bias: new Float32Array(2) } }), (e: Error) => e instanceof ModelWeightsError && e.message.includes('output.bias'));
  a.dispose();
  b.dispose();
  x.dispose();
});

test('seeded create is reproducible and uses the documented initialisers', () => {
  const w1 = BiLstmClassifier.create(base, 42);
  const w2 = BiLstmClassifier.create(base, 42);
  const w3 = BiLstmClassifier.create(base, 43);
  const [a, b, c] = [w1.toWeights(), w2.toWeights(), w3.toWeights()];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.lstm[0]!.forward.kernel, c.lstm[0]!.forward.kernel);
  const layer = a.lstm[1]!;
  const U = layer.units;
  // Forget-gate bias 1, others 0.
  assert.deepEqual(Array.from(layer.forward.bias), [...Array(U).fill(0), ...Array(U).fill(1), ...Array(2 * U).fill(0)]);
  // Orthogonal recurrent kernel [U, 4U]: orthonormal rows.
  const r = layer.backward.recurrentKernel;
  for (let i = 0; i < U; i++) {
    for (let j = 0; j < U; j++) {
      let dot = 0;
      for (let k = 0; k < 4 * U; k++) dot += r[i * 4 * U + k]! * r[j * 4 * U + k]!;
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `row ${i}.row ${j} = ${dot}`);
    }
  }
  // Glorot-uniform kernel bound.
  const limit = Math.sqrt(6 / (layer.inputDim + 4 * U));
  assert.ok(layer.forward.kernel.every((v) => Math.abs(v) <= limit));
  [w1, w2, w3].forEach((m) => m.dispose());
});

test('dropout only in training, seeded; setWeights restores weights', () => {
  const net = BiLstmClassifier.create({ ...base, dropout: 0.5 }, 9);
  const x = randomInput(3, base, 4);
  const eval1 = net.logits(x, false);
  const train1 = net.logits(x, true, 7);
  const train2 = net.logits(x, true, 7);
  const train3 = net.logits(x, true, 8);
  assert.equal(maxAbsDiff(train1, train2), 0);
  assert.ok(maxAbsDiff(train1, train3) > 0);
  assert.ok(maxAbsDiff(eval1, train1) > 0);
  const saved = net.toWeights();
  net.trainableVariables[0]!.assign(tf.zerosLike(net.trainableVariables[0]!));
  net.setWeights(saved);
  assert.equal(maxAbsDiff(net.logits(x, false), eval1), 0);
  net.dispose();
});

test('adam steps reduce the loss on a separable toy problem, without leaking tensors', () => {
  const arch: ModelArchitecture = { ...base, numClasses: 2, dropout: 0.1 };
  const net = BiLstmClassifier.create(arch, 1);
  const batch = 16;
  const rng = new SeededRandom(3);
  const labels = Array.from({ length: batch }, (_, i) => i % 2);
  const xs = new Float32Array(batch * arch.inputFrames * arch.inputDim);
  labels.forEach((label, n) => {
    for (let t = 0; t < arch.inputFrames; t++) {
      for (let f = 0; f < arch.inputDim; f++) {
        const signal = (label === 0 ? 1 : -1) * (t / arch.inputFrames) * (f % 2 === 0 ? 1 : -1);
        xs[(n * arch.inputFrames + t) * arch.inputDim + f] = signal + 0.3 * (rng.next() - 0.5);
      }
    }
  });
  const x = tf.tensor3d(xs, [batch, arch.inputFrames, arch.inputDim]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2).toFloat() as tf.Tensor2D;
  const optimizer = tf.train.adam(0.03);
  const lossNow = (): number => tf.tidy(() => tf.losses.softmaxCrossEntropy(y, net.logits(x, false)).dataSync()[0]!);
  const step = (n: number): void => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.logits(x, true, n)) as tf.Scalar, true, net.trainableVariables);
    loss?.dispose();
  };
  const initial = lossNow();
  const N = 10;
  for (let n = 0; n < N; n++) step(n);
  const afterN = tf.memory().numTensors;
  for (let n = N; n < 2 * N; n++) step(n);
  assert.equal(tf.memory().numTensors, afterN, 'tensor count grew between N and 2N training steps');
  const final = lossNow();
  assert.ok(final < 0.5 * initial, `loss ${initial.toFixed(4)} -> ${final.toFixed(4)}`);
  optimizer.dispose();
  tf.dispose([x, y]);
  net.dispose();
});
