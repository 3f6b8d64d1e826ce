import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkRunFolder } from '../cli/run-folder.js';
import { initBackend } from '../model/backend.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../model/checkpoint.js';
import { lstmInputDim, lstmSteps } from '../model/frame-stacking.js';
import { buildLayersModel } from '../model/layers-baseline.js';
import { BiLstmClassifier } from '../model/network.js';
import { composeEndToEnd } from '../model/onnx/end-to-end.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { weightsFromOnnx } from '../model/onnx/import.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { quantizeWeightsInt8 } from '../model/onnx/quantize.js';
import { verifyOnnxExport } from '../model/onnx/verify.js';
import { parityWaveforms, verifyEndToEnd } from '../model/onnx/verify-end-to-end.js';
import { framesFor, featureDim } from '../features/config.js';
import { referenceForward } from '../model/reference-lstm.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import { widenWeights } from '../model/widen.js';
import type { ModelArchitecture, ModelWeights } from '../model/types.js';
import { runKws } from './helpers/kws-process.js';
import { randomClips, randomModelWeights, testManifest, TEST_FEATURE_CONFIG } from './helpers/random-weights.js';
import { writeToneDataset } from './helpers/tone-dataset.js';
import { maxAbsDiff } from './helpers/max-diff.js';

await initBackend();

// 9 frames read 2 at a time: 4 steps, and the last frame is left over.
const stacked: ModelArchitecture = { inputFrames: 9, inputDim: 5, frameStack: 2, lstmUnits: [4, 3], pooling: 'mean', hiddenUnits: 6, numClasses: 4, dropout: 0 };
const TOLERANCE = 1e-4;

/** The same weights as a model without stacking whose frames are already k x F wide. */
function asUnstacked(w: ModelWeights): ModelWeights {
  const a = w.architecture;
  const { frameStack: _, ...rest } = a;
  return { ...w, architecture: { ...rest, inputFrames: lstmSteps(a), inputDim: lstmInputDim(a) } };
}

test('the stacked model reads floor(T/k) steps of k consecutive frames: the same as feeding those concatenated frames to an unstacked model', () => {
  assert.equal(lstmSteps(stacked), 4);
  assert.equal(lstmInputDim(stacked), 10);
  const w = randomModelWeights(stacked, 5, { outputGain: 3 });
  assert.equal(w.lstm[0]!.inputDim, 10);
  const plain = asUnstacked(w);
  for (const clip of randomClips(stacked, 3, 6)) {
    const ours = referenceForward(w, clip).logits;
    const concatenated = referenceForward(plain, clip.subarray(0, 4 * 10)).logits;
    assert.ok(maxAbsDiff(ours, concatenated) <= 1e-9);
    const lastFrameChanged = Float32Array.from(clip);
    lastFrameChanged.fill(9, 8 * 5);
    assert.ok(maxAbsDiff(referenceForward(w, lastFrameChanged).logits, ours) <= 1e-12, 'the left-over frame is not read');
    const secondFrameChanged = Float32Array.from(clip);
    secondFrameChanged.fill(9, 5, 10);
    assert.ok(maxAbsDiff(referenceForward(w, secondFrameChanged).logits, ours) > 1e-3, 'the second frame of a step is read');
  }
});

for (const pooling of ['mean', 'last', 'attention'] as const) {
  test(`frame stacking with ${pooling} pooling: ONNX (onnxruntime), tfjs and the float64 reference agree`, async () => {
    const a: ModelArchitecture = { ...stacked, pooling, ...(pooling === 'attention' ? { attentionUnits: 3 } : {}) };
    const w = randomModelWeights(a, 11, { outputGain: 3 });
    const bytes = buildOnnxModel(w, testManifest(a, 1.5));
    const verification = await verifyOnnxExport(bytes, w, randomClips(a, 4, 12));
    assert.ok(verification.maxAbsDiffOrtVsReference <= TOLERANCE, `ort vs reference ${verification.maxAbsDiffOrtVsReference}`);
    assert.notEqual(verification.maxAbsDiffOrtVsTfjs, null);
    assert.ok(verification.maxAbsDiffOrtVsTfjs! <= TOLERANCE, `ort vs tfjs ${verification.maxAbsDiffOrtVsTfjs}`);
  });
}

test('a stacked classifier inside the end-to-end graph (waveform in), float and int8, agrees with features + classifier', async () => {
  // The test front-end gives 97 frames of 13 values: 32 steps of 3 frames, one frame left over.
  const a: ModelArchitecture = { ...stacked, inputFrames: framesFor(TEST_FEATURE_CONFIG, TEST_FEATURE_CONFIG.clipLengthSamples), inputDim: featureDim(TEST_FEATURE_CONFIG), frameStack: 3 };
  const classifier = buildOnnxModel(randomModelWeights(a, 41, { outputGain: 3 }), testManifest(a));
  const clips = parityWaveforms(4, TEST_FEATURE_CONFIG.clipLengthSamples, 42);
  const v = await verifyEndToEnd(composeEndToEnd(classifier), classifier, clips, 'fast');
  assert.ok(v.maxAbsDiffProbabilities <= 1e-4, `probabilities ${v.maxAbsDiffProbabilities}`);
  assert.equal(v.labelDisagreements, 0);
  const int8 = await verifyEndToEnd(composeEndToEnd(quantizeWeightsInt8(classifier)), classifier, clips, 'fast');
  assert.ok(int8.maxAbsDiffProbabilities <= 0.02, `int8 probabilities ${int8.maxAbsDiffProbabilities}`);
});

