/**
 * `kws custom`: a keyword model for the user's own words. Synthesises the keywords and the words
 * that are not them (near misses, parts of phrases, everyday words) with the offline TTS engines,
 * fine-tunes the shipped model's LSTM layers under a new output layer (transfer learning), exports
 * the ONNX file with the parity proof, and sets its detection thresholds at <= 1 false accept per
 * hour on streams of voices and words it was not trained on. The user's own recordings are trained
 * on (weighed up) and kept out of that calibration.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_AUGMENT_CONFIG } from '../datasets/augment.js';
import { keywordFolderName, labelsForKeywords } from '../datasets/labels.js';
import { EspeakEngine } from '../datasets/synth/espeak.js';
import { FliteEngine } from '../datasets/synth/flite.js';
import { synthesizeDataset } from '../datasets/synth/generate.js';
import { isAudioFileName } from '../features/audio/index.js';
import { TARGET_SAMPLE_RATE_HZ } from '../features/types.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { weightsFromOnnx } from '../model/onnx/import.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import type { DetectionDefaults, ModelManifest } from '../model/types.js';
import { DEFAULT_MODEL_PATH } from '../pipeline/recognizer.js';
import { runEvaluateStream, type StreamReport } from '../evaluation/stream-evaluation.js';
import { writeFileAtomic } from '../util/atomic.js';
import { createProgress } from '../util/progress.js';
import { planNegativeWords, windowSamplesFor, type NegativeWords } from './plan.js';

export interface CustomJobOptions {
  keywords: string[];
  runDir: string;
  /** Folder of the user's recordings: one sub-folder per keyword (a phrase's words joined by `_`). */
  recordings?: string;
  /** Folders of other words (Speech Commands layout); their keyword clips are left out. */
  negatives?: string[];
  /** Folders of noise recordings mixed into training and the calibration streams. */
  noiseDirs?: string[];
  /** The float ONNX model to start from (default: the shipped model). */
  baseModel?: string;
  /** Synthetic clips per keyword (default 1000). */
  perKeyword?: number;
  /** Near-miss words per keyword (default 8). */
  nearMisses?: number;
  epochs?: number;
  /** Shift the pitch of half the training clips by up to ±N semitones (0 = off, the default). */
  pitchSemitones?: number;
  /** Minutes of calibration streams (default 60). */
  calibrationMinutes?: number;
  /** At most this many clips per split from each negatives folder (default 4000). */
  negativesPerSplit?: number;
  seed?: number;
  cacheDir?: string;
  command?: string;
  log: (line: string) => void;
}

export interface CustomRunSummary {
  keywords: string[];
  labels: string[];
  model: string;
  windowSeconds: number;
  negativeWords: NegativeWords;
  recordings: Record<string, number>;
  recordingsRepeat: number;
  negatives: string[];
  validationAccuracy: number | null;
  detection: DetectionDefaults | null;
  calibration: { minutes: number; keywords: number; fillers: number; report: string };
  seconds: Record<string, number>;
}

export const CUSTOM_SUMMARY_FILE = 'custom.json';
/** Clips of each other word, as shares of the clips per keyword (1000: 100, 250 and 25). */
const NEAR_MISS_SHARE = 0.1;
const PARTIAL_SHARE = 0.25;
const EVERYDAY_SHARE = 0.025;
/** Real recordings are repeated until they weigh about this share of a keyword's synthetic clips. */
const RECORDINGS_SHARE = 0.25;

