/**
 * Train/validation/test assignment exactly as the Speech Commands README's `which_set`: a file's
 * split depends only on a hash of its speaker part, so it never moves when files are added and a
 * speaker's clips all land in the same split.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Split } from './types.js';

/** The README's MAX_NUM_WAVS_PER_CLASS: 2^27 - 1. */
export const MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1;
const HASH_MODULUS = BigInt(MAX_NUM_WAVS_PER_CLASS + 1);

export interface SplitPercentages {
  validationPercent: number;
  testPercent: number;
}

export const DEFAULT_SPLIT: SplitPercentages = { validationPercent: 10, testPercent: 10 };

/**
 * The hold-out re-split of a folder whose speakers are all one split in the canonical scheme (the
 * 12-class test set): half of its speakers are held out for testing, a tenth validate, the rest train.
 * `testPercent` may be lowered (`--holdout-test-percent`): the test speakers are those whose hash
 * falls in [validationPercent, validationPercent + testPercent), so a smaller held-out set is a
 * subset of a larger one and the validation speakers never change.
 */
export const HOLDOUT_SPLIT = { salt: 'kws-holdout', validationPercent: 10, testPercent: 50 } as const;

/** The largest share of a hold-out folder's speakers that can be held out for testing (the rest of the non-validation ones). */
export const MAX_HOLDOUT_TEST_PERCENT = 100 - HOLDOUT_SPLIT.validationPercent;

/** The hold-out re-split's percentages with `testPercent` of the speakers held out for testing. */
export function holdoutPercentages(testPercent: number = HOLDOUT_SPLIT.testPercent): SplitPercentages {
  if (!Number.isFinite(testPercent) || testPercent <= 0 || testPercent > MAX_HOLDOUT_TEST_PERCENT) {
    throw new RangeError(`the held-out test share of a hold-out folder must be in (0, ${MAX_HOLDOUT_TEST_PERCENT}] percent of its speakers, got ${testPercent}`);
  }
  return { validationPercent: HOLDOUT_SPLIT.validationPercent, testPercent };
}

/** The README's hash_name: the file's base name with `_nohash_` and everything after it removed. */
export function hashName(fileName: string): string {
  return basename(fileName).replace(/_nohash_.*$/s, '');
}

/** The README's percentage_hash of a hash name: a number in [0, 100]. */
export function percentageHash(key: string): number {
  const hex = createHash('sha1').update(key, 'utf8').digest('hex');
  return Number(BigInt(`0x${hex}`) % HASH_MODULUS) * (100 / MAX_NUM_WAVS_PER_CLASS);
}

function checkPercentages({ validationPercent, testPercent }: SplitPercentages): void {
  for (const [name, value] of [['validationPercent', validationPercent], ['testPercent', testPercent]] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 100) throw new RangeError(`${name} must be in [0, 100], got ${value}`);
  }
  if (validationPercent + testPercent > 100) {
    throw new RangeError(`validationPercent + testPercent must be at most 100, got ${validationPercent} + ${testPercent}`);
  }
}

/** The split of a hash key (a speaker id, or a README hash name). */
export function splitForKey(key: string, percentages: SplitPercentages = DEFAULT_SPLIT): Split {
  checkPercentages(percentages);
  const p = percentageHash(key);
  if (p < percentages.validationPercent) return 'validation';
  if (p < percentages.validationPercent + percentages.testPercent) return 'test';
  return 'train';
}

/** `which_set(filename, validation_percentage, testing_percentage)` of the Speech Commands README. */
export function whichSet(fileName: string, percentages: SplitPercentages = DEFAULT_SPLIT): Split {
  return splitForKey(hashName(fileName), percentages);
}

/**
 * How a layout names its files:
 * - 'speech-commands': `SPEAKER_nohash_N.wav` or `.opus` (word folders of the full dataset, and `kws synth`);
 * - 'unknown-prefixed': `WORD_SPEAKER_nohash_N.wav` (`_unknown_/` of the 12-class test set);
 * - 'digits': `DIGIT_SPEAKER_INDEX.wav` (Free Spoken Digit Dataset).
 */
export type FileNameLayout = 'speech-commands' | 'unknown-prefixed' | 'digits';

/** The speaker id a file name carries, or null when the name does not follow the layout. */
export function speakerOf(fileName: string, layout: FileNameLayout): string | null {
  const name = basename(fileName);
  switch (layout) {
    case 'speech-commands': {
      const m = /^([^_]+)_nohash_\d+\.(?:wav|opus|ogg)$/i.exec(name);
      return m ? m[1]! : null;
    }
    case 'unknown-prefixed': {
      const m = /^[^_]+_([^_]+)_nohash_\d+\.(?:wav|opus|ogg)$/i.exec(name);
      return m ? m[1]! : null;
    }
    case 'digits': {
      const m = /^\d+_([^_]+)_\d+\.(?:wav|opus|ogg)$/i.exec(name);
      return m ? m[1]! : null;
    }
  }
}

/** The word prefix of an `_unknown_/WORD_SPEAKER_nohash_N.wav` name, or null. */
export function unknownWordOf(fileName: string): string | null {
  const m = /^([^_]+)_[^_]+_nohash_\d+\.(?:wav|opus|ogg)$/i.exec(basename(fileName));
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * Whether an item belongs to the first `fraction` of its folder's training speakers (0..1), by a
 * salted hash of its speaker (of its path and slice where it has none). Subsets are nested: every
 * speaker kept at 0.25 is kept at 0.5, so learning curves compare like with like.
 */
export function inSpeakerFraction(item: { speaker: string | null; path: string; slice?: { offsetSamples: number } }, fraction: number): boolean {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`speaker fraction must be in [0, 1], got ${fraction}`);
  if (fraction === 1) return true;
  const key = item.speaker ?? `${item.path}@${item.slice?.offsetSamples ?? 0}`;
  return percentageHash(`kws-fraction:${key}`) < 100 * fraction;
}
