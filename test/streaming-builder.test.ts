import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStream, type StreamSources } from '../evaluation/stream-builder.js';
import { voicedSpan } from '../features/audio/index.js';
import { SeededRandom } from '../util/random.js';
import { toneClip, writeWav } from './recognizer-fixture.js';

let dir = '';
let sources: StreamSources;

/** 1 s clip: silence, a 0.4 s tone at `offset`, silence. */
function wordClip(frequencyHz: number, offsetSeconds: number): Float32Array {
  const clip = new Float32Array(16000);
  clip.set(toneClip(0.4, frequencyHz, 1), Math.round(offsetSeconds * 16000));
  return clip;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-streams-'));
  const keywords = [];
  const fillers = [];
  for (const [i, label] of ['yes', 'no', 'up'].entries()) {
    const path = join(dir, `${label}.wav`);
    await writeWav(path, wordClip(300 + 200 * i, 0.2 + 0.1 * i));
    keywords.push({ path, label, word: label });
  }
  const fillerPath = join(dir, 'cat.wav');
  await writeWav(fillerPath, wordClip(1500, 0.3));
  fillers.push({ path: fillerPath, label: '_unknown_', word: 'cat' });
  const rng = new SeededRandom(5);
  const noisePath = join(dir, 'noise.wav');
  await writeWav(noisePath, Float32Array.from({ length: 16000 * 3 }, () => 0.1 * (rng.next() * 2 - 1)));
  sources = { keywords, fillers, noiseFiles: [noisePath] };
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the same seed and index build the identical stream; other seeds or indices differ', async () => {
  const options = { durationSeconds: 60, seed: 42 };
  const a = await buildStream(sources, 0, options);
  const b = await buildStream(sources, 0, options);
  assert.deepEqual(a.truth, b.truth);
  assert.deepEqual(a.fillers, b.fillers);
  assert.equal(a.snrDb, b.snrDb);
  assert.deepEqual(a.samples, b.samples);
  const c = await buildStream(sources, 1, options);
  const d = await buildStream(sources, 0, { ...options, seed: 43 });
  assert.notDeepEqual(c.truth, a.truth);
  assert.notDeepEqual(d.truth, a.truth);
});

test('placed words: in time order, inside the stream, at least the gap apart, truth spans the voiced part', async () => {
  const s = await buildStream(sources, 3, { durationSeconds: 120, seed: 7, gapSeconds: [1, 2], snrDb: [10, 10] });
  assert.equal(s.samples.length, 120 * 16000);
  assert.equal(s.durationSeconds, 120);
  assert.equal(s.noise, 'noise.wav');
  assert.equal(s.snrDb, 10);
  const all = [...s.truth, ...s.fillers].sort((x, y) => x.startSeconds - y.startSeconds);
  // 1 s clips with 1-2 s gaps in 120 s: between 40 and 60 placed.
  assert.ok(all.length >= 39 && all.length <= 60, `${all.length} clips placed`);
  assert.ok(s.truth.length > 10 && s.fillers.length > 10);
  for (let i = 0; i < all.length; i++) {
    const e = all[i]!;
    const duration = e.endSeconds - e.startSeconds;
    // The tone is 0.4 s; its sine envelope's quiet edges fall below 10% of the peak RMS.
    assert.ok(duration > 0.3 && duration <= 0.41, `${e.word} spans ${duration} s`);
    assert.ok(e.startSeconds >= 0 && e.endSeconds <= 120);
    if (i > 0) assert.ok(e.startSeconds - all[i - 1]!.endSeconds >= 1, 'clips are at least the minimum gap apart');
  }
  assert.ok(s.truth.every((t) => ['yes', 'no', 'up'].includes(t.label)));
  assert.ok(s.fillers.every((t) => t.label === '_unknown_' && t.word === 'cat'));
  // Each placed word's audio is loud inside its truth span and quiet just before it.
  for (const t of s.truth.slice(0, 5)) {
    const at = Math.round(((t.startSeconds + t.endSeconds) / 2) * 16000);
    const before = Math.round((t.startSeconds - 0.15) * 16000);
    const rms = (from: number) => Math.sqrt(s.samples.subarray(from, from + 800).reduce((a, v) => a + v * v, 0) / 800);
    assert.ok(rms(at) > 3 * rms(before), `${t.label} at ${t.startSeconds}`);
  }
});

test('noise is mixed at the requested SNR relative to the voiced speech', async () => {
  const s = await buildStream(sources, 0, { durationSeconds: 30, seed: 1, snrDb: [0, 0], keywordShare: 1 });
  // Power in a noise-only gap vs. power inside words: about 0 dB apart (speech + noise ~ 2x noise).
  const gapStart = Math.round((s.truth[0]!.endSeconds + 0.35) * 16000);
  let noise = 0;
  for (let i = gapStart; i < gapStart + 4000; i++) noise += s.samples[i]! ** 2;
  noise /= 4000;
  let speech = 0;
  let n = 0;
  for (const t of s.truth) {
    for (let i = Math.round(t.startSeconds * 16000); i < Math.round(t.endSeconds * 16000); i++, n++) speech += s.samples[i]! ** 2;
  }
  speech /= n;
  const ratio = speech / noise;
  assert.ok(ratio > 1.5 && ratio < 2.6, `speech+noise / noise power ratio ${ratio}`);
});

test('voicedSpan finds the loud part of a clip, and the whole clip when it is silent', () => {
  const [a, b] = voicedSpan(wordClip(500, 0.25));
  assert.ok(a >= 0.25 * 16000 && a < 0.3 * 16000, `start ${a}`);
  assert.ok(b > 0.6 * 16000 && b <= 0.66 * 16000, `end ${b}`);
  assert.deepEqual(voicedSpan(new Float32Array(800)), [0, 800]);
});

test('invalid options fail naming the field', async () => {
  await assert.rejects(buildStream(sources, 0, { durationSeconds: 0, seed: 1 }), { name: 'RangeError', message: /durationSeconds/ });
  await assert.rejects(buildStream(sources, 0, { durationSeconds: 10, seed: 1, gapSeconds: [2, 1] }), { name: 'RangeError', message: /gapSeconds/ });
  await assert.rejects(buildStream({ ...sources, keywords: [] }, 0, { durationSeconds: 10, seed: 1 }), { name: 'RangeError', message: /no keyword clips/ });
});
