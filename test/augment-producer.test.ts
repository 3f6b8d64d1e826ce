import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUGMENT_CONFIG, type AugmentConfig } from '../datasets/augment.js';
import { InThreadEpochSource, WorkerEpochSource, produceEpochFeatures, type AugmentInputs } from '../datasets/augment-producer.js';
import { loadNoiseRecordings } from '../datasets/augment-noise.js';
import { loadWaveforms, repeatExamples } from '../datasets/feature-store.js';
import type { DatasetItem } from '../datasets/types.js';
import { writeWavPcm16 } from '../features/audio/index.js';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import { FeatureExtractor } from '../features/extractor.js';
import { SeededRandom } from '../util/random.js';
import { partialWordEntries } from '../model/train-job.js';

const RATE = 16000;

function clips(count: number): Int16Array {
  const rng = new SeededRandom(7);
  const out = new Int16Array(new SharedArrayBuffer(count * RATE * 2));
  for (let c = 0; c < count; c++) {
    const hz = 200 + 60 * c;
    for (let i = 4000; i < 12000; i++) out[c * RATE + i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / RATE) + 200 * (rng.next() - 0.5));
  }
  return out;
}

function inputs(config: AugmentConfig = DEFAULT_AUGMENT_CONFIG, seed = 1): AugmentInputs {
  const rng = new SeededRandom(3);
  const noise = new Float32Array(new SharedArrayBuffer(RATE * 4 * 4)).map(() => 0.1 * (rng.next() - 0.5));
  return {
    clips: clips(6),
    clipLength: RATE,
    entries: Int32Array.from([0, 1, 2, 3, 4, 5, 0, 0]), // clip 0 three times: repeats
    noise: [{ samples: noise, usable: noise.length }],
    config,
    features: DEFAULT_FEATURE_CONFIG,
    seed,
  };
}

const labels = Int32Array.from([0, 1, 2, 3, 4, 5, 0, 0]);
const CLIP = 49 * 40;

test('the epoch source gives identical features for the same (seed, epoch), different ones otherwise', async () => {
  const source = new InThreadEpochSource(inputs(), labels);
  assert.deepEqual([source.count, source.frames, source.dim], [8, 49, 40]);
  const e1 = await source.epochFeatures(1);
  assert.equal(e1.length, 8 * CLIP);
  assert.ok(e1.every(Number.isFinite));
  // A fresh source (as after --resume) reproduces the epoch exactly, whatever ran before.
  await source.epochFeatures(2);
  assert.deepEqual(await new InThreadEpochSource(inputs(), labels).epochFeatures(1), e1);
  const e2 = await source.epochFeatures(2);
  assert.notDeepEqual(e2, e1);
  assert.notDeepEqual(await new InThreadEpochSource(inputs(DEFAULT_AUGMENT_CONFIG, 2), labels).epochFeatures(1), e1);
  // Repeats of one clip are augmented differently.
  assert.notDeepEqual(e1.subarray(6 * CLIP, 7 * CLIP), e1.subarray(7 * CLIP, 8 * CLIP));
});

test('with every probability zero the producer gives the plain features of each clip', () => {
  const off = structuredClone(DEFAULT_AUGMENT_CONFIG);
  for (const section of Object.values(off)) section.probability = 0;
  const input = inputs(off);
  const x = produceEpochFeatures(input, 1);
  const extractor = new FeatureExtractor(DEFAULT_FEATURE_CONFIG);
  for (const [n, row] of input.entries.entries()) {
    const clip = Float32Array.from(input.clips.subarray(row * RATE, (row + 1) * RATE), (v) => v / 32768);
    assert.deepEqual(x.subarray(n * CLIP, (n + 1) * CLIP), extractor.extract(clip).data);
  }
});

test('the worker-thread producer returns the same bytes as the in-thread path, epoch after epoch', async () => {
  const worker = new WorkerEpochSource(inputs(), labels, { lastEpoch: 3 });
  const inThread = new InThreadEpochSource(inputs(), labels);
  try {
    worker.prefetch(2); // out of order: a resumed run starts past epoch 1
    for (const epoch of [2, 3]) assert.deepEqual(await worker.epochFeatures(epoch), await inThread.epochFeatures(epoch));
    assert.ok(worker.produceSeconds.has(2) && worker.produceSeconds.has(3));
    assert.ok(!worker.produceSeconds.has(4), 'nothing past lastEpoch is produced');
  } finally {
    await worker.close();
  }
  await assert.rejects(worker.epochFeatures(1), /closed/);
});

