/**
 * The end-to-end ONNX graph (waveform in, the Meyda MFCC front-end built from ONNX operators
 * inside) against the definition: Meyda.extract frame by frame -> deltas -> normalisation, fed to
 * the plain classifier, both in onnxruntime-node. For the shipped configuration and others (other
 * frame/hop/mel/MFCC counts, windows, with and without deltas, each normalisation), on generated
 * signals always and on real clips when ../shared/data is present; the onnx checker; mutations of
 * the window, the mel bank and the DCT normalisation must break the parity; the int8 variant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { fitToLength, readAudio } from '../features/audio/index.js';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { composeEndToEnd, WAVEFORM_INPUT_NAME } from '../model/onnx/end-to-end.js';
import { buildOnnxModel, PROBABILITIES_NAME } from '../model/onnx/export.js';
import { frontEndTables, type FrontEndTables } from '../model/onnx/frontend-graph.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { onnxClasses } from '../model/onnx/proto.js';
import { quantizeWeightsInt8 } from '../model/onnx/quantize.js';
import { checkOnnxWithPython } from '../model/onnx/verify.js';
import { parityWaveforms, verifyEndToEnd, type EndToEndVerification } from '../model/onnx/verify-end-to-end.js';
import { DEFAULT_MODEL_PATH } from '../pipeline/recognizer.js';
import { fixtureManifest, randomWeights } from './recognizer-fixture.js';

const TOLERANCE = 1e-4;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedTestHalf = path.resolve(repoRoot, '../shared/data/speech_commands_v0.02_test_half');
const haveShipped = existsSync(DEFAULT_MODEL_PATH);
const tmp = mkdtempSync(path.join(tmpdir(), 'kws-e2e-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const CONFIGS: { name: string; features: FeatureConfig }[] = [
  { name: 'shipped: 512/320 hanning, 40 mel, 20 MFCC + deltas, utterance', features: DEFAULT_FEATURE_CONFIG },
  {
    name: '256/160 hamming, 26 mel, 13 MFCC, no deltas, no normalisation, 0.75 s',
    features: { ...DEFAULT_FEATURE_CONFIG, frameLengthSamples: 256, hopLengthSamples: 160, windowingFunction: 'hamming', melBands: 26, mfccCoefficients: 13, deltas: false, clipLengthSamples: 12000, normalization: { kind: 'none' } },
  },
  {
    name: '1024/400 blackman, 64 mel, 30 MFCC + deltas (window 3), utterance',
    features: { ...DEFAULT_FEATURE_CONFIG, frameLengthSamples: 1024, hopLengthSamples: 400, windowingFunction: 'blackman', melBands: 64, mfccCoefficients: 30, deltaWindow: 3, normalization: { kind: 'utterance' } },
  },
  {
    name: '512/256 rect, 32 mel, 12 MFCC + deltas, global statistics',
    features: {
      ...DEFAULT_FEATURE_CONFIG, hopLengthSamples: 256, windowingFunction: 'rect', melBands: 32, mfccCoefficients: 12,
      normalization: { kind: 'global', mean: Array.from({ length: 24 }, (_, i) => (i < 12 ? 3 - i * 0.5 : 0.01 * i)), std: Array.from({ length: 24 }, (_, i) => (i < 12 ? 4 + i : 0.5)) },
    },
  },
];

function classifierFor(features: FeatureConfig, seed: number): Uint8Array {
  const manifest = fixtureManifest({ features, seed });
  return buildOnnxModel(randomWeights(manifest.architecture, seed), manifest);
}

function assertParity(v: EndToEndVerification, what: string): void {
  assert.ok(v.maxAbsDiffProbabilities <= TOLERANCE, `${what}: max |probability difference| ${v.maxAbsDiffProbabilities}`);
  assert.ok(v.featuresRelativeError <= TOLERANCE, `${what}: features relative error ${v.featuresRelativeError}`);
  if (v.mfccRelativeError !== null) assert.ok(v.mfccRelativeError <= TOLERANCE, `${what}: MFCC relative error ${v.mfccRelativeError}`);
  assert.equal(v.labelDisagreements, 0, `${what}: top labels differ`);
}

function checked(bytes: Uint8Array, name: string): { ok: boolean; skipped?: string; error?: string } {
  const file = path.join(tmp, name);
  writeFileSync(file, bytes);
  return checkOnnxWithPython(file);
}

async function probabilities(bytes: Uint8Array, clips: readonly Float32Array[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const S = clips[0]!.length;
  const data = new Float32Array(clips.length * S);
  clips.forEach((c, i) => data.set(c, i * S));
  const out = await session.run({ [WAVEFORM_INPUT_NAME]: new ort.Tensor('float32', data, [clips.length, S]) }, [PROBABILITIES_NAME]);
  await session.release();
  return out[PROBABILITIES_NAME]!.data as Float32Array;
}

for (const [index, { name, features }] of CONFIGS.entries()) {
  test(`end-to-end graph equals Meyda.extract + the classifier: ${name}`, async (t) => {
    const classifier = classifierFor(features, 40 + index);
    const e2e = composeEndToEnd(classifier, { mfccOutput: true });
    const clips = parityWaveforms(10, features.clipLengthSamples, 60 + index);
    const v = await verifyEndToEnd(e2e, classifier, clips, 'meyda');
    assertParity(v, name);
    t.diagnostic(`max |dp| ${v.maxAbsDiffProbabilities.toExponential(2)}, features rel ${v.featuresRelativeError.toExponential(2)}, MFCC rel ${v.mfccRelativeError!.toExponential(2)}`);
    // Agreement must mean something: the probabilities vary between clips.
    const p = await probabilities(e2e, clips);
    assert.ok(Math.max(...p) - Math.min(...p) > 0.05, 'probabilities barely vary');
    // Dynamic batch: one clip alone gives its row of the batch.
    const single = await probabilities(e2e, [clips[2]!]);
    const C = single.length;
    single.forEach((x, c) => assert.ok(Math.abs(x - p[2 * C + c]!) < 1e-6));
    const manifest = readOnnxManifest(e2e, 'e2e');
    assert.deepEqual(manifest.graphInput, { kind: 'waveform', name: 'waveform', samples: features.clipLengthSamples, sampleRateHz: 16000, spectrum: 'matmul', featuresOutput: 'features' });
    assert.deepEqual(manifest.features, features);
    const check = checked(e2e, `e2e-${index}.onnx`);
    await t.test('passes onnx.checker.check_model(full_check=True)', { skip: check.skipped ?? false }, () => assert.deepEqual(check, { ok: true }));
  });
}

test('the DFT-operator spectrum variant equals Meyda too (shipped configuration)', async (t) => {
  const classifier = classifierFor(DEFAULT_FEATURE_CONFIG, 50);
  const e2e = composeEndToEnd(classifier, { spectrum: 'dft', mfccOutput: true });
  const v = await verifyEndToEnd(e2e, classifier, parityWaveforms(6, 16000, 70), 'meyda');
  assertParity(v, 'dft variant');
  const check = checked(e2e, 'e2e-dft.onnx');
  await t.test('passes onnx.checker.check_model(full_check=True)', { skip: check.skipped ?? false }, () => assert.deepEqual(check, { ok: true }));
});

const MUTATIONS: { name: string; mutate(tables: FrontEndTables, config: FeatureConfig): Partial<FrontEndTables> }[] = [
  { name: 'window (hamming instead of hanning)', mutate: (_t, config) => frontEndTables({ ...config, windowingFunction: 'hamming' }) },
  // One mel filter one bin wider on each side, as an off-by-one in the bank's edges would make it.
  {
    name: 'mel bank (filter 10 widened by one bin)',
    mutate: (tables) => ({
      melBank: tables.melBank.map((row, f) => {
        if (f !== 10) return row;
        const first = row.findIndex((w) => w > 0);
        const last = row.length - 1 - [...row].reverse().findIndex((w) => w > 0);
        return row.map((w, k) => (k === first - 1 || k === last + 1 ? 0.05 : w));
      }),
    }),
  },
  {
    name: 'DCT normalisation (orthonormal instead of the dct package\'s 2x)',
    mutate: (tables) => ({ dct: tables.dct.map((row, k) => row.map((v) => (v / 2) * Math.sqrt((k === 0 ? 1 : 2) / row.length))) }),
  },
];

// Utterance normalisation divides each coefficient by its own std, which cancels a per-coefficient
// DCT scale: that mutation shows in the MFCCs, and in the features only without normalisation.
for (const { name, mutate } of MUTATIONS) {
  test(`a changed ${name} breaks the parity`, async () => {
    for (const config of [DEFAULT_FEATURE_CONFIG, { ...DEFAULT_FEATURE_CONFIG, normalization: { kind: 'none' as const } }]) {
      const classifier = classifierFor(config, 51);
      const tables = mutate(frontEndTables(config), config);
      const e2e = composeEndToEnd(classifier, { tables, mfccOutput: true });
      const v = await verifyEndToEnd(e2e, classifier, parityWaveforms(5, config.clipLengthSamples, 71), 'fast');
      assert.ok(v.mfccRelativeError! > 10 * TOLERANCE, `${config.normalization.kind}: MFCC relative error only ${v.mfccRelativeError}`);
      if (config.normalization.kind === 'none' || !name.startsWith('DCT')) {
        assert.ok(v.featuresRelativeError > 10 * TOLERANCE && v.maxAbsDiffProbabilities > TOLERANCE, `${config.normalization.kind}: features ${v.featuresRelativeError}, probabilities ${v.maxAbsDiffProbabilities}`);
      }
    }
  });
}

function realClips(perLabel: number): Promise<Float32Array[]> {
  const files: string[] = [];
  for (const label of readdirSync(sharedTestHalf).sort()) {
    const folder = path.join(sharedTestHalf, label);
    if (!existsSync(folder) || label.startsWith('.') || !label.match(/^[_a-z]+$/)) continue;
    files.push(...readdirSync(folder).filter((f) => f.endsWith('.wav')).sort().slice(0, perLabel).map((f) => path.join(folder, f)));
  }
  return Promise.all(files.map(async (f) => fitToLength((await readAudio(f)).samples, 16000)));
}

test('the shipped model end to end equals Meyda + the shipped model on real speech', { skip: !haveShipped ? 'needs models/kws12/model.onnx' : !existsSync(sharedTestHalf) ? 'needs ../shared/data (absent)' : false }, async (t) => {
  const { readFile } = await import('node:fs/promises');
  const classifier = new Uint8Array(await readFile(DEFAULT_MODEL_PATH));
  const clips = await realClips(5);
  assert.ok(clips.length >= 50, `only ${clips.length} real clips`);
  const v = await verifyEndToEnd(composeEndToEnd(classifier, { mfccOutput: true }), classifier, clips, 'meyda');
  assertParity(v, 'real clips');
  t.diagnostic(`${v.clips} real clips: max |dp| ${v.maxAbsDiffProbabilities.toExponential(2)}, features rel ${v.featuresRelativeError.toExponential(2)}, MFCC rel ${v.mfccRelativeError!.toExponential(2)}`);
});

test('the shipped model end to end on generated signals, and its int8 variant', { skip: haveShipped ? false : 'needs models/kws12/model.onnx' }, async (t) => {
  const { readFile } = await import('node:fs/promises');
  const classifier = new Uint8Array(await readFile(DEFAULT_MODEL_PATH));
  const e2e = composeEndToEnd(classifier);
  const clips = parityWaveforms(10, 16000, 72);
  assertParity(await verifyEndToEnd(e2e, classifier, clips, 'meyda'), 'generated signals');
  const int8 = quantizeWeightsInt8(e2e);
  t.diagnostic(`sizes: classifier ${classifier.length} B, end-to-end ${e2e.length} B, int8 ${int8.length} B (${(int8.length / e2e.length).toFixed(3)})`);
  assert.ok(int8.length <= e2e.length / 3, `int8 ${int8.length} B is more than a third of ${e2e.length} B`);
  const [pf, pq] = [await probabilities(e2e, clips), await probabilities(int8, clips)];
  let max = 0;
  for (let i = 0; i < pf.length; i++) max = Math.max(max, Math.abs(pf[i]! - pq[i]!));
  assert.ok(max < 0.05, `int8 moves probabilities by ${max}`);
  const check = checked(int8, 'e2e-int8.onnx');
  await t.test('int8 passes onnx.checker.check_model(full_check=True)', { skip: check.skipped ?? false }, () => assert.deepEqual(check, { ok: true }));
});

test('an attention-pooled classifier end to end equals Meyda + the classifier, and its int8 variant stays close', async (t) => {
  const base = fixtureManifest({ seed: 81 });
  const manifest = { ...base, architecture: { ...base.architecture, pooling: 'attention' as const, attentionUnits: 8 } };
  const classifier = buildOnnxModel(randomWeights(manifest.architecture, 81), manifest);
  const e2e = composeEndToEnd(classifier);
  const clips = parityWaveforms(8, 16000, 82);
  assertParity(await verifyEndToEnd(e2e, classifier, clips, 'meyda'), 'attention pooling');
  const int8 = quantizeWeightsInt8(e2e);
  const [pf, pq] = [await probabilities(e2e, clips), await probabilities(int8, clips)];
  assert.ok(Math.max(...pf) - Math.min(...pf) > 0.05, 'probabilities barely vary');
  let max = 0;
  for (let i = 0; i < pf.length; i++) max = Math.max(max, Math.abs(pf[i]! - pq[i]!));
  assert.ok(max < 0.05, `int8 moves probabilities by ${max}`);
  const check = checked(int8, 'e2e-attention-int8.onnx');
  await t.test('passes onnx.checker.check_model(full_check=True)', { skip: check.skipped ?? false }, () => assert.deepEqual(check, { ok: true }));
});

test('int8 quantization: every LSTM and Gemm weight becomes int8 behind DequantizeLinear, the front-end stays float', async () => {
  const classifier = classifierFor(DEFAULT_FEATURE_CONFIG, 52);
  const int8 = quantizeWeightsInt8(composeEndToEnd(classifier));
  const model = onnxClasses.ModelProto.decode(int8);
  const graph = model.graph!;
  const byName = new Map(graph.initializer!.map((i) => [i.name, i]));
  const INT8 = onnxClasses.TensorProto.DataType.INT8;
  for (const node of graph.node!) {
    const weights = node.opType === 'LSTM' ? [node.input![1]!, node.input![2]!] : node.opType === 'Gemm' ? [node.input![1]!] : [];
    for (const w of weights) assert.ok(!byName.has(w), `${node.name}: ${w} is still a float initializer`);
  }
  const manifest = readOnnxManifest(int8, 'int8');
  assert.equal(manifest.quantization?.kind, 'int8-weights');
  assert.equal(manifest.quantization?.tensors.length, 2 * 2 + 2);
  for (const t of manifest.quantization!.tensors) assert.equal(byName.get(`${t}_int8`)?.dataType, INT8);
  assert.equal(graph.node!.filter((n) => n.opType === 'DequantizeLinear').length, 6);
  assert.ok(byName.get('frontend_mel_bank_weights')?.dataType === onnxClasses.TensorProto.DataType.FLOAT);
  assert.throws(() => quantizeWeightsInt8(int8), /already quantized/);
  assert.throws(() => composeEndToEnd(composeEndToEnd(classifier)), /already end-to-end/);
});
