import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expandWavInputs, InputPathError } from '../pipeline/files.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { runTranscribe } from '../pipeline/transcribe.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';
import { parseCsv } from './transcribe-csv.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
let dir = '';
let modelPath = '';
let recognizer: Recognizer;
let good: string[] = [];
let corrupt = '';

class Capture {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-transcribe-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 3 });
  recognizer = await Recognizer.create(modelPath);
  const audio = join(dir, 'audio');
  good = [join(audio, 'a.wav'), join(audio, 'b, "odd" name.wav'), join(audio, 'sub', 'C.WAV'), join(audio, 'sub', 'deeper', 'd.wav')];
  await writeWav(good[0]!, toneClip(1, 440, 1));
  await writeWav(good[1]!, toneClip(0.7, 880, 2));
  await writeWav(good[2]!, toneClip(1.2, 1500, 3, 8000), 8000);
  await writeWav(good[3]!, toneClip(1, 3000, 4));
  corrupt = join(audio, 'sub', 'broken.wav');
  await writeFile(corrupt, 'RIFF....not really a wav file');
  await writeFile(join(audio, 'notes.txt'), 'not audio');
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('expandWavInputs walks folders recursively, sorted, wav only (any case)', async () => {
  const files = await expandWavInputs([join(dir, 'audio')]);
  assert.deepEqual(files, [good[0], good[1], good[2], corrupt, good[3]]);
  // Explicit files are kept as given and in order; duplicates are dropped.
  assert.deepEqual(await expandWavInputs([good[3]!, join(dir, 'audio', 'notes.txt'), good[3]!]), [good[3], join(dir, 'audio', 'notes.txt')]);
  const missing = join(dir, 'missing-folder');
  await assert.rejects(expandWavInputs([good[0]!, missing]), (err: Error) => err instanceof InputPathError && err.message.includes(missing));
});

test('a corrupt file gets a row with its error, the others are recognised, exit code 1', async () => {
  const stdout = new Capture();
  const stderr = new Capture();
  const result = await runTranscribe({ inputs: [join(dir, 'audio')], recognizer, format: 'jsonl', batchSize: 2, stdout, stderr });
  assert.equal(result.exitCode, 1);
  assert.equal(result.failures, 1);
  const rows = stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => r.file), [good[0], good[1], good[2], corrupt, good[3]]);
  for (const row of rows.filter((r) => r.file !== corrupt)) {
    assert.equal(row.error, null);
    assert.ok(recognizer.labels.includes(row.label), `label ${row.label}`);
    assert.ok(row.score > 0 && row.score <= 1);
  }
  const bad = rows.find((r) => r.file === corrupt);
  assert.equal(bad.label, null);
  assert.ok(bad.error.includes('broken.wav'), bad.error);
  assert.match(stderr.text, /^5 files, 1 failed, 0 detections, [\d.]+ files\/s, [\d.]+ s\n$/);
  // Batching does not change results.
  const single = await recognizer.recognizeFile(good[2]!);
  const row = rows.find((r) => r.file === good[2]);
  assert.equal(row.label, single.label);
  assert.ok(Math.abs(row.score - single.score) < 1e-5);
});

test('all good files give exit code 0; CSV appended to --out parses back with --top and key columns', async () => {
  const out = join(dir, 'results.csv');
  const stdout = new Capture();
  const result = await runTranscribe({ inputs: [good[0]!, good[1]!], recognizer, format: 'csv', out, top: 3, stdout, stderr: new Capture() });
  assert.equal(result.exitCode, 0);
  assert.equal(stdout.text, '');
  const parsed = parseCsv(await readFile(out, 'utf8'));
  assert.deepEqual(parsed[0], ['file', 'label', 'score', 'start', 'end', 'top', 'error', 'warning', 'key', 'part', 'parts']);
  assert.equal(parsed.length, 3);
  assert.equal(parsed[2]![0], good[1]);
  for (const [i, fields] of parsed.slice(1).entries()) {
    const r = await recognizer.recognizeFile(good[i]!);
    assert.equal(fields[1], r.label);
    assert.equal(fields[2], r.score.toFixed(4));
    assert.deepEqual(fields.slice(3, 5), ['', '']);
    const top = fields[5]!.split(' ');
    assert.equal(top.length, 3);
    assert.equal(top[0], `${r.label}:${r.score.toFixed(4)}`);
    assert.deepEqual(fields.slice(6, 8), ['', '']); // error, warning
    assert.match(fields[8]!, /^[0-9a-f]{24}$/);
    assert.deepEqual(fields.slice(9), ['1', '1']);
  }
});

test('table output lists every file, the error row included', async () => {
  const stdout = new Capture();
  await runTranscribe({ inputs: [join(dir, 'audio')], recognizer, format: 'table', stdout, stderr: new Capture() });
  const lines = stdout.text.trimEnd().split('\n');
  assert.equal(lines.length, 6);
  assert.match(lines[0]!, /^FILE\s+LABEL\s+SCORE\s+START\s+END\s+ERROR$/);
  assert.ok(lines.some((l) => l.startsWith(corrupt) && l.includes('broken.wav')));
});

test('a missing model file fails before any work, naming the file', async () => {
  const missing = join(dir, 'no-model.onnx');
  await assert.rejects(runTranscribe({ inputs: [good[0]!], modelPath: missing, stdout: new Capture(), stderr: new Capture() }), (err: Error) => err.message.includes(missing));
});

// Runs once cli/commands.ts registers `registerTranscribeCommand` and every module it imports is built.
function cliReady(): boolean {
  const commands = join(repoRoot, 'dist/cli/commands.js');
  if (!existsSync(commands)) return false;
  const source = readFileSync(commands, 'utf8');
  const imports = [...source.matchAll(/from '\.\/([^']+)'/g)].map((m) => join(repoRoot, 'dist/cli', m[1]!));
  return source.includes('registerTranscribeCommand') && imports.every((p) => existsSync(p));
}
const cliWired = cliReady();
test('kws transcribe as a child process: CSV on stdout, exit status 1 for the corrupt file', { skip: cliWired ? false : 'cli/commands.ts does not load yet (transcribe not wired or a command module not built)' }, async () => {
  const run = promisify(execFile);
  const err = await run(process.execPath, [join(repoRoot, 'bin/kws.js'), 'transcribe', join(dir, 'audio'), '--model', modelPath, '--format', 'csv'], { cwd: repoRoot }).then(
    () => null,
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.ok(err, 'expected a non-zero exit status');
  assert.match(err.stderr, /5 files, 1 failed/);
  assert.equal(err.code, 1);
  const parsed = parseCsv(err.stdout);
  assert.equal(parsed.length, 6);
  assert.deepEqual(parsed[0], ['file', 'label', 'score', 'start', 'end', 'error', 'warning']);
  assert.ok(parsed.find((r) => r[0] === corrupt)![5]!.includes('broken.wav'));
});
