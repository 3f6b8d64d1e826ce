/**
 * What a custom-keyword run will synthesise, decided before any training: the keywords checked,
 * the window length (long enough for the longest keyword as the engines say it), and the other
 * words that teach the model what is not a keyword — near misses (words that sound alike), the
 * single words of a phrase, and everyday words.
 */
import { normalisePhrase } from '../datasets/labels.js';
import { SILENCE_LABEL, UNKNOWN_LABEL } from '../datasets/types.js';
import { EspeakEngine } from '../datasets/synth/espeak.js';
import { FliteEngine } from '../datasets/synth/flite.js';
import { EXTRA_UNKNOWN_WORDS, OTHER_SPEECH_COMMANDS_WORDS } from '../datasets/synth/plan.js';
import { nearMissWords, phraseParts } from '../datasets/synth/near-miss.js';
import { TARGET_SAMPLE_RATE_HZ } from '../features/types.js';
import { spokenSpeech } from '../datasets/synth/word.js';

export class KeywordError extends Error {
  constructor(problem: string) {
    super(`--words: ${problem}`);
    this.name = 'KeywordError';
  }
}

/** Lower-case words of letters (and '), a phrase's words separated by single spaces. */
export function normaliseKeywords(text: string): string[] {
  const keywords = text.split(',').map(normalisePhrase).filter((k) => k.length > 0);
  if (keywords.length === 0) throw new KeywordError('give at least one keyword, e.g. --words "lights on,lights off"');
  for (const k of keywords) {
    if (!/^[a-z][a-z']*( [a-z][a-z']*)*$/.test(k)) throw new KeywordError(`'${k}' must be letters only (a phrase: words separated by spaces); spell numbers as words`);
    if (k === SILENCE_LABEL || k === UNKNOWN_LABEL) throw new KeywordError(`'${k}' is a reserved label`);
  }
  const duplicate = keywords.find((k, i) => keywords.indexOf(k) !== i);
  if (duplicate) throw new KeywordError(`'${duplicate}' is given twice`);
  return keywords;
}

export interface NegativeWords {
  /** Per keyword, its near misses (closest in sound first). */
  nearMisses: Record<string, string[]>;
  /** Single words (and part phrases) of multi-word keywords. */
  partials: string[];
  /** Everyday words and the other Speech Commands words. */
  everyday: string[];
}

/** The negative words of a run; none is a keyword or a homophone of one. */
export function planNegativeWords(keywords: readonly string[], phonemesOf: (text: string) => string[], nearMissCount: number): NegativeWords {
  const taken = new Set<string>(keywords);
  const nearMisses: Record<string, string[]> = {};
  for (const k of keywords) {
    nearMisses[k] = nearMissWords(k, phonemesOf, { count: nearMissCount, exclude: [...keywords] }).filter((w) => !taken.has(w));
    for (const w of nearMisses[k]!) taken.add(w);
  }
  const partials = [...new Set(keywords.flatMap((k) => (k.includes(' ') ? phraseParts(k) : [])))].filter((w) => !taken.has(w));
  for (const w of partials) taken.add(w);
  const keywordSounds = new Set(keywords.map((k) => phonemesOf(k).join(' ')));
  const everyday = [...new Set([...OTHER_SPEECH_COMMANDS_WORDS, ...EXTRA_UNKNOWN_WORDS])].filter((w) => !taken.has(w) && !keywordSounds.has(phonemesOf(w).join(' ')));
  return { nearMisses, partials, everyday };
}

/** Window lengths are whole quarter seconds, at least 1 s (the base model's window). */
const WINDOW_STEP_SAMPLES = TARGET_SAMPLE_RATE_HZ / 4;
/** Room for slow speakers: the synthetic speakers speak at 0.8-1.3x, people slower still. */
const SLOW_SPEECH_FACTOR = 1.4;
export const MAX_WINDOW_SAMPLES = 3 * TARGET_SAMPLE_RATE_HZ;

/**
 * The model window for these keywords: 1.4x the longest keyword as eSpeak (en-us, en) and Flite
 * (kal, slt) say it at normal rate, rounded up to a quarter second, between 1 s and 3 s.
 */
export async function windowSamplesFor(keywords: readonly string[], espeak: EspeakEngine, flite: FliteEngine): Promise<{ samples: number; longestSpokenSamples: number }> {
  let longest = 0;
  for (const k of keywords) {
    for (const [engine, voice] of [[espeak, 'en-us'], [espeak, 'en'], [flite, 'kal'], [flite, 'slt']] as const) {
      longest = Math.max(longest, (await spokenSpeech(engine, voice, k, { rate: 1, pitch: 1 })).length);
    }
  }
  const wanted = Math.ceil((SLOW_SPEECH_FACTOR * longest) / WINDOW_STEP_SAMPLES) * WINDOW_STEP_SAMPLES;
  if (wanted > MAX_WINDOW_SAMPLES) throw new KeywordError(`the longest keyword takes ${(longest / TARGET_SAMPLE_RATE_HZ).toFixed(2)} s to say; keywords up to about 2 s are supported`);
  return { samples: Math.max(TARGET_SAMPLE_RATE_HZ, wanted), longestSpokenSamples: longest };
}
