/**
 * Thresholds a model carries: `updateOnnxManifest` rewrites only the manifest of an ONNX file, the
 * detector takes the model's measured thresholds unless told otherwise, and
 * `kws evaluate-stream --save-thresholds` refuses the test split.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updateOnnxManifest } from '../model/onnx/manifest-file.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { createNodeDetector } from '../pipeline/streaming/node.js';
import { DEFAULT_HOP_MS, DEFAULT_REFRACTORY_MS, DEFAULT_SMOOTHING_MS, DEFAULT_THRESHOLD } from '../pipeline/streaming/config.js';
import { runEvaluateStream } from '../cli/evaluate-stream.js';
import type { DetectionDefaults } from '../model/types.js';
import { toneClip, writeFixtureModel } from './recognizer-fixture.js';

let dir = '';
let modelPath = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-detection-defaults-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 5 });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const detection: DetectionDefaults = {
  defaultThreshold: 0.97,
  thresholds: { go: 0.99 },
  chosenOn: { data: '/data/validation', split: 'validation', holdout: false, minutes: 60, seed: 1, maxFalseAcceptsPerHour: 1 },
  measured: { falseRejectRate: 0.08, falseAcceptsPerHour: 1, keywords: 900 },
};

test('updateOnnxManifest changes the manifest only: same outputs, new detection defaults', async () => {
  const before = await Recognizer.create(modelPath);
  const clip = toneClip(1, 700, 2);
  const scoresBefore = (await before.recognizeSamples(clip)).scores;
  await before.dispose();

  const updated = await updateOnnxManifest(modelPath, (m) => ({ ...m, detection }));
  assert.deepEqual(updated.detection, detection);
  assert.deepEqual(readOnnxManifest(await readFile(modelPath), modelPath).detection, detection);

  const after = await Recognizer.create(modelPath);
  assert.deepEqual((await after.recognizeSamples(clip)).scores, scoresBefore);
  // The model's thresholds become the detector's defaults; explicit settings still win.
  const detector = createNodeDetector(after);
  assert.equal(detector.config.defaultThreshold, 0.97);
  assert.deepEqual(detector.config.thresholds, { go: 0.99 });
  const explicit = createNodeDetector(after, { defaultThreshold: 0.5, thresholds: { go: 0.6 } });
  assert.equal(explicit.config.defaultThreshold, 0.5);
  assert.deepEqual(explicit.config.thresholds, { go: 0.6 });
  // `kws listen --threshold 0.5`: one threshold for every keyword, the measured per-keyword ones dropped.
  const one = createNodeDetector(after, { defaultThreshold: 0.5 });
  assert.equal(one.config.defaultThreshold, 0.5);
  assert.deepEqual(one.config.thresholds, {});
  await after.dispose();

  await assert.rejects(updateOnnxManifest(modelPath, (m) => ({ ...m, labels: [...m.labels].reverse() })), /may not change the labels/);
});

test('the detector timing stored with the thresholds is used, unless set explicitly', async () => {
  const timed = join(dir, 'timed.onnx');
  await writeFixtureModel(timed, { seed: 7 });
  await updateOnnxManifest(timed, (m) => ({ ...m, detection: { ...detection, hopMs: 50, smoothingMs: 700, refractoryMs: 1500 } }));
  const recognizer = await Recognizer.create(timed);
  const stored = createNodeDetector(recognizer);
  assert.deepEqual([stored.config.hopMs, stored.config.smoothingMs, stored.config.refractoryMs], [50, 700, 1500]);
  assert.equal(stored.smoothingLength, Math.round(700 / stored.effectiveHopMs));
  const explicit = createNodeDetector(recognizer, { smoothingMs: 200, hopMs: 100, refractoryMs: 0 });
  assert.deepEqual([explicit.config.hopMs, explicit.config.smoothingMs, explicit.config.refractoryMs], [100, 200, 0]);
  await recognizer.dispose();
  // Thresholds saved before the timing was stored keep the defaults they were measured with.
  const before = await Recognizer.create(modelPath);
  const old = createNodeDetector(before);
  assert.deepEqual([old.config.hopMs, old.config.smoothingMs, old.config.refractoryMs], [DEFAULT_HOP_MS, DEFAULT_SMOOTHING_MS, DEFAULT_REFRACTORY_MS]);
  await before.dispose();
});

test('a model without measured thresholds keeps the detector defaults', async () => {
  const plain = join(dir, 'plain.onnx');
  await writeFixtureModel(plain, { seed: 6 });
  const recognizer = await Recognizer.create(plain);
  assert.equal(createNodeDetector(recognizer).config.defaultThreshold, DEFAULT_THRESHOLD);
  await recognizer.dispose();
});

test('evaluate-stream --save-thresholds refuses the test split', async () => {
  await assert.rejects(runEvaluateStream({ data: dir, split: 'test', modelPath, saveThresholds: true, progress: false }), /validation split, not on the test split/);
});
