/**
 * The clips of a training run, split by split, from its data folders and their options (holdout
 * re-splits, repeats, speaker fractions, validation/test folders, excluded sources and words,
 * train-only and negatives-only folders): what `kws train` trains and selects on, and what
 * `kws calibrate` fits a temperature on.
 */
import { resolve } from 'node:path';
import { readSpeechCommands, holdoutSplitOptions } from '../datasets/speech-commands.js';
import { noiseFilesIn, type NoiseSource } from '../datasets/augment-noise.js';
import { DEFAULT_SPLIT, HOLDOUT_SPLIT, holdoutPercentages, inSpeakerFraction } from '../datasets/split.js';
import { SILENCE_LABEL, UNKNOWN_LABEL, type DatasetItem, type Split, type Task } from '../datasets/types.js';
import type { FeatureConfig } from '../features/types.js';
import type { ModelManifest } from './types.js';

export interface TrainingFolderOptions {
  data: string[];
  /** Folders (also read as data) re-split by speaker with HOLDOUT_SPLIT instead of their own split. */
  holdout: string[];
  /** Percent of the --holdout folders' speakers held out for testing (default HOLDOUT_SPLIT's 50; the rest of the non-validation ones train). */
  holdoutTestPercent?: number;
  task: Task;
  /** Keep at most this many items per split and dataset (for quick runs and tests); 0 = all. */
  limitPerSplit: number;
  /** Folders of noise recordings to mix in; empty or absent: the data folders' `_background_noise_`. */
  noiseDirs?: string[];
  /** Data folder -> times its train split is used per epoch (weighting; each repeat augmented differently). */
  repeat?: Record<string, number>;
  /** Data folder -> share (0..1) of its training speakers to use (learning curves); absent: all. */
  trainFraction?: Record<string, number>;
  /** Only these folders' validation splits select the best epoch and fit the temperature (absent: all). */
  validationFrom?: string[];
  /** Only these folders' test splits are evaluated at the end (absent: all). */
  testFrom?: string[];
  /** Leave out every clip of these sources ('synth:flite', ...) from all splits (unseen-engine tests). */
  excludeSources?: string[];
  /** Leave out every clip of these words from all splits and folders (a base model that never heard them). */
  excludeWords?: string[];
  /** A label set of its own (custom keywords: `_silence_`, `_unknown_`, keywords) instead of the task's. */
  labels?: string[];
  /** Data folders whose every clip is for training (a user's own recordings: no split of their own). */
  trainOnly?: string[];
  /** Data folders giving only other words: their clips of a label (keyword) are left out, the rest is `_unknown_`. */
  negativesOnly?: string[];
  /** Data folder -> at most this many clips per split (spread over the folder). */
  limitPerFolder?: Record<string, number>;
  seed: number;
  log: (line: string) => void;
}

export interface TrainingFolders {
  bySplit: Record<Split, DatasetItem[]>;
  dataDescription: ModelManifest['training']['data'];
  /** The data folder of each training item (for --repeat). */
  trainDir: Map<DatasetItem, string>;
  repeat: Map<string, number>;
  /** The folders' own noise recordings, each with the share of it that training may mix in. */
  datasetNoise: NoiseSource[];
  namedNoiseFiles: string[];
  /** Set when a folder without noise of its own cut its silence clips from --noise-dir recordings. */
  silenceFromNamedNoise: boolean;
  dirs: string[];
}

/** Train share of a folder's noise recordings: its silence clips for other splits come from the rest. */
export function trainShareOf(percentages: { validationPercent: number; testPercent: number }): number {
  return (100 - percentages.validationPercent - percentages.testPercent) / 100;
}

function takeSpread<T>(items: T[], limit: number): T[] {
  if (limit <= 0 || items.length <= limit) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]!);
}