test('a model without stacking exports the same graph as before: no frameStack field, no stacking nodes', () => {
  const { frameStack: _, ...rest } = stacked;
  const w = randomModelWeights(rest, 3);
  const bytes = buildOnnxModel(w, testManifest(rest));
  assert.equal(readOnnxManifest(bytes, 'plain.onnx').architecture.frameStack, undefined);
  assert.ok(!Buffer.from(bytes).includes(Buffer.from('stack_frames')));
  assert.ok(Buffer.from(buildOnnxModel(randomModelWeights(stacked, 3), testManifest(stacked))).includes(Buffer.from('stack_frames')));
});

test('frame stacking survives the checkpoint file and the ONNX file, and a stacked model can be widened', () => {
  const w = randomModelWeights(stacked, 21);
  const manifest = testManifest(stacked);
  const fromCheckpoint = decodeCheckpoint(encodeCheckpoint({ manifest, weights: w, optimizer: [], state: null }), 'memory.ckpt').weights;
  assert.deepEqual(fromCheckpoint, w);
  const fromOnnx = weightsFromOnnx(buildOnnxModel(w, manifest), 'memory.onnx').weights;
  assert.equal(fromOnnx.architecture.frameStack, 2);
  const clip = randomClips(stacked, 1, 22)[0]!;
  assert.ok(maxAbsDiff(referenceForward(fromOnnx, clip).logits, referenceForward(w, clip).logits) <= 1e-6);
  const wider = widenWeights(w, { lstmUnits: [6, 5], hiddenUnits: 8 }, 1);
  assert.equal(wider.lstm[0]!.inputDim, 10);
  assert.ok(maxAbsDiff(referenceForward(wider, clip).logits, referenceForward(w, clip).logits) <= 1e-6, 'widening keeps the function');
});

test('a stacked model trains: the loss of one batch falls under a few Adam steps in tfjs', () => {
  const net = BiLstmClassifier.create(stacked, 7);
  const clips = randomClips(stacked, 8, 8);
  const batch = new Float32Array(8 * 9 * 5);
  clips.forEach((c, k) => batch.set(c, k * 45));
  const x = tf.tensor3d(batch, [8, 9, 5]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4).toFloat();
  const optimizer = tf.train.adam(0.05);
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, net.logits(x, true)) as tf.Scalar;
  const before = tf.tidy(() => loss().dataSync()[0]!);
  for (let step = 0; step < 20; step++) optimizer.minimize(loss, false, net.trainableVariables);
  const after = tf.tidy(() => loss().dataSync()[0]!);
  assert.ok(after < before * 0.5, `loss ${before} -> ${after}`);
  tf.dispose([x, y]);
  optimizer.dispose();
  net.dispose();
});

test('bad frame stacking is refused with the field named, in weights, ONNX manifests and the tf.layers baseline', () => {
  for (const frameStack of [0, 1.5, 10]) {
    assert.throws(() => BiLstmClassifier.create({ ...stacked, frameStack }, 1), /architecture\.frameStack must be an integer from 1 to inputFrames \(9\)/);
  }
  const bytes = buildOnnxModel(randomModelWeights(stacked, 1), { ...testManifest(stacked) });
  const tampered = Buffer.from(bytes).toString('latin1').replace('"frameStack":2', '"frameStack":0');
  assert.throws(() => readOnnxManifest(Buffer.from(tampered, 'latin1'), 'bad.onnx'), /bad\.onnx.*architecture\.frameStack must be an integer/);
  assert.throws(() => buildLayersModel(stacked), /no tf\.layers baseline for frame stacking/);
});

test('resuming a run with another --frame-stack is refused, naming both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kws-stack-'));
  try {
    await saveCheckpoint(join(dir, 'last.ckpt'), { manifest: testManifest(stacked), weights: randomModelWeights(stacked, 2), optimizer: [], state: null });
    const request = { out: dir, resume: true, force: false, lstmUnits: [4, 3], hiddenUnits: 6, pooling: 'mean' as const };
    await assert.rejects(checkRunFolder({ ...request, frameStack: 1 }), /--frame-stack 2 \(asked: 1\)/);
    await checkRunFolder({ ...request, frameStack: 2 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kws train --frame-stack: a run trains and records it; a fine-tune keeps its model\'s stacking and refuses another', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kws-stack-train-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 8);
    const options = (runDir: string, extra: Partial<TrainJobOptions>): TrainJobOptions => ({
      data: [data], holdout: [], task: '12', lstmUnits: [5], hiddenUnits: 0, pooling: 'mean', dropout: 0.1, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs: 1, batchSize: 16, learningRate: 0.01, patience: 10, plateauDecay: 0.5,
      labelSmoothing: 0.05, seed: 3, resume: false, augment: null, log: () => {}, ...extra,
    });
    const { manifest } = await runTrainJob(options(join(dir, 'stacked'), { frameStack: 2 }));
    assert.equal(manifest.architecture.frameStack, 2);
    const { weights } = await loadCheckpoint(join(dir, 'stacked', 'best.ckpt'));
    assert.equal(weights.lstm[0]!.inputDim, 2 * manifest.architecture.inputDim);
    const plain = await runTrainJob(options(join(dir, 'plain'), {}));
    assert.equal(plain.manifest.architecture.frameStack, undefined, 'no field without stacking: manifests as before');
    const tuned = await runTrainJob(options(join(dir, 'tuned'), { initFrom: join(dir, 'stacked') }));
    assert.equal(tuned.manifest.architecture.frameStack, 2);
    await assert.rejects(runTrainJob(options(join(dir, 'refused'), { initFrom: join(dir, 'stacked'), frameStack: 1 })), /reads 2 frame\(s\) per LSTM step; a model it starts cannot read 1/);

    const usage = await runKws(['train', '--data', data, '--out', join(dir, 'cli'), '--frame-stack', '2', '--init-from', join(dir, 'stacked')], dir);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /--frame-stack sets up a model trained from scratch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
