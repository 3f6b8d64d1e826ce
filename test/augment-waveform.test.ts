import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_AUGMENT_CONFIG,
  applyFeatureMasks,
  applyGain,
  applyWaveAugmentation,
  augmentSeed,
  changeSpeed,
  drawAugmentation,
  mixNoise,
  reverberate,
  timeShift,
  validateAugmentConfig,
  windowShift,
  type AugmentConfig,
} from '../datasets/augment.js';
import { voicedSpan } from '../features/audio/index.js';
import { SeededRandom } from '../util/random.js';

const RATE = 16000;

function tone(hz: number, length = RATE, amplitude = 0.3): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));
}

function whiteNoise(length: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length }, () => rng.next() - 0.5);
}

function power(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s / x.length;
}

/** Every augmentation off except the named ones (with probability 1). */
function only(...names: (keyof AugmentConfig)[]): AugmentConfig {
  const config = structuredClone(DEFAULT_AUGMENT_CONFIG);
  for (const key of Object.keys(config) as (keyof AugmentConfig)[]) config[key].probability = names.includes(key) ? 1 : 0;
  return config;
}

const context = { noiseLengths: [RATE * 5], frames: 49, coefficients: 20 };

test('augmentSeed depends on seed, epoch and index, and nothing else', () => {
  assert.equal(augmentSeed(1, 3, 7), augmentSeed(1, 3, 7));
  const seeds = new Set([augmentSeed(1, 3, 7), augmentSeed(2, 3, 7), augmentSeed(1, 4, 7), augmentSeed(1, 3, 8), augmentSeed(1, 7, 3)]);
  assert.equal(seeds.size, 5);
});

test('drawAugmentation is deterministic for a seed and stays inside the configured ranges', () => {
  const a = drawAugmentation(new SeededRandom(42), DEFAULT_AUGMENT_CONFIG, context);
  const b = drawAugmentation(new SeededRandom(42), DEFAULT_AUGMENT_CONFIG, context);
  assert.deepEqual(a, b);
  assert.notDeepEqual(drawAugmentation(new SeededRandom(43), DEFAULT_AUGMENT_CONFIG, context), a);
  for (let s = 0; s < 300; s++) {
    const p = drawAugmentation(new SeededRandom(s), DEFAULT_AUGMENT_CONFIG, context);
    assert.ok(Math.abs(p.shiftSamples) <= 1600);
    assert.ok(Math.abs(p.gainDb) <= 6);
    if (p.speed !== null) assert.ok(p.speed >= 0.9 && p.speed <= 1.1);
    if (p.noise) assert.ok(p.noise.snrDb >= 3 && p.noise.snrDb <= 20 && p.noise.offset < RATE * 5);
    for (const [start, width] of p.timeMasks) assert.ok(start >= 0 && width <= 5 && start + width <= 49);
    for (const [start, width] of p.frequencyMasks) assert.ok(start >= 0 && width <= 3 && start + width <= 20);
  }
});

test('mixNoise adds the noise segment from the offset at the requested SNR', () => {
  const speech = tone(440);
  const noise = whiteNoise(RATE * 3, 9);
  for (const snrDb of [0, 7.5, 20]) {
    const offset = RATE * 2 + 123; // wraps around the end of the recording
    const mixed = mixNoise(speech, noise, offset, snrDb);
    const added = mixed.map((v, i) => v - speech[i]!);
    const measured = 10 * Math.log10(power(speech) / power(added));
    assert.ok(Math.abs(measured - snrDb) < 0.5, `SNR ${measured} dB for requested ${snrDb} dB`);
    const scale = added[0]! / noise[offset]!;
    assert.ok(Math.abs(added[RATE - 1]! - scale * noise[(offset + RATE - 1) % noise.length]!) < 1e-5);
  }
  // The same through drawn parameters.
  const config = only('noise');
  const params = drawAugmentation(new SeededRandom(5), config, { ...context, noiseLengths: [noise.length] });
  assert.ok(params.noise);
  const out = applyWaveAugmentation(speech, params, [{ samples: noise, usable: noise.length }]);
  const measured = 10 * Math.log10(power(speech) / power(out.map((v, i) => v - speech[i]!)));
  assert.ok(Math.abs(measured - params.noise.snrDb) < 0.5);
});

test('timeShift moves the signal by the drawn amount and fills with zeros', () => {
  const impulse = new Float32Array(RATE);
  impulse[5000] = 0.9;
  const peak = (x: Float32Array): number => x.reduce((best, v, i, arr) => (Math.abs(v) > Math.abs(arr[best]!) ? i : best), 0);
  assert.equal(peak(timeShift(impulse, 800)), 5800);
  assert.equal(peak(timeShift(impulse, -800)), 4200);
  const ramp = Float32Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual([...timeShift(ramp, 3).subarray(0, 4)], [0, 0, 0, 1]);
  assert.deepEqual([...timeShift(ramp, -3).subarray(96)], [100, 0, 0, 0]);
  for (let seed = 0; seed < 5; seed++) {
    const params = drawAugmentation(new SeededRandom(seed), only('shift'), context);
    assert.equal(peak(applyWaveAugmentation(impulse, params, [])), 5000 + params.shiftSamples);
  }
});

