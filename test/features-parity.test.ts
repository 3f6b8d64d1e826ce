/**
 * FastMfcc must reproduce Meyda.extract('mfcc') frame by frame. "Relative" tolerance here means:
 * max |fast - meyda| over a clip's matrix <= 1e-4 * max(1, max |meyda| over that matrix).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import { extractFeatures } from '../features/extractor.js';
import { FastMfcc } from '../features/mfcc-fast.js';
import { mfccMeyda } from '../features/mfcc-meyda.js';
import { RealFft } from '../features/real-fft.js';
import type { FeatureConfig, FeatureMatrix } from '../features/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedData = path.resolve(repoRoot, '../shared/data');
const haveShared = existsSync(sharedData);
const RELATIVE_TOLERANCE = 1e-4;

function parityError(fast: FeatureMatrix, meyda: FeatureMatrix): { maxDiff: number; allowed: number } {
  assert.equal(fast.frames, meyda.frames);
  assert.equal(fast.dim, meyda.dim);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < meyda.data.length; i++) {
    assert.ok(Number.isFinite(meyda.data[i]), `meyda value ${i} is ${meyda.data[i]}`);
    assert.ok(Number.isFinite(fast.data[i]), `fast value ${i} is ${fast.data[i]}`);
    maxDiff = Math.max(maxDiff, Math.abs(fast.data[i] - meyda.data[i]));
    maxAbs = Math.max(maxAbs, Math.abs(meyda.data[i]));
  }
  return { maxDiff, allowed: RELATIVE_TOLERANCE * Math.max(1, maxAbs) };
}

function assertParity(samples: Float32Array, config: FeatureConfig, label: string): void {
  const meyda = mfccMeyda(samples, config);
  const fast = new FastMfcc(config).compute(samples);
  const { maxDiff, allowed } = parityError(fast, meyda);
  assert.ok(maxDiff <= allowed, `${label}: max |fast - meyda| = ${maxDiff} > ${allowed}`);
}

/** mulberry32: a tiny seeded generator so the generated signals are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

const N = DEFAULT_FEATURE_CONFIG.clipLengthSamples;
const SR = DEFAULT_FEATURE_CONFIG.sampleRateHz;
const noise = seeded(1);
const quietNoise = seeded(2);
const GENERATED: Record<string, Float32Array> = {
  silence: new Float32Array(N),
  'sine 440 Hz': generated(N, (i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / SR)),
  'sine 7.9 kHz': generated(N, (i) => 0.5 * Math.sin((2 * Math.PI * 7900 * i) / SR)),
  'white noise': generated(N, () => noise() * 2 - 1),
  'quiet noise 1e-4': generated(N, () => (quietNoise() * 2 - 1) * 1e-4),
  chirp: generated(N, (i) => 0.8 * Math.sin(2 * Math.PI * (100 + 3000 * (i / N)) * (i / SR))),
  'full-scale square': generated(N, (i) => (Math.floor(i / 20) % 2 === 0 ? 1 : -1)),
  'dc offset': generated(N, () => 0.25),
  impulse: generated(N, (i) => (i === 8000 ? 1 : 0)),
};

test('silence gives all-zero MFCCs in both implementations (log(power + 1), no -Inf)', () => {
  const silence = GENERATED.silence;
  const meyda = mfccMeyda(silence, DEFAULT_FEATURE_CONFIG);
  const fast = new FastMfcc(DEFAULT_FEATURE_CONFIG).compute(silence);
  assert.equal(meyda.frames, 49);
  assert.deepEqual(Array.from(new Set(meyda.data)), [0]);
  assert.deepEqual(Array.from(new Set(fast.data)), [0]);
});

test('fast MFCC matches Meyda on generated signals (default config)', () => {
  for (const [label, samples] of Object.entries(GENERATED)) assertParity(samples, DEFAULT_FEATURE_CONFIG, label);
});

test('fast MFCC matches Meyda for other windows, frame sizes and band counts', () => {
  const speechLike = generated(12000, (i) => 0.4 * Math.sin(i * 0.07) * Math.sin(i * 0.0011) + 0.05 * (noise() - 0.5));
  const variants: Partial<FeatureConfig>[] = [
    { windowingFunction: 'hamming' },
    { windowingFunction: 'blackman' },
    { windowingFunction: 'sine' },
    { windowingFunction: 'rect' },
    { frameLengthSamples: 1024, hopLengthSamples: 160 },
    { frameLengthSamples: 256, hopLengthSamples: 128, melBands: 26, mfccCoefficients: 13 },
    { melBands: 40, mfccCoefficients: 40 },
    // Back to the default after other sizes: Meyda's cached filter bank must have been rebuilt.
    {},
  ];
  for (const variant of variants) {
    const config = { ...DEFAULT_FEATURE_CONFIG, ...variant };
    assertParity(speechLike, config, JSON.stringify(variant));
  }
});

test('computeFrame writes the same values as the matching row of compute', () => {
  const config = DEFAULT_FEATURE_CONFIG;
  const mfcc = new FastMfcc(config);
  const samples = GENERATED.chirp;
  const all = mfcc.compute(samples);
  const out = new Float32Array(3 + mfcc.dim);
  for (const t of [0, 17, all.frames - 1]) {
    const start = t * config.hopLengthSamples;
    mfcc.computeFrame(samples.slice(start, start + config.frameLengthSamples), out, 3);
    assert.deepEqual(out.subarray(3), all.data.subarray(t * mfcc.dim, (t + 1) * mfcc.dim));
  }
  assert.throws(() => mfcc.computeFrame(new Float32Array(100), out, 0), RangeError);
  assert.throws(() => mfcc.computeFrame(new Float32Array(512), out, 10), RangeError);
});

test('RealFft equals a direct DFT', () => {
  const rand = seeded(3);
  for (const size of [2, 4, 8, 64, 512]) {
    const x = Float64Array.from({ length: size }, () => rand() * 2 - 1);
    const re = new Float64Array(size / 2 + 1);
    const im = new Float64Array(size / 2 + 1);
    new RealFft(size).transform(x, re, im);
    for (let k = 0; k <= size / 2; k++) {
      let dr = 0;
      let di = 0;
      for (let n = 0; n < size; n++) {
        dr += x[n] * Math.cos((2 * Math.PI * k * n) / size);
        di -= x[n] * Math.sin((2 * Math.PI * k * n) / size);
      }
      assert.ok(Math.abs(re[k] - dr) < 1e-9 && Math.abs(im[k] - di) < 1e-9, `size ${size} bin ${k}: (${re[k]}, ${im[k]}) vs (${dr}, ${di})`);
    }
  }
  assert.throws(() => new RealFft(12), /RealFft: size must be a power of two/);
});

test('extractFeatures gives the same front-end output with either implementation', () => {
  const samples = GENERATED['white noise'];
  const fast = extractFeatures(samples, DEFAULT_FEATURE_CONFIG);
  const meyda = extractFeatures(samples, DEFAULT_FEATURE_CONFIG, { implementation: 'meyda' });
  assert.equal(fast.frames, 49);
  assert.equal(fast.dim, 40);
  const { maxDiff, allowed } = parityError(fast, meyda);
  assert.ok(maxDiff <= allowed, `max |fast - meyda| = ${maxDiff} > ${allowed}`);
});

// ---- Real speech from ../shared/data ----

const require = createRequire(import.meta.url);
const wavDecoder = require('wav-decoder') as {
  decode: { sync(buffer: ArrayBuffer): { sampleRate: number; channelData: Float32Array[] } };
};

/** Mono 16 kHz clip of exactly 1 s; 8 kHz files are upsampled by linear interpolation (fine for parity). */
function readClip(file: string): Float32Array {
  const bytes = readFileSync(file);
  const decoded = wavDecoder.decode.sync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let samples = decoded.channelData[0];
  if (decoded.sampleRate === 8000) {
    const up = new Float32Array(samples.length * 2);
    for (let i = 0; i < samples.length; i++) {
      up[2 * i] = samples[i];
      up[2 * i + 1] = i + 1 < samples.length ? 0.5 * (samples[i] + samples[i + 1]) : samples[i];
    }
    samples = up;
  } else {
    assert.equal(decoded.sampleRate, 16000, `${file}: unexpected sample rate`);
  }
  const clip = new Float32Array(N);
  clip.set(samples.subarray(0, N));
  return clip;
}

/** The first `perFolder` wav files (sorted) of each listed sub-folder. */
function pickClips(root: string, folders: string[], perFolder: number): string[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(root, folder))
      .filter((name) => name.endsWith('.wav'))
      .sort()
      .slice(0, perFolder)
      .map((name) => path.join(root, folder, name)),
  );
}

test('fast MFCC matches Meyda on real speech clips', { skip: haveShared ? false : 'needs ../shared/data (absent)' }, () => {
  const files = [
    ...pickClips(path.join(sharedData, 'speech_commands_v0.02_test_half'), ['yes', 'no', 'stop', 'go', '_silence_', '_unknown_'], 3),
    ...pickClips(path.join(sharedData, 'speech_commands_v0.01_mini'), ['bed', 'cat', 'house', 'seven', 'wow'], 2),
    ...pickClips(path.join(sharedData, 'free_spoken_digits'), ['zero', 'three', 'nine'], 2),
  ];
  assert.ok(files.length >= 30, `found only ${files.length} clips`);
  for (const file of files) assertParity(readClip(file), DEFAULT_FEATURE_CONFIG, path.relative(sharedData, file));
});
