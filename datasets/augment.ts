/**
 * Seeded data augmentation for training clips (16 kHz, already fitted to the clip length):
 * pitch shift, speed perturbation, time shift (or the word placed anywhere in the window, or only
 * part of it), room-like reverberation, background noise at a drawn SNR and gain
 * on the waveform, then SpecAugment-style time and coefficient masks on the feature matrix.
 *
 * Every random choice of one clip comes from `augmentSeed(seed, epoch, index)`, so an epoch's
 * augmented data depends on nothing but those three numbers (a resumed run sees the same data).
 * Parameters are drawn first (`drawAugmentation`) and applied after (`applyWaveAugmentation`,
 * `applyFeatureMasks`), so tests can check each augmentation against what was drawn.
 */
import { fitToLength, voicedSpan } from '../features/audio/index.js';
import { SeededRandom } from '../util/random.js';
import { pitchShift } from './augment-pitch.js';

export interface NoiseAugment {
  probability: number;
  /** Signal-to-noise ratio range in dB, drawn uniformly. */
  snrDbMin: number;
  snrDbMax: number;
}

export interface ShiftAugment {
  probability: number;
  /** The shift is uniform in [-maxMs, maxMs]; vacated samples are zero. */
  maxMs: number;
}

export interface GainAugment {
  probability: number;
  /** Gain uniform in [-maxDb, maxDb]. */
  maxDb: number;
}

export interface SpeedAugment {
  probability: number;
  /** Playback-rate factor range: 1.1 is 10% faster (shorter, higher pitched). */
  min: number;
  max: number;
}

export interface PitchAugment {
  probability: number;
  /** Shift uniform in [-maxSemitones, maxSemitones], duration kept. */
  maxSemitones: number;
}

export interface ReverbAugment {
  probability: number;
  /** Reverberation time (60 dB decay) range of the synthetic impulse response, in ms. */
  rt60MsMin: number;
  rt60MsMax: number;
}

export interface SpecAugment {
  probability: number;
  /** Number of time masks and the most frames one may cover. */
  timeMasks: number;
  maxTimeFrames: number;
  /** Number of coefficient masks and the most coefficients one may cover (statics and their deltas). */
  frequencyMasks: number;
  maxFrequencyBands: number;
}

/**
 * Training for streams, where a window meets a word anywhere in it, or only part of a word.
 * `probability`: that the clip's voiced span (features/audio/voiced.ts) is placed uniformly at
 * random inside the window instead of the ±shift around where it was recorded. Partial words are
 * separate epoch entries (`AugmentInputs.partialEntries`, labelled `_unknown_` by the caller): a
 * share in [minCut, maxCut] of the voiced span, from its start or its end, is pushed out of the window.
 */
export interface WindowAugment {
  probability: number;
  minCut: number;
  maxCut: number;
}

export interface AugmentConfig {
  noise: NoiseAugment;
  shift: ShiftAugment;
  gain: GainAugment;
  speed: SpeedAugment;
  reverb: ReverbAugment;
  specAugment: SpecAugment;
  pitch: PitchAugment;
  window: WindowAugment;
}

export const DEFAULT_NOISE_AUGMENT: NoiseAugment = { probability: 0.8, snrDbMin: 3, snrDbMax: 20 };
export const DEFAULT_SHIFT_AUGMENT: ShiftAugment = { probability: 1, maxMs: 100 };
export const DEFAULT_GAIN_AUGMENT: GainAugment = { probability: 1, maxDb: 6 };
export const DEFAULT_SPEED_AUGMENT: SpeedAugment = { probability: 0.6, min: 0.9, max: 1.1 };
export const DEFAULT_REVERB_AUGMENT: ReverbAugment = { probability: 0.2, rt60MsMin: 100, rt60MsMax: 400 };
export const DEFAULT_PITCH_AUGMENT: PitchAugment = { probability: 0, maxSemitones: 3 };
export const DEFAULT_WINDOW_AUGMENT: WindowAugment = { probability: 0, minCut: 0.4, maxCut: 0.8 };
export const DEFAULT_SPEC_AUGMENT: SpecAugment = { probability: 1, timeMasks: 2, maxTimeFrames: 5, frequencyMasks: 2, maxFrequencyBands: 3 };
export const DEFAULT_AUGMENT_CONFIG: AugmentConfig = {
  noise: DEFAULT_NOISE_AUGMENT,
  shift: DEFAULT_SHIFT_AUGMENT,
  gain: DEFAULT_GAIN_AUGMENT,
  speed: DEFAULT_SPEED_AUGMENT,
  reverb: DEFAULT_REVERB_AUGMENT,
  specAugment: DEFAULT_SPEC_AUGMENT,
  pitch: DEFAULT_PITCH_AUGMENT,
  window: DEFAULT_WINDOW_AUGMENT,
};