test('gain scales the amplitude by 10^(dB/20)', () => {
  const x = tone(300);
  const y = applyGain(x.slice(), 6);
  assert.ok(Math.abs(Math.sqrt(power(y) / power(x)) - 10 ** (6 / 20)) < 1e-5);
  const params = drawAugmentation(new SeededRandom(3), only('gain'), context);
  const out = applyWaveAugmentation(x, params, []);
  assert.ok(Math.abs(10 * Math.log10(power(out) / power(x)) - params.gainDb) < 0.01);
});

test('speed perturbation changes duration and pitch by the factor', () => {
  const x = tone(500);
  const zeroCrossings = (s: Float32Array): number => s.reduce((n, v, i) => (i > 0 && Math.sign(v) !== Math.sign(s[i - 1]!) ? n + 1 : n), 0);
  for (const factor of [0.9, 1.1]) {
    const y = changeSpeed(x, factor);
    assert.equal(y.length, Math.round(RATE / factor));
    // Same number of cycles in a different duration: frequency times factor.
    assert.ok(Math.abs(zeroCrossings(y) - zeroCrossings(x)) <= 2);
  }
  const params = drawAugmentation(new SeededRandom(11), only('speed'), context);
  assert.ok(params.speed !== null);
  assert.equal(applyWaveAugmentation(x, params, []).length, RATE); // fitted back to the clip length
});

test('pitch shift moves a tone by the semitones asked and keeps the duration', async () => {
  const { pitchShift } = await import('../datasets/augment-pitch.js');
  const tone = Float32Array.from({ length: RATE }, (_, i) => (i >= 4000 && i < 12000 ? 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE) : 0));
  const zeroCrossingHz = (x: Float32Array): number => {
    let crossings = 0;
    for (let i = 6001; i < 10000; i++) if (x[i - 1]! < 0 && x[i]! >= 0) crossings++;
    return (crossings * RATE) / 4000;
  };
  for (const semitones of [-3, 2]) {
    const shifted = pitchShift(tone, semitones);
    assert.equal(shifted.length, tone.length);
    const expected = 440 * 2 ** (semitones / 12);
    assert.ok(Math.abs(zeroCrossingHz(shifted) - expected) / expected < 0.02, `${semitones}: ${zeroCrossingHz(shifted)} Hz, expected ${expected.toFixed(1)}`);
    // The tone stays where it was (within a few ms) and keeps its power.
    const onset = shifted.findIndex((v) => Math.abs(v) > 0.25);
    assert.ok(Math.abs(onset - 4000) < 800, `onset at ${onset}`);
    const ratio = power(shifted.subarray(5000, 11000)) / power(tone.subarray(5000, 11000));
    assert.ok(ratio > 0.7 && ratio < 1.3, `power ratio ${ratio}`);
    assert.deepEqual(pitchShift(tone, semitones), shifted, 'deterministic');
  }
  assert.throws(() => pitchShift(tone, 30), /±24 semitones/);
  const drawn = drawAugmentation(new SeededRandom(3), only('pitch'), context);
  assert.ok(drawn.pitch !== null && Math.abs(drawn.pitch) <= 3);
  assert.equal(drawAugmentation(new SeededRandom(3), only('speed'), context).pitch, null);
});

test('reverberation keeps length and power and adds delayed reflections', () => {
  const impulse = new Float32Array(RATE);
  impulse[0] = 0.5;
  const params = drawAugmentation(new SeededRandom(2), only('reverb'), context);
  assert.ok(params.reverb);
  const y = reverberate(impulse, params.reverb.delays, params.reverb.gains);
  assert.equal(y.length, RATE);
  assert.ok(Math.abs(power(y) / power(impulse) - 1) < 1e-4);
  const longest = Math.max(...params.reverb.delays);
  assert.notEqual(y[longest], 0);
  assert.equal(y[longest + 1], 0);
});

test('applyFeatureMasks zeroes exactly the masked frames and coefficient bands (statics and deltas)', () => {
  const frames = 10;
  const dim = 8; // 4 coefficients + 4 deltas
  const data = Float32Array.from({ length: frames * dim }, (_, i) => i + 1);
  applyFeatureMasks(data, frames, dim, 4, [[2, 3]], [[1, 2]]);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      const masked = (t >= 2 && t < 5) || d % 4 === 1 || d % 4 === 2;
      assert.equal(data[t * dim + d] === 0, masked, `frame ${t} dim ${d}`);
    }
  }
});

