/**
 * A non-finite float sample deep inside a long wav read in chunks is reported at its position in
 * the file, with the same message whole-file decoding gives (not its index within the chunk).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAudio } from '../features/audio/index.js';
import { openWavChunks } from '../pipeline/batch/wav-chunks.js';
import { wavBytes } from './helpers/wav-bytes.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-chunks-nonfinite-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return 'no error';
}

async function drainChunks(file: string): Promise<void> {
  const stream = await openWavChunks(file);
  assert.ok(stream !== null, `${file}: read in chunks`);
  for await (const chunk of stream.chunks()) assert.ok(chunk.length > 0);
}

function floatWav(rate: number, channels: number, seconds: number, bits: 32 | 64, bad: { at: number; value: number }): Uint8Array {
  const samples = new Float64Array(rate * seconds * channels);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.2 * Math.sin(i / 9);
  samples[bad.at] = bad.value;
  return wavBytes({ bitsPerSample: bits, float: true, channels, sampleRateHz: rate, samples });
}

test('a NaN in the 8th 10 s chunk of a 16 kHz float32 wav is named by its sample index in the file', async () => {
  const file = join(dir, 'nan16k.wav');
  const at = 1_234_567;
  await writeFile(file, floatWav(16000, 1, 90, 32, { at, value: NaN }));
  const chunked = await errorOf(() => drainChunks(file));
  assert.equal(chunked, `${file}: float32 sample ${at} is NaN`);
  assert.equal(chunked, await errorOf(() => readAudio(file)));
});

test('an infinity in a resampled 48 kHz stereo float32 wav names its frame and channel in the file', async () => {
  const file = join(dir, 'inf48k.wav');
  const frame = 987_654;
  await writeFile(file, floatWav(48000, 2, 25, 32, { at: 2 * frame + 1, value: -Infinity }));
  const chunked = await errorOf(() => drainChunks(file));
  assert.equal(chunked, `${file}: float32 frame ${frame}, channel 1 is -Infinity`);
  assert.equal(chunked, await errorOf(() => readAudio(file)));
});

test('a float64 value beyond float32 range late in a long file is named at its position', async () => {
  const file = join(dir, 'huge64.wav');
  const at = 16000 * 35 + 17;
  await writeFile(file, floatWav(16000, 1, 40, 64, { at, value: 1e300 }));
  const chunked = await errorOf(() => drainChunks(file));
  assert.equal(chunked, `${file}: float64 sample ${at} is 1e+300, beyond float32 range`);
  assert.equal(chunked, await errorOf(() => readAudio(file)));
});
