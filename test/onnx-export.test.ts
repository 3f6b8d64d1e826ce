import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import { extractFeatures } from '../features/extractor.js';
import { initBackend } from '../model/backend.js';
import { buildOnnxModel, ONNX_IR_VERSION, ONNX_OPSET_VERSION } from '../model/onnx/export.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { onnxClasses } from '../model/onnx/proto.js';
import {
  checkOnnxWithPython,
  maxAbsDiff,
  runOnnx,
  runReference,
  runTfjsClassifier,
  verifyOnnxExport,
  type ClassifierOutputs,
} from '../model/onnx/verify.js';
import type { ModelArchitecture, ModelWeights } from '../model/types.js';
import { randomClips, randomModelWeights, testManifest } from './helpers/random-weights.js';

const TOLERANCE = 1e-4;

function arch(partial: Partial<ModelArchitecture> & Pick<ModelArchitecture, 'lstmUnits' | 'pooling'>): ModelArchitecture {
  return { inputFrames: 12, inputDim: 10, hiddenUnits: 0, numClasses: 5, dropout: 0, ...partial };
}

const ARCHITECTURES: { name: string; arch: ModelArchitecture; temperature: number }[] = [
  { name: '2x8 mean, no hidden', arch: arch({ lstmUnits: [8, 8], pooling: 'mean' }), temperature: 1 },
  { name: '3x16 last, hidden 12', arch: arch({ lstmUnits: [16, 16, 16], pooling: 'last', hiddenUnits: 12, numClasses: 4 }), temperature: 1 },
  { name: '32+16 last, no hidden', arch: arch({ inputFrames: 10, inputDim: 6, lstmUnits: [32, 16], pooling: 'last', numClasses: 3 }), temperature: 1.7 },
  { name: '8+16+8 mean, hidden 10', arch: arch({ inputFrames: 9, inputDim: 8, lstmUnits: [8, 16, 8], pooling: 'mean', hiddenUnits: 10, numClasses: 6 }), temperature: 0.6 },
  { name: '2x8 attention (6 units), hidden 10', arch: arch({ lstmUnits: [8, 8], pooling: 'attention', attentionUnits: 6, hiddenUnits: 10 }), temperature: 0.8 },
  { name: '16+8 attention (1 unit), no hidden', arch: arch({ inputFrames: 11, lstmUnits: [16, 8], pooling: 'attention', attentionUnits: 1, numClasses: 3 }), temperature: 1 },
];

/**
 * An independent tfjs forward pass built from tf.layers (Bidirectional(LSTM) with true sigmoid
 * gates), so the parity check does not depend on model/network.ts.
 */
