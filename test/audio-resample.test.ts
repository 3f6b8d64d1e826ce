import { test } from 'node:test';
import assert from 'node:assert/strict';
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { resample } from '../features/audio/index.js';
import { resampleWith } from '../features/audio/resample.js';

function sine(frequencyHz: number, rateHz: number, length: number, amplitude: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz));
}

/** Largest difference from the ideal sine over [from, to), away from the clip's edges. */
function maxSineError(samples: Float32Array, frequencyHz: number, rateHz: number, amplitude: number, from: number, to: number): number {
  let worst = 0;
  for (let i = from; i < to; i++) {
    worst = Math.max(worst, Math.abs(samples[i]! - amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz)));
  }
  return worst;
}

/** Least-squares amplitude of a sine at `frequencyHz` over [from, to). */
function sineAmplitude(samples: Float32Array, frequencyHz: number, rateHz: number, from: number, to: number): number {
  let s = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    const phase = (2 * Math.PI * frequencyHz * i) / rateHz;
    s += samples[i]! * Math.sin(phase);
    c += samples[i]! * Math.cos(phase);
  }
  return (2 * Math.hypot(s, c)) / (to - from);
}

test('a 1 kHz sine at 8 kHz stays a 1 kHz sine of the same amplitude and phase at 16 kHz', async () => {
  const out = await resample(sine(1000, 8000, 8000, 0.5), 8000, 16000);
  assert.equal(out.length, 16000);
  const interior: [number, number] = [800, 15200];
  assert.ok(Math.abs(sineAmplitude(out, 1000, 16000, ...interior) - 0.5) < 1e-4);
  const error = maxSineError(out, 1000, 16000, 0.5, ...interior);
  assert.ok(error < 1e-5, `max deviation from the ideal sine ${error}`);
});

test('downsampling 44.1 kHz keeps a 440 Hz tone and removes a 12 kHz one above the new Nyquist', async () => {
  const tone = sine(440, 44100, 44100, 0.4);
  const alias = sine(12000, 44100, 44100, 0.4);
  const mixed = tone.map((v, i) => v + alias[i]!);
  const out = await resample(mixed, 44100, 16000);
  assert.equal(out.length, 16000);
  assert.ok(Math.abs(sineAmplitude(out, 440, 16000, 800, 15200) - 0.4) < 1e-4);
  // 12 kHz would fold to 4 kHz at 16 kHz.
  assert.ok(sineAmplitude(out, 4000, 16000, 800, 15200) < 1e-4);
});

test('output length is exactly round(n * to / from)', async () => {
  const cases: Array<[number, number, number]> = [
    [8000, 16000, 1], [8000, 16000, 7], [8000, 16000, 8001],
    [44100, 16000, 3], [44100, 16000, 1000], [44100, 16000, 44101],
    [22050, 16000, 22051], [48000, 16000, 47999], [11025, 16000, 11025], [16000, 8000, 16001],
  ];
  for (const [from, to, n] of cases) {
    const out = await resample(sine(300, from, n, 0.3), from, to);
    assert.equal(out.length, Math.round((n * to) / from), `${n} samples ${from} -> ${to}`);
  }
  assert.equal((await resample(new Float32Array(0), 8000, 16000)).length, 0);
});

test('equal rates return an equal copy', async () => {
  const input = sine(100, 16000, 100, 0.5);
  const out = await resample(input, 16000, 16000);
  assert.notEqual(out, input);
  assert.deepEqual(out, input);
});

test('calls are independent: no state carries from one call to the next', async () => {
  const a = sine(700, 8000, 4000, 0.6);
  const b = sine(1900, 8000, 3000, 0.9);
  const first = await resample(a, 8000, 16000);
  await resample(b, 8000, 16000);
  const again = await resample(a, 8000, 16000);
  assert.deepEqual(again, first);
});

test('long inputs split into windows give exactly the samples of a single converter call', async () => {
  let seed = 7;
  const noise = Float32Array.from({ length: 30000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
  for (const [from, to] of [[44100, 16000], [8000, 16000]] as const) {
    const converter = await LibSampleRate.create(1, from, to, { converterType: LibSampleRate.ConverterType.SRC_SINC_MEDIUM_QUALITY });
    try {
      const convert = (input: Float32Array): Float32Array => converter.simple(input);
      const whole = resampleWith(convert, noise, from, to);
      const windowed = resampleWith(convert, noise, from, to, 4000);
      assert.equal(windowed.length, Math.round((noise.length * to) / from));
      assert.deepEqual(windowed, whole, `${from} -> ${to}`);
    } finally {
      converter.destroy();
    }
  }
});

test('an input longer than the converter buffer resamples cleanly across window boundaries', async () => {
  const n = 1_200_000; // 27 s at 44.1 kHz: several windows
  const out = await resample(sine(440, 44100, n, 0.5), 44100, 16000);
  assert.equal(out.length, Math.round((n * 16000) / 44100));
  const error = maxSineError(out, 440, 16000, 0.5, 1000, out.length - 1000);
  assert.ok(error < 1e-5, `max deviation from the ideal sine ${error}`);
});

test('impossible rates are RangeErrors that name the argument', async () => {
  await assert.rejects(resample(new Float32Array(4), 0, 16000), { name: 'RangeError', message: /fromHz must be an integer from 1 to 192000 Hz, got 0/ });
  await assert.rejects(resample(new Float32Array(4), 8000, 16000.5), { name: 'RangeError', message: /toHz .* got 16000.5/ });
  await assert.rejects(resample(new Float32Array(4), 8000, 384000), { name: 'RangeError', message: /toHz/ });
  await assert.rejects(resample(new Float32Array(4), 50, 16000), { name: 'RangeError', message: /ratio 16000\/50 is beyond/ });
});