test('all probabilities zero leaves the clip unchanged', () => {
  const x = tone(700);
  const params = drawAugmentation(new SeededRandom(1), only(), context);
  assert.deepEqual(applyWaveAugmentation(x, params, [{ samples: whiteNoise(RATE, 1), usable: RATE }]), x);
});

test('validateAugmentConfig names the bad field', () => {
  assert.equal(validateAugmentConfig(DEFAULT_AUGMENT_CONFIG), DEFAULT_AUGMENT_CONFIG);
  const bad = structuredClone(DEFAULT_AUGMENT_CONFIG);
  bad.noise.snrDbMin = 30;
  assert.throws(() => validateAugmentConfig(bad), /augment\.noise\.snrDb: minimum 30 is above maximum 20/);
  const badP = structuredClone(DEFAULT_AUGMENT_CONFIG);
  badP.speed.probability = 1.5;
  assert.throws(() => validateAugmentConfig(badP), /augment\.speed\.probability must be in \[0, 1\]/);
  const badMasks = structuredClone(DEFAULT_AUGMENT_CONFIG);
  badMasks.specAugment.timeMasks = 1.5;
  assert.throws(() => validateAugmentConfig(badMasks), /augment\.specAugment\.timeMasks must be an integer/);
  const badCut = structuredClone(DEFAULT_AUGMENT_CONFIG);
  badCut.window.minCut = 0.9;
  assert.throws(() => validateAugmentConfig(badCut), /augment\.window\.cut: minimum 0\.9 is above maximum 0\.8/);
});

/** A 0.3 s tone burst (the "word") from `start` in a 1 s clip of silence. */
function burst(start: number, length = 4800): Float32Array {
  const clip = new Float32Array(RATE);
  clip.set(tone(300, length), start);
  return clip;
}

test('placing the word anywhere keeps all of it in the window, from the window start to its end', () => {
  const clip = burst(5600);
  const config = only('window');
  const spans: [number, number][] = [];
  for (let s = 0; s < 200; s++) {
    const params = drawAugmentation(new SeededRandom(s), config, context);
    assert.equal(params.window?.kind, 'offset');
    spans.push(voicedSpan(applyWaveAugmentation(clip, params, [])));
  }
  for (const [a, b] of spans) {
    assert.ok(a >= 0 && b <= RATE, `span ${a}..${b} leaves the window`);
    assert.ok(Math.abs(b - a - 4800) <= 160, `the word is ${b - a} samples long (4800, to a 10 ms frame)`);
  }
  // Spread over the whole window, not only near the recorded place (5600).
  assert.ok(Math.min(...spans.map(([a]) => a)) < 800 && Math.max(...spans.map(([, b]) => b)) > RATE - 800);
  assert.equal(windowShift({ kind: 'offset', position: 0 }, [5600, 10400], RATE), -5600);
  assert.equal(windowShift({ kind: 'offset', position: 1 }, [5600, 10400], RATE), RATE - 10400);
  assert.equal(windowShift({ kind: 'offset', position: 0.3 }, [0, RATE], RATE), 0, 'a word filling the window stays put');
});

test('a partial word has the drawn share of its voiced span cut off at its start or its end', () => {
  const clip = burst(5600);
  const config = { ...DEFAULT_AUGMENT_CONFIG, noise: { ...DEFAULT_AUGMENT_CONFIG.noise, probability: 0 }, reverb: { ...DEFAULT_AUGMENT_CONFIG.reverb, probability: 0 }, speed: { ...DEFAULT_AUGMENT_CONFIG.speed, probability: 0 }, gain: { ...DEFAULT_AUGMENT_CONFIG.gain, probability: 0 } };
  const sides = new Set<boolean>();
  for (let s = 0; s < 100; s++) {
    const params = drawAugmentation(new SeededRandom(s), config, context, true);
    const window = params.window;
    assert.ok(window?.kind === 'partial');
    assert.ok(window.cut >= 0.4 && window.cut <= 0.8);
    sides.add(window.fromStart);
    const [a, b] = voicedSpan(applyWaveAugmentation(clip, params, []));
    const kept = b - a;
    // What is left of the word (to 10 ms frames) is 1 - cut of it, at the window edge it was cut at.
    assert.ok(Math.abs(kept - (1 - window.cut) * 4800) <= 160, `kept ${kept} of 4800 for cut ${window.cut}`);
    if (window.fromStart) assert.equal(a, 0);
    else assert.equal(b, RATE);
  }
  assert.equal(sides.size, 2, 'both sides are cut');
  // Partial words are only drawn for entries flagged as such; the default config never moves words.
  for (let s = 0; s < 50; s++) assert.equal(drawAugmentation(new SeededRandom(s), DEFAULT_AUGMENT_CONFIG, context).window, null);
});
