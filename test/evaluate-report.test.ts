import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import { closedSetPrediction, commandLabels, confusionMatrix, metricsFromConfusion, modelLabelFor, runEvaluate, type EvaluationReport } from '../evaluation/evaluate.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';
import { parseCsv } from './transcribe-csv.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const sharedMini = resolve(repoRoot, '../shared/data/speech_commands_v0.01_mini');
const haveShared = existsSync(sharedMini);

let dir = '';
let data = '';
let recognizer: Recognizer;
const quiet = { write(): void {} };

class Capture {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-evaluate-'));
  const modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 11 });
  recognizer = await Recognizer.create(modelPath);
  data = join(dir, 'data');
  let seed = 1;
  const speakers = ['0a1b2c3d', '1f2e3d4c', '9a8b7c6d'];
  for (const [w, word] of ['yes', 'no', 'up', 'cat', 'tree'].entries()) {
    for (const speaker of speakers) {
      await writeWav(join(data, word, `${speaker}_nohash_0.wav`), toneClip(1, 200 + 300 * w + 50 * seed, seed++));
    }
  }
  await writeWav(join(data, '_background_noise_', 'noise.wav'), toneClip(6, 90, 99));
  await writeFile(join(data, 'up', 'ffffffff_nohash_9.wav'), 'not a wav at all');
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('confusion matrix and per-class metrics by hand', () => {
  const labels = ['a', 'b', 'c'];
  const m = confusionMatrix(3, [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(m, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  const metrics = metricsFromConfusion(labels, m);
  assert.equal(metrics.correct, 4);
  assert.equal(metrics.total, 6);
  assert.equal(metrics.accuracy, 4 / 6);
  const [a, b, c] = metrics.perClass;
  assert.deepEqual([a!.precision, a!.recall, a!.support, a!.predicted], [1, 2 / 3, 3, 2]);
  assert.ok(Math.abs(a!.f1 - 0.8) < 1e-12);
  assert.deepEqual([b!.precision, b!.recall, b!.f1], [0.5, 0.5, 0.5]);
  assert.ok(Math.abs(c!.f1 - 2 / 3) < 1e-12);
  assert.ok(Math.abs(metrics.macroF1 - (0.8 + 0.5 + 2 / 3) / 3) < 1e-12);
  assert.throws(() => confusionMatrix(2, [0, 2], [0, 1]), RangeError);
});

test('dataset labels map onto the model labels', () => {
  const model = new Set(['_silence_', '_unknown_', 'yes', 'no']);
  assert.equal(modelLabelFor({ label: 'yes', word: 'yes' }, model), 'yes');
  assert.equal(modelLabelFor({ label: '_unknown_', word: 'cat' }, model), '_unknown_');
  assert.equal(modelLabelFor({ label: 'up', word: 'up' }, model), '_unknown_');
  assert.equal(modelLabelFor({ label: '_silence_', word: '_silence_' }, model), '_silence_');
  assert.equal(modelLabelFor({ label: '_silence_', word: '_silence_' }, new Set(['yes'])), null);
  assert.equal(modelLabelFor({ label: 'cat', word: 'cat' }, new Set(['yes'])), null);
});

test('closed-set prediction: the best command, silence and unknown left out', () => {
  const labels = ['_silence_', '_unknown_', 'yes', 'no'];
  assert.deepEqual(commandLabels(labels), ['yes', 'no']);
  assert.equal(closedSetPrediction({ _silence_: 0.1, _unknown_: 0.6, yes: 0.1, no: 0.2 }, ['yes', 'no']), 'no');
  assert.equal(closedSetPrediction({ _silence_: 0.9, _unknown_: 0, yes: 0.06, no: 0.04 }, ['yes', 'no']), 'yes');
});

test('evaluate on a generated dataset: counts add up, report files are written', async () => {
  const reportDir = join(dir, 'report');
  const stdout = new Capture();
  const report = await runEvaluate({ data, recognizer, split: 'all', reportDir, batchSize: 4, worst: 5, stdout, stderr: quiet });
  const dataset = await readSpeechCommands(data, { task: '12', onWarning: () => {} });
  assert.equal(report.items, dataset.items.length);
  assert.ok(dataset.items.some((i) => i.slice), 'the dataset has silence slices of the noise file');
  assert.equal(report.failed, 1);
  assert.ok(report.errors[0]!.path.endsWith('ffffffff_nohash_9.wav'));
  assert.equal(report.skipped, 0);
  assert.equal(report.evaluated, report.items - report.failed);
  const matrixTotal = report.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(matrixTotal, report.evaluated);
  assert.equal(report.perClass.reduce((a, c) => a + c.support, 0), report.evaluated);
  assert.equal(report.perClass.find((c) => c.label === '_unknown_')!.support, 6);
  assert.equal(report.perClass.find((c) => c.label === 'yes')!.support, 3);
  assert.deepEqual(report.labels, [...recognizer.labels]);
  const correct = report.confusion.reduce((a, row, i) => a + row[i]!, 0);
  assert.equal(report.accuracy, correct / report.evaluated);
  assert.ok(report.expectedCalibrationError >= 0 && report.expectedCalibrationError <= 1, `ECE ${report.expectedCalibrationError}`);
  assert.equal(report.temperature, 1);
  // Worst clips: misclassified only, lowest true-label score first, at most 5.
  assert.ok(report.worst.length <= 5);
  assert.equal(report.worst.length, Math.min(5, report.evaluated - correct));
  for (let i = 1; i < report.worst.length; i++) assert.ok(report.worst[i - 1]!.trueScore <= report.worst[i]!.trueScore);
  for (const w of report.worst) assert.notEqual(w.trueLabel, w.predicted);

  const onDisk = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as EvaluationReport;
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(report)));
  const html = await readFile(join(reportDir, 'confusion-matrix.html'), 'utf8');
  for (const label of recognizer.labels) assert.ok(html.includes(`>${label}</text>`), label);
  assert.ok(html.includes(`${report.evaluated} clips`));
  const worstCsv = parseCsv(await readFile(join(reportDir, 'worst-clips.csv'), 'utf8'));
  assert.deepEqual(worstCsv[0], ['path', 'slice_offset_samples', 'slice_length_samples', 'true', 'predicted', 'true_score', 'predicted_score']);
  assert.equal(worstCsv.length, report.worst.length + 1);

  assert.ok(stdout.text.includes(`accuracy: ${(100 * report.accuracy).toFixed(2)}% (${correct}/${report.evaluated})`), stdout.text);
  // Closed set: every command clip counted, and at least as many right as in the open set.
  const commandIndices = report.labels.flatMap((l, i) => (l.startsWith('_') ? [] : [i]));
  const commandClips = commandIndices.reduce((a, i) => a + report.perClass[i]!.support, 0);
  const openSetCorrect = commandIndices.reduce((a, i) => a + report.confusion[i]![i]!, 0);
  assert.ok(report.closedSet !== null);
  assert.equal(report.closedSet.total, commandClips);
  assert.ok(report.closedSet.correct >= openSetCorrect, `${report.closedSet.correct} < ${openSetCorrect}`);
  assert.match(stdout.text, /closed-set accuracy over the 10 commands: /);
  // Labels without clips are marked, not given 0.0000 figures.
  for (const c of report.perClass.filter((k) => k.support === 0 && k.predicted === 0)) assert.match(stdout.text, new RegExp(`${c.label} +no clips, none predicted`));
  assert.match(stdout.text, /confusion matrix/);
});

test('--json prints the report; a split filter evaluates only that split', async () => {
  const stdout = new Capture();
  const report = await runEvaluate({ data, recognizer, split: 'train', json: true, reportDir: join(dir, 'report-json'), stdout, stderr: quiet });
  assert.deepEqual(JSON.parse(stdout.text), JSON.parse(JSON.stringify(report)));
  const dataset = await readSpeechCommands(data, { task: '12', onWarning: () => {} });
  assert.equal(report.items, dataset.items.filter((i) => i.split === 'train').length);
  await assert.rejects(runEvaluate({ data, recognizer, split: 'dev' as never, stdout: quiet, stderr: quiet }), /split.*'dev'/);
});

test('--source keeps only clips of that source, and names the sources when none match', async () => {
  const dataset = await readSpeechCommands(data, { task: '12', onWarning: () => {} });
  const noise = await runEvaluate({ data, recognizer, split: 'all', source: 'noise', reportDir: join(dir, 'report-source'), stdout: quiet, stderr: quiet });
  assert.equal(noise.items, dataset.items.filter((i) => i.source === 'noise').length);
  assert.ok(noise.items > 0 && noise.items < dataset.items.length);
  await assert.rejects(runEvaluate({ data, recognizer, split: 'all', source: 'synth:flite', stdout: quiet, stderr: quiet }), /no clips of source 'synth:flite' .*sources: .*noise/);
});

test('evaluate on the Speech Commands v0.01 mini test split', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, async () => {
  const report = await runEvaluate({ data: sharedMini, recognizer, split: 'test', reportDir: join(dir, 'report-mini'), stdout: quiet, stderr: quiet });
  const dataset = await readSpeechCommands(sharedMini, { task: '12', onWarning: () => {} });
  assert.equal(report.items, dataset.items.filter((i) => i.split === 'test').length);
  assert.ok(report.items > 0);
  assert.equal(report.failed, 0);
  assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), report.evaluated);
  assert.equal(report.evaluated, report.items);
});
