/**
 * Long recordings through the library behave like the CLI: recognizeFile refuses them with a typed
 * error that names detectFile, and detectFile/transcribeFile give what `kws listen` and
 * `kws transcribe` give, on the shipped model and its 6 s sample recording.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LONG_TOLERANCE_SECONDS } from '../pipeline/batch/recognize-files.js';
import { LONG_AUDIO_TOLERANCE_SECONDS, LongAudioError, Recognizer } from '../pipeline/recognizer.js';
import { runListen } from '../cli/listen.js';
import { readAudio } from '../features/audio/index.js';

const samples = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/kws12/samples');
const recording = join(samples, '12-recording-yes-stop-left.wav');
let recognizer: Recognizer;

before(async () => {
  recognizer = await Recognizer.create();
});
after(async () => {
  await recognizer.dispose();
});

test('recognizeFile refuses a recording longer than the window with a LongAudioError naming detectFile', async () => {
  await assert.rejects(recognizer.recognizeFile(recording), (err: unknown) => {
    assert.ok(err instanceof LongAudioError, String(err));
    assert.equal(err.file, recording);
    assert.equal(err.durationSeconds, 6);
    assert.equal(err.maxSeconds, 1.25);
    assert.match(err.message, /6\.00 s of audio is longer than the 1\.25 s .* use recognizer\.detectFile\(path\)/);
    return true;
  });
  // A clip up to the window plus the tolerance is still one recognition.
  assert.equal((await recognizer.recognizeFile(join(samples, '02-yes.wav'))).label, 'yes');
  const at = recognizer.maxClipSamples;
  const audio = await readAudio(recording);
  assert.equal((await recognizer.recognizeSamples(audio.samples.subarray(0, at))).label.length > 0, true);
});

test('the library and kws transcribe agree on what a long file is', () => {
  assert.equal(LONG_AUDIO_TOLERANCE_SECONDS, DEFAULT_LONG_TOLERANCE_SECONDS);
  assert.equal(recognizer.maxClipSamples, 16000 + 4000);
});

test('detectFile finds the three commands with times, exactly as kws listen does', async () => {
  // At 0.95; the model's own threshold (its <= 1 FA/h point on real speakers) is stricter.
  const detections = await recognizer.detectFile(recording, { defaultThreshold: 0.95 });
  assert.deepEqual(detections.map((d) => d.label), ['yes', 'stop', 'left']);
  for (const d of detections) assert.ok(d.startSeconds < d.endSeconds && d.endSeconds <= 6 && d.score >= 0.95, JSON.stringify(d));
  const listened = await runListen(recording, { json: true, threshold: 0.95 }, { write: () => undefined });
  assert.deepEqual(detections, listened);
  // At the model's own thresholds: what listen gives by default, a subsequence of the above, each at or above its threshold.
  const own = recognizer.manifest.detection!;
  const atOwn = await recognizer.detectFile(recording);
  assert.deepEqual(atOwn, await runListen(recording, { json: true }, { write: () => undefined }));
  const labels = detections.map((d) => d.label);
  let from = 0;
  for (const d of atOwn) {
    from = labels.indexOf(d.label, from) + 1;
    assert.ok(from > 0, `${d.label} at the model's thresholds but not at 0.95`);
    assert.ok(d.score >= (own.thresholds[d.label] ?? own.defaultThreshold), JSON.stringify(d));
  }
  const stricter = await recognizer.detectFile(recording, { defaultThreshold: 0.9999999 });
  assert.ok(stricter.length < detections.length, 'detector settings are passed through');
});

test('transcribeFile gives a recognition for a clip and detections for a recording', async () => {
  const clip = await recognizer.transcribeFile(join(samples, '10-stop.wav'));
  assert.equal(clip.kind, 'clip');
  if (clip.kind === 'clip') assert.equal(clip.recognition.label, 'stop');
  const long = await recognizer.transcribeFile(recording, { defaultThreshold: 0.95 });
  assert.equal(long.kind, 'recording');
  if (long.kind === 'recording') assert.deepEqual(long.detections, await recognizer.detectFile(recording, { defaultThreshold: 0.95 }));
  if (long.kind === 'recording') assert.deepEqual(long.detections.map((d) => d.label), ['yes', 'stop', 'left']);
  assert.equal(long.durationSeconds, 6);
});
