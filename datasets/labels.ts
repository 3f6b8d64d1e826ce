/**
 * Label sets of the two tasks. Task '35' uses `_silence_`, `_unknown_` and the 35 words, in that
 * order (the 12-class order extended): silence keeps the model from firing on noise, and
 * `_unknown_` takes words outside the 35 (e.g. the extra words `kws synth` writes); it may be empty.
 */
import { COMMANDS_12, LABELS_12, SILENCE_LABEL, UNKNOWN_LABEL, WORDS_35, type Task } from './types.js';

export const LABELS_35: readonly string[] = [SILENCE_LABEL, UNKNOWN_LABEL, ...WORDS_35];

export function labelsForTask(task: Task): readonly string[] {
  if (task === '12') return LABELS_12;
  if (task === '35') return LABELS_35;
  throw new TypeError(`task must be '12' or '35', got ${JSON.stringify(task)}`);
}

const COMMAND_SET: ReadonlySet<string> = new Set(COMMANDS_12);
const WORD_35_SET: ReadonlySet<string> = new Set(WORDS_35);

/** The label a recorded word gets in a task. */
export function labelForWord(word: string, task: Task): string {
  if (word === SILENCE_LABEL) return SILENCE_LABEL;
  const known = task === '12' ? COMMAND_SET : WORD_35_SET;
  return known.has(word) ? word : UNKNOWN_LABEL;
}

/** The label a recorded word gets in any label set: itself if it is a label, else `_unknown_`. */
export function labelForWordIn(word: string, labels: readonly string[]): string {
  if (word === SILENCE_LABEL) return SILENCE_LABEL;
  return labels.includes(word) && word !== UNKNOWN_LABEL ? word : UNKNOWN_LABEL;
}

/**
 * The folder a keyword's clips live in: a phrase's words joined by `_` ('hey robot' ->
 * 'hey_robot'), since the Speech Commands layout has one folder per keyword.
 */
export function keywordFolderName(keyword: string): string {
  return normalisePhrase(keyword).split(' ').join('_');
}

/** Lower case, its words separated by single spaces ('  Hey  Robot ' -> 'hey robot'). */
export function normalisePhrase(text: string): string {
  return text.trim().toLowerCase().split(/\s+/).filter((w) => w.length > 0).join(' ');
}

/** A label set of custom keywords: `_silence_`, `_unknown_`, then the keywords in the order given. */
export function labelsForKeywords(keywords: readonly string[]): string[] {
  return [SILENCE_LABEL, UNKNOWN_LABEL, ...keywords];
}
