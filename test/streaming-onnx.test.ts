import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recognizer } from '../pipeline/recognizer.js';
import { createNodeDetector, detectInRecording, scanRecording } from '../pipeline/streaming/node.js';
import { toneClip, writeFixtureModel } from './recognizer-fixture.js';
import { burstStream } from './streaming-fixtures.js';

let dir = '';
let recognizer: Recognizer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-streaming-'));
  const modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 3 });
  recognizer = await Recognizer.create(modelPath);
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function stream(seconds: number): Float32Array {
  const samples = burstStream(seconds, [1, 3.3, 6.1, 9.4], 4);
  const tone = toneClip(0.8, 900, 9);
  for (let at = 0.4; at + 0.8 < seconds; at += 2.3) samples.set(tone, Math.round(at * 16000));
  return samples;
}

test('real ONNX model: one posterior per hop, normalised, smoothed as a moving average', async () => {
  const detector = createNodeDetector(recognizer, { hopMs: 100, smoothingMs: 300 });
  const samples = stream(12);
  const { posteriors } = await scanRecording(detector, samples, { keepPosteriors: true });
  // Windows end at 1.0, 1.1, ..., 12.5 s (12 s plus the half-window flush pad).
  assert.equal(posteriors.length, 116);
  posteriors.forEach((p, i) => {
    assert.ok(Math.abs(p.timeSeconds - (1 + i * 0.1)) < 1e-9, `posterior ${i} at ${p.timeSeconds}`);
    assert.equal(p.probabilities.length, 12);
    const sum = p.probabilities.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
    const from = Math.max(0, i - 2);
    for (let c = 0; c < 12; c++) {
      let mean = 0;
      for (let k = from; k <= i; k++) mean += posteriors[k]!.probabilities[c]!;
      mean /= i - from + 1;
      assert.ok(Math.abs(p.smoothed[c]! - mean) < 1e-6);
    }
  });
  // The model's scores vary with the audio (it is not returning a constant).
  const spread = Math.max(...posteriors.map((p) => Math.max(...p.probabilities))) - Math.min(...posteriors.map((p) => Math.max(...p.probabilities)));
  assert.ok(spread > 0.01);
});

test('real ONNX model: detections are ordered, spaced by the refractory period, and independent of chunking', async () => {
  const samples = stream(20);
  // The random model's posteriors sit near uniform (~0.08-0.1), so a threshold just above uniform fires now and then.
  const config = { defaultThreshold: 0.095, refractoryMs: 1000, ignoreLabels: [] };
  const detections = await detectInRecording(recognizer, samples, config);
  assert.ok(detections.length > 0, 'a near-uniform threshold fires on a random model');
  for (let i = 0; i < detections.length; i++) {
    const d = detections[i]!;
    assert.ok(recognizer.labels.includes(d.label));
    assert.ok(d.score >= 0.095 && d.score <= 1);
    assert.ok(d.endSeconds <= d.firedAtSeconds + 1e-9 && d.endSeconds >= d.firedAtSeconds - 0.3 - 1e-9);
    assert.ok(Math.abs(d.endSeconds - d.startSeconds - 1) < 1e-9);
    if (i > 0) assert.ok(d.firedAtSeconds - detections[i - 1]!.firedAtSeconds >= 1 - 1e-9);
  }
  const detector = createNodeDetector(recognizer, config);
  const byHops = [];
  for (let i = 0; i < samples.length; i += 1600) byHops.push(...(await detector.push(samples.subarray(i, i + 1600))).detections);
  byHops.push(...(await detector.flush()).detections);
  assert.equal(byHops.length, detections.length);
  byHops.forEach((d, i) => {
    assert.equal(d.label, detections[i]!.label);
    assert.equal(d.firedAtSeconds, detections[i]!.firedAtSeconds);
    // Batches of different sizes may differ in the last float bits inside onnxruntime.
    assert.ok(Math.abs(d.score - detections[i]!.score) < 1e-5);
  });
});

test('real ONNX model: memory stays bounded over a 60 s stream', async () => {
  const detector = createNodeDetector(recognizer);
  const floats = detector.bufferedFloats;
  const chunk = stream(6);
  let windows = 0;
  for (let i = 0; i < 10; i++) {
    const r = await detector.push(chunk);
    windows += r.posteriors.length;
    assert.equal(detector.bufferedFloats, floats);
  }
  assert.equal(windows, 591);
  assert.equal(detector.receivedSamples, 60 * 16000);
  // One frame of samples, one window of MFCCs and one batch of features: about a quarter MB.
  assert.ok(floats * 4 < 400_000, `${floats} floats buffered`);
});
