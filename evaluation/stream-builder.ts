/**
 * Long evaluation streams: command clips placed at seeded random times over background noise at a
 * random SNR, with non-command words between them, and the ground truth of where each word is.
 * Each stream is built from its own seed (seed, index), so stream i never depends on the others.
 */
import { readSpeechCommands, holdoutSplitOptions, NOISE_FOLDER } from '../datasets/speech-commands.js';
import { SILENCE_LABEL, type Split, type Task } from '../datasets/types.js';
import { isAudioFileName, readAudio, voicedSpan } from '../features/audio/index.js';
import type { TruthEvent } from './detection-metrics.js';
import { SeededRandom } from '../util/random.js';
import { readdir } from 'node:fs/promises';
import { join, resolve, basename } from 'node:path';

const SAMPLE_RATE = 16000;

/** A clip that may be placed in a stream; `label` is its model label (a keyword, or e.g. `_unknown_`). */
export interface SourceClip {
  path: string;
  label: string;
  word: string;
}

export interface StreamSources {
  /** Clips of the keywords the detector should fire on. */
  keywords: readonly SourceClip[];
  /** Other speech placed between keywords (the detector should stay quiet). */
  fillers: readonly SourceClip[];
  /** Background noise recordings; none: seeded white noise. */
  noiseFiles: readonly string[];
  /** Reads a wav as 16 kHz mono (default readAudio). */
  read?: (path: string) => Promise<Float32Array>;
}

export interface StreamOptions {
  durationSeconds: number;
  seed: number;
  /** Share of placed clips that are keywords (default 0.5). */
  keywordShare?: number;
  /** Noise-only gap after each placed clip, uniform in [min, max] seconds (default [1, 3]). */
  gapSeconds?: readonly [number, number];
  /** Speech-to-noise ratio of the stream, uniform in [min, max] dB (default [5, 20]). */
  snrDb?: readonly [number, number];
}

export interface BuiltStream {
  index: number;
  samples: Float32Array;
  durationSeconds: number;
  /** Keywords placed, in time order (the voiced part of each clip). */
  truth: TruthEvent[];
  /** Fillers placed, in time order. */
  fillers: TruthEvent[];
  snrDb: number;
  /** Noise file name, or 'white noise'. */
  noise: string;
}

export const DEFAULT_KEYWORD_SHARE = 0.5;
export const DEFAULT_GAP_SECONDS: readonly [number, number] = [1, 3];
export const DEFAULT_SNR_DB: readonly [number, number] = [5, 20];

async function readSamples(path: string): Promise<Float32Array> {
  return (await readAudio(path)).samples;
}

function uniformIn(rng: SeededRandom, [lo, hi]: readonly [number, number]): number {
  return lo + (hi - lo) * rng.next();
}

function checkRange(range: readonly [number, number], field: string, min: number): void {
  if (!Array.isArray(range) || range.length !== 2 || !(range[0] >= min) || !(range[1] >= range[0])) {
    throw new RangeError(`stream options ${field} must be [min, max] with ${min} <= min <= max, got ${JSON.stringify(range)}`);
  }
}

/** Builds stream `index` of a series: deterministic in (sources, options.seed, index). */
export async function buildStream(sources: StreamSources, index: number, options: StreamOptions): Promise<BuiltStream> {
  const read = sources.read ?? readSamples;
  const keywordShare = options.keywordShare ?? DEFAULT_KEYWORD_SHARE;
  const gapRange = options.gapSeconds ?? DEFAULT_GAP_SECONDS;
  const snrRange = options.snrDb ?? DEFAULT_SNR_DB;
  if (!(options.durationSeconds > 0)) throw new RangeError(`stream options durationSeconds must be > 0, got ${options.durationSeconds}`);
  if (!(keywordShare >= 0 && keywordShare <= 1)) throw new RangeError(`stream options keywordShare must be in [0, 1], got ${keywordShare}`);
  checkRange(gapRange, 'gapSeconds', 0);
  checkRange(snrRange, 'snrDb', -Infinity);
  if (sources.keywords.length === 0) throw new RangeError('stream sources: no keyword clips to place');

  const rng = new SeededRandom(((options.seed >>> 0) * 7919 + index * 104729 + 1) >>> 0);
  const length = Math.round(options.durationSeconds * SAMPLE_RATE);
  const out = new Float32Array(length);
  const truth: TruthEvent[] = [];
  const fillers: TruthEvent[] = [];
  let speechEnergy = 0;
  let speechSamples = 0;
  let cursor = Math.round(uniformIn(rng, gapRange) * SAMPLE_RATE);
  for (;;) {
    const isKeyword = sources.fillers.length === 0 || rng.next() < keywordShare;
    const pool = isKeyword ? sources.keywords : sources.fillers;
    const clip = pool[rng.int(pool.length)]!;
    const samples = await read(clip.path);
    if (cursor + samples.length > length) break;
    out.set(samples, cursor);
    const [a, b] = voicedSpan(samples);
    for (let i = a; i < b; i++) speechEnergy += samples[i]! * samples[i]!;
    speechSamples += b - a;
    const event: TruthEvent = { label: clip.label, word: clip.word, source: clip.path, startSeconds: (cursor + a) / SAMPLE_RATE, endSeconds: (cursor + b) / SAMPLE_RATE };
    (isKeyword ? truth : fillers).push(event);
    cursor += samples.length + Math.round(uniformIn(rng, gapRange) * SAMPLE_RATE);
  }

  const snrDb = uniformIn(rng, snrRange);
  let noise: Float32Array;
  let noiseName: string;
  if (sources.noiseFiles.length > 0) {
    const file = sources.noiseFiles[rng.int(sources.noiseFiles.length)]!;
    noise = await read(file);
    noiseName = basename(file);
  } else {
    noise = new Float32Array(SAMPLE_RATE * 10);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.next() * 2 - 1;
    noiseName = 'white noise';
  }
  if (noise.length === 0) throw new RangeError(`noise ${noiseName} holds no samples`);
  let noiseEnergy = 0;
  for (let i = 0; i < noise.length; i++) noiseEnergy += noise[i]! * noise[i]!;
  const speechPower = speechSamples > 0 ? speechEnergy / speechSamples : 1e-4;
  const noisePower = Math.max(noiseEnergy / noise.length, 1e-12);
  const gain = Math.sqrt(speechPower / (noisePower * 10 ** (snrDb / 10)));
  let at = rng.int(noise.length);
  for (let i = 0; i < length; i++) {
    out[i] = Math.max(-1, Math.min(1, out[i]! + gain * noise[at]!));
    at = at + 1 === noise.length ? 0 : at + 1;
  }
  return { index, samples: out, durationSeconds: length / SAMPLE_RATE, truth, fillers, snrDb, noise: noiseName };
}

