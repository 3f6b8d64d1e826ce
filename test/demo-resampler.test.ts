/** The worklet's 16 kHz resampler (web/resampler.ts, browser code bundled by esbuild, loaded here). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { build } from 'esbuild';
import { repoRoot } from './fixtures/demo-commands.js';

interface Resampler {
  ratio: number;
  process(input: Float32Array): Float32Array;
}
let StreamResampler: new (inputRateHz: number, outputRateHz: number) => Resampler;

before(async () => {
  const result = await build({ entryPoints: [join(repoRoot(), 'web', 'resampler.ts')], bundle: true, format: 'esm', write: false, platform: 'neutral' });
  const code = result.outputFiles[0]!.text;
  ({ StreamResampler } = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { StreamResampler: typeof StreamResampler });
});

function sine(hz: number, rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** Amplitude of the `hz` component (single-bin DFT) over the steady middle of `x`. */
function amplitudeAt(x: Float32Array, hz: number, rate: number): number {
  const from = Math.floor(x.length / 4);
  const to = Math.floor((3 * x.length) / 4);
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

test('48 kHz -> 16 kHz in 128-sample blocks keeps speech-band tones and removes what would alias', () => {
  for (const [hz, expected] of [[1000, 0.5], [4000, 0.5], [12_000, 0]] as const) {
    const input = sine(hz, 48_000, 1);
    const resampler = new StreamResampler(48_000, 16_000);
    const parts: Float32Array[] = [];
    for (let at = 0; at < input.length; at += 128) parts.push(resampler.process(input.subarray(at, at + 128)));
    const out = Float32Array.from(parts.flatMap((p) => Array.from(p)));
    assert.ok(Math.abs(out.length - 16_000) <= 40, `got ${out.length} samples for 1 s (the filter holds back at most 2 half-widths)`);
    // 12 kHz folds onto 4 kHz at 16 kHz: it must be gone, not aliased.
    const measuredHz = hz === 12_000 ? 4000 : hz;
    const amplitude = amplitudeAt(out, measuredHz, 16_000);
    assert.ok(Math.abs(amplitude - expected) < 0.02, `${hz} Hz: amplitude ${amplitude.toFixed(4)} at ${measuredHz} Hz, expected ${expected}`);
  }
});

test('44.1 kHz input and 16 kHz pass-through', () => {
  const resampler = new StreamResampler(44_100, 16_000);
  const out = resampler.process(sine(440, 44_100, 1));
  assert.ok(Math.abs(out.length - 16_000) <= 40);
  assert.ok(Math.abs(amplitudeAt(out, 440, 16_000) - 0.5) < 0.02);
  const same = new StreamResampler(16_000, 16_000);
  const input = sine(440, 16_000, 0.1);
  assert.deepEqual(same.process(input), input);
  assert.throws(() => new StreamResampler(0, 16_000), /resampler rates must be > 0/);
});
