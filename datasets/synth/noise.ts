/**
 * Background recordings for `_background_noise_/`, generated from a seed: white, pink and brown
 * noise, mains hum with harmonics, and babble (many synthetic voices mixed at low level).
 */
import { SeededRandom } from '../../util/random.js';

export const NOISE_KINDS = ['white_noise', 'pink_noise', 'brown_noise', 'hum', 'babble'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** Standard normal sample (Box-Muller). */
function gaussian(random: SeededRandom): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

function normalizeRms(samples: Float32Array, rms: number): Float32Array {
  let sum = 0;
  for (const s of samples) sum += s * s;
  const current = Math.sqrt(sum / Math.max(1, samples.length));
  if (current === 0) return samples;
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  const gain = Math.min(rms / current, 0.95 / peak);
  for (let i = 0; i < samples.length; i++) samples[i] = samples[i]! * gain;
  return samples;
}

export function whiteNoise(length: number, random: SeededRandom): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = gaussian(random);
  return out;
}

/** Paul Kellet's refined pink filter (-3 dB/octave within 0.05 dB above 9 Hz at 44.1 kHz). */
export function pinkNoise(length: number, random: SeededRandom): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < length; i++) {
    const w = gaussian(random);
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return out;
}

/** Leaky integration of white noise (-6 dB/octave above ~10 Hz). */
export function brownNoise(length: number, random: SeededRandom): Float32Array {
  const out = new Float32Array(length);
  let y = 0;
  for (let i = 0; i < length; i++) {
    y = 0.996 * y + 0.06 * gaussian(random);
    out[i] = y;
  }
  return out;
}

/** 50 or 60 Hz mains hum with decaying harmonics, a slow level wobble and a little hiss. */
export function hum(length: number, sampleRateHz: number, random: SeededRandom): Float32Array {
  const f0 = random.next() < 0.5 ? 50 : 60;
  const harmonics = Array.from({ length: 10 }, (_, h) => ({ amp: (0.6 + 0.4 * random.next()) / (h + 1) ** 1.2, phase: 2 * Math.PI * random.next() }));
  const wobbleHz = 0.1 + 0.3 * random.next();
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const t = i / sampleRateHz;
    let s = 0;
    for (let h = 0; h < harmonics.length; h++) s += harmonics[h]!.amp * Math.sin(2 * Math.PI * f0 * (h + 1) * t + harmonics[h]!.phase);
    out[i] = s * (1 + 0.15 * Math.sin(2 * Math.PI * wobbleHz * t)) + 0.02 * gaussian(random);
  }
  return out;
}

/** Words (16 kHz clips) from `bank` dropped at random times and levels, about `voices` of them at once. */
export function babble(length: number, bank: readonly Float32Array[], random: SeededRandom, voices = 6): Float32Array {
  const out = new Float32Array(length);
  if (bank.length === 0) throw new RangeError('babble needs at least one word clip');
  const meanWord = bank.reduce((n, w) => n + w.length, 0) / bank.length;
  const count = Math.ceil((length / meanWord) * voices);
  for (let k = 0; k < count; k++) {
    const word = bank[random.int(bank.length)]!;
    const start = random.int(length) - Math.floor(word.length / 2);
    const gain = 0.3 + 0.7 * random.next();
    for (let i = Math.max(0, -start); i < word.length && start + i < length; i++) out[start + i]! += gain * word[i]!;
  }
  return out;
}

/** Levels (RMS) roughly those of the Speech Commands background recordings. */
const NOISE_RMS: Record<NoiseKind, number> = { white_noise: 0.05, pink_noise: 0.06, brown_noise: 0.08, hum: 0.04, babble: 0.05 };

export function generateNoise(kind: NoiseKind, lengthSamples: number, sampleRateHz: number, seed: number, babbleBank: readonly Float32Array[] = []): Float32Array {
  const random = new SeededRandom(seed);
  const raw =
    kind === 'white_noise' ? whiteNoise(lengthSamples, random)
    : kind === 'pink_noise' ? pinkNoise(lengthSamples, random)
    : kind === 'brown_noise' ? brownNoise(lengthSamples, random)
    : kind === 'hum' ? hum(lengthSamples, sampleRateHz, random)
    : babble(lengthSamples, babbleBank, random);
  return normalizeRms(raw, NOISE_RMS[kind]);
}