/** Clips per keyword in the recordings folder; every sub-folder must be one of the keywords. */
export async function countRecordings(dir: string, keywords: readonly string[]): Promise<Record<string, number>> {
  const root = resolve(dir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new Error(`--recordings ${root}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const byFolder = new Map(keywords.map((k) => [keywordFolderName(k), k]));
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const keyword = byFolder.get(entry.name.toLowerCase());
    if (!keyword) throw new Error(`--recordings ${join(root, entry.name)}: not a keyword's folder (expected one of ${[...byFolder.keys()].join(', ')})`);
    counts[keyword] = (await readdir(join(root, entry.name))).filter(isAudioFileName).length;
  }
  if (Object.values(counts).reduce((a, b) => a + b, 0) === 0) {
    throw new Error(`--recordings ${root}: no audio files (expected ${[...byFolder.keys()].map((f) => `${f}/*.wav`).join(', ')})`);
  }
  return counts;
}

async function timed<T>(seconds: Record<string, number>, stage: string, log: (line: string) => void, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  seconds[stage] = Number(((performance.now() - started) / 1000).toFixed(1));
  log(`${stage}: ${seconds[stage]} s`);
  return result;
}

export async function runCustomJob(o: CustomJobOptions): Promise<CustomRunSummary> {
  const runDir = resolve(o.runDir);
  const seed = o.seed ?? 1;
  const perKeyword = o.perKeyword ?? 1000;
  const negatives = (o.negatives ?? []).map((d) => resolve(d));
  const noiseDirs = (o.noiseDirs ?? []).map((d) => resolve(d));
  const basePath = resolve(o.baseModel ?? DEFAULT_MODEL_PATH);
  const labels = labelsForKeywords(o.keywords);
  const seconds: Record<string, number> = {};
  const started = performance.now();
  await mkdir(runDir, { recursive: true });

  const base = weightsFromOnnx(new Uint8Array(await readFile(basePath)), basePath);
  const recordings = o.recordings ? resolve(o.recordings) : null;
  const recordingCounts = recordings ? await countRecordings(recordings, o.keywords) : {};

  o.log(`stage 1/4: plan (keywords ${o.keywords.map((k) => `'${k}'`).join(', ')}, starting from ${basePath})`);
  const espeak = await EspeakEngine.create();
  const flite = await FliteEngine.create();
  let window: { samples: number; longestSpokenSamples: number };
  let negativeWords: NegativeWords;
  try {
    window = await windowSamplesFor(o.keywords, espeak, flite);
    negativeWords = planNegativeWords(o.keywords, (text) => espeak.phonemes(text), o.nearMisses ?? 8);
  } finally {
    await espeak.close();
    await flite.close();
  }
  const windowSeconds = window.samples / TARGET_SAMPLE_RATE_HZ;
  o.log(`window ${windowSeconds} s (longest keyword spoken in ${(window.longestSpokenSamples / TARGET_SAMPLE_RATE_HZ).toFixed(2)} s)`);
  for (const k of o.keywords) o.log(`near misses of '${k}': ${negativeWords.nearMisses[k]!.join(', ')}`);
  if (negativeWords.partials.length > 0) o.log(`parts of phrases (negatives): ${negativeWords.partials.join(', ')}`);

  o.log('stage 2/4: synthesise keywords and other words');
  const synthDir = join(runDir, 'synth');
  const unknownWordCounts: Record<string, number> = {};
  for (const w of Object.values(negativeWords.nearMisses).flat()) unknownWordCounts[w] = Math.max(2, Math.round(NEAR_MISS_SHARE * perKeyword));
  for (const w of negativeWords.partials) unknownWordCounts[w] = Math.max(2, Math.round(PARTIAL_SHARE * perKeyword));
  await timed(seconds, 'synthesis', o.log, async () => {
    let progress: ReturnType<typeof createProgress> | undefined;
    const result = await synthesizeDataset({
      out: synthDir,
      seed,
      words: o.keywords,
      perWord: perKeyword,
      unknownWords: [...Object.keys(unknownWordCounts), ...negativeWords.everyday],
      unknownWordCounts,
      perUnknownWord: Math.max(2, Math.round(EVERYDAY_SHARE * perKeyword)),
      speakers: Math.max(perKeyword, 400),
      clipLengthSamples: window.samples,
      onProgress: (done, total) => {
        progress ??= createProgress('synthesis', total);
        progress.update(done);
      },
    });
    progress?.stop();
    o.log(`${synthDir}: ${result.written} files written, ${result.skipped} already there`);
  });

  const fewestRecordings = Math.min(...o.keywords.map((k) => recordingCounts[k] ?? Infinity));
  const recordingsRepeat = recordings && Number.isFinite(fewestRecordings) ? Math.max(1, Math.round((RECORDINGS_SHARE * perKeyword) / fewestRecordings)) : 1;
  if (recordings) {
    o.log(`recordings ${recordings}: ${o.keywords.map((k) => `${k} ${recordingCounts[k] ?? 0}`).join(', ')}; each used ${recordingsRepeat}x per epoch (augmented anew each time), for training only`);
  }

  o.log('stage 3/4: fine-tune');
  const features = { ...base.manifest.features, clipLengthSamples: window.samples };
  const { runTrainJob } = await import('../model/train-job.js');
  const limit = o.negativesPerSplit ?? 4000;
  const trained = await timed(seconds, 'training', o.log, () => runTrainJob({
    data: [synthDir, ...(recordings ? [recordings] : []), ...negatives],
    holdout: [],
    task: '12',
    labels,
    transferFrom: { source: basePath, weights: base.weights },
    trainOnly: recordings ? [recordings] : [],
    negativesOnly: negatives,
    limitPerFolder: Object.fromEntries(negatives.map((d) => [d, limit])),
    validationFrom: [synthDir, ...negatives],
    testFrom: [synthDir],
    features,
    runDir,
    epochs: o.epochs ?? 12,
    batchSize: 64,
    learningRate: 1e-3,
    patience: 3,
    plateauDecay: 0.5,
    labelSmoothing: 0.05,
    seed,
    resume: false,
    lstmUnits: base.weights.architecture.lstmUnits,
    hiddenUnits: base.weights.architecture.hiddenUnits,
    pooling: base.weights.architecture.pooling,
    dropout: 0.1,
    limitPerSplit: 0,
    cacheDir: o.cacheDir,
    augment: (o.pitchSemitones ?? 0) > 0 ? { ...DEFAULT_AUGMENT_CONFIG, pitch: { probability: 0.5, maxSemitones: o.pitchSemitones! } } : DEFAULT_AUGMENT_CONFIG,
    noiseDirs,
    repeat: recordings ? { [recordings]: recordingsRepeat } : {},
    priorCorrection: 1,
    command: o.command,
    log: o.log,
  }));

  const modelPath = join(runDir, 'model.onnx');
  await timed(seconds, 'export', o.log, async () => {
    const { exportCheckpointToOnnx } = await import('../model/export-job.js');
    const report = await exportCheckpointToOnnx(await loadCheckpoint(join(runDir, 'best.ckpt')), modelPath, { parityClips: 8 });
    for (const line of report.lines) o.log(line);
    if (!report.ok) throw new Error(`export of ${join(runDir, 'best.ckpt')} failed its checks; no model written`);
  });

  o.log(`stage 4/4: detection thresholds at <= 1 false accept/hour on ${o.calibrationMinutes ?? 60} min of streams (synthetic voices and words of the validation split${negatives.length > 0 ? ', and the negatives folders\' validation split' : ''}; your recordings are not used)`);
  const calibrationDir = join(runDir, 'calibration');
  const sink: string[] = [];
  const streams: StreamReport = await timed(seconds, 'calibration', o.log, () => runEvaluateStream({
    data: synthDir,
    negatives,
    split: 'validation',
    minutes: o.calibrationMinutes ?? 60,
    modelPath,
    seed,
    noiseDir: noiseDirs[0],
    reportDir: calibrationDir,
    saveThresholds: true,
    out: { write: (text: string) => sink.push(text) },
  }));
  const manifest: ModelManifest = readOnnxManifest(new Uint8Array(await readFile(modelPath)), modelPath);
  seconds.total = Number(((performance.now() - started) / 1000).toFixed(1));
  const summary: CustomRunSummary = {
    keywords: o.keywords,
    labels,
    model: modelPath,
    windowSeconds,
    negativeWords,
    recordings: recordingCounts,
    recordingsRepeat,
    negatives,
    validationAccuracy: trained.manifest.metrics.validationAccuracy ?? null,
    detection: manifest.detection ?? null,
    calibration: { minutes: o.calibrationMinutes ?? 60, keywords: streams.keywords, fillers: streams.fillers, report: join(calibrationDir, 'stream-report.json') },
    seconds,
  };
  await writeFileAtomic(join(runDir, CUSTOM_SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** The lines `kws custom` prints when it is done. */
export function describeCustomRun(s: CustomRunSummary): string[] {
  const d = s.detection;
  const thresholds = d ? [`default ${d.defaultThreshold}`, ...Object.entries(d.thresholds).map(([k, t]) => `${k} ${t}`)].join(', ') : 'none reached <= 1 FA/h: the detector\'s defaults';
  return [
    `model: ${s.model} (labels ${s.labels.join(', ')}; window ${s.windowSeconds} s)`,
    `validation accuracy (clips not trained on: held-out synthetic voices${s.negatives.length > 0 ? ', the negatives folders\' validation split' : ''}): ${s.validationAccuracy === null ? 'n/a' : `${(100 * s.validationAccuracy).toFixed(2)}%`}`,
    d
      ? `detection thresholds (${thresholds}): FRR ${(100 * d.measured.falseRejectRate).toFixed(1)}% at ${d.measured.falseAcceptsPerHour.toFixed(2)} false accepts/hour on ${s.calibration.minutes} min of calibration streams (${s.calibration.keywords} keywords, ${s.calibration.fillers} other words)`
      : `detection thresholds: ${thresholds}`,
    `time: ${Object.entries(s.seconds).map(([k, v]) => `${k} ${v} s`).join(', ')}`,
    `use it: kws listen --model ${s.model}  |  kws demo --model ${s.model}  |  kws transcribe --model ${s.model} FILES`,
  ];
}
