import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWav, encodeWavPcm16, readAudio, writeWavPcm16 } from '../features/audio/index.js';
import { ascii, wavBytes } from './helpers/wav-bytes.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedData = path.resolve(repoRoot, '../shared/data');
const haveShared = existsSync(sharedData);

/** Exact float32 values, for deepEqual against a Float32Array's contents. */
function f32(values: number[]): number[] {
  return values.map((v) => Math.fround(v));
}

async function decode(spec: Parameters<typeof wavBytes>[0]) {
  return decodeWav(wavBytes(spec), 'test.wav');
}

test('pcm8 is unsigned with 128 as zero, scaled by 128', async () => {
  const audio = await decode({ bitsPerSample: 8, samples: [0, 64, 128, 192, 255] });
  assert.deepEqual(Array.from(audio.samples), f32([-1, -0.5, 0, 0.5, 127 / 128]));
  assert.equal(audio.source.encoding, 'pcm8');
});

test('pcm16 is scaled by 32768 on both sides', async () => {
  const audio = await decode({ bitsPerSample: 16, samples: [-32768, -16384, -1, 0, 16384, 32767] });
  assert.deepEqual(Array.from(audio.samples), f32([-1, -0.5, -1 / 32768, 0, 0.5, 32767 / 32768]));
  assert.deepEqual(audio.source, { sampleRateHz: 16000, channels: 1, encoding: 'pcm16', durationSeconds: 6 / 16000 });
  assert.equal(audio.sampleRateHz, 16000);
});

test('pcm24 is scaled by 2^23, including negative full scale', async () => {
  const audio = await decode({ bitsPerSample: 24, samples: [-8388608, -4194304, -1, 0, 4194304, 8388607] });
  assert.deepEqual(Array.from(audio.samples), f32([-1, -0.5, -1 / 8388608, 0, 0.5, 8388607 / 8388608]));
  assert.equal(audio.source.encoding, 'pcm24');
});

test('pcm32 is scaled by 2^31', async () => {
  const audio = await decode({ bitsPerSample: 32, samples: [-2147483648, -1073741824, 0, 1073741824, 2147483647, 256] });
  assert.deepEqual(Array.from(audio.samples), f32([-1, -0.5, 0, 0.5, 2147483647 / 2147483648, 256 / 2147483648]));
  assert.equal(audio.source.encoding, 'pcm32');
});

test('float32 and float64 samples are kept as they are', async () => {
  const values = [-1, -0.5, 0, 0.1, 0.25, 1, 1.5];
  const audio32 = await decode({ bitsPerSample: 32, float: true, samples: values });
  assert.deepEqual(Array.from(audio32.samples), f32(values));
  assert.equal(audio32.source.encoding, 'float32');
  const audio64 = await decode({ bitsPerSample: 64, float: true, samples: values });
  assert.deepEqual(Array.from(audio64.samples), f32(values));
  assert.equal(audio64.source.encoding, 'float64');
});

test('WAVE_FORMAT_EXTENSIBLE with PCM and float sub-formats', async () => {
  const pcm = await decode({ bitsPerSample: 16, extensible: { subFormatTag: 1 }, samples: [16384, -32768] });
  assert.deepEqual(Array.from(pcm.samples), [0.5, -1]);
  assert.equal(pcm.source.encoding, 'pcm16');
  const float = await decode({ bitsPerSample: 32, extensible: { subFormatTag: 3 }, samples: [0.75, -0.25] });
  assert.deepEqual(Array.from(float.samples), [0.75, -0.25]);
  assert.equal(float.source.encoding, 'float32');
  // 24 valid bits left-justified in a 32-bit container read as 32-bit PCM.
  const padded = await decode({ bitsPerSample: 32, extensible: { subFormatTag: 1, validBitsPerSample: 24 }, samples: [4194304 * 256, -8388608 * 256] });
  assert.deepEqual(Array.from(padded.samples), [0.5, -1]);
});

test('multi-channel audio is downmixed to the mean of its channels', async () => {
  // Interleaved L, R frames.
  const stereo = await decode({ bitsPerSample: 16, channels: 2, samples: [16384, 0, -32768, 16384, 8192, 8192] });
  assert.deepEqual(Array.from(stereo.samples), [0.25, -0.25, 0.25]);
  assert.equal(stereo.source.channels, 2);
  assert.equal(stereo.source.durationSeconds, 3 / 16000);
  const three = await decode({ bitsPerSample: 32, float: true, channels: 3, samples: [0.3, 0.6, 0.9, -0.75, 0, 0] });
  assert.deepEqual(Array.from(three.samples), f32([(Math.fround(0.3) + Math.fround(0.6) + Math.fround(0.9)) / 3, -0.25]));
});

test('unknown chunks, odd-sized chunks and their pad bytes are skipped', async () => {
  const audio = await decode({
    bitsPerSample: 16,
    samples: [16384, -16384],
    extraChunks: [
      { id: 'JUNK', body: new Uint8Array(28), position: 'before-fmt' },
      { id: 'LIST', body: ascii('INFOISFT\x05\x00\x00\x00kws!!'), position: 'before-data' },
      { id: 'odd ', body: new Uint8Array([1, 2, 3]), position: 'before-data' },
      { id: 'fact', body: new Uint8Array(4), position: 'before-data' },
      { id: 'id3 ', body: new Uint8Array(9), position: 'after-data' },
    ],
  });
  assert.deepEqual(Array.from(audio.samples), [0.5, -0.5]);
});

