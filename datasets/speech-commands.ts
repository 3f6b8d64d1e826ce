/**
 * Reads a Speech Commands style folder into a `Dataset` (file list, labels, splits), without
 * decoding any audio. One reader for every layout kws meets:
 * - the full Speech Commands v0.01/v0.02 download: word folders, `_background_noise_/`,
 *   `validation_list.txt` / `testing_list.txt` (splits follow the lists);
 * - the 12-class test set: command folders, `_silence_/`, `_unknown_/WORD_SPEAKER_nohash_N.wav`;
 * - the Free Spoken Digit Dataset: folders zero..nine of `DIGIT_SPEAKER_INDEX.wav`;
 * - what `kws synth` writes (word folders, `_background_noise_/`, `synth.json`).
 * Without lists, splits come from the README hash of the speaker id, so no speaker is in two splits.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SeededRandom } from '../util/random.js';
import { TARGET_SAMPLE_RATE_HZ } from '../features/types.js';
import { keywordFolderName, labelForWord, labelForWordIn, labelsForTask } from './labels.js';
import { DEFAULT_SPLIT, HOLDOUT_SPLIT, hashName, holdoutPercentages, speakerOf, splitForKey, unknownWordOf, whichSet, type SplitPercentages } from './split.js';
import { SILENCE_LABEL, UNKNOWN_LABEL, type Dataset, type DatasetItem, type Split, type Task } from './types.js';
import { readWavLength } from './wav-length.js';
import { isAudioFileName, readAudio } from '../features/audio/index.js';

/** A dataset folder that cannot be read as a dataset; the message names the root and the problem. */
export class DatasetError extends Error {
  readonly root: string;
  constructor(root: string, problem: string) {
    super(`dataset ${root}: ${problem}`);
    this.name = 'DatasetError';
    this.root = root;
  }
}

export interface ReadSpeechCommandsOptions {
  task: Task;
  /**
   * A label set of its own (custom keywords) instead of the task's: a word is its own label if it is
   * one of these, else `_unknown_`; a phrase's folder joins its words with `_` (see keywordFolderName).
   */
  labels?: readonly string[];
  /** Length of the `_silence_` clips cut from noise (default 16000: 1 s, the clip length). */
  silenceSliceSamples?: number;
  /** Used only where the folder has no lists. Default 10. */
  validationPercent?: number;
  /** Used only where the folder has no lists. Default 10. */
  testPercent?: number;
  /** Silence clips cut from `_background_noise_` per split, as a fraction of the split's size. Default 0.1. */
  silenceFraction?: number;
  /**
   * Re-split by speaker with this salt mixed into the hash, ignoring any lists: for folders that are
   * wholly one split in the canonical scheme (the 12-class test set is all 'test'), so part of their
   * speakers can be trained on and the rest held out. See HOLDOUT_SPLIT.
   */
  splitSalt?: string;
  /**
   * Noise recordings to cut `_silence_` clips from when the folder has no `_background_noise_/` of its
   * own (a copy of the dataset without its noise folder). Each recording's time is divided between
   * the splits as for the folder's own noise.
   */
  fallbackNoiseFiles?: string[];
  /** Seed of the silence slicing. Default 0. */
  seed?: number;
  /** Receives non-fatal problems (a list naming a missing file); default writes them to stderr. */
  onWarning?: (message: string) => void;
}

/** Reader options for the hold-out re-split (see HOLDOUT_SPLIT) holding out `testPercent` of the speakers for testing. */
export function holdoutSplitOptions(testPercent: number = HOLDOUT_SPLIT.testPercent): Pick<ReadSpeechCommandsOptions, 'splitSalt' | 'validationPercent' | 'testPercent'> {
  return { splitSalt: HOLDOUT_SPLIT.salt, ...holdoutPercentages(testPercent) };
}

export const NOISE_FOLDER = '_background_noise_';
export const VALIDATION_LIST = 'validation_list.txt';
export const TESTING_LIST = 'testing_list.txt';
/** Written by `kws synth`; maps speaker ids to the engine that voiced them. */
export const SYNTH_MANIFEST = 'synth.json';
const DEFAULT_SLICE_SAMPLES = TARGET_SAMPLE_RATE_HZ;
const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function audioNamesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && isAudioFileName(e.name)).map((e) => e.name).sort(byString);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readList(root: string, name: string): Promise<string[] | null> {
  const path = join(root, name);
  if (!(await exists(path))) return null;
  const text = await readFile(path, 'utf8');
  return text.split(/\r?\n/).map((l) => l.trim().replace(/\\/g, '/')).filter((l) => l.length > 0);
}

