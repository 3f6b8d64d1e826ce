import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { AttentionInitError, withAttentionPooling } from '../model/attention-init.js';
import { initBackend } from '../model/backend.js';
import { decodeCheckpoint, encodeCheckpoint } from '../model/checkpoint.js';
import { BiLstmClassifier, ModelWeightsError } from '../model/network.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { weightsFromOnnx } from '../model/onnx/import.js';
import { referenceForward } from '../model/reference-lstm.js';
import { WidenError, widenWeights } from '../model/widen.js';
import type { ModelArchitecture } from '../model/types.js';
import { randomClips, randomModelWeights, testManifest } from './helpers/random-weights.js';
import { maxAbsDiff } from './helpers/max-diff.js';

await initBackend();

const meanArch: ModelArchitecture = { inputFrames: 9, inputDim: 6, lstmUnits: [5, 4], pooling: 'mean', hiddenUnits: 7, numClasses: 4, dropout: 0 };
const attentionArch: ModelArchitecture = { ...meanArch, pooling: 'attention', attentionUnits: 3 };

function tfjsLogits(net: BiLstmClassifier, clips: Float32Array[]): Float32Array {
  const { inputFrames: T, inputDim: F } = net.architecture;
  const batch = new Float32Array(clips.length * T * F);
  clips.forEach((c, k) => batch.set(c, k * T * F));
  return tf.tidy(() => net.logits(tf.tensor3d(batch, [clips.length, T, F]), false).dataSync() as Float32Array);
}

test('attention pooling in tfjs equals the float64 reference, and differs from mean pooling', () => {
  const w = randomModelWeights(attentionArch, 11, { outputGain: 3 });
  const net = BiLstmClassifier.fromWeights(w);
  const clips = randomClips(attentionArch, 5, 12);
  const ours = tfjsLogits(net, clips);
  const reference = clips.flatMap((c) => Array.from(referenceForward(w, c).logits));
  assert.ok(maxAbsDiff(ours, reference) <= 1e-4, `tfjs vs reference ${maxAbsDiff(ours, reference)}`);
  const meanPooled = clips.flatMap((c) => Array.from(referenceForward({ ...w, architecture: meanArch, attention: null }, c).logits));
  assert.ok(maxAbsDiff(reference, meanPooled) > 1e-2, 'attention weights this strong must change the logits');
  net.dispose();
});

test('adding attention to a mean-pooled model keeps its function exactly; training then moves the scores', () => {
  const mean = randomModelWeights(meanArch, 21, { outputGain: 3 });
  const withAttention = withAttentionPooling(mean, 3, 5);
  assert.equal(withAttention.architecture.pooling, 'attention');
  assert.equal(withAttention.architecture.attentionUnits, 3);
  assert.deepEqual(withAttention.lstm, mean.lstm, 'the trained layers are kept');
  assert.deepEqual(withAttentionPooling(mean, 3, 5), withAttention, 'deterministic in the seed');
  assert.notDeepEqual(withAttentionPooling(mean, 3, 6).attention!.projection.kernel, withAttention.attention!.projection.kernel);
  for (const clip of randomClips(meanArch, 4, 22)) {
    const before = referenceForward(mean, clip).logits;
    const after = referenceForward(withAttention, clip).logits;
    assert.ok(maxAbsDiff(before, after) <= 1e-9, `logits moved by ${maxAbsDiff(before, after)}`);
  }
  // The zero score kernel must still get a gradient, or attention would never start learning.
  const net = BiLstmClassifier.fromWeights(withAttention);
  const clips = randomClips(meanArch, 6, 23);
  const { inputFrames: T, inputDim: F } = meanArch;
  const batch = new Float32Array(6 * T * F);
  clips.forEach((c, k) => batch.set(c, k * T * F));
  const x = tf.tensor3d(batch, [6, T, F]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4).toFloat();
  const scoreKernel = net.trainableVariables.find((v) => v.name.endsWith('attention/score/kernel'))!;
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.logits(x, true)) as tf.Scalar, [scoreKernel]);
  const norm = tf.tidy(() => tf.norm(grads[scoreKernel.name]!).dataSync()[0]!);
  assert.ok(norm > 1e-6, `gradient of the score kernel is ${norm}`);
  tf.dispose([x, y, ...Object.values(grads)]);
  net.dispose();
});

test('attention is refused where it cannot keep the function, and missing weights are named', () => {
  assert.throws(() => withAttentionPooling(randomModelWeights({ ...meanArch, pooling: 'last' }, 1), 3, 1), (e: Error) => e instanceof AttentionInitError && /pools 'last'/.test(e.message));
  assert.throws(() => withAttentionPooling(randomModelWeights(meanArch, 1), 0, 1), AttentionInitError);
  const w = randomModelWeights(attentionArch, 2);
  assert.throws(() => widenWeights(w, { lstmUnits: [8, 8], hiddenUnits: 8 }, 1), WidenError);
  assert.throws(() => BiLstmClassifier.fromWeights({ ...w, attention: null }), (e: Error) => e instanceof ModelWeightsError && /attention is absent/.test(e.message));
  assert.throws(() => buildOnnxModel({ ...w, attention: null }, testManifest(attentionArch)), /attention weights are missing/);
});

test('attention weights survive the checkpoint file and the ONNX file', () => {
  const w = randomModelWeights(attentionArch, 31);
  const manifest = testManifest(attentionArch);
  const fromCheckpoint = decodeCheckpoint(encodeCheckpoint({ manifest, weights: w, optimizer: [], state: null }), 'memory.ckpt').weights;
  assert.deepEqual(fromCheckpoint.attention, w.attention);
  const fromOnnx = weightsFromOnnx(buildOnnxModel(w, manifest), 'memory.onnx').weights;
  assert.deepEqual(fromOnnx.attention, w.attention);
  const clip = randomClips(attentionArch, 1, 32)[0]!;
  assert.ok(maxAbsDiff(referenceForward(fromOnnx, clip).logits, referenceForward(w, clip).logits) <= 1e-6);
});
