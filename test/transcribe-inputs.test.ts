import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expandInputs, InputPathError } from '../pipeline/files.js';
import { decodeWav, encodeWavPcm16, readAudio } from '../features/audio/index.js';
import { detectInRecording } from '../pipeline/streaming/node.js';
import { Recognizer } from '../pipeline/recognizer.js';
import { runTranscribe } from '../pipeline/transcribe.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

let dir = '';
let modelPath = '';
let recognizer: Recognizer;
let clips: string[] = [];
let longFile = '';

class Capture {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

function jsonRows(text: string): Record<string, unknown>[] {
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-inputs-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 5 });
  recognizer = await Recognizer.create(modelPath);
  clips = Array.from({ length: 6 }, (_, i) => join(dir, 'clips', `c${i}.wav`));
  for (const [i, file] of clips.entries()) await writeWav(file, toneClip(1, 300 + 400 * i, i));
  // 6 s: tones and quiet, longer than the 1 s window plus tolerance.
  const long = new Float32Array(6 * 16000);
  for (let s = 0; s < 3; s++) long.set(toneClip(1, 500 + 700 * s, 10 + s), (2 * s + 0.5) * 16000);
  longFile = join(dir, 'long', 'recording.wav');
  await writeWav(longFile, long);
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('glob patterns expand sorted; a pattern matching nothing is an InputPathError', async () => {
  assert.deepEqual(await expandInputs([join(dir, 'clips', 'c[0-2].wav')]), clips.slice(0, 3));
  assert.deepEqual(await expandInputs([join(dir, '**', '*.wav')]), [...clips, longFile]);
  await assert.rejects(expandInputs([join(dir, 'nothing-*.wav')]), (err: Error) => err instanceof InputPathError && err.message.includes('no files match'));
});

test('paths on stdin (-): a missing one becomes an error row, the rest are recognised', async () => {
  const missing = join(dir, 'gone.wav');
  const stdin = Readable.from([`${clips[0]}\n${missing}\r\n`, `\n${clips[1]}\n`]);
  const stdout = new Capture();
  const result = await runTranscribe({ inputs: ['-'], stdin, recognizer, format: 'jsonl', stdout, stderr: new Capture() });
  const rows = jsonRows(stdout.text);
  assert.deepEqual(rows.map((r) => r.file), [clips[0], missing, clips[1]]);
  assert.equal(rows[1]!.label, null);
  assert.match(String(rows[1]!.error), /gone\.wav: no such file/);
  assert.equal(result.failures, 1);
  assert.equal(result.exitCode, 1);
});

test('a long recording is scanned: one row per detection, the same as detectInRecording, times inside it', async () => {
  // Random weights: pick the highest threshold at which this recording gives several detections.
  const samples = (await readAudio(longFile)).samples;
  let detector: { defaultThreshold: number; ignoreLabels: string[] } | null = null;
  let expected: Awaited<ReturnType<typeof detectInRecording>> = [];
  for (const threshold of [0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.098, 0.096, 0.094, 0.092, 0.09]) {
    expected = await detectInRecording(recognizer, samples, { defaultThreshold: threshold, ignoreLabels: [] });
    if (expected.length >= 2) {
      detector = { defaultThreshold: threshold, ignoreLabels: [] };
      break;
    }
  }
  assert.ok(detector, 'no threshold gave two detections on the test recording');
  const stdout = new Capture();
  const result = await runTranscribe({ inputs: [longFile, clips[0]!], recognizer, format: 'jsonl', stdout, stderr: new Capture(), detector });
  const rows = jsonRows(stdout.text);
  const longRows = rows.filter((r) => r.file === longFile);
  assert.equal(longRows.length, expected.length);
  assert.equal(result.detections, expected.length);
  longRows.forEach((r, k) => {
    assert.equal(r.label, expected[k]!.label);
    assert.ok(Math.abs(Number(r.start) - expected[k]!.startSeconds) < 1e-3 && Math.abs(Number(r.end) - expected[k]!.endSeconds) < 1e-3);
    assert.ok(Number(r.start) >= 0 && Number(r.start) < Number(r.end) && Number(r.end) <= 6.001, `${r.start}-${r.end}`);
    assert.equal(r.error, null);
  });
  // The clip after it is a single row without times.
  assert.equal(rows.at(-1)!.file, clips[0]);
  assert.equal(rows.at(-1)!.start, null);
  assert.equal(rows.length, longRows.length + 1);
});

