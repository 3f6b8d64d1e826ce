import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headerLine, readResumeState, ResultLogError } from '../pipeline/batch/result-log.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { runTranscribe } from '../pipeline/transcribe.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';
import { parseCsv } from './transcribe-csv.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const FILES = 2500;
let dir = '';
let modelPath = '';
let audio = '';
let recognizer: Recognizer;

class Capture {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-resume-'));
  modelPath = join(dir, 'model.onnx');
  // The shipped architecture, so a run lasts long enough to be killed in the middle.
  await writeFixtureModel(modelPath, { seed: 7, lstmUnits: [64, 64], hiddenUnits: 64 });
  recognizer = await Recognizer.create(modelPath);
  audio = join(dir, 'audio');
  const clip = toneClip(1, 440, 1);
  for (let i = 0; i < FILES; i++) {
    clip[i % clip.length] = (i % 100) / 200; // every file different
    await writeWav(join(audio, `${String(i).padStart(5, '0')}.wav`), clip);
  }
  await writeFile(join(audio, 'zz-corrupt.wav'), 'RIFF not really');
  await writeFile(join(audio, 'zz-empty.wav'), '');
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

test('a run killed with SIGKILL mid-way loses nothing written; the re-run repairs the torn end and finishes each file exactly once', async () => {
  const out = join(dir, 'killed.jsonl');
  const script = `
    const { runTranscribe } = await import(${JSON.stringify(join(repoRoot, 'dist/pipeline/transcribe.js'))});
    await runTranscribe({ inputs: [${JSON.stringify(audio)}], modelPath: ${JSON.stringify(modelPath)}, out: ${JSON.stringify(out)}, jobs: 1, batchSize: 32, progress: false });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let ended = false;
  const exited = new Promise<NodeJS.Signals | null>((res) =>
    child.on('exit', (_code, signal) => {
      ended = true;
      res(signal);
    }),
  );
  // Kill once a few batches are on disk.
  while (!ended) {
    const size = await stat(out).then((s) => s.size, () => 0);
    if (size > 200 * 150) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', `child ended on its own before the kill: ${stderr}`);

  const before = await readFile(out, 'utf8');
  // The first line is the results file's header (written first), then rows.
  const completeBefore = lines(before).slice(1).filter((l) => l.endsWith('}'));
  assert.ok(completeBefore.length > 0 && completeBefore.length < FILES + 2, `${completeBefore.length} rows before the re-run`);
  // Whatever the kill left, also tear the last line by hand, as a kill inside a write would.
  await appendFile(out, '{"file":"' + join(audio, '00001.wav').slice(0, 20));

  const result = await runTranscribe({ inputs: [audio], recognizer, out, stdout: new Capture(), stderr: new Capture() });
  assert.ok(result.repairedBytes > 0);
  assert.equal(result.skipped, completeBefore.length);
  assert.equal(result.processed, FILES + 2 - completeBefore.length);
  assert.equal(result.exitCode, 1); // the corrupt and empty files

  const rows = lines(await readFile(out, 'utf8')).slice(1).map((l) => JSON.parse(l) as { file: string; key: string; label: string | null; error: string | null });
  assert.equal(rows.length, FILES + 2);
  assert.equal(new Set(rows.map((r) => r.file)).size, FILES + 2);
  assert.equal(new Set(rows.map((r) => r.key)).size, FILES + 2);
  // The rows written before the kill are untouched, byte for byte.
  assert.ok((await readFile(out, 'utf8')).startsWith(lines(before)[0] + '\n' + completeBefore.join('\n') + '\n'));
  const failed = rows.filter((r) => r.error !== null).map((r) => r.file).sort();
  assert.deepEqual(failed, [join(audio, 'zz-corrupt.wav'), join(audio, 'zz-empty.wav')]);
  // Rows match a direct recognition.
  const probe = rows.find((r) => r.file.endsWith('01234.wav'))!;
  assert.equal(probe.label, (await recognizer.recognizeFile(probe.file)).label);

  // A third run has nothing left to do.
  const again = await runTranscribe({ inputs: [audio], recognizer, out, stdout: new Capture(), stderr: new Capture() });
  assert.equal(again.processed, 0);
  assert.equal(again.skipped, FILES + 2);
  assert.equal(again.exitCode, 1, 'failures recorded by an earlier run still set the exit status');
});

test('CSV --out: resume keeps one header, repairs a torn row, and a changed file is done again', async () => {
  const out = join(dir, 'part.csv');
  const inputs = [join(audio, '00000.wav'), join(audio, '00001.wav'), join(audio, '00002.wav')];
  await runTranscribe({ inputs: inputs.slice(0, 2), recognizer, out, top: 2, stdout: new Capture(), stderr: new Capture() });
  const text = await readFile(out, 'utf8');
  await truncate(out, Buffer.byteLength(text) - 7); // tear the second row
  const result = await runTranscribe({ inputs, recognizer, out, top: 2, stdout: new Capture(), stderr: new Capture() });
  assert.equal(result.skipped, 1);
  assert.equal(result.processed, 2);
  let parsed = parseCsv(await readFile(out, 'utf8'));
  assert.deepEqual(parsed[0], ['file', 'label', 'score', 'start', 'end', 'top', 'error', 'warning', 'key', 'part', 'parts']);
  assert.deepEqual(parsed.slice(1).map((r) => r[0]), inputs);

  // Touching a file changes its key (mtime), so it is recognised again and appended.
  await writeWav(inputs[0]!, toneClip(1, 900, 3));
  const redo = await runTranscribe({ inputs, recognizer, out, top: 2, stdout: new Capture(), stderr: new Capture() });
  assert.equal(redo.processed, 1);
  parsed = parseCsv(await readFile(out, 'utf8'));
  assert.equal(parsed.length, 5);
  assert.equal(parsed[4]![0], inputs[0]);

  // Another column layout is refused rather than mixed into the file.
  await assert.rejects(runTranscribe({ inputs, recognizer, out, top: 0, stdout: new Capture(), stderr: new Capture() }), (err: Error) => err instanceof ResultLogError && err.message.includes(out));
});

test('readResumeState: rows of a file cut short at the end are dropped; damage before the end is an error', async () => {
  const out = join(dir, 'multi.jsonl');
  const row = (key: string, part: number, parts: number): string => JSON.stringify({ file: key, label: 'yes', score: 1, error: null, key, part, parts }) + '\n';
  const header = headerLine('jsonl', { times: true }) + '\n';
  const good = header + row('a', 1, 1) + row('b', 1, 2) + row('b', 2, 2);
  await writeFile(out, good + row('c', 1, 3) + row('c', 2, 3));
  const state = await readResumeState(out, 'jsonl', { times: true });
  assert.deepEqual([...state.done], ['a', 'b']);
  assert.equal(state.repairedBytes, Buffer.byteLength(row('c', 1, 3) + row('c', 2, 3)));
  assert.equal(await readFile(out, 'utf8'), good);

  await writeFile(out, header + row('a', 1, 1) + 'garbage\n' + row('b', 1, 1));
  await assert.rejects(readResumeState(out, 'jsonl', { times: true }), (err: Error) => err instanceof ResultLogError && /not a jsonl results row/.test(err.message));
});