export interface DatasetStreamSourceOptions {
  task: Task;
  /** The model's labels, when they are not the task's (custom keywords): words map to them. */
  labels?: readonly string[];
  /** Take only other words from this folder (its keyword clips are left out): a folder of negatives. */
  fillersOnly?: boolean;
  /** Which split's clips to use (data the model was not trained on); 'all' for every clip. */
  split: Split | 'all';
  /** Use the hold-out speaker re-split (as `kws train --holdout`). */
  holdout?: boolean;
  /** With `holdout`: percent of the speakers held out for testing (default HOLDOUT_SPLIT's; see model/holdout.ts). */
  holdoutTestPercent?: number;
  /** Labels that count as keywords (default: every label of the task but silence and unknown). */
  keywordLabels: readonly string[];
  /** Folder of noise wavs, or a dataset folder with `_background_noise_/`; default: the dataset's own. */
  noiseDir?: string;
}

async function wavsIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isAudioFileName(e.name)).map((e) => join(dir, e.name)).sort();
}

/** Keyword and filler clips of one split of a Speech Commands-layout folder, and its noise files. */
export async function streamSourcesFromDataset(root: string, options: DatasetStreamSourceOptions): Promise<StreamSources> {
  const dataset = await readSpeechCommands(root, { task: options.task, silenceFraction: 0, ...(options.labels ? { labels: options.labels } : {}), ...(options.holdout ? holdoutSplitOptions(options.holdoutTestPercent) : {}) });
  const keywordSet = new Set(options.keywordLabels);
  const keywords: SourceClip[] = [];
  const fillers: SourceClip[] = [];
  for (const item of dataset.items) {
    if (item.slice || item.label === SILENCE_LABEL) continue;
    if (options.split !== 'all' && item.split !== options.split) continue;
    const isKeyword = keywordSet.has(item.label);
    if (isKeyword && options.fillersOnly) continue;
    (isKeyword ? keywords : fillers).push({ path: item.path, label: item.label, word: item.word });
  }
  if (keywords.length === 0 && !options.fillersOnly) throw new RangeError(`dataset ${resolve(root)}: no keyword clips (${options.keywordLabels.join(', ')}) in split ${options.split}`);
  let noiseFiles = dataset.noiseFiles;
  if (options.noiseDir !== undefined) {
    const dir = resolve(options.noiseDir);
    const nested = await wavsIn(join(dir, NOISE_FOLDER)).catch(() => [] as string[]);
    noiseFiles = nested.length > 0 ? nested : await wavsIn(dir);
    if (noiseFiles.length === 0) throw new RangeError(`noise folder ${dir}: no wav files (nor a ${NOISE_FOLDER}/ folder of them)`);
  }
  return { keywords, fillers, noiseFiles };
}

/** Several folders' stream sources as one: their keywords, fillers and noise recordings together. */
export function mergeStreamSources(parts: readonly StreamSources[]): StreamSources {
  return {
    keywords: parts.flatMap((p) => p.keywords),
    fillers: parts.flatMap((p) => p.fillers),
    noiseFiles: [...new Set(parts.flatMap((p) => p.noiseFiles))],
  };
}

/** What `modelStreamSources` needs of a model: its labels and task. */
export interface StreamModel {
  labels: readonly string[];
  task: string;
}

/**
 * The stream sources for a model: keywords and other words of `data` (and `extraData`, and of
 * `holdoutData` under the hold-out speaker re-split), other words only of `negatives`, all of the
 * same split, with the model's labels (a custom label set included).
 */
export async function modelStreamSources(
  model: StreamModel,
  keywordLabels: readonly string[],
  options: { data: string; split: Split | 'all'; holdout?: boolean; holdoutTestPercent?: number; noiseDir?: string; extraData?: readonly string[]; holdoutData?: readonly string[]; negatives?: readonly string[] },
): Promise<StreamSources> {
  const task: Task = model.task === '35' ? '35' : '12';
  const sourceOptions = { task, labels: model.labels, split: options.split, holdout: options.holdout, holdoutTestPercent: options.holdoutTestPercent, keywordLabels, noiseDir: options.noiseDir };
  return mergeStreamSources([
    await streamSourcesFromDataset(options.data, sourceOptions),
    ...(await Promise.all((options.extraData ?? []).map((dir) => streamSourcesFromDataset(dir, sourceOptions)))),
    ...(await Promise.all((options.holdoutData ?? []).map((dir) => streamSourcesFromDataset(dir, { ...sourceOptions, holdout: true })))),
    ...(await Promise.all((options.negatives ?? []).map((dir) => streamSourcesFromDataset(dir, { ...sourceOptions, fillersOnly: true })))),
  ]);
}
