/** One spoken word as a training clip: synthesized, resampled to 16 kHz, trimmed, placed in 1 s. */
import { fitToLength, resample } from '../../features/audio/index.js';
import { TARGET_SAMPLE_RATE_HZ } from '../../features/types.js';
import { SeededRandom } from '../../util/random.js';
import type { Prosody, TtsEngine } from './engine.js';

export interface WordClipOptions {
  /** Seeds the placement, level and noise floor of the clip. Default 0. */
  seed?: number;
  /** Default 16000 (1 s). */
  clipLengthSamples?: number;
}

const FRAME = 160; // 10 ms at 16 kHz
/** Frames quieter than this, relative to the loudest frame, count as silence at the ends. */
const TRIM_THRESHOLD_DB = -40;
const TRIM_MARGIN_FRAMES = 3;

/** Removes leading and trailing silence (10 ms frames below -40 dB of the loudest), keeping 30 ms. */
export function trimSilence(samples: Float32Array): Float32Array {
  const frames = Math.ceil(samples.length / FRAME);
  const rms = new Float64Array(frames);
  let loudest = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    const end = Math.min(samples.length, (f + 1) * FRAME);
    for (let i = f * FRAME; i < end; i++) sum += samples[i]! * samples[i]!;
    rms[f] = Math.sqrt(sum / Math.max(1, end - f * FRAME));
    loudest = Math.max(loudest, rms[f]!);
  }
  if (loudest === 0) return new Float32Array(0);
  const threshold = loudest * 10 ** (TRIM_THRESHOLD_DB / 20);
  let first = 0;
  while (rms[first]! < threshold) first++;
  let last = frames - 1;
  while (rms[last]! < threshold) last--;
  const start = Math.max(0, first - TRIM_MARGIN_FRAMES) * FRAME;
  const end = Math.min(samples.length, (last + 1 + TRIM_MARGIN_FRAMES) * FRAME);
  return samples.slice(start, end);
}

/** `text` said by `voice` of `engine`, at 16 kHz, its leading and trailing silence trimmed. */
export async function spokenSpeech(engine: TtsEngine, voice: string, text: string, prosody: Prosody): Promise<Float32Array> {
  const raw = await engine.synthesize(voice, text, prosody);
  const audio = raw.sampleRateHz === TARGET_SAMPLE_RATE_HZ ? raw.samples : await resample(raw.samples, raw.sampleRateHz, TARGET_SAMPLE_RATE_HZ);
  return trimSilence(audio);
}

/**
 * `word` spoken by `voice` of `engine` at 16 kHz, trimmed, scaled to a seeded peak level
 * (-10 to -1 dBFS), placed at a seeded offset in a clip of `clipLengthSamples` (cropped to its
 * loudest part if longer), over a seeded noise floor (-75 to -60 dBFS) so no clip is digital zero.
 */
export async function synthesizeWord(
  engine: TtsEngine,
  voice: string,
  word: string,
  prosody: Prosody,
  options: WordClipOptions = {},
): Promise<Float32Array> {
  const clipLength = options.clipLengthSamples ?? TARGET_SAMPLE_RATE_HZ;
  const random = new SeededRandom(options.seed ?? 0);
  const speech = await spokenSpeech(engine, voice, word, prosody);
  if (speech.length === 0) throw new Error(`${engine.name} voice '${voice}' produced silence for '${word}'`);
  let peak = 0;
  for (const s of speech) peak = Math.max(peak, Math.abs(s));
  const gain = 10 ** ((-10 + 9 * random.next()) / 20) / peak;
  const clip = new Float32Array(clipLength);
  if (speech.length >= clipLength) {
    clip.set(fitToLength(speech, clipLength));
  } else {
    clip.set(speech, random.int(clipLength - speech.length + 1));
  }
  const floor = 10 ** ((-75 + 15 * random.next()) / 20);
  for (let i = 0; i < clipLength; i++) clip[i] = clip[i]! * gain + floor * (2 * random.next() - 1);
  return clip;
}
