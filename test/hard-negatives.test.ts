/**
 * `kws mine-negatives` (evaluation/hard-negatives.ts): windows where the detector fires on no keyword
 * become other-word clips a training run reads as `_unknown_`; windows holding most of a keyword
 * are left out; a second run with the same seed refuses instead of overwriting.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import { UNKNOWN_LABEL } from '../datasets/types.js';
import { readAudio } from '../features/audio/index.js';
import { keywordShareIn, MAX_KEYWORD_SHARE_IN_NEGATIVE, MINED_FOLDER, runMineNegatives } from '../evaluation/hard-negatives.js';
import { SeededRandom } from '../util/random.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

let dir = '';
let modelPath = '';
let dataDir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-mine-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 3 });
  dataDir = join(dir, 'data');
  let seed = 1;
  for (const [word, hz] of [['yes', 400], ['no', 900], ['cat', 2000], ['bird', 1500]] as const) {
    for (let k = 0; k < 3; k++) await writeWav(join(dataDir, word, `${(1000 + k).toString(16)}abcd_nohash_${k}.wav`), toneClip(1, hz + 50 * k, seed++));
  }
  const rng = new SeededRandom(9);
  await writeWav(join(dataDir, '_background_noise_', 'hum.wav'), Float32Array.from({ length: 16000 * 5 }, (_, i) => 0.05 * Math.sin(i / 30) + 0.02 * (rng.next() * 2 - 1)));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('keywordShareIn gives the largest share of a keyword inside a window', () => {
  const words = [{ label: 'yes', startSeconds: 2, endSeconds: 2.5 }, { label: 'no', startSeconds: 4, endSeconds: 4.4 }];
  assert.equal(keywordShareIn(0, 1, words), 0);
  assert.equal(keywordShareIn(1.5, 2.5, words), 1);
  assert.ok(Math.abs(keywordShareIn(2.2, 3.2, words) - 0.6) < 1e-9);
  assert.ok(Math.abs(keywordShareIn(3.3, 4.3, words) - 0.75) < 1e-9);
});

test('mined windows are one-window clips of an other-word folder; keyword windows are left out; reruns refuse', async () => {
  const out = join(dir, 'mined');
  // The fixture model is untrained: near-uniform posteriors, so a low threshold makes it fire often.
  const report = await runMineNegatives({ data: dataDir, split: 'all', minutes: 2, streamSeconds: 30, modelPath, seed: 2, out, threshold: 0.09, progress: false });
  assert.ok(report.falseAccepts > 0, 'the untrained model fires falsely');
  assert.ok(report.written > 0 && report.written + report.keywordWindows <= report.falseAccepts, JSON.stringify(report));
  assert.equal(Object.values(report.byLabel).reduce((a, b) => a + b, 0), report.written);
  const files = (await readdir(join(out, MINED_FOLDER))).filter((f) => f.endsWith('.wav'));
  assert.equal(files.length, report.written);
  for (const f of files.slice(0, 5)) assert.equal((await readAudio(join(out, MINED_FOLDER, f))).samples.length, 16000);
  const saved = JSON.parse(await readFile(join(out, MINED_FOLDER, 'mined-s2.json'), 'utf8')) as { written: number };
  assert.equal(saved.written, report.written);
  // A training run reads them as other words.
  const dataset = await readSpeechCommands(out, { task: '12', silenceFraction: 0 });
  assert.equal(dataset.items.length, report.written);
  assert.ok(dataset.items.every((item) => item.label === UNKNOWN_LABEL));
  await assert.rejects(runMineNegatives({ data: dataDir, split: 'all', minutes: 1, streamSeconds: 30, modelPath, seed: 2, out, threshold: 0.09, progress: false }), /already holds \d+ clips mined with seed 2/);
  assert.ok(MAX_KEYWORD_SHARE_IN_NEGATIVE < 1);
});
