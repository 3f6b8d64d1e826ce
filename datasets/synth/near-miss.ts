/**
 * Near-miss negatives for custom keywords: the words (and, for a phrase, the phrase with one word
 * swapped) that sound closest to a keyword, found with an edit distance over eSpeak phonemes. A
 * model trained with these as "unknown" learns the keyword itself rather than its rough shape.
 */
import { normalisePhrase } from '../labels.js';
import { WORDS_35 } from '../types.js';
import { COMMON_WORDS } from './common-words.js';

/**
 * The phonemes of a text, one `_`-separated string per word, as `EspeakEngine.phonemes()`
 * returns them ('hey robot' -> ['h_ˈeɪ', 'ɹ_ˈoʊ_b_ɑː_t']).
 */
export type PhonemesOf = (text: string) => readonly string[];

/** Stands between the words of a phrase in a token sequence. */
export const WORD_BOUNDARY = '#';

/** COMMON_WORDS and the 35 Speech Commands words, without repeats. */
export const DEFAULT_CANDIDATES: readonly string[] = [...new Set([...COMMON_WORDS, ...WORDS_35])];

const VOWEL_LETTERS = new Set('aeiouyæɑɒɔəɚɛɜɝɪʊʌɐᵻɵøœɯɤɘɨʉɶ');
/** Stress and length marks: 'ˈɑː' and 'ɑ' are the same phoneme for this comparison. */
const IGNORED_MARKS = /[ˈˌːˑ]/g;

// Costs in tenths so that sums stay exact integers and ties are real ties.
const INDEL = 10;
const SAME_CLASS = 6;
const VOICING_PAIR = 4;
const CROSS_CLASS = 10;

/** Consonants that differ only in voicing (or a flap for t/d, as in American 'butter'). */
const VOICING_PAIRS = new Set(
  [['p', 'b'], ['t', 'd'], ['k', 'g'], ['f', 'v'], ['θ', 'ð'], ['s', 'z'], ['ʃ', 'ʒ'], ['tʃ', 'dʒ'], ['ɾ', 't'], ['ɾ', 'd']]
    .flatMap(([x, y]) => [`${x} ${y}`, `${y} ${x}`]),
);

type PhonemeClass = 'vowel' | 'consonant' | 'boundary';

function classOf(token: string): PhonemeClass {
  if (token === WORD_BOUNDARY) return 'boundary';
  return VOWEL_LETTERS.has(token[0] ?? '') ? 'vowel' : 'consonant';
}

function substitutionCost(a: string, b: string): number {
  if (a === b) return 0;
  const ca = classOf(a);
  if (ca === 'boundary' || ca !== classOf(b)) return CROSS_CLASS;
  if (ca === 'consonant' && VOICING_PAIRS.has(`${a} ${b}`)) return VOICING_PAIR;
  return SAME_CLASS;
}

/**
 * One token sequence for a text's phonemes (one string per word): each word split on '_', stress
 * and length marks removed, words joined with WORD_BOUNDARY.
 */
export function phonemeTokens(words: readonly string[]): string[] {
  const tokens: string[] = [];
  for (const word of words) {
    const phonemes = word.split('_').map((p) => p.replace(IGNORED_MARKS, '')).filter((p) => p.length > 0);
    if (phonemes.length === 0) continue;
    if (tokens.length > 0) tokens.push(WORD_BOUNDARY);
    tokens.push(...phonemes);
  }
  return tokens;
}

/** Weighted Levenshtein distance between token sequences, in cost units (tenths). */
function tokenDistanceUnits(a: readonly string[], b: readonly string[]): number {
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j * INDEL;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i * INDEL;
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + INDEL,
        current[j - 1]! + INDEL,
        previous[j - 1]! + substitutionCost(a[i - 1]!, b[j - 1]!),
      );
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/**
 * Weighted Levenshtein distance between two token sequences (see phonemeTokens): inserting or
 * deleting a phoneme costs 1, swapping a vowel for a vowel or a consonant for a consonant 0.6
 * (0.4 for consonants that differ only in voicing, p/b, s/z, ...), anything else 1.
 */
export function tokenDistance(a: readonly string[], b: readonly string[]): number {
  return tokenDistanceUnits(a, b) / 10;
}

/**
 * How far apart two texts sound, from their phonemes (one string per word, as
 * `EspeakEngine.phonemes()` gives them): 0 for homophones; see tokenDistance for the costs.
 */
export function phonemeDistance(a: readonly string[], b: readonly string[]): number {
  return tokenDistance(phonemeTokens(a), phonemeTokens(b));
}