async function readSynthSources(root: string): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  const path = join(root, SYNTH_MANIFEST);
  if (!(await exists(path))) return sources;
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new DatasetError(root, `${SYNTH_MANIFEST} is not valid JSON (${(err as Error).message})`);
  }
  const speakers = (manifest as { speakers?: Record<string, { engine?: unknown }> }).speakers;
  if (speakers && typeof speakers === 'object') {
    for (const [id, info] of Object.entries(speakers)) {
      if (typeof info?.engine === 'string') sources.set(id, `synth:${info.engine}`);
    }
  }
  return sources;
}

export async function readSpeechCommands(root: string, options: ReadSpeechCommandsOptions): Promise<Dataset> {
  const absRoot = resolve(root);
  const labels = options.labels ?? labelsForTask(options.task);
  const labelOf = options.labels ? (word: string) => labelForWordIn(word, labels) : (word: string) => labelForWord(word, options.task);
  /** Folder name -> the phrase it holds, for custom labels with spaces. */
  const phraseOfFolder = new Map((options.labels ?? []).filter((l) => l.includes(' ')).map((l) => [keywordFolderName(l), l]));
  const sliceSamples = options.silenceSliceSamples ?? DEFAULT_SLICE_SAMPLES;
  if (!Number.isInteger(sliceSamples) || sliceSamples < 1) throw new RangeError(`silenceSliceSamples must be a positive integer, got ${sliceSamples}`);
  const percentages: SplitPercentages = {
    validationPercent: options.validationPercent ?? DEFAULT_SPLIT.validationPercent,
    testPercent: options.testPercent ?? DEFAULT_SPLIT.testPercent,
  };
  splitForKey('', percentages); // validates the percentages before any work
  const silenceFraction = options.silenceFraction ?? 0.1;
  if (!Number.isFinite(silenceFraction) || silenceFraction < 0) throw new RangeError(`silenceFraction must be >= 0, got ${silenceFraction}`);
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));

  let entries;
  try {
    entries = await readdir(absRoot, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(absRoot, code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : `cannot read (${code ?? String(err)})`);
  }
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byString);
  const wordFolders = folders.filter((f) => !f.startsWith('_'));
  const hasSilenceFolder = folders.includes(SILENCE_LABEL);
  const hasUnknownFolder = folders.includes(UNKNOWN_LABEL);
  if (wordFolders.length === 0 && !hasUnknownFolder) {
    throw new DatasetError(absRoot, 'no word folders found (expected one folder of audio files, .wav or .opus, per word)');
  }

  const validationList = await readList(absRoot, VALIDATION_LIST);
  const testingList = await readList(absRoot, TESTING_LIST);
  const salt = options.splitSalt;
  const useLists = salt === undefined && (validationList !== null || testingList !== null);
  const listed = new Map<string, Split>();
  for (const [list, split] of [[validationList, 'validation'], [testingList, 'test']] as const) {
    for (const rel of list ?? []) listed.set(rel, split);
  }
  const synthSources = await readSynthSources(absRoot);
  const datasetSource = basename(absRoot);

  const splitOf = (rel: string, speaker: string | null): Split => {
    if (useLists) return listed.get(rel) ?? 'train';
    if (salt !== undefined) return splitForKey(`${salt}:${speaker ?? hashName(rel)}`, percentages);
    return speaker !== null ? splitForKey(speaker, percentages) : whichSet(rel, percentages);
  };
  const items: DatasetItem[] = [];
  const present = new Set<string>();
  const add = (folder: string, name: string, word: string, speaker: string | null): void => {
    const rel = `${folder}/${name}`;
    present.add(rel);
    items.push({
      path: join(absRoot, folder, name),
      word,
      label: labelOf(word),
      speaker,
      split: splitOf(rel, speaker),
      source: (speaker !== null && synthSources.get(speaker)) || datasetSource,
    });
  };

  for (const folder of wordFolders) {
    const word = phraseOfFolder.get(folder.toLowerCase()) ?? folder.toLowerCase();
    for (const name of await audioNamesIn(join(absRoot, folder))) {
      add(folder, name, word, speakerOf(name, 'speech-commands') ?? speakerOf(name, 'digits'));
    }
  }
  if (hasUnknownFolder) {
    for (const name of await audioNamesIn(join(absRoot, UNKNOWN_LABEL))) {
      add(UNKNOWN_LABEL, name, unknownWordOf(name) ?? UNKNOWN_LABEL, speakerOf(name, 'unknown-prefixed') ?? speakerOf(name, 'speech-commands'));
    }
  }
  if (hasSilenceFolder) {
    for (const name of await audioNamesIn(join(absRoot, SILENCE_LABEL))) add(SILENCE_LABEL, name, SILENCE_LABEL, null);
  }

  if (useLists) {
    for (const rel of listed.keys()) {
      if (!present.has(rel)) warn(`dataset ${absRoot}: ${listed.get(rel) === 'test' ? TESTING_LIST : VALIDATION_LIST} names ${rel}, which is not there; skipped`);
    }
  }

  const noiseFiles = folders.includes(NOISE_FOLDER)
    ? (await audioNamesIn(join(absRoot, NOISE_FOLDER))).map((n) => join(absRoot, NOISE_FOLDER, n))
    : [];
  const silenceSources = noiseFiles.length > 0 ? noiseFiles : (options.fallbackNoiseFiles ?? []);
  if (!hasSilenceFolder && silenceSources.length > 0 && silenceFraction > 0) {
    const counts = { train: 0, validation: 0, test: 0 };
    for (const item of items) counts[item.split]++;
    items.push(...(await sliceSilence(silenceSources, counts, silenceFraction, percentages, options.seed ?? 0, sliceSamples)));
  }

  items.sort((a, b) => byString(a.path, b.path) || (a.slice?.offsetSamples ?? -1) - (b.slice?.offsetSamples ?? -1));
  return { root: absRoot, task: options.task, labels, items, noiseFiles, splitMethod: useLists ? 'lists' : salt !== undefined ? 'salted-speaker-hash' : 'speaker-hash' };
}

