/** Contracts of the dataset layer: what a dataset on disk is, before any audio is read. */

export type Split = 'train' | 'validation' | 'test';

/** The 10 command words of the Speech Commands 12-class task. */
export const COMMANDS_12 = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;
export const SILENCE_LABEL = '_silence_';
export const UNKNOWN_LABEL = '_unknown_';
/** Labels of the 12-class task, in the order models use them. */
export const LABELS_12: readonly string[] = [SILENCE_LABEL, UNKNOWN_LABEL, ...COMMANDS_12];
/** The 35 words of Speech Commands v0.02 (the 35-word task). */
export const WORDS_35 = [
  'backward', 'bed', 'bird', 'cat', 'dog', 'down', 'eight', 'five', 'follow', 'forward', 'four', 'go',
  'happy', 'house', 'learn', 'left', 'marvin', 'nine', 'no', 'off', 'on', 'one', 'right', 'seven',
  'sheila', 'six', 'stop', 'three', 'tree', 'two', 'up', 'visual', 'wow', 'yes', 'zero',
] as const;

export type Task = '12' | '35';

/** One clip of a dataset. A clip may be a slice of a longer file (silence cut from noise). */
export interface DatasetItem {
  /** Absolute path of the wav file. */
  path: string;
  /** The word as recorded (folder name, or the word in an `_unknown_` file name), or `_silence_`. */
  word: string;
  /** Label in the chosen task (12-class maps non-command words to `_unknown_`). */
  label: string;
  /** Speaker id (e.g. the hash before `_nohash_`), or null where the layout gives none. */
  speaker: string | null;
  split: Split;
  /** Where it came from: dataset folder name, 'synth:espeak', 'synth:flite', 'noise', ... */
  source: string;
  /** For slices of longer recordings: start and length in samples at 16 kHz. */
  slice?: { offsetSamples: number; lengthSamples: number };
}

export interface Dataset {
  root: string;
  task: Task;
  labels: readonly string[];
  items: DatasetItem[];
  /** `_background_noise_` recordings, for silence clips and augmentation. */
  noiseFiles: string[];
  /**
   * How splits were decided: 'lists' (validation_list/testing_list), 'speaker-hash' (the dataset
   * README's hash), or 'salted-speaker-hash' (a hold-out re-split, see HOLDOUT_SPLIT).
   */
  splitMethod: 'lists' | 'speaker-hash' | 'salted-speaker-hash';
}
