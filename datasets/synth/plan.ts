/**
 * What `kws synth` generates, decided from the seed alone: the words, a pool of synthetic
 * speakers (engine, voice, rate, pitch) and, per word, which speakers say it. Every clip gets its
 * own seed derived from its identity, so a clip's bytes never depend on what else was generated.
 */
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../util/random.js';
import { keywordFolderName } from '../labels.js';
import { COMMANDS_12, WORDS_35 } from '../types.js';
import type { EngineName } from './engine.js';
import { ESPEAK_DIALECTS, ESPEAK_VARIANTS } from './espeak.js';
import { FLITE_VOICES } from './flite.js';
import { GNUSPEECH_TRACT_CM, GNUSPEECH_VOICES } from './gnuspeech.js';

/** Speech Commands words that are not among the 10 commands. */
export const OTHER_SPEECH_COMMANDS_WORDS: readonly string[] = WORDS_35.filter((w) => !(COMMANDS_12 as readonly string[]).includes(w));

/** Common English words outside Speech Commands, some close in sound to the commands. */
export const EXTRA_UNKNOWN_WORDS: readonly string[] = [
  'yet', 'yeah', 'know', 'now', 'note', 'cup', 'us', 'town', 'done', 'lift', 'light', 'write', 'night',
  'own', 'in', 'of', 'top', 'shop', 'goat', 'old', 'hello', 'okay', 'please', 'thanks', 'water', 'time',
  'people', 'year', 'way', 'day', 'man', 'thing', 'woman', 'life', 'child', 'world', 'school', 'hand',
  'part', 'place', 'week', 'play', 'open', 'close', 'start', 'next', 'back', 'music', 'phone', 'light',
].filter((w, i, all) => all.indexOf(w) === i);

export interface SynthSpeaker {
  /** Short stable hash of engine, voice, rate and pitch: the `SPEAKER` of `SPEAKER_nohash_N.wav`. */
  id: string;
  engine: EngineName;
  voice: string;
  rate: number;
  pitch: number;
}

export interface ClipPlan {
  word: string;
  speaker: SynthSpeaker;
  /** The N of `_nohash_N`: how many times this speaker said this word before. */
  repeat: number;
  seed: number;
  /** Path relative to the output folder. */
  relPath: string;
}

export function speakerId(engine: EngineName, voice: string, rate: number, pitch: number): string {
  return createHash('sha1').update(`${engine}|${voice}|${rate.toFixed(2)}|${pitch.toFixed(2)}`).digest('hex').slice(0, 8);
}

/** A 32-bit seed from any strings (sha1, so nearby inputs give unrelated seeds). */
export function derivedSeed(...parts: (string | number)[]): number {
  return createHash('sha1').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

const between = (random: SeededRandom, lo: number, hi: number): number => Math.round((lo + (hi - lo) * random.next()) * 100) / 100;

/**
 * The engine of each of `count` speakers, before shuffling. With eSpeak among the engines, Flite
 * and GnuSpeech get a quarter each (at least one): Flite has only five voices and GnuSpeech four
 * (with the vocal-tract length varied), so eSpeak's dialects and variants carry most of the variety.
 */
function engineShares(count: number, engines: readonly EngineName[]): EngineName[] {
  if (engines.length === 1) return Array.from({ length: count }, () => engines[0]!);
  const minorities = (['flite', 'gnuspeech'] as const).filter((e) => engines.includes(e));
  const order: EngineName[] = [];
  if (engines.includes('espeak')) {
    for (const e of minorities) for (let i = Math.max(1, Math.round(count / 4)); i > 0; i--) order.push(e);
  } else {
    for (let i = 0; i < Math.round(count / 2); i++) order.push('flite');
  }
  while (order.length < count) order.push(engines.includes('espeak') ? 'espeak' : 'gnuspeech');
  return order.slice(0, count);
}

/** `count` distinct speakers of `engines` (see engineShares for the mix). */
export function planSpeakers(seed: number, count: number, engines: readonly EngineName[]): SynthSpeaker[] {
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`speaker count must be a positive integer, got ${count}`);
  if (engines.length === 0) throw new RangeError('at least one engine is needed');
  const random = new SeededRandom(derivedSeed('speakers', seed));
  const engineOrder: EngineName[] = random.shuffle(engineShares(count, [...new Set(engines)]));
  const speakers: SynthSpeaker[] = [];
  const seen = new Set<string>();
  for (const engine of engineOrder) {
    for (let attempt = 0; ; attempt++) {
      let voice: string;
      let rate: number;
      let pitch: number;
      if (engine === 'espeak') {
        const dialect = ESPEAK_DIALECTS[random.int(ESPEAK_DIALECTS.length)]!;
        const variant = ESPEAK_VARIANTS[random.int(ESPEAK_VARIANTS.length)]!;
        voice = variant ? `${dialect}+${variant}` : dialect;
        rate = between(random, 0.8, 1.3);
        pitch = between(random, 0.7, 1.4);
      } else if (engine === 'gnuspeech') {
        // A voice, its vocal tract 10% shorter to 10% longer: speakers of one voice differ in size.
        const base = GNUSPEECH_VOICES[random.int(GNUSPEECH_VOICES.length)]!;
        voice = `${base}:${(GNUSPEECH_TRACT_CM[base] * between(random, 0.9, 1.1)).toFixed(1)}`;
        rate = between(random, 0.8, 1.25);
        pitch = between(random, 0.8, 1.25);
      } else {
        // Even spread over the five voices, then random prosody.
        voice = FLITE_VOICES[speakers.filter((s) => s.engine === 'flite').length % FLITE_VOICES.length]!;
        rate = between(random, 0.8, 1.25);
        pitch = between(random, 0.85, 1.2);
      }
      const id = speakerId(engine, voice, rate, pitch);
      if (!seen.has(id) || attempt > 100) {
        seen.add(id);
        speakers.push({ id, engine, voice, rate, pitch });
        break;
      }
    }
  }
  return speakers;
}

/** For each word, `clipsPerWord(word)` speakers chosen from the pool (repeating only if it is too small). */
export function planClips(seed: number, words: readonly string[], speakers: readonly SynthSpeaker[], clipsPerWord: (word: string) => number): ClipPlan[] {
  const clips: ClipPlan[] = [];
  for (const word of words) {
    if (!/^[a-z][a-z']*( [a-z][a-z']*)*$/.test(word)) throw new RangeError(`word must be lower-case letters (a phrase: words separated by one space), got '${word}'`);
    const order = new SeededRandom(derivedSeed('word', seed, word)).shuffle([...speakers]);
    const count = clipsPerWord(word);
    for (let i = 0; i < count; i++) {
      const speaker = order[i % order.length]!;
      const repeat = Math.floor(i / order.length);
      clips.push({
        word,
        speaker,
        repeat,
        seed: derivedSeed('clip', seed, word, speaker.id, repeat),
        relPath: `${keywordFolderName(word)}/${speaker.id}_nohash_${repeat}.wav`,
      });
    }
  }
  return clips;
}