export async function readTrainingFolders(o: TrainingFolderOptions, labels: readonly string[], config: FeatureConfig): Promise<TrainingFolders> {
  const bySplit: Record<Split, DatasetItem[]> = { train: [], validation: [], test: [] };
  const dataDescription: ModelManifest['training']['data'] = [];
  const holdout = new Set(o.holdout.map((d) => resolve(d)));
  const holdoutTestPercent = o.holdoutTestPercent ?? HOLDOUT_SPLIT.testPercent;
  const holdoutSplit = holdoutPercentages(holdoutTestPercent);
  const dirs = [...new Set([...o.data.map((d) => resolve(d)), ...holdout])];
  /** A per-folder option keyed by resolved path; every folder must be one of the data folders. */
  const perFolder = (option: string, entries: [string, number][]): Map<string, number> => {
    const byDir = new Map(entries.map(([dir, value]) => [resolve(dir), value]));
    for (const dir of byDir.keys()) if (!dirs.includes(dir)) throw new RangeError(`${option} ${dir}: not one of the --data/--holdout folders`);
    return byDir;
  };
  const repeat = perFolder('--repeat', Object.entries(o.repeat ?? {}));
  for (const [dir, times] of repeat) {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`--repeat ${dir}: times must be a positive integer, got ${times}`);
  }
  const trainFraction = perFolder('--train-fraction', Object.entries(o.trainFraction ?? {}));
  for (const [dir, share] of trainFraction) {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`--train-fraction ${dir}: share must be in [0, 1], got ${share}`);
  }
  const validationFrom = o.validationFrom && o.validationFrom.length > 0 ? perFolder('--validation-from', o.validationFrom.map((d) => [d, 1])) : null;
  const testFrom = o.testFrom ? perFolder('testFrom', o.testFrom.map((d) => [d, 1])) : null;
  const excluded = new Set(o.excludeSources ?? []);
  const excludedWords = new Set(o.excludeWords ?? []);
  const trainOnly = perFolder('--train-only', (o.trainOnly ?? []).map((d) => [d, 1]));
  const negativesOnly = perFolder('negativesOnly', (o.negativesOnly ?? []).map((d) => [d, 1]));
  const folderLimit = perFolder('limitPerFolder', Object.entries(o.limitPerFolder ?? {}));
  const keywordLabels = new Set(labels.filter((l) => l !== SILENCE_LABEL && l !== UNKNOWN_LABEL));
  const trainDir = new Map<DatasetItem, string>();
  const datasetNoise: NoiseSource[] = [];
  const namedNoiseFiles = (await Promise.all((o.noiseDirs ?? []).map(noiseFilesIn))).flat();
  /** Set when a folder without noise of its own cut its silence clips from --noise-dir recordings. */
  let silenceFromNamedNoise = false;
  for (const dir of dirs) {
    const readOptions = { task: o.task, seed: o.seed, fallbackNoiseFiles: namedNoiseFiles, silenceSliceSamples: config.clipLengthSamples, ...(o.labels ? { labels } : {}) };
    const ds = await readSpeechCommands(dir, holdout.has(dir) ? { ...readOptions, ...holdoutSplitOptions(holdoutTestPercent) } : readOptions);
    if (trainOnly.has(dir)) for (const item of ds.items) item.split = 'train';
    if (negativesOnly.has(dir)) {
      const before = ds.items.length;
      ds.items = ds.items.filter((item) => !keywordLabels.has(item.label));
      if (ds.items.length < before) o.log(`data ${dir}: left out ${before - ds.items.length} clips of the keywords (other words only from this folder)`);
    }
    if (ds.noiseFiles.length === 0 && namedNoiseFiles.length > 0) silenceFromNamedNoise = true;
    const usableFraction = trainShareOf(holdout.has(dir) ? holdoutSplit : DEFAULT_SPLIT);
    datasetNoise.push(...ds.noiseFiles.map((path) => ({ path, usableFraction })));
    const perSplit: Record<string, number> = {};
    const trainShare = trainFraction.get(dir);
    for (const split of ['train', 'validation', 'test'] as const) {
      const share = split === 'train' ? trainShare ?? 1 : 1;
      const unused = (split === 'validation' && validationFrom !== null && !validationFrom.has(dir)) || (split === 'test' && testFrom !== null && !testFrom.has(dir));
      const limit = folderLimit.get(dir) ?? o.limitPerSplit;
      const items = unused ? [] : takeSpread(ds.items.filter((it) => it.split === split && labels.includes(it.label) && !excluded.has(it.source) && !excludedWords.has(it.word) && inSpeakerFraction(it, share)), limit);
      bySplit[split].push(...items);
      perSplit[split] = items.length;
      if (split === 'train') for (const it of items) trainDir.set(it, dir);
    }
    dataDescription.push({ path: dir, splitMethod: ds.splitMethod, ...(holdout.has(dir) ? { holdoutTestPercent } : {}), ...(excluded.size > 0 ? { excludedSources: [...excluded] } : {}), ...(excludedWords.size > 0 ? { excludedWords: [...excludedWords] } : {}), items: Object.values(perSplit).reduce((a, b) => a + b, 0), perSplit, ...(trainShare === undefined ? {} : { trainFraction: trainShare }) });
    o.log(`data ${dir}: ${perSplit.train} train${trainShare === undefined ? '' : ` (${(100 * trainShare).toFixed(0)}% of its training speakers)`}, ${perSplit.validation} validation, ${perSplit.test} test (split by ${ds.splitMethod})`);
  }
  return { bySplit, dataDescription, trainDir, repeat, datasetNoise, namedNoiseFiles, silenceFromNamedNoise, dirs };
}
