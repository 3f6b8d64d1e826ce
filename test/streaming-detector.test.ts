import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../features/config.js';
import { FeatureExtractor } from '../features/extractor.js';
import type { FeatureConfig } from '../features/types.js';
import { StreamingDetector } from '../pipeline/streaming/detector.js';
import { SeededRandom } from '../util/random.js';
import { burstStream, fakeModel, fastFrameMfcc, loudnessDetector, RecordingScorer, runInChunks } from './streaming-fixtures.js';

function speechish(seconds: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) {
    const f = 200 + 150 * Math.sin(i / 9000);
    out[i] = 0.2 * Math.sin((2 * Math.PI * f * i) / 16000) * (0.5 + 0.5 * Math.sin(i / 2500)) + 0.02 * (rng.next() * 2 - 1);
  }
  return out;
}

const CONFIGS: [string, FeatureConfig][] = [
  ['utterance normalisation + deltas', DEFAULT_FEATURE_CONFIG],
  ['global normalisation + deltas', {
    ...DEFAULT_FEATURE_CONFIG,
    normalization: { kind: 'global', mean: Array.from({ length: 40 }, (_, d) => d * 0.1 - 1), std: Array.from({ length: 40 }, (_, d) => 1 + d * 0.05) },
  }],
  ['no deltas, no normalisation', { ...DEFAULT_FEATURE_CONFIG, deltas: false, normalization: { kind: 'none' } }],
];