test('a long recording with no detection gives one row with no label and no error', async () => {
  const stdout = new Capture();
  await runTranscribe({ inputs: [longFile], recognizer, format: 'csv', stdout, stderr: new Capture(), detector: { defaultThreshold: 1, ignoreLabels: [] } });
  const lines = stdout.text.trimEnd().split('\r\n');
  assert.deepEqual(lines, ['file,label,score,start,end,error,warning', `${longFile},,,,,,`]);
});

test('a threshold for a label the model lacks stops the batch before any file is read (in-process and with a model file)', async () => {
  const out = join(dir, 'never-written.jsonl');
  const detector = { thresholds: { nosuch: 0.5 } };
  await assert.rejects(runTranscribe({ inputs: [longFile], recognizer, format: 'jsonl', out, stdout: new Capture(), stderr: new Capture(), detector }), /thresholds\.nosuch: the model has no label "nosuch"/);
  await assert.rejects(runTranscribe({ inputs: [longFile], modelPath, jobs: 1, format: 'jsonl', out, stdout: new Capture(), stderr: new Capture(), detector }), /thresholds\.nosuch: the model has no label "nosuch"/);
  await assert.rejects(stat(out), { code: 'ENOENT' });
  // A keyword the model has: only its threshold is set, the long recording is scanned as usual.
  const label = recognizer.labels.find((l) => l !== '_silence_' && l !== '_unknown_')!;
  const result = await runTranscribe({ inputs: [longFile], recognizer, format: 'jsonl', stdout: new Capture(), stderr: new Capture(), detector: { thresholds: { [label]: 1 } } });
  assert.equal(result.failures, 0);
});

test('worker threads (--jobs 2) give the same rows as the in-process recognizer', async () => {
  const inline = new Capture();
  await runTranscribe({ inputs: [join(dir, 'clips')], recognizer, format: 'jsonl', top: 2, stdout: inline, stderr: new Capture() });
  const pooled = new Capture();
  const result = await runTranscribe({ inputs: [join(dir, 'clips')], modelPath, jobs: 2, batchSize: 2, format: 'jsonl', top: 2, stdout: pooled, stderr: new Capture() });
  assert.equal(result.processed, clips.length);
  const a = jsonRows(inline.text);
  const b = jsonRows(pooled.text);
  assert.equal(b.length, clips.length);
  assert.deepEqual(b.map((r) => r.file), clips);
  assert.deepEqual(b.map((r) => r.label), a.map((r) => r.label));
  b.forEach((r, i) => assert.ok(Math.abs(Number(r.score) - Number(a[i]!.score)) < 1e-6));
});

test('16-bit mono decodes exactly as sample / 32768, and other rates are resampled', async () => {
  const samples = toneClip(0.5, 700, 9);
  samples[0] = -1;
  samples[1] = 0.99997;
  const bytes = encodeWavPcm16(samples, 16000);
  const decoded = (await decodeWav(bytes, 'x.wav')).samples;
  const view = new DataView(bytes.buffer, bytes.byteOffset + 44);
  const reference = Float32Array.from({ length: samples.length }, (_, i) => view.getInt16(2 * i, true) / 32768);
  assert.deepEqual(decoded, reference);
  // Another layout goes through the resampler (8 kHz -> 16 kHz).
  const slow = (await decodeWav(encodeWavPcm16(samples, 8000), 'y.wav')).samples;
  assert.equal(slow.length, 16000);
});

test('an aborted run stops before new batches and reports it (exit status 130)', async () => {
  const controller = new AbortController();
  controller.abort();
  const stderr = new Capture();
  const result = await runTranscribe({ inputs: [join(dir, 'clips')], recognizer, format: 'jsonl', stdout: new Capture(), stderr, signal: controller.signal });
  assert.equal(result.interrupted, true);
  assert.equal(result.processed, 0);
  assert.equal(result.exitCode, 130);
  assert.match(stderr.text, /interrupted/);
  await writeFile(join(dir, 'unused.txt'), '');
});
