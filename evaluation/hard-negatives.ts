/**
 * Hard negatives mined from long streams (`kws mine-negatives`): streams built from clips of the
 * speakers a model trains on, the detector run at a low threshold, and the window behind every
 * detection that matches no spoken keyword (another word, part of a word, noise) written as a clip
 * of an other-word folder, to train on with `kws train --data DIR --train-only DIR`.
 *
 * A window holding most of a placed keyword is a confusion between commands, not a negative: it is
 * left out (the same line as the partial-word augmentation, which cuts at least 40% of the word).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Split } from '../datasets/types.js';
import { writeWavPcm16 } from '../features/audio/index.js';
import { createProgress } from '../util/progress.js';
import { writeFileAtomic } from '../util/atomic.js';
import { DEFAULT_MODEL_PATH, Recognizer } from '../pipeline/recognizer.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import { DEFAULT_MATCH_TOLERANCE_SECONDS, matchDetections, type TruthEvent } from './detection-metrics.js';
import { buildStream, modelStreamSources } from './stream-builder.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { DEFAULT_STREAM_SECONDS } from './stream-evaluation.js';

/** Share of a keyword's voiced span a window may hold and still be mined as a negative. */
export const MAX_KEYWORD_SHARE_IN_NEGATIVE = 0.6;
/** Folder (an other word, so `_unknown_`) the mined windows go to inside `out`. */
export const MINED_FOLDER = 'mined';
export const DEFAULT_MINING_THRESHOLD = 0.5;

export interface MineNegativesOptions {
  data: string;
  split: Split | 'all';
  holdout?: boolean;
  minutes: number;
  modelPath?: string;
  /** Seed of the streams; file names carry it, so runs with other seeds add to the same folder. */
  seed?: number;
  noiseDir?: string;
  /** Dataset folder to write into (`out/mined/*.wav`). */
  out: string;
  /** Detector threshold for every keyword while mining (default 0.5). */
  threshold?: number;
  streamSeconds?: number;
  /** More folders to take other words from (same split). */
  negatives?: string[];
  progress?: boolean;
}

export interface MineNegativesReport {
  model: string;
  data: string;
  split: string;
  seed: number;
  threshold: number;
  totalSeconds: number;
  keywords: number;
  /** Detections that matched no keyword. */
  falseAccepts: number;
  /** Of those, windows holding most of a keyword (confusions), not written. */
  keywordWindows: number;
  written: number;
  /** Written windows by the label that fired, and by what was said under them. */
  byLabel: Record<string, number>;
  byUnder: Record<string, number>;
  folder: string;
}

/** The largest share of any keyword's voiced span inside [start, end] seconds. */
export function keywordShareIn(start: number, end: number, keywords: readonly TruthEvent[]): number {
  let most = 0;
  for (const k of keywords) {
    const length = k.endSeconds - k.startSeconds;
    if (length <= 0) continue;
    const overlap = Math.min(end, k.endSeconds) - Math.max(start, k.startSeconds);
    if (overlap > 0) most = Math.max(most, overlap / length);
  }
  return most;
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export async function runMineNegatives(options: MineNegativesOptions): Promise<MineNegativesReport> {
  const seed = options.seed ?? 1;
  const threshold = options.threshold ?? DEFAULT_MINING_THRESHOLD;
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`mining threshold must be in (0, 1), got ${threshold}`);
  if (!(options.minutes > 0)) throw new RangeError(`minutes must be > 0, got ${options.minutes}`);
  const streamSeconds = Math.min(options.streamSeconds ?? DEFAULT_STREAM_SECONDS, options.minutes * 60);
  const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
  const folder = join(resolve(options.out), MINED_FOLDER);
  await mkdir(folder, { recursive: true });
  const prefix = `s${seed}x`;
  const existing = (await readdir(folder)).filter((n) => n.startsWith(prefix));
  if (existing.length > 0) throw new Error(`${folder} already holds ${existing.length} clips mined with seed ${seed}: use another --seed (clips add up) or another --out`);

  const recognizer = await Recognizer.create(modelPath);
  try {
    const detector = createNodeDetector(recognizer, { defaultThreshold: threshold });
    const keywordLabels = recognizer.labels.filter((l) => !detector.config.ignoreLabels.includes(l));
    // A hold-out folder's train split is the one this model trained on (its own held-out share).
    const holdoutTestPercent = options.holdout ? holdoutTestPercentFor(recognizer.manifest) : undefined;
    const sources = await modelStreamSources({ labels: recognizer.labels, task: recognizer.manifest.task }, keywordLabels, { ...options, holdoutTestPercent });
    const streams = Math.ceil((options.minutes * 60) / streamSeconds);
    const rate = detector.features.sampleRateHz;
    const windowSamples = detector.windowSamples;
    const report: MineNegativesReport = {
      model: resolve(modelPath), data: resolve(options.data), split: options.split, seed, threshold, totalSeconds: streams * streamSeconds,
      keywords: 0, falseAccepts: 0, keywordWindows: 0, written: 0, byLabel: {}, byUnder: {}, folder,
    };
    const progress = options.progress === false ? { update() {}, stop() {} } : createProgress('mine-negatives', streams);
    try {
      for (let i = 0; i < streams; i++) {
        const stream = await buildStream(sources, i, { durationSeconds: streamSeconds, seed });
        report.keywords += stream.truth.length;
        const { detections } = await scanRecording(detector, stream.samples);
        const { falseAcceptDetections } = matchDetections(detections, stream.truth, DEFAULT_MATCH_TOLERANCE_SECONDS);
        let n = 0;
        for (const d of falseAcceptDetections) {
          report.falseAccepts++;
          const end = Math.min(stream.samples.length, Math.round(d.endSeconds * rate));
          const start = end - windowSamples;
          if (start < 0) continue;
          if (keywordShareIn(start / rate, end / rate, stream.truth) > MAX_KEYWORD_SHARE_IN_NEGATIVE) {
            report.keywordWindows++;
            continue;
          }
          const under = [...stream.truth, ...stream.fillers].find((w) => w.endSeconds > start / rate && w.startSeconds < end / rate);
          // One "speaker" per stream: the mined clips of a stream share a split if the folder is ever split by speaker.
          await writeWavPcm16(join(folder, `${prefix}${i}_nohash_${n++}.wav`), stream.samples.slice(start, end), rate);
          report.written++;
          count(report.byLabel, d.label);
          count(report.byUnder, under ? (under.word ?? under.label) : 'noise only');
        }
        progress.update(i + 1, { written: report.written });
      }
    } finally {
      progress.stop();
    }
    await writeFileAtomic(join(folder, `mined-s${seed}.json`), JSON.stringify(report, null, 2) + '\n');
    return report;
  } finally {
    await recognizer.dispose();
  }
}