function tfLayersForward(w: ModelWeights, clips: Float32Array[], temperature: number): ClassifierOutputs {
  const { inputFrames: T, inputDim: F, pooling } = w.architecture;
  const input = tf.input({ shape: [T, F] });
  let x: tf.SymbolicTensor = input;
  const bidirectionals = w.lstm.map((layer) => {
    const bi = tf.layers.bidirectional({
      layer: tf.layers.lstm({
        units: layer.units,
        returnSequences: true,
        recurrentActivation: 'sigmoid',
        // Overwritten by setWeights; zeros skips the slow orthogonal initialiser.
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
      }) as tf.RNN,
      mergeMode: 'concat',
    });
    x = bi.apply(x) as tf.SymbolicTensor;
    return bi;
  });
  const model = tf.model({ inputs: input, outputs: x });
  w.lstm.forEach((layer, l) => {
    const U = layer.units;
    const tensors = (d: typeof layer.forward) => [
      tf.tensor2d(d.kernel, [layer.inputDim, 4 * U]),
      tf.tensor2d(d.recurrentKernel, [U, 4 * U]),
      tf.tensor1d(d.bias),
    ];
    bidirectionals[l]!.setWeights([...tensors(layer.forward), ...tensors(layer.backward)]);
  });
  const out = tf.tidy(() => {
    const batch = new Float32Array(clips.length * T * F);
    clips.forEach((c, b) => batch.set(c, b * T * F));
    const seq = model.predict(tf.tensor3d(batch, [clips.length, T, F])) as tf.Tensor3D;
    const U = w.lstm[w.lstm.length - 1]!.units;
    const denseLayer = (d: { inDim: number; outDim: number; kernel: Float32Array; bias: Float32Array }, v: tf.Tensor2D) =>
      tf.add(tf.matMul(v, tf.tensor2d(d.kernel, [d.inDim, d.outDim])), tf.tensor1d(d.bias)) as tf.Tensor2D;
    let pooled: tf.Tensor2D;
    if (pooling === 'mean') {
      pooled = seq.mean<tf.Tensor2D>(1);
    } else if (pooling === 'attention') {
      // One clip at a time: score every frame, softmax over frames, weighted sum.
      pooled = tf.stack(tf.unstack(seq).map((frames) => {
        const scores = denseLayer(w.attention!.score, tf.tanh(denseLayer(w.attention!.projection, frames as tf.Tensor2D)));
        return tf.matMul(tf.softmax(tf.transpose(scores)), frames as tf.Tensor2D).squeeze([0]);
      })) as tf.Tensor2D;
    } else {
      pooled = tf.concat<tf.Tensor2D>([seq.slice([0, T - 1, 0], [-1, 1, U]).squeeze<tf.Tensor2D>([1]), seq.slice([0, 0, U], [-1, 1, U]).squeeze<tf.Tensor2D>([1])], 1);
    }
    if (w.hidden) pooled = tf.relu(denseLayer(w.hidden, pooled));
    const logits = denseLayer(w.output, pooled);
    return { logits: logits.dataSync() as Float32Array, probabilities: tf.softmax(tf.div(logits, temperature)).dataSync() as Float32Array };
  });
  model.dispose();
  return out;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'kws-onnx-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

for (const [index, { name, arch: a, temperature }] of ARCHITECTURES.entries()) {
  test(`onnx export agrees with tfjs and the reference: ${name}`, async (t) => {
    await initBackend();
    const w = randomModelWeights(a, 100 + index);
    const manifest = testManifest(a, temperature);
    const bytes = buildOnnxModel(w, manifest);

    for (const batchSize of [1, 7]) {
      const clips = randomClips(a, batchSize, 200 + index);
      const ortOut = await runOnnx(bytes, w, clips);
      assert.equal(ortOut.probabilities.length, batchSize * a.numClasses, 'dynamic batch: one row per clip');
      const reference = runReference(w, clips, temperature);
      const tfjs = tfLayersForward(w, clips, temperature);
      const ortVsTfjs = maxAbsDiff(ortOut, tfjs);
      const refVsOrt = maxAbsDiff(reference, ortOut);
      const refVsTfjs = maxAbsDiff(reference, tfjs);
      assert.ok(ortVsTfjs <= TOLERANCE, `batch ${batchSize}: ort vs tfjs ${ortVsTfjs}`);
      assert.ok(refVsOrt <= TOLERANCE, `batch ${batchSize}: reference vs ort ${refVsOrt}`);
      assert.ok(refVsTfjs <= TOLERANCE, `batch ${batchSize}: reference vs tfjs ${refVsTfjs}`);
      t.diagnostic(`batch ${batchSize}: max|ort-tfjs| ${ortVsTfjs.toExponential(2)}, max|ref-ort| ${refVsOrt.toExponential(2)}, max|ref-tfjs| ${refVsTfjs.toExponential(2)}`);
      // The outputs must actually vary, or agreement would prove little.
      const spread = Math.max(...ortOut.probabilities) - Math.min(...ortOut.probabilities);
      assert.ok(spread > 0.05, `probabilities barely vary (${spread})`);
    }

    const verification = await verifyOnnxExport(bytes, w, randomClips(a, 3, 300 + index));
    assert.equal(verification.clips, 3);
    assert.ok(verification.maxAbsDiffOrtVsReference <= TOLERANCE, `verify: ${verification.maxAbsDiffOrtVsReference}`);
    if (verification.maxAbsDiffOrtVsTfjs !== null) {
      assert.ok(verification.maxAbsDiffOrtVsTfjs <= TOLERANCE, `verify tfjs: ${verification.maxAbsDiffOrtVsTfjs}`);
    }

    const file = path.join(tmp, `model${index}.onnx`);
    writeFileSync(file, bytes);
    const check = checkOnnxWithPython(file);
    await t.test('passes onnx.checker.check_model(full_check=True)', { skip: check.skipped ?? false }, () => {
      assert.deepEqual(check, { ok: true }, `onnx.checker rejected ${name}`);
    });
  });
}

test('checkOnnxWithPython reports a broken graph with the file name', async (t) => {
  const a = ARCHITECTURES[0]!.arch;
  const model = onnxClasses.ModelProto.decode(buildOnnxModel(randomModelWeights(a, 1), testManifest(a)));
  model.graph!.initializer = model.graph!.initializer!.filter((tensor) => tensor.name !== 'lstm0_R');
  const file = path.join(tmp, 'broken.onnx');
  writeFileSync(file, onnxClasses.ModelProto.encode(model).finish());
  const check = checkOnnxWithPython(file);
  if (check.skipped) {
    t.skip(check.skipped);
    return;
  }
  assert.equal(check.ok, false);
  assert.match(check.error ?? '', /broken\.onnx: .*lstm0_R/);
});

test('the tfjs BiLstmClassifier (model/network.ts) agrees with the reference when present', async (t) => {
  const a = ARCHITECTURES[1]!.arch;
  const w = randomModelWeights(a, 7);
  const clips = randomClips(a, 4, 8);
  const tfjs = await runTfjsClassifier(w, clips, 1);
  if (tfjs === null) {
    t.skip('model/network.ts is not built yet');
    return;
  }
  const diff = maxAbsDiff(tfjs, runReference(w, clips, 1));
  assert.ok(diff <= TOLERANCE, `BiLstmClassifier vs reference ${diff}`);
});

test('swapping two gate blocks in the export breaks parity (the checks see the gate mapping)', async () => {
  const a = ARCHITECTURES[0]!.arch;
  const w = randomModelWeights(a, 11);
  const clips = randomClips(a, 4, 12);
  const reference = runReference(w, clips, 1);
  const good = await runOnnx(buildOnnxModel(w, testManifest(a)), w, clips);
  assert.ok(maxAbsDiff(good, reference) <= TOLERANCE);
  // ONNX slots are i,o,f,c; the correct sources are tfjs blocks [0,3,1,2]. Swap forget and cell.
  for (const wrong of [[0, 3, 2, 1], [3, 0, 1, 2], [0, 1, 3, 2]]) {
    const bad = await runOnnx(buildOnnxModel(w, testManifest(a), { gateSourceBlocks: wrong }), w, clips);
    const diff = maxAbsDiff(bad, reference);
    assert.ok(diff > 100 * TOLERANCE, `gate order [${wrong}] should break parity, diff ${diff}`);
  }
});

test('manifest round-trips through metadata_props; graph pins opset, IR version and a dynamic batch', () => {
  const a = ARCHITECTURES[1]!.arch;
  const manifest = { ...testManifest(a, 1.3), metrics: { accuracy: 0.91 } };
  const bytes = buildOnnxModel(randomModelWeights(a, 1), manifest);
  assert.deepEqual(readOnnxManifest(bytes, 'x.onnx'), manifest);

  const model = onnxClasses.ModelProto.decode(bytes);
  assert.equal(Number(model.irVersion), ONNX_IR_VERSION);
  assert.deepEqual(model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]), [['', ONNX_OPSET_VERSION]]);
  assert.equal(model.producerName, 'kws');
  assert.equal(model.metadataProps.find((p) => p.key === 'kws.labels')?.value, 'class0,class1,class2,class3');
  const input = model.graph!.input![0]!;
  assert.equal(input.name, 'features');
  const dims = input.type!.tensorType!.shape!.dim!;
  assert.deepEqual(dims.map((d) => d.dimParam || Number(d.dimValue)), ['batch', a.inputFrames, a.inputDim]);
  assert.deepEqual(model.graph!.output!.map((o) => o.name), ['logits', 'probabilities']);
  assert.deepEqual(
    model.graph!.node!.filter((n) => n.opType === 'LSTM').map((n) => n.name),
    ['lstm0', 'lstm1', 'lstm2'],
  );
});

