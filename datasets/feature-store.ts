/**
 * Turns dataset items into feature matrices, computing each clip's features once per feature
 * configuration and caching them on disk (keyed by the configuration, the file's path, size and
 * mtime, and the slice), so training runs after the first read no audio at all. For augmented
 * training it also loads the raw waveforms once (`loadWaveforms`), to be re-featurised every epoch.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readAudio, fitToLength } from '../features/audio/index.js';
import { FeatureExtractor } from '../features/extractor.js';
import { framesFor, featureDim } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { DatasetItem } from './types.js';

/** Features of many clips in one block: x is [count, frames, dim] row-major, y the label indices. */
export interface ExampleSet {
  x: Float32Array;
  y: Int32Array;
  count: number;
  frames: number;
  dim: number;
  items: DatasetItem[];
}

/**
 * Training data whose features change every epoch (augmentation): the labels are fixed, the
 * features of epoch e ([count, frames, dim] row-major) come from `epochFeatures(e)`.
 */
export interface EpochSource {
  count: number;
  frames: number;
  dim: number;
  y: Int32Array;
  epochFeatures(epoch: number): Promise<Float32Array>;
  /** Releases threads and buffers; the source is unusable after. */
  close(): Promise<void>;
}

export interface LoadExamplesOptions {
  /** Where cached features live; default $KWS_CACHE_DIR or ~/.cache/kws/features. */
  cacheDir?: string;
  /** Called after each clip. */
  onProgress?: (done: number, total: number) => void;
  /** Items whose audio cannot be read are skipped and reported here instead of failing the load. */
  onSkip?: (item: DatasetItem, error: Error) => void;
}

export function defaultCacheDir(): string {
  return process.env.KWS_CACHE_DIR ?? join(homedir(), '.cache', 'kws', 'features');
}

function configKey(config: FeatureConfig): string {
  return createHash('sha1').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

async function itemKey(item: DatasetItem): Promise<string> {
  const info = await stat(item.path);
  const slice = item.slice ? `${item.slice.offsetSamples}:${item.slice.lengthSamples}` : '';
  return createHash('sha1').update(`${item.path}\0${info.size}\0${info.mtimeMs}\0${slice}`).digest('hex');
}

/** The 16 kHz samples of one item, cut to its slice and fitted to the clip length. */
export async function itemSamples(item: DatasetItem, clipLengthSamples: number): Promise<Float32Array> {
  const audio = await readAudio(item.path);
  const samples = item.slice
    ? audio.samples.subarray(item.slice.offsetSamples, item.slice.offsetSamples + item.slice.lengthSamples)
    : audio.samples;
  return fitToLength(samples, clipLengthSamples);
}

export async function loadExamples(
  items: DatasetItem[],
  labels: readonly string[],
  config: FeatureConfig,
  options: LoadExamplesOptions = {},
): Promise<ExampleSet> {
  const frames = framesFor(config, config.clipLengthSamples);
  const dim = featureDim(config);
  const clipSize = frames * dim;
  const dir = join(options.cacheDir ?? defaultCacheDir(), configKey(config));
  await mkdir(dir, { recursive: true });
  const extractor = new FeatureExtractor(config);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));

  const kept: DatasetItem[] = [];
  const x = new Float32Array(items.length * clipSize);
  const y = new Int32Array(items.length);
  for (const [n, item] of items.entries()) {
    const label = labelIndex.get(item.label);
    if (label === undefined) throw new RangeError(`${item.path}: label '${item.label}' is not one of ${labels.join(', ')}`);
    try {
      const key = await itemKey(item);
      const cachePath = join(dir, key.slice(0, 2), `${key}.f32`);
      let features: Float32Array | null = null;
      try {
        const bytes = await readFile(cachePath);
        if (bytes.byteLength === clipSize * 4) features = new Float32Array(bytes.buffer, bytes.byteOffset, clipSize).slice();
      } catch {
        features = null;
      }
      if (features === null) {
        const matrix = extractor.extract(await itemSamples(item, config.clipLengthSamples));
        features = matrix.data;
        await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
        await writeFileAtomic(cachePath, new Uint8Array(features.buffer, features.byteOffset, features.byteLength));
      }
      x.set(features, kept.length * clipSize);
      y[kept.length] = label;
      kept.push(item);
    } catch (err) {
      if (!options.onSkip) throw err;
      options.onSkip(item, err as Error);
    }
    options.onProgress?.(n + 1, items.length);
  }
  return { x: x.slice(0, kept.length * clipSize), y: y.slice(0, kept.length), count: kept.length, frames, dim, items: kept };
}

/** Raw clips of many items in one block: `clips` is [count, clipLength] Int16, on a SharedArrayBuffer. */
export interface WaveformSet {
  clips: Int16Array;
  clipLength: number;
  count: number;
  items: DatasetItem[];
}

/**
 * The 16 kHz samples of each item, fitted to `clipLength` and stored as Int16 in shared memory
 * (half the memory of Float32 and readable by a worker thread without a copy). Slices of the same
 * long recording are decoded once: items sorted by path hit the one-file cache.
 */
export async function loadWaveforms(items: DatasetItem[], clipLength: number, options: Omit<LoadExamplesOptions, 'cacheDir'> = {}): Promise<WaveformSet> {
  const buffer = new SharedArrayBuffer(items.length * clipLength * 2);
  const clips = new Int16Array(buffer);
  const kept: DatasetItem[] = [];
  let cached = null as { path: string; samples: Float32Array } | null;
  for (const [n, item] of items.entries()) {
    try {
      let samples: Float32Array;
      if (item.slice) {
        if (cached?.path !== item.path) cached = { path: item.path, samples: (await readAudio(item.path)).samples };
        samples = fitToLength(cached.samples.subarray(item.slice.offsetSamples, item.slice.offsetSamples + item.slice.lengthSamples), clipLength);
      } else {
        samples = await itemSamples(item, clipLength);
      }
      const row = kept.length * clipLength;
      for (let i = 0; i < clipLength; i++) clips[row + i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768)));
      kept.push(item);
    } catch (err) {
      if (!options.onSkip) throw err;
      options.onSkip(item, err as Error);
    }
    options.onProgress?.(n + 1, items.length);
  }
  return { clips: clips.subarray(0, kept.length * clipLength), clipLength, count: kept.length, items: kept };
}

/** `set` with example n repeated `times[n]` times (in order); for weighting data without augmentation. */
export function repeatExamples(set: ExampleSet, times: ArrayLike<number>): ExampleSet {
  if (times.length !== set.count) throw new RangeError(`repeatExamples: ${times.length} repeat counts for ${set.count} examples`);
  const clip = set.frames * set.dim;
  let total = 0;
  for (let n = 0; n < set.count; n++) total += times[n]!;
  const x = new Float32Array(total * clip);
  const y = new Int32Array(total);
  const items: DatasetItem[] = [];
  let out = 0;
  for (let n = 0; n < set.count; n++) {
    for (let r = 0; r < times[n]!; r++, out++) {
      x.set(set.x.subarray(n * clip, (n + 1) * clip), out * clip);
      y[out] = set.y[n]!;
      items.push(set.items[n]!);
    }
  }
  return { x, y, count: total, frames: set.frames, dim: set.dim, items };
}
