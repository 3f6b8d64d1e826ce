/** The reader on a small layout built here: word folders, lists, noise, a hidden file, a README. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWavPcm16 } from '../features/audio/index.js';
import { datasetSummary, describeDataset } from '../datasets/info.js';
import { DatasetError, readSpeechCommands } from '../datasets/speech-commands.js';
import { LABELS_35 } from '../datasets/labels.js';
import { LABELS_12 } from '../datasets/types.js';

const tone = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i / 5));

async function buildLayout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kws-ds-'));
  const files: string[] = [];
  for (const word of ['yes', 'no', 'bed']) {
    await mkdir(join(root, word));
    for (const speaker of ['aaaa0001', 'bbbb0002', 'cccc0003', 'dddd0004']) {
      const rel = `${word}/${speaker}_nohash_0.wav`;
      await writeWavPcm16(join(root, rel), tone(1600), 16000);
      files.push(rel);
    }
  }
  await writeFile(join(root, 'yes', '.hidden.wav'), 'x');
  await writeFile(join(root, 'yes', 'notes.txt'), 'x');
  await writeFile(join(root, 'README.md'), '# test');
  await writeFile(join(root, 'LICENSE'), 'CC');
  await mkdir(join(root, '_background_noise_'));
  await writeWavPcm16(join(root, '_background_noise_', 'hum.wav'), tone(16000 * 20), 16000);
  await writeWavPcm16(join(root, '_background_noise_', 'short8k.wav'), tone(8000 * 12), 8000);
  await writeFile(join(root, 'validation_list.txt'), 'yes/bbbb0002_nohash_0.wav\nno/bbbb0002_nohash_0.wav\nbed/gone_nohash_0.wav\n');
  await writeFile(join(root, 'testing_list.txt'), 'yes/cccc0003_nohash_0.wav\r\n');
  return root;
}

test('reads a full-layout folder: lists, labels, noise slices, warnings', async () => {
  const root = await buildLayout();
  try {
    const warnings: string[] = [];
    const ds = await readSpeechCommands(root, { task: '12', onWarning: (m) => warnings.push(m) });
    assert.equal(ds.splitMethod, 'lists');
    assert.deepEqual(ds.labels, LABELS_12);
    assert.deepEqual(ds.noiseFiles.map((f) => f.slice(root.length + 1)), ['_background_noise_/hum.wav', '_background_noise_/short8k.wav']);
    const words = ds.items.filter((i) => !i.slice);
    assert.equal(words.length, 12);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /bed\/gone_nohash_0\.wav/);
    const byRel = new Map(words.map((i) => [i.path.slice(root.length + 1), i]));
    assert.equal(byRel.get('yes/bbbb0002_nohash_0.wav')!.split, 'validation');
    assert.equal(byRel.get('no/bbbb0002_nohash_0.wav')!.split, 'validation');
    assert.equal(byRel.get('yes/cccc0003_nohash_0.wav')!.split, 'test');
    assert.equal(byRel.get('bed/cccc0003_nohash_0.wav')!.split, 'train');
    assert.equal(byRel.get('bed/aaaa0001_nohash_0.wav')!.label, '_unknown_');
    assert.equal(byRel.get('bed/aaaa0001_nohash_0.wav')!.word, 'bed');
    assert.equal(byRel.get('yes/dddd0004_nohash_0.wav')!.speaker, 'dddd0004');

    const slices = ds.items.filter((i) => i.slice);
    // round(0.1 * 9 train) = 1, round(0.1 * 2 validation) = 0, round(0.1 * 1 test) = 0
    assert.equal(slices.length, 1);
    for (const s of slices) {
      assert.equal(s.label, '_silence_');
      assert.equal(s.source, 'noise');
      assert.equal(s.slice!.lengthSamples, 16000);
      const lengthAt16k = s.path.endsWith('hum.wav') ? 16000 * 20 : 16000 * 12;
      assert.ok(s.slice!.offsetSamples >= 0 && s.slice!.offsetSamples + 16000 <= lengthAt16k * 0.8);
    }
    const more = await readSpeechCommands(root, { task: '35', silenceFraction: 1, seed: 3, onWarning: () => {} });
    assert.deepEqual(more.labels, LABELS_35);
    assert.equal(more.items.find((i) => i.word === 'bed')!.label, 'bed');
    const moreSlices = more.items.filter((i) => i.slice);
    assert.equal(moreSlices.length, 12);
    for (const s of moreSlices.filter((i) => i.split === 'test')) {
      const lengthAt16k = s.path.endsWith('hum.wav') ? 16000 * 20 : 16000 * 12;
      assert.ok(s.slice!.offsetSamples >= Math.floor(lengthAt16k * 0.9) - 1, 'test slices come from the last 10% of a recording');
    }
    // Deterministic: same seed, same items; sorted by path.
    const again = await readSpeechCommands(root, { task: '35', silenceFraction: 1, seed: 3, onWarning: () => {} });
    assert.deepEqual(again.items, more.items);
    const paths = more.items.map((i) => i.path);
    assert.deepEqual(paths, [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    const summary = datasetSummary(ds);
    assert.equal(summary.total.total, 13);
    assert.equal(summary.labels.find((l) => l.label === 'yes')!.total, 4);
    assert.equal(summary.speakers.total, 4);
    assert.equal(summary.noiseFiles, 2);
    const text = describeDataset(ds);
    assert.match(text, /split by lists/);
    assert.match(text, /^_unknown_\s+4\s+0\s+0\s+4$/m);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('errors name the root and the problem', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'kws-empty-'));
  try {
    await assert.rejects(readSpeechCommands(empty, { task: '12' }), (err: unknown) => err instanceof DatasetError && err.message.includes(empty) && /no word folders/.test(err.message));
    await assert.rejects(readSpeechCommands(join(empty, 'missing'), { task: '12' }), /missing: no such folder/);
    await assert.rejects(readSpeechCommands(empty, { task: '7' as '12' }), /task must be/);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test('custom keyword labels: a word is its own label, a phrase folder joins its words with _, silence clips as long as the window', async () => {
  const root = await buildLayout();
  try {
    await mkdir(join(root, 'hey_robot'));
    await writeWavPcm16(join(root, 'hey_robot', 'eeee0005_nohash_0.wav'), tone(20000), 16000);
    const labels = ['_silence_', '_unknown_', 'bed', 'hey robot'];
    const ds = await readSpeechCommands(root, { task: '12', labels, silenceSliceSamples: 20000, onWarning: () => {} });
    assert.deepEqual(ds.labels, labels);
    const phrase = ds.items.filter((it) => it.path.includes('hey_robot'));
    assert.deepEqual(phrase.map((it) => [it.word, it.label]), [['hey robot', 'hey robot']]);
    assert.ok(ds.items.filter((it) => it.word === 'bed').every((it) => it.label === 'bed'));
    assert.ok(ds.items.filter((it) => it.word === 'yes' || it.word === 'no').every((it) => it.label === '_unknown_'), 'words outside the labels are _unknown_, commands too');
    const silence = ds.items.filter((it) => it.label === '_silence_');
    assert.ok(silence.length > 0 && silence.every((it) => it.slice?.lengthSamples === 20000));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
