/**
 * `kws custom` end to end in a child process, small: a word and a phrase synthesised, a user's
 * recordings (other voices) trained on, a negatives folder whose keyword clips must be left out,
 * the shipped model's LSTM layers transferred, the ONNX file exported with thresholds chosen on
 * validation streams, and that file used by `kws listen` and the demo. Accuracy at full size is
 * measured on real speech, not here (README, "Custom keywords").
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EspeakEngine } from '../datasets/synth/espeak.js';
import { synthesizeWord } from '../datasets/synth/word.js';
import { writeWavPcm16 } from '../features/audio/index.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { startModelDemo } from '../pipeline/demo-server.js';
import { DEFAULT_MODEL_PATH } from '../pipeline/recognizer.js';
import type { CustomRunSummary } from '../custom/custom-job.js';

const execFileAsync = promisify(execFile);

/** execFile, failing with the exit code or signal and both output streams (a bare 'Command failed' hides why the child died). */
async function run(file: string, args: string[], options: { cwd: string; maxBuffer?: number }): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, options);
  } catch (err) {
    const e = err as { code?: number | string; signal?: string | null; stdout?: string; stderr?: string };
    throw new Error(`kws ${args[1]} exited with code ${e.code ?? '?'}, signal ${e.signal ?? 'none'}\nstderr:\n${e.stderr ?? ''}\nstdout:\n${e.stdout ?? ''}`, { cause: err });
  }
}
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const kws = join(repoRoot, 'bin', 'kws.js');

let dir = '';
let runDir = '';
let recordings = '';
let negatives = '';
let stdout = '';
let stderr = '';

/** `count` clips of `text` by an eSpeak voice the synthetic speaker pool may also use (fine: a fixture). */
async function writeClips(folder: string, text: string, count: number, voice: string, length: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  const engine = await EspeakEngine.create();
  for (let i = 0; i < count; i++) {
    const samples = await synthesizeWord(engine, voice, text, { rate: 0.9 + 0.05 * i, pitch: 1.1 }, { seed: i, clipLengthSamples: length });
    await writeWavPcm16(join(folder, `user${i}_nohash_0.wav`), samples, 16000);
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-custom-'));
  runDir = join(dir, 'run');
  recordings = join(dir, 'my-recordings');
  await writeClips(join(recordings, 'happy'), 'happy', 5, 'en-gb-scotland+m3', 16000);
  await writeClips(join(recordings, 'hey_robot'), 'hey robot', 5, 'en-gb-scotland+m3', 20000);
  negatives = join(dir, 'negatives');
  await writeClips(join(negatives, 'happy'), 'happy', 3, 'en-029+f2', 16000);
  await writeClips(join(negatives, 'dog'), 'dog', 6, 'en-029+f2', 16000);
  const result = await run(process.execPath, [
    kws, 'custom', '--words', 'Happy, hey  robot', '--out', runDir, '--recordings', recordings, '--negatives', negatives,
    '--per-keyword', '40', '--near-misses', '3', '--epochs', '2', '--calibration-minutes', '2',
  ], { cwd: repoRoot, maxBuffer: 1 << 24 });
  stdout = result.stdout;
  stderr = result.stderr;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the model file: the keywords as labels, a window long enough for the phrase, thresholds from validation streams', async () => {
  const manifest = readOnnxManifest(new Uint8Array(await readFile(join(runDir, 'model.onnx'))), 'model.onnx');
  assert.deepEqual(manifest.labels, ['_silence_', '_unknown_', 'happy', 'hey robot']);
  assert.equal(manifest.task, 'custom');
  assert.ok(manifest.features.clipLengthSamples > 16000 && manifest.features.clipLengthSamples % 4000 === 0, `window ${manifest.features.clipLengthSamples} samples for 'hey robot'`);
  assert.equal(manifest.training.transferFrom, DEFAULT_MODEL_PATH);
  assert.ok(manifest.detection, 'thresholds saved into the model');
  assert.equal(manifest.detection.chosenOn.split, 'validation');
  assert.equal(manifest.detection.chosenOn.data, join(runDir, 'synth'));
  assert.equal(manifest.training.augmentation?.repeat[recordings], 2, 'recordings weighed up to a quarter of the 40 synthetic clips per keyword: x2 for 5 clips');
});