test('an odd-sized pcm8 data chunk and a trailing partial frame', async () => {
  const odd = await decode({ bitsPerSample: 8, samples: [192, 64, 128] });
  assert.deepEqual(Array.from(odd.samples), [0.5, -0.5, 0]);
  // 5 bytes of 16-bit stereo: one whole frame (4 bytes) and a dangling byte, which is dropped.
  const partial = await decode({ bitsPerSample: 16, channels: 2, rawData: new Uint8Array([0, 64, 0, 64, 7]) });
  assert.deepEqual(Array.from(partial.samples), [0.5]);
});

test('audio at another rate comes back at 16 kHz with the source rate recorded', async () => {
  const rate = 8000;
  const samples = Array.from({ length: 800 }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 500 * i) / rate)));
  const audio = await decode({ bitsPerSample: 16, sampleRateHz: rate, samples });
  assert.equal(audio.sampleRateHz, 16000);
  assert.equal(audio.samples.length, 1600);
  assert.deepEqual(audio.source, { sampleRateHz: 8000, channels: 1, encoding: 'pcm16', durationSeconds: 0.1 });
});

test('decodeWav accepts a Uint8Array view into a larger buffer', async () => {
  const file = wavBytes({ bitsPerSample: 16, samples: [16384] });
  const larger = new Uint8Array(file.length + 10);
  larger.set(file, 7);
  const audio = await decodeWav(larger.subarray(7, 7 + file.length), 'view.wav');
  assert.deepEqual(Array.from(audio.samples), [0.5]);
});

test('encodeWavPcm16 clips, rounds and decodes back to the same values', async () => {
  const input = new Float32Array([0, 0.5, -0.5, 1, -1, 2, -2, 1 / 32768, 0.3]);
  const bytes = encodeWavPcm16(input, 16000);
  assert.equal(bytes.length, 44 + 2 * input.length);
  const view = new DataView(bytes.buffer);
  assert.deepEqual(
    Array.from({ length: input.length }, (_, i) => view.getInt16(44 + 2 * i, true)),
    [0, 16384, -16384, 32767, -32768, 32767, -32768, 1, Math.round(Math.fround(0.3) * 32768)],
  );
  const decoded = await decodeWav(bytes, 'encoded.wav');
  assert.deepEqual(Array.from(decoded.samples.subarray(0, 5)), [0, 0.5, -0.5, 32767 / 32768, -1].map(Math.fround));
  assert.throws(() => encodeWavPcm16(new Float32Array([Number.NaN]), 16000), /sample 0 is NaN/);
  assert.throws(() => encodeWavPcm16(new Float32Array(1), 0), RangeError);
});

test('writeWavPcm16 writes a file that readAudio reads back', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kws-audio-'));
  try {
    const file = path.join(dir, 'tone.wav');
    await writeWavPcm16(file, new Float32Array([0.25, -0.75]), 16000);
    const audio = await readAudio(file);
    assert.deepEqual(Array.from(audio.samples), [0.25, -0.75]);
    assert.deepEqual(readdirSync(dir), ['tone.wav']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('real 16 kHz Speech Commands clips decode as 1 s of 16-bit mono', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, async () => {
  for (const word of ['yes', 'stop', '_silence_']) {
    const dir = path.join(sharedData, 'speech_commands_v0.02_test_half', word);
    const file = path.join(dir, readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()[0]!);
    const audio = await readAudio(file);
    assert.equal(audio.sampleRateHz, 16000);
    assert.equal(audio.source.sampleRateHz, 16000);
    assert.equal(audio.source.encoding, 'pcm16');
    assert.equal(audio.source.channels, 1);
    assert.ok(audio.samples.length > 0 && audio.samples.length <= 16000, `${file}: ${audio.samples.length} samples`);
    assert.ok(audio.samples.every((s) => s >= -1 && s < 1));
  }
});

test('real 8 kHz Free Spoken Digit clips come back at 16 kHz with twice the samples', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, async () => {
  for (const digit of ['zero', 'seven']) {
    const dir = path.join(sharedData, 'free_spoken_digits', digit);
    const file = path.join(dir, readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()[0]!);
    const audio = await readAudio(file);
    assert.equal(audio.source.sampleRateHz, 8000);
    assert.equal(audio.sampleRateHz, 16000);
    const sourceSamples = Math.round(audio.source.durationSeconds * 8000);
    assert.ok(Math.abs(audio.samples.length - 2 * sourceSamples) <= 1, `${file}: ${audio.samples.length} vs 2 x ${sourceSamples}`);
    // Speech, not silence or garbage: a sensible RMS level.
    const rms = Math.sqrt(audio.samples.reduce((sum, s) => sum + s * s, 0) / audio.samples.length);
    assert.ok(rms > 0.005 && rms < 0.7, `${file}: rms ${rms}`);
  }
});