/** Sample rate every augmentation assumes. */
export const AUGMENT_SAMPLE_RATE_HZ = 16000;
/** Reflections in the sparse synthetic impulse response (cost is linear in this). */
export const REVERB_TAPS = 24;
/** Signal power below which a clip counts as silent; noise is then scaled against this power instead. */
export const SILENT_REFERENCE_POWER = 1e-4;

function requireNumber(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${where} must be a finite number, got ${JSON.stringify(value)}`);
  if (value < min || value > max) throw new RangeError(`${where} must be in [${min}, ${max}], got ${value}`);
  return value;
}

function requireInteger(value: unknown, where: string, min: number, max: number): number {
  const n = requireNumber(value, where, min, max);
  if (!Number.isInteger(n)) throw new RangeError(`${where} must be an integer, got ${n}`);
  return n;
}

function requireRange(min: number, max: number, where: string): void {
  if (min > max) throw new RangeError(`${where}: minimum ${min} is above maximum ${max}`);
}

/** Checks every field; returns the config itself. Messages name the field (`augment.noise.snrDbMin`). */
export function validateAugmentConfig(config: AugmentConfig): AugmentConfig {
  const c = config as unknown as Record<string, Record<string, unknown> | undefined>;
  const section = (name: keyof AugmentConfig): Record<string, unknown> => {
    const s = c[name];
    if (typeof s !== 'object' || s === null) throw new TypeError(`augment.${name} must be an object`);
    requireNumber(s.probability, `augment.${name}.probability`, 0, 1);
    return s;
  };
  const noise = section('noise');
  requireRange(requireNumber(noise.snrDbMin, 'augment.noise.snrDbMin', -30, 100), requireNumber(noise.snrDbMax, 'augment.noise.snrDbMax', -30, 100), 'augment.noise.snrDb');
  requireNumber(section('shift').maxMs, 'augment.shift.maxMs', 0, 1000);
  requireNumber(section('gain').maxDb, 'augment.gain.maxDb', 0, 40);
  const speed = section('speed');
  requireRange(requireNumber(speed.min, 'augment.speed.min', 0.5, 2), requireNumber(speed.max, 'augment.speed.max', 0.5, 2), 'augment.speed');
  const reverb = section('reverb');
  requireRange(requireNumber(reverb.rt60MsMin, 'augment.reverb.rt60MsMin', 1, 2000), requireNumber(reverb.rt60MsMax, 'augment.reverb.rt60MsMax', 1, 2000), 'augment.reverb.rt60Ms');
  requireNumber(section('pitch').maxSemitones, 'augment.pitch.maxSemitones', 0, 12);
  const window = section('window');
  requireRange(requireNumber(window.minCut, 'augment.window.minCut', 0, 1), requireNumber(window.maxCut, 'augment.window.maxCut', 0, 1), 'augment.window.cut');
  const spec = section('specAugment');
  requireInteger(spec.timeMasks, 'augment.specAugment.timeMasks', 0, 20);
  requireInteger(spec.maxTimeFrames, 'augment.specAugment.maxTimeFrames', 0, 1000);
  requireInteger(spec.frequencyMasks, 'augment.specAugment.frequencyMasks', 0, 20);
  requireInteger(spec.maxFrequencyBands, 'augment.specAugment.maxFrequencyBands', 0, 100);
  return config;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed of one clip's augmentation in one epoch: a hash of (seed, epoch, index) only. */
export function augmentSeed(seed: number, epoch: number, index: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(epoch + 1, 0x27d4eb2f));
  return fmix32(h ^ Math.imul(index + 1, 0x165667b1));
}

/** A background noise recording at 16 kHz; `usable` samples from the start may be drawn from. */
export interface NoiseRecording {
  samples: Float32Array;
  usable: number;
}

/** Everything drawn for one clip; null where that augmentation is not applied. */
export interface AugmentParams {
  /** Semitones, or null. */
  pitch: number | null;
  speed: number | null;
  shiftSamples: number;
  reverb: { delays: number[]; gains: number[] } | null;
  noise: { recording: number; offset: number; snrDb: number } | null;
  gainDb: number;
  /**
   * Where the voiced span goes in the window, replacing `shiftSamples`: `offset` at `position`
   * (0 = window start, 1 = its end), or `partial` with `cut` of it pushed out before or after.
   */
  window: { kind: 'offset'; position: number } | { kind: 'partial'; fromStart: boolean; cut: number } | null;
  /** [first frame, frames] of each time mask. */
  timeMasks: [number, number][];
  /** [first coefficient, coefficients] of each coefficient mask. */
  frequencyMasks: [number, number][];
}

export interface DrawContext {
  /** Usable length of each noise recording (empty: no noise). */
  noiseLengths: readonly number[];
  frames: number;
  /** Coefficients per group of the feature row (the MFCC count; deltas repeat the group). */
  coefficients: number;
}

const uniform = (rng: SeededRandom, min: number, max: number): number => min + (max - min) * rng.next();

/** `partial`: this entry is a partial word (see WindowAugment). */
export function drawAugmentation(rng: SeededRandom, config: AugmentConfig, context: DrawContext, partial = false): AugmentParams {
  const hit = (p: number): boolean => p > 0 && rng.next() < p;
  const speed = hit(config.speed.probability) ? uniform(rng, config.speed.min, config.speed.max) : null;
  const maxShift = Math.round((config.shift.maxMs * AUGMENT_SAMPLE_RATE_HZ) / 1000);
  const shiftSamples = hit(config.shift.probability) ? rng.int(2 * maxShift + 1) - maxShift : 0;
  let reverb: AugmentParams['reverb'] = null;
  if (hit(config.reverb.probability)) {
    const rt60 = uniform(rng, config.reverb.rt60MsMin, config.reverb.rt60MsMax) / 1000;
    const delays: number[] = [];
    const gains: number[] = [];
    for (let k = 0; k < REVERB_TAPS; k++) {
      // Reflections spread over the first half of the decay, amplitude -60 dB at rt60, random sign.
      const t = 0.002 + 0.5 * rt60 * rng.next();
      delays.push(Math.round(t * AUGMENT_SAMPLE_RATE_HZ));
      gains.push((rng.next() < 0.5 ? -1 : 1) * 0.6 * Math.pow(10, (-3 * t) / rt60));
    }
    reverb = { delays, gains };
  }
  let noise: AugmentParams['noise'] = null;
  const recordings = context.noiseLengths.length;
  if (recordings > 0 && hit(config.noise.probability)) {
    const recording = rng.int(recordings);
    noise = { recording, offset: rng.int(Math.max(1, context.noiseLengths[recording]!)), snrDb: uniform(rng, config.noise.snrDbMin, config.noise.snrDbMax) };
  }
  const gainDb = hit(config.gain.probability) ? uniform(rng, -config.gain.maxDb, config.gain.maxDb) : 0;
  const timeMasks: [number, number][] = [];
  const frequencyMasks: [number, number][] = [];
  if (hit(config.specAugment.probability)) {
    const s = config.specAugment;
    for (let m = 0; m < s.timeMasks; m++) {
      const width = rng.int(Math.min(s.maxTimeFrames, context.frames) + 1);
      timeMasks.push([rng.int(context.frames - width + 1), width]);
    }
    for (let m = 0; m < s.frequencyMasks; m++) {
      const width = rng.int(Math.min(s.maxFrequencyBands, context.coefficients) + 1);
      frequencyMasks.push([rng.int(context.coefficients - width + 1), width]);
    }
  }
  // Drawn last, so configurations without pitch shifting draw exactly what they drew before.
  const pitch = hit(config.pitch.probability) ? uniform(rng, -config.pitch.maxSemitones, config.pitch.maxSemitones) : null;
  let window: AugmentParams['window'] = null;
  if (partial) window = { kind: 'partial', fromStart: rng.next() < 0.5, cut: uniform(rng, config.window.minCut, config.window.maxCut) };
  else if (hit(config.window.probability)) window = { kind: 'offset', position: rng.next() };
  return { pitch, speed, shiftSamples, reverb, noise, gainDb, window, timeMasks, frequencyMasks };
}

/** Plays `samples` `factor` times faster by linear interpolation: round(length / factor) samples. */
export function changeSpeed(samples: Float32Array, factor: number): Float32Array {
  if (!(factor > 0)) throw new RangeError(`changeSpeed: factor must be > 0, got ${factor}`);
  const out = new Float32Array(Math.round(samples.length / factor));
  const last = samples.length - 1;
  for (let i = 0; i < out.length; i++) {
    const pos = i * factor;
    const j = Math.floor(pos);
    if (j >= last) {
      out[i] = last >= 0 ? samples[last]! : 0;
      continue;
    }
    const frac = pos - j;
    out[i] = samples[j]! + frac * (samples[j + 1]! - samples[j]!);
  }
  return out;
}

/** Delays the signal by `shift` samples (negative: earlier); vacated samples are zero. Same length. */
export function timeShift(samples: Float32Array, shift: number): Float32Array {
  const out = new Float32Array(samples.length);
  if (shift >= 0) out.set(samples.subarray(0, Math.max(0, samples.length - shift)), Math.min(shift, samples.length));
  else out.set(samples.subarray(Math.min(-shift, samples.length)), 0);
  return out;
}

/** Multiplies by 10^(db/20) in place. */
export function applyGain(samples: Float32Array, db: number): Float32Array {
  const g = Math.pow(10, db / 20);
  for (let i = 0; i < samples.length; i++) samples[i]! *= g;
  return samples;
}

function power(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return sum / Math.max(1, samples.length);
}

/**
 * Convolves with a sparse impulse response (direct path 1 plus `delays`/`gains` reflections),
 * truncated to the input length and rescaled to the input's power.
 */
export function reverberate(samples: Float32Array, delays: readonly number[], gains: readonly number[]): Float32Array {
  const out = samples.slice();
  for (let k = 0; k < delays.length; k++) {
    const d = delays[k]!;
    const g = gains[k]!;
    for (let i = d; i < out.length; i++) out[i]! += g * samples[i - d]!;
  }
  const before = power(samples);
  const after = power(out);
  if (after > 0) {
    const scale = Math.sqrt(before / after);
    for (let i = 0; i < out.length; i++) out[i]! *= scale;
  }
  return out;
}

/**
 * The `length` noise samples from `offset` (wrapping around the recording), scaled so that
 * signal power / noise power = 10^(snrDb/10) and added to a copy of `samples`. A silent clip is
 * treated as having SILENT_REFERENCE_POWER.
 */
export function mixNoise(samples: Float32Array, noise: Float32Array, offset: number, snrDb: number): Float32Array {
  const out = samples.slice();
  if (noise.length === 0) return out;
  const segment = new Float32Array(samples.length);
  for (let i = 0, j = offset % noise.length; i < segment.length; i++, j = j + 1 === noise.length ? 0 : j + 1) segment[i] = noise[j]!;
  const noisePower = power(segment);
  if (noisePower === 0) return out;
  const signalPower = Math.max(power(samples), SILENT_REFERENCE_POWER);
  const scale = Math.sqrt(signalPower / (noisePower * Math.pow(10, snrDb / 10)));
  for (let i = 0; i < out.length; i++) out[i]! += scale * segment[i]!;
  return out;
}

/**
 * The shift that puts the voiced span [start, end) of a `length`-sample clip where `window` says:
 * an offset keeps all of it inside (no shift if it fills the window), a partial cut leaves
 * round(cut x span) of it outside, before the window start or after its end.
 */
export function windowShift(window: NonNullable<AugmentParams['window']>, [start, end]: [number, number], length: number): number {
  const span = end - start;
  if (window.kind === 'offset') return span >= length ? 0 : Math.round(window.position * (length - span)) - start;
  const cut = Math.round(window.cut * span);
  return window.fromStart ? -(start + cut) : length - (end - cut);
}

/** Applies the waveform part of `params` to a clip; the result has `samples.length` samples. */
export function applyWaveAugmentation(samples: Float32Array, params: AugmentParams, noise: readonly NoiseRecording[]): Float32Array {
  let x = params.pitch !== null && params.pitch !== 0 ? pitchShift(samples, params.pitch) : samples;
  if (params.speed !== null) x = fitToLength(changeSpeed(x, params.speed), samples.length);
  const shift = params.window ? windowShift(params.window, voicedSpan(x), x.length) : params.shiftSamples;
  if (shift !== 0) x = timeShift(x, shift);
  if (params.reverb) x = reverberate(x, params.reverb.delays, params.reverb.gains);
  if (params.noise) x = mixNoise(x, noise[params.noise.recording]!.samples, params.noise.offset, params.noise.snrDb);
  if (x === samples) x = samples.slice();
  if (params.gainDb !== 0) applyGain(x, params.gainDb);
  // Keep the waveform inside [-1, 1] like any decoded wav.
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]!));
  return x;
}

/**
 * Zeroes (the utterance mean, after normalisation) the masked frames and coefficients of a
 * [frames, dim] matrix in place. A coefficient mask applies to every group of `coefficients`
 * columns, so statics and their deltas are masked together.
 */
export function applyFeatureMasks(
  data: Float32Array,
  frames: number,
  dim: number,
  coefficients: number,
  timeMasks: readonly [number, number][],
  frequencyMasks: readonly [number, number][],
): Float32Array {
  for (const [start, width] of timeMasks) data.fill(0, start * dim, Math.min(frames, start + width) * dim);
  for (const [start, width] of frequencyMasks) {
    for (let t = 0; t < frames; t++) {
      for (let group = 0; group < dim; group += coefficients) {
        const from = t * dim + group + start;
        data.fill(0, from, from + Math.min(width, coefficients - start));
      }
    }
  }
  return data;
}
