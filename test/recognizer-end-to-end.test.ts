/**
 * The Recognizer and the streaming detector on an end-to-end model (waveform in, no JS front-end):
 * the same labels and probabilities (within 1e-4) as the plain model with the JS front-end, for
 * single clips, batches, files, batch transcription and streaming detection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeEndToEnd } from '../model/onnx/end-to-end.js';
import { quantizeWeightsInt8 } from '../model/onnx/quantize.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { recognizeFiles } from '../pipeline/batch/recognize-files.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';
import { burstStream } from './streaming-fixtures.js';

const TOLERANCE = 1e-4;
let dir = '';
let plain: Recognizer;
let e2e: Recognizer;
let e2ePath = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-recognizer-e2e-'));
  const plainPath = join(dir, 'model.onnx');
  await writeFixtureModel(plainPath, { seed: 11 });
  e2ePath = join(dir, 'model.e2e.onnx');
  await writeFile(e2ePath, composeEndToEnd(new Uint8Array(await readFile(plainPath))));
  plain = await Recognizer.create(plainPath);
  e2e = await Recognizer.create(e2ePath);
});

after(async () => {
  await plain?.dispose();
  await e2e?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const clips = [toneClip(1, 300, 1), toneClip(1, 1200, 2), toneClip(0.6, 2500, 3), toneClip(1.2, 700, 4), toneClip(1, 4000, 5)];

function maxScoreDiff(a: Record<string, number>, b: Record<string, number>): number {
  return Math.max(...Object.keys(a).map((l) => Math.abs(a[l]! - b[l]!)));
}

test('the recognizer sees a waveform-input model in its manifest and runs it without the JS front-end', () => {
  assert.equal(e2e.endToEnd, true);
  assert.equal(plain.endToEnd, false);
  assert.equal(e2e.frontEnd.input, 'waveform');
  assert.equal(e2e.frontEnd.inputSize, 16000);
  assert.deepEqual([...e2e.labels], [...plain.labels]);
});

test('single clips and batches: same labels, probabilities within 1e-4 of the plain model', async () => {
  const batchE2e = await e2e.recognizeBatch(clips);
  const batchPlain = await plain.recognizeBatch(clips);
  for (const [i, clip] of clips.entries()) {
    const [a, b] = [await e2e.recognizeSamples(clip), await plain.recognizeSamples(clip)];
    assert.equal(a.label, b.label);
    assert.ok(maxScoreDiff(a.scores, b.scores) <= TOLERANCE, `clip ${i}: ${maxScoreDiff(a.scores, b.scores)}`);
    assert.equal(batchE2e[i]!.label, batchPlain[i]!.label);
    assert.ok(maxScoreDiff(batchE2e[i]!.scores, a.scores) <= 1e-5);
  }
  await assert.rejects(e2e.runModel(new Float32Array(49 * 40), 1), /waveforms must hold count\*S = 1\*16000/);
});

test('files and batch transcription give the plain model\'s labels', async () => {
  const files = await Promise.all(clips.map(async (clip, i) => {
    const file = join(dir, `clip${i}.wav`);
    await writeWav(file, clip);
    return file;
  }));
  for (const file of files) assert.equal((await e2e.recognizeFile(file)).label, (await plain.recognizeFile(file)).label);
  const tasks = files.map((file, i) => ({ file, key: String(i), size: 0, mtimeMs: 0 }));
  const [rowsE2e, rowsPlain] = [await recognizeFiles(e2e, tasks, { top: 0 }), await recognizeFiles(plain, tasks, { top: 0 })];
  assert.deepEqual(rowsE2e.map((r) => r.label), rowsPlain.map((r) => r.label));
});

test('streaming: the same posteriors (within 1e-4) and detections, independent of chunking', async () => {
  const samples = burstStream(14, [1, 3.3, 6.1, 9.4], 4);
  const tone = toneClip(0.8, 900, 9);
  for (let at = 0.4; at + 0.8 < 14; at += 2.3) samples.set(tone, Math.round(at * 16000));
  const config = { defaultThreshold: 0.095, refractoryMs: 1000, ignoreLabels: [] };
  const a = await scanRecording(createNodeDetector(e2e, config), samples, { keepPosteriors: true });
  const b = await scanRecording(createNodeDetector(plain, config), samples, { keepPosteriors: true });
  assert.equal(a.posteriors.length, b.posteriors.length);
  let max = 0;
  a.posteriors.forEach((p, i) => {
    assert.equal(p.timeSeconds, b.posteriors[i]!.timeSeconds);
    p.probabilities.forEach((x, c) => (max = Math.max(max, Math.abs(x - b.posteriors[i]!.probabilities[c]!))));
  });
  assert.ok(max <= TOLERANCE, `posteriors differ by ${max}`);
  assert.ok(b.detections.length > 0, 'nothing detected: nothing to compare');
  assert.deepEqual(a.detections.map((d) => [d.label, d.firedAtSeconds]), b.detections.map((d) => [d.label, d.firedAtSeconds]));
  const detector = createNodeDetector(e2e, config);
  const byChunks = [];
  for (let i = 0; i < samples.length; i += 1234) byChunks.push(...(await detector.push(samples.subarray(i, i + 1234))).detections);
  byChunks.push(...(await detector.flush()).detections);
  assert.deepEqual(byChunks.map((d) => [d.label, d.firedAtSeconds]), a.detections.map((d) => [d.label, d.firedAtSeconds]));
  // The waveform path holds one window's samples instead of MFCC rings: still fixed memory.
  assert.ok(detector.bufferedFloats * 4 < 2_200_000, `${detector.bufferedFloats} floats`);
});

test('an int8 end-to-end model loads and recognizes', async () => {
  const path = join(dir, 'model.e2e.int8.onnx');
  await writeFile(path, quantizeWeightsInt8(new Uint8Array(await readFile(e2ePath))));
  const int8 = await Recognizer.create(path);
  try {
    assert.equal(int8.endToEnd, true);
    assert.equal(int8.manifest.quantization?.kind, 'int8-weights');
    const r = await int8.recognizeSamples(clips[0]!);
    assert.ok(Math.abs(Object.values(r.scores).reduce((s, x) => s + x, 0) - 1) < 1e-4);
  } finally {
    await int8.dispose();
  }
});
