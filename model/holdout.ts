/**
 * Which speakers of a hold-out folder (`kws train --holdout`) a model may be evaluated on: those it
 * held out for testing. A run that held out fewer (`--holdout-test-percent`) trained on the rest, so
 * evaluating it with `--holdout` uses its own share by default and refuses a larger one.
 */
import { HOLDOUT_SPLIT } from '../datasets/split.js';
import type { ModelManifest } from './types.js';

/** The smallest share of a hold-out folder's speakers the model held out for testing, or null when it trained on no hold-out folder. */
export function heldOutTestPercentOf(manifest: ModelManifest): number | null {
  const shares = manifest.training.data.filter((d) => d.splitMethod === 'salted-speaker-hash').map((d) => d.holdoutTestPercent ?? HOLDOUT_SPLIT.testPercent);
  return shares.length === 0 ? null : Math.min(...shares);
}

/**
 * The held-out test share to evaluate `manifest`'s model with: `asked` if given (refused when it
 * reaches into speakers the model trained on), else the model's own, else HOLDOUT_SPLIT's.
 */
export function holdoutTestPercentFor(manifest: ModelManifest, asked?: number): number {
  const own = heldOutTestPercentOf(manifest);
  if (asked === undefined) return own ?? HOLDOUT_SPLIT.testPercent;
  if (own !== null && asked > own) {
    throw new RangeError(`--holdout-test-percent ${asked}: the model held out only ${own}% of its hold-out folders' speakers for testing and trained on the rest; ask for at most ${own} (or leave the option out)`);
  }
  return asked;
}