test('readOnnxManifest names the file when the metadata is missing or invalid', () => {
  const a = ARCHITECTURES[0]!.arch;
  const bytes = buildOnnxModel(randomModelWeights(a, 1), testManifest(a));
  const model = onnxClasses.ModelProto.decode(bytes);

  model.metadataProps = [];
  assert.throws(() => readOnnxManifest(onnxClasses.ModelProto.encode(model).finish(), 'bare.onnx'), /bare\.onnx: has no 'kws\.manifest' metadata/);

  model.metadataProps = [{ key: 'kws.manifest', value: '{not json' }];
  assert.throws(() => readOnnxManifest(onnxClasses.ModelProto.encode(model).finish(), 'broken.onnx'), /broken\.onnx: .*not valid JSON/);

  model.metadataProps = [{ key: 'kws.manifest', value: JSON.stringify({ ...testManifest(a), labels: [] }) }];
  assert.throws(() => readOnnxManifest(onnxClasses.ModelProto.encode(model).finish(), 'nolabels.onnx'), /nolabels\.onnx: .*no labels/);

  assert.throws(() => readOnnxManifest(Uint8Array.from([0xff, 0xff, 0xff]), 'garbage.onnx'), /garbage\.onnx: is not a valid ONNX model/);
});

test('buildOnnxModel rejects a manifest that does not match the weights', () => {
  const a = ARCHITECTURES[0]!.arch;
  const w = randomModelWeights(a, 1);
  assert.throws(() => buildOnnxModel(w, { ...testManifest(a), labels: ['a', 'b'] }), /2 labels, architecture 5 classes/);
  assert.throws(() => buildOnnxModel(w, testManifest({ ...a, pooling: 'last' })), /architecture differs/);
  assert.throws(() => buildOnnxModel(w, testManifest(a, 0)), /temperature must be a positive number/);
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const speechDir = path.resolve(repoRoot, '../shared/data/speech_commands_v0.02_test_half');
const haveShared = existsSync(speechDir);
const wavDecoder = createRequire(import.meta.url)('wav-decoder') as {
  decode: { sync(buffer: Buffer): { sampleRate: number; channelData: Float32Array[] } };
};

/** Features of the first clip (sorted) of a Speech Commands folder: 16 kHz mono, padded/cropped. */
function firstClipFeatures(word: string): { data: Float32Array; frames: number; dim: number } {
  const dir = path.join(speechDir, word);
  const file = path.join(dir, readdirSync(dir).filter((n) => n.endsWith('.wav')).sort()[0]!);
  const decoded = wavDecoder.decode.sync(readFileSync(file));
  assert.equal(decoded.sampleRate, 16000, `${file}: expected 16 kHz`);
  const window = new Float32Array(DEFAULT_FEATURE_CONFIG.clipLengthSamples);
  window.set(decoded.channelData[0]!.subarray(0, window.length));
  return extractFeatures(window, DEFAULT_FEATURE_CONFIG);
}

test('onnxruntime, the reference and tfjs agree on features of real speech', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, async (t) => {
  await initBackend();
  const features = ['yes', 'no', 'stop', 'go', '_unknown_'].map(firstClipFeatures);
  const { frames, dim } = features[0]!;
  const a: ModelArchitecture = {
    inputFrames: frames, inputDim: dim, lstmUnits: [16, 16], pooling: 'last', hiddenUnits: 16, numClasses: 12, dropout: 0,
  };
  const w = randomModelWeights(a, 42);
  const clips = features.map((f) => f.data);
  const bytes = buildOnnxModel(w, testManifest(a, 1));
  const ortOut = await runOnnx(bytes, w, clips);
  const reference = runReference(w, clips, 1);
  const tfjs = tfLayersForward(w, clips, 1);
  const refVsOrt = maxAbsDiff(reference, ortOut);
  const ortVsTfjs = maxAbsDiff(ortOut, tfjs);
  const refVsTfjs = maxAbsDiff(reference, tfjs);
  t.diagnostic(`${clips.length} clips [${frames}x${dim}]: max|ort-tfjs| ${ortVsTfjs.toExponential(2)}, max|ref-ort| ${refVsOrt.toExponential(2)}, max|ref-tfjs| ${refVsTfjs.toExponential(2)}`);
  assert.ok(refVsOrt <= TOLERANCE, `reference vs ort ${refVsOrt}`);
  assert.ok(ortVsTfjs <= TOLERANCE, `ort vs tfjs ${ortVsTfjs}`);
  assert.ok(refVsTfjs <= TOLERANCE, `reference vs tfjs ${refVsTfjs}`);
});