for (const [name, features] of CONFIGS) {
  test(`every streamed window's features equal the whole-clip front-end (${name})`, async () => {
    const labels = ['_silence_', 'yes'];
    const scorer = new RecordingScorer(labels);
    const detector = new StreamingDetector(fakeModel(features, labels), scorer, fastFrameMfcc(features), { hopMs: 100 });
    const samples = speechish(3.3, 5);
    for (let i = 0; i < samples.length; i += 1234) await detector.push(samples.subarray(i, i + 1234));
    const size = framesFor(features, 16000) * featureDim(features);
    const windows = scorer.batches.flatMap((b) => Array.from({ length: b.length / size }, (_, k) => b.subarray(k * size, (k + 1) * size)));
    // Windows end at 1.0, 1.1, ... 3.3 s before flush.
    assert.equal(windows.length, 24);
    const extractor = new FeatureExtractor(features);
    windows.forEach((got, k) => {
      const start = k * detector.hopSamples;
      const want = extractor.extract(samples.subarray(start, start + 16000)).data;
      assert.equal(got.length, want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      assert.ok(worst <= 1e-5, `window ${k}: max difference ${worst}`);
    });
  });
}

test('chunk sizes 1, 37, 1600 and 48000 give identical detections and posteriors', async () => {
  const samples = burstStream(7, [1.5, 4.2, 6.6]);
  const runs = [];
  for (const chunk of [1, 37, 1600, 48000]) {
    const { detector } = loudnessDetector();
    runs.push({ chunk, ...(await runInChunks(detector, samples, chunk)) });
  }
  const [first, ...rest] = runs;
  assert.equal(first!.detections.length, 3);
  for (const run of rest) {
    assert.deepEqual(run.detections, first!.detections, `chunk ${run.chunk}`);
    assert.equal(run.posteriors.length, first!.posteriors.length);
    run.posteriors.forEach((p, i) => {
      assert.equal(p.timeSeconds, first!.posteriors[i]!.timeSeconds);
      assert.deepEqual(p.smoothed, first!.posteriors[i]!.smoothed);
    });
  }
});

test('fires once per burst, at the right times, with a window covering the burst', async () => {
  const bursts = [1.5, 4.2, 6.6];
  const { detector, scorer } = loudnessDetector({ defaultThreshold: 0.8 });
  const { detections, posteriors } = await runInChunks(detector, burstStream(7, bursts), 1600);
  assert.deepEqual(detections.map((d) => d.label), ['yes', 'yes', 'yes']);
  detections.forEach((d, i) => {
    const start = bursts[i]!;
    const end = start + 0.5;
    // Smoothed 'yes' reaches 0.8 two or three hops after the first window holding the whole burst.
    assert.ok(d.firedAtSeconds >= end && d.firedAtSeconds <= end + 0.35, `burst ${i} fired at ${d.firedAtSeconds}`);
    const overlap = Math.min(end, d.endSeconds) - Math.max(start, d.startSeconds);
    assert.ok(overlap >= 0.4 - 1e-9, `burst ${i} estimated ${d.startSeconds}-${d.endSeconds}`);
    assert.ok(Math.abs(d.endSeconds - d.startSeconds - 1) < 1e-9);
    assert.ok(d.score >= 0.8 && d.score <= 0.99);
  });
  // 7 s pushed + flush pad to 7.5 s: windows end at 1.0 .. 7.5 s every 0.1 s; batches of <= 32.
  assert.equal(posteriors.length, 66);
  assert.equal(scorer.windows, 66);
  assert.ok(scorer.calls < 66, 'windows pending together are scored in one call');
});

test('a burst in the last 0.3 s is only found by flush', async () => {
  const { detector } = loudnessDetector({ defaultThreshold: 0.8 });
  const samples = burstStream(3, [2.7], 2, 0.3);
  const pushed = await detector.push(samples);
  assert.equal(pushed.detections.length, 0);
  const flushed = await detector.flush();
  assert.equal(flushed.detections.length, 1);
  assert.ok(flushed.detections[0]!.firedAtSeconds > 3);
  // flush resets: the next stream starts at time 0.
  assert.equal(detector.receivedSamples, 0);
  const again = await detector.push(new Float32Array(16000));
  assert.equal(again.posteriors[0]!.timeSeconds, 1);
});

test('refractory period: two bursts 0.7 s apart give one detection, or two with no refractory period', async () => {
  // A 0.3 s gap lets the smoothed score fall below threshold, so the trigger re-arms.
  const samples = burstStream(5, [1.5, 2.2], 3, 0.4);
  const { detector: strict } = loudnessDetector({ refractoryMs: 1500, defaultThreshold: 0.5 });
  assert.equal((await runInChunks(strict, samples, 4000)).detections.length, 1);
  const { detector: loose } = loudnessDetector({ refractoryMs: 0, defaultThreshold: 0.5 });
  const { detections, posteriors } = await runInChunks(loose, samples, 4000);
  // It fires again only if 'yes' dropped below 0.5 between the bursts.
  const dipped = posteriors.some((p) => p.timeSeconds > 2.0 && p.timeSeconds < 2.7 && p.smoothed[2]! < 0.5);
  assert.equal(detections.length, dipped ? 2 : 1);
});

test('ignored labels never fire and per-label thresholds apply', async () => {
  const samples = burstStream(4, [1.5]);
  const { detector: ignoring } = loudnessDetector({ ignoreLabels: ['_silence_', '_unknown_', 'yes'] });
  assert.equal((await runInChunks(ignoring, samples, 1600)).detections.length, 0);
  const { detector: high } = loudnessDetector({ thresholds: { yes: 0.995 } });
  assert.equal((await runInChunks(high, samples, 1600)).detections.length, 0);
  const { detector: silenceFires } = loudnessDetector({ ignoreLabels: [] });
  const labels = (await runInChunks(silenceFires, samples, 1600)).detections.map((d) => d.label);
  // Silence fires at the start, re-arms during the burst, and fires again once it is over.
  assert.deepEqual(labels, ['_silence_', 'yes', '_silence_']);
});

test('hopMs is rounded to whole feature frames; smoothing length follows', () => {
  const { detector } = loudnessDetector({ hopMs: 45, smoothingMs: 200 });
  assert.equal(detector.hopSamples, 640);
  assert.equal(detector.effectiveHopMs, 40);
  assert.equal(detector.smoothingLength, 5);
});

test('invalid config and chunks fail with errors naming the field', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ hopMs: 0 }, /hopMs/],
    [{ smoothingMs: -1 }, /smoothingMs/],
    [{ defaultThreshold: 1.5 }, /defaultThreshold/],
    [{ refractoryMs: Number.NaN }, /refractoryMs/],
    [{ thresholds: { yes: 2 } }, /thresholds\.yes/],
    [{ thresholds: { maybe: 0.5 } }, /thresholds\.maybe.*no label/],
  ];
  for (const [config, message] of cases) assert.throws(() => loudnessDetector(config), { name: 'RangeError', message });
  const { detector } = loudnessDetector();
  await assert.rejects(detector.push([0.1] as unknown as Float32Array), { name: 'TypeError', message: /Float32Array/ });
  await assert.rejects(detector.push(Float32Array.of(0, Number.NaN)), { name: 'RangeError', message: /finite.*index 1/ });
});