/** Samples at 16 kHz of a noise recording: from the header of a wav, by decoding anything else. */
async function lengthAt16kHz(path: string): Promise<number> {
  if (/\.wav$/i.test(path)) {
    const { sampleRateHz, frames } = await readWavLength(path);
    return Math.floor((frames * TARGET_SAMPLE_RATE_HZ) / sampleRateHz);
  }
  return (await readAudio(path)).samples.length;
}

/**
 * Silence clips (`sliceSamples` long, 1 s by default) cut from the noise recordings. Each recording's time is divided between the
 * splits in the split proportions (train first), so no noise second is in two splits.
 */
async function sliceSilence(
  noiseFiles: string[],
  counts: Record<Split, number>,
  fraction: number,
  percentages: SplitPercentages,
  seed: number,
  sliceSamples: number,
): Promise<DatasetItem[]> {
  const lengths: { path: string; samples: number }[] = [];
  for (const path of noiseFiles) {
    const samples = await lengthAt16kHz(path);
    if (samples >= sliceSamples) lengths.push({ path, samples });
  }
  if (lengths.length === 0) return [];
  const trainShare = (100 - percentages.validationPercent - percentages.testPercent) / 100;
  const share: Record<Split, [number, number]> = {
    train: [0, trainShare],
    validation: [trainShare, trainShare + percentages.validationPercent / 100],
    test: [trainShare + percentages.validationPercent / 100, 1],
  };
  const random = new SeededRandom(seed);
  const slices: DatasetItem[] = [];
  for (const split of SPLITS) {
    const count = Math.round(counts[split] * fraction);
    for (let i = 0; i < count; i++) {
      const file = lengths[random.int(lengths.length)]!;
      let start = Math.floor(share[split][0] * file.samples);
      let end = Math.floor(share[split][1] * file.samples);
      if (end - start < sliceSamples) [start, end] = [0, file.samples]; // region too short: whole file
      const offsetSamples = start + random.int(end - start - sliceSamples + 1);
      slices.push({
        path: file.path,
        word: SILENCE_LABEL,
        label: SILENCE_LABEL,
        speaker: null,
        split,
        source: 'noise',
        slice: { offsetSamples, lengthSamples: sliceSamples },
      });
    }
  }
  return slices;
}