test('the summary: recordings counted, near misses and parts of the phrase as negatives, times', async () => {
  const summary = JSON.parse(await readFile(join(runDir, 'custom.json'), 'utf8')) as CustomRunSummary;
  assert.deepEqual(summary.keywords, ['happy', 'hey robot']);
  assert.deepEqual(summary.recordings, { happy: 5, 'hey robot': 5 });
  assert.deepEqual(summary.negativeWords.partials.sort(), ['hey', 'robot']);
  for (const words of Object.values(summary.negativeWords.nearMisses)) {
    assert.equal(words.length, 3);
    assert.ok(!words.includes('happy') && !words.includes('hey robot'));
  }
  assert.ok(summary.seconds.total! > 0 && summary.seconds.training! > 0);
  assert.match(stdout, /model: .*model\.onnx \(labels _silence_, _unknown_, happy, hey robot; window 1\.25 s\)/);
  assert.match(stdout, /use it: kws listen --model /);
});

test('the negatives folder gives only other words; the recordings are trained on, not calibrated on', () => {
  assert.match(stderr, new RegExp(`data ${negatives}: left out 3 clips of the keywords`));
  assert.match(stderr, new RegExp(`data ${recordings}: 10 train, 0 validation, 0 test`));
  assert.match(stderr, /recordings .*: happy 5, hey robot 5; each used 2x per epoch/);
  assert.match(stderr, /your recordings are not used/);
});

test('kws listen and the demo use the custom model and its words', async () => {
  const clip = join(dir, 'said.wav');
  const engine = await EspeakEngine.create();
  await writeWavPcm16(clip, await synthesizeWord(engine, 'en-us', 'hey robot', { rate: 1, pitch: 1 }, { clipLengthSamples: 48000 }), 16000);
  const listened = await run(process.execPath, [kws, 'listen', clip, '--model', join(runDir, 'model.onnx'), '--json', '--threshold', '0.3'], { cwd: repoRoot });
  for (const line of listened.stdout.trim().split('\n').filter((l) => l.length > 0)) {
    assert.ok(['happy', 'hey robot'].includes((JSON.parse(line) as { label: string }).label), line);
  }
  const demo = await startModelDemo({ modelPath: join(runDir, 'model.onnx'), port: 0 });
  try {
    const config = (await (await fetch(`${demo.server.url}demo-config.json`)).json()) as { labels: string[] };
    assert.deepEqual(config.labels, ['_silence_', '_unknown_', 'happy', 'hey robot']);
  } finally {
    await demo.close();
  }
});

test('bad keywords and recordings folders are usage errors naming the problem', async () => {
  const bad = await execFileAsync(process.execPath, [kws, 'custom', '--words', 'hey2', '--out', join(dir, 'bad')], { cwd: repoRoot }).catch((err: { code: number; stderr: string }) => err);
  assert.equal((bad as { code: number }).code, 2);
  assert.match((bad as { stderr: string }).stderr, /--words: 'hey2' must be letters only/);
  await mkdir(join(dir, 'wrong', 'hello'), { recursive: true });
  const wrong = await execFileAsync(process.execPath, [kws, 'custom', '--words', 'happy', '--recordings', join(dir, 'wrong'), '--out', join(dir, 'bad2')], { cwd: repoRoot }).catch((err: { code: number; stderr: string }) => err);
  assert.equal((wrong as { code: number }).code, 1);
  assert.match((wrong as { stderr: string }).stderr, /--recordings .*wrong\/hello: not a keyword's folder \(expected one of happy\)/);
});