/**
 * phonemeDistance divided by the longer token sequence, in [0, 1]: comparable across keywords
 * of different lengths (a distance of 2 is close for 'visual', far for 'up'), so it suits a
 * threshold; the ranking in nearMissWords, always against one keyword, uses the plain distance.
 */
export function normalisedPhonemeDistance(a: readonly string[], b: readonly string[]): number {
  const ta = phonemeTokens(a);
  const tb = phonemeTokens(b);
  const longest = Math.max(ta.length, tb.length);
  return longest === 0 ? 0 : tokenDistance(ta, tb) / longest;
}

/**
 * `phonemesOf` with its answers kept, for callers that look up near misses for several keywords
 * (nearMissWords computes each word once per call; this shares the work across calls).
 */
export function memoisePhonemes(phonemesOf: PhonemesOf): PhonemesOf {
  const known = new Map<string, readonly string[]>();
  return (text) => {
    let phonemes = known.get(text);
    if (!phonemes) {
      phonemes = phonemesOf(text);
      known.set(text, phonemes);
    }
    return phonemes;
  };
}

/**
 * The partial utterances of a phrase: every run of consecutive words shorter than the whole,
 * shortest first, left to right ('hey robot' -> ['hey', 'robot']). Empty for a single word.
 */
export function phraseParts(keyword: string): string[] {
  const words = normalisePhrase(keyword).split(' ');
  const parts: string[] = [];
  for (let length = 1; length < words.length; length++) {
    for (let start = 0; start + length <= words.length; start++) parts.push(words.slice(start, start + length).join(' '));
  }
  return [...new Set(parts)];
}

export interface NearMissOptions {
  /** How many near misses to return (fewer if the candidates run out). */
  count: number;
  /** The words to choose from. Default DEFAULT_CANDIDATES. */
  candidates?: readonly string[];
  /** Never returned, nor anything that sounds exactly like them: typically the other keywords. */
  exclude?: readonly string[];
}

interface Scored {
  text: string;
  units: number;
}

function byDistanceThenText(a: Scored, b: Scored): number {
  return a.units - b.units || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

/**
 * The `count` candidates that sound closest to `keyword`, closest first, ties in alphabetical
 * order. Never the keyword, its homophones (distance 0), the words of `exclude` or their
 * homophones. For a phrase the candidates also include the phrase with one word swapped for a
 * near miss of that word ('hey robot' -> 'hey rowboat'); its own words are left to phraseParts.
 * Phonemes are computed once per distinct word of the call (the candidates, the keyword's words).
 */
export function nearMissWords(keyword: string, phonemesOf: PhonemesOf, options: NearMissOptions): string[] {
  const { count } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const target = normalisePhrase(keyword);
  if (target === '') throw new RangeError('keyword is empty');

  const wordTokens = new Map<string, string[]>();
  const tokensOf = (text: string): string[] =>
    text.split(' ').flatMap((word, i) => {
      let tokens = wordTokens.get(word);
      if (!tokens) {
        tokens = phonemeTokens(phonemesOf(word));
        wordTokens.set(word, tokens);
      }
      return i > 0 && tokens.length > 0 ? [WORD_BOUNDARY, ...tokens] : tokens;
    });

  const targetTokens = tokensOf(target);
  const exclude = (options.exclude ?? []).map(normalisePhrase).filter((t) => t !== '');
  const excludeTokens = exclude.map(tokensOf);
  const banned = new Set([target, ...exclude, ...phraseParts(target)]);
  const candidates = [...new Set((options.candidates ?? DEFAULT_CANDIDATES).map(normalisePhrase))].filter((t) => t !== '');
  const candidateTokens = new Map(candidates.map((c) => [c, tokensOf(c)]));

  const pool = new Map(candidateTokens);
  const words = target.split(' ');
  if (words.length > 1) {
    words.forEach((word, i) => {
      const wordTarget = tokensOf(word);
      const swaps = [...candidateTokens]
        .map(([text, tokens]) => ({ text, units: tokenDistanceUnits(wordTarget, tokens) }))
        .filter((s) => s.units > 0 && !s.text.includes(' '))
        .sort(byDistanceThenText)
        .slice(0, count);
      for (const swap of swaps) {
        const phrase = [...words.slice(0, i), swap.text, ...words.slice(i + 1)].join(' ');
        if (!pool.has(phrase)) pool.set(phrase, tokensOf(phrase));
      }
    });
  }

  return [...pool]
    .filter(([text]) => !banned.has(text))
    .map(([text, tokens]) => ({ text, tokens, units: tokenDistanceUnits(targetTokens, tokens) }))
    .filter((s) => s.units > 0 && excludeTokens.every((e) => tokenDistanceUnits(e, s.tokens) > 0))
    .sort(byDistanceThenText)
    .slice(0, count)
    .map((s) => s.text);
}