test('a bad entry is refused before any thread starts', () => {
  const bad = { ...inputs(), entries: Int32Array.from([0, 9]) };
  assert.throws(() => new WorkerEpochSource(bad, Int32Array.from([0, 1])), /entry names clip 9, but there are 6 clips/);
});

test('loadWaveforms keeps each clip once as Int16; repeatExamples weights fixed features', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-augment-'));
  try {
    const items: DatasetItem[] = [];
    for (let c = 0; c < 3; c++) {
      const path = join(dir, `clip${c}.wav`);
      // 0.5 s clips: centred in a 1 s window by fitToLength.
      await writeWavPcm16(path, Float32Array.from({ length: RATE / 2 }, (_, i) => 0.25 * Math.sin((2 * Math.PI * (300 + 100 * c) * i) / RATE)), RATE);
      items.push({ path, word: 'yes', label: 'yes', speaker: null, split: 'train', source: 'test' });
    }
    items.push({ path: join(dir, 'missing.wav'), word: 'no', label: 'no', speaker: null, split: 'train', source: 'test' });
    const skipped: string[] = [];
    const waves = await loadWaveforms(items, RATE, { onSkip: (item) => skipped.push(item.path) });
    assert.equal(waves.count, 3);
    assert.deepEqual(skipped, [join(dir, 'missing.wav')]);
    assert.ok(waves.clips.buffer instanceof SharedArrayBuffer);
    assert.equal(waves.clips[RATE / 4 - 1], 0);
    assert.ok(Math.abs(waves.clips[RATE / 4 + 10]! / 32768 - 0.25 * Math.sin((2 * Math.PI * 300 * 10) / RATE)) < 2e-4);

    const set = { x: Float32Array.from([1, 2, 3]), y: Int32Array.from([4, 5, 6]), count: 3, frames: 1, dim: 1, items: items.slice(0, 3) };
    const weighted = repeatExamples(set, [1, 0, 3]);
    assert.deepEqual([...weighted.x], [1, 3, 3, 3]);
    assert.deepEqual([...weighted.y], [4, 6, 6, 6]);

    const noise = await loadNoiseRecordings([{ path: items[0]!.path, usableFraction: 0.5 }]);
    assert.equal(noise[0]!.samples.length, RATE / 4);
    assert.ok(noise[0]!.samples.buffer instanceof SharedArrayBuffer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('partial-word entries: a seeded share of the keyword entries again, as _unknown_, cut by the producer', async () => {
  const names = ['_silence_', '_unknown_', 'yes', 'no'];
  const y = [0, 1, 2, 3, 2, 3, 2, 2];
  const entries = [0, 1, 2, 3, 4, 5, 0, 0];
  const none = partialWordEntries(entries, y, names, 0, 1);
  assert.deepEqual([none.entries, none.y, none.count], [entries, y, 0]);
  const all = partialWordEntries(entries, y, names, 1, 1);
  assert.equal(all.count, 6, 'every keyword entry, no silence or unknown one');
  assert.deepEqual(all.entries.slice(8), [2, 3, 4, 5, 0, 0]);
  assert.deepEqual(all.y.slice(8), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...all.flags], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const some = partialWordEntries(entries, y, names, 0.5, 3);
  assert.deepEqual(some, partialWordEntries(entries, y, names, 0.5, 3), 'seeded');
  assert.throws(() => partialWordEntries(entries, y, ['_silence_', 'yes'], 0.5, 1), /_unknown_/);

  // The producer cuts flagged entries: same clip and seed, the flagged copy differs.
  const base = inputs();
  const flagged: AugmentInputs = { ...base, entries: Int32Array.from([2, 2]), partialEntries: Uint8Array.from([0, 1]) };
  const plain: AugmentInputs = { ...base, entries: Int32Array.from([2, 2]) };
  const a = produceEpochFeatures(flagged, 1);
  const b = produceEpochFeatures(plain, 1);
  assert.deepEqual(a.subarray(0, CLIP), b.subarray(0, CLIP));
  assert.notDeepEqual(a.subarray(CLIP), b.subarray(CLIP));
  assert.throws(() => new InThreadEpochSource({ ...base, partialEntries: Uint8Array.from([1]) }, labels), /partial-entry flags/);
});
