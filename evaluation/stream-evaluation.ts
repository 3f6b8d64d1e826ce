/**
 * Stream evaluation (`kws evaluate-stream`): keyword detection on long streams built from held-out clips over
 * background noise. The model runs once per stream; thresholds are swept over the stored smoothed
 * posteriors to give false rejection rate vs false accepts per hour (the DET curve) and the
 * threshold of the <= 1 false accept per hour operating point.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Split } from '../datasets/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lineChartHtml } from '../util/charts.js';
import {
  chooseStreamThresholds, detCurve, detPoint, DEFAULT_MATCH_TOLERANCE_SECONDS, matchDetections,
  TARGET_FALSE_ACCEPTS_PER_HOUR, type DetPoint, type PerKeywordOperatingPoint, type ScoredStream, type SweepOptions, type TruthEvent,
} from './detection-metrics.js';
import { DEFAULT_REPORT_DIR } from './evaluate.js';
import { createProgress } from '../util/progress.js';
import { DEFAULT_MODEL_PATH, Recognizer } from '../pipeline/recognizer.js';
import { updateOnnxManifest } from '../model/onnx/manifest-file.js';
import { buildStream, modelStreamSources } from './stream-builder.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import { replayTrigger } from '../pipeline/streaming/trigger.js';
import type { DetectorConfig } from '../pipeline/streaming/types.js';
import type { StreamingDetector } from '../pipeline/streaming/detector.js';

export const STREAM_SPLITS: readonly (Split | 'all')[] = ['test', 'validation', 'train', 'all'];
export const DEFAULT_STREAM_MINUTES = 30;
export const DEFAULT_STREAM_SECONDS = 120;

export interface EvaluateStreamOptions {
  data: string;
  split: Split | 'all';
  holdout?: boolean;
  /** With `holdout`: percent of the speakers held out for testing (default: the model's own, see model/holdout.ts). */
  holdoutTestPercent?: number;
  minutes?: number;
  modelPath?: string;
  seed?: number;
  reportDir?: string;
  json?: boolean;
  /** Length of each built stream (default 120 s); the total is split into streams of this length. */
  streamSeconds?: number;
  noiseDir?: string;
  detector?: Partial<DetectorConfig>;
  out?: { write(text: string): unknown };
  /** Progress display on stderr (default true). */
  progress?: boolean;
  /** Store the operating point's threshold in the model file as its detection default (not on 'test'). */
  saveThresholds?: boolean;
  /** Report and save one threshold for every keyword even where per-keyword thresholds miss fewer on these streams (they may not carry over to other speakers). */
  oneThreshold?: boolean;
  /** More folders to take keywords and other words from (same split). */
  extraData?: string[];
  /** More folders to take keywords and other words from, split by the hold-out speaker re-split (as `kws train --holdout DIR`) at the same share as `holdout`. */
  holdoutData?: string[];
  /** Folders to take only other words from (their keyword clips are left out), same split. */
  negatives?: string[];
  /** False-accept budget of the operating point and of saved thresholds (default TARGET_FALSE_ACCEPTS_PER_HOUR). */
  maxFalseAcceptsPerHour?: number;
}

export interface StreamReport {
  model: string;
  data: string;
  split: string;
  holdout: boolean;
  /** Hold-out folders whose clips of the same split were placed too (absent: none). */
  holdoutData?: string[];
  /** With `holdout` or `holdoutData`: the percent of the folders' speakers held out for testing that the split was read with. */
  holdoutTestPercent?: number;
  seed: number;
  totalSeconds: number;
  keywords: number;
  fillers: number;
  detector: DetectorConfig & { effectiveHopMs: number; smoothingLength: number };
  toleranceSeconds: number;
  /** Results at the detector's configured thresholds. */
  atConfiguredThreshold: DetPoint;
  /** When the hits there fired, after the end of the word's voiced part (seconds; null: no hits). */
  latencyAtConfiguredThreshold: { hits: number; medianSeconds: number; p90Seconds: number } | null;
  /** Per keyword at the detector's thresholds: how often it was said, missed, and fired where it was not said. */
  perKeywordAtConfiguredThreshold: Record<string, { keywords: number; misses: number; falseRejectRate: number; falseAccepts: number }>;
  sweep: DetPoint[];
  /** `oneThreshold`: the point reported and saved is the one threshold even where per-keyword thresholds miss fewer. */
  operatingPoint: { maxFalseAcceptsPerHour: number; point: DetPoint | null; oneThreshold?: boolean };
  /** Per-keyword thresholds at the same budget (null: none keeps it). */
  perKeywordOperatingPoint: PerKeywordOperatingPoint | null;
  /** What fired falsely at the operating point (per-keyword where it misses fewer), and what was said there. */
  falseAcceptsAtOperatingPoint: FalseAccept[];
  /** The thresholds the detector ran with (the model's measured ones unless overridden). */
  configuredThresholds: { defaultThreshold: number; thresholds: Record<string, number> };
  streams: { index: number; seconds: number; snrDb: number; noise: string; keywords: number; fillers: number }[];
  processingSeconds: number;
  realTimeFactor: number;
}

export interface FalseAccept {
  stream: number;
  firedAtSeconds: number;
  label: string;
  score: number;
  /** The word placed where it fired (a distractor, or a keyword it took for another), null: noise only. */
  under: string | null;
}

export interface OperatingThresholds {
  thresholds: { defaultThreshold: number; thresholds: Record<string, number> };
  measured: Pick<DetPoint, 'falseRejectRate' | 'falseAcceptsPerHour'>;
}

/**
 * The operating point kws reports and saves: per-keyword thresholds only where they measured fewer
 * misses than one threshold for all; null when neither keeps the false-accept budget.
 */
export function operatingThresholds(point: DetPoint | null, perKeyword: PerKeywordOperatingPoint | null): OperatingThresholds | null {
  if (perKeyword && (!point || perKeyword.point.falseRejectRate < point.falseRejectRate)) {
    const defaultThreshold = point?.threshold ?? Math.max(...Object.values(perKeyword.thresholds));
    return { thresholds: { defaultThreshold, thresholds: perKeyword.thresholds }, measured: perKeyword.point };
  }
  return point ? { thresholds: { defaultThreshold: point.threshold, thresholds: {} }, measured: point } : null;
}

/** Sweep settings that replay a detector's stored posteriors as the detector ran them: its trigger, window and smoothing length. */
export function detectorSweepOptions(detector: StreamingDetector, labels: readonly string[]): SweepOptions {
  return {
    labels,
    trigger: detector.config,
    windowSeconds: detector.windowSamples / detector.features.sampleRateHz,
    historyLength: detector.smoothingLength,
    toleranceSeconds: DEFAULT_MATCH_TOLERANCE_SECONDS,
  };
}

/** Replays the streams at `thresholds` and names what was said under every false accept. */
function falseAcceptsAt(
  streams: readonly ScoredStream[],
  fillers: readonly (readonly TruthEvent[])[],
  options: SweepOptions,
  thresholds: { defaultThreshold: number; thresholds: Record<string, number> },
): FalseAccept[] {
  const out: FalseAccept[] = [];
  streams.forEach((s, index) => {
    const detections = replayTrigger(options.labels, s.posteriors, { ...options.trigger, ...thresholds }, options.windowSeconds, options.historyLength);
    const words = [...s.truth, ...fillers[index]!];
    for (const d of matchDetections(detections, s.truth, options.toleranceSeconds).falseAcceptDetections) {
      const tolerance = options.toleranceSeconds ?? DEFAULT_MATCH_TOLERANCE_SECONDS;
      const under = words.find((w) => d.firedAtSeconds >= w.startSeconds && d.firedAtSeconds <= w.endSeconds + tolerance);
      out.push({ stream: index, firedAtSeconds: Number(d.firedAtSeconds.toFixed(3)), label: d.label, score: Number(d.score.toFixed(4)), under: under ? (under.word ?? under.label) : null });
    }
  });
  return out;
}

function latencySummary(latencies: number[]): StreamReport['latencyAtConfiguredThreshold'] {
  if (latencies.length === 0) return null;
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
  return { hits: sorted.length, medianSeconds: at(0.5), p90Seconds: at(0.9) };
}

function percent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

export function sweepTable(points: readonly DetPoint[]): string {
  const rows = points.map((p) => [p.threshold.toString(), percent(p.falseRejectRate), p.falseAcceptsPerHour.toFixed(2), String(p.hits), String(p.misses), String(p.falseAccepts)]);
  const header = ['threshold', 'FRR', 'FA/h', 'hits', 'misses', 'false accepts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n') + '\n';
}

export async function runEvaluateStream(options: EvaluateStreamOptions): Promise<StreamReport> {
  const out = options.out ?? process.stdout;
  const minutes = options.minutes ?? DEFAULT_STREAM_MINUTES;
  const seed = options.seed ?? 1;
  const streamSeconds = Math.min(options.streamSeconds ?? DEFAULT_STREAM_SECONDS, minutes * 60);
  if (!(minutes > 0)) throw new RangeError(`minutes must be > 0, got ${minutes}`);
  if (!(streamSeconds >= 5)) throw new RangeError(`streamSeconds must be >= 5, got ${streamSeconds}`);
  const budget = options.maxFalseAcceptsPerHour ?? TARGET_FALSE_ACCEPTS_PER_HOUR;
  if (!(budget >= 0)) throw new RangeError(`maxFalseAcceptsPerHour must be >= 0, got ${budget}`);
  const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
  if (options.saveThresholds && options.split === 'test') {
    throw new RangeError('--save-thresholds: choose thresholds on the validation split, not on the test split whose figures they would then bias');
  }
  const recognizer = await Recognizer.create(modelPath);
  try {
    const detector = createNodeDetector(recognizer, options.detector);
    const keywordLabels = recognizer.labels.filter((l) => !detector.config.ignoreLabels.includes(l));
    const holdoutData = (options.holdoutData ?? []).map((dir) => resolve(dir));
    const holdoutTestPercent = options.holdout || holdoutData.length > 0 ? holdoutTestPercentFor(recognizer.manifest, options.holdoutTestPercent) : undefined;
    const sources = await modelStreamSources({ labels: recognizer.labels, task: recognizer.manifest.task }, keywordLabels, { ...options, holdoutData, holdoutTestPercent });
    if (sources.noiseFiles.length === 0) process.stderr.write(`warning: ${options.data} has no _background_noise_ recordings (use --noise DIR); mixing seeded white noise\n`);
    const count = Math.ceil((minutes * 60) / streamSeconds);
    const totalSeconds = count * streamSeconds;
    const progress = options.progress === false ? { update() {}, stop() {} } : createProgress('evaluate-stream', Math.round(totalSeconds));
    const scored: ScoredStream[] = [];
    const placedFillers: TruthEvent[][] = [];
    const streams: StreamReport['streams'] = [];
    const configured = { hits: 0, misses: 0, falseAccepts: 0 };
    const perKeyword: StreamReport['perKeywordAtConfiguredThreshold'] = {};
    const tally = (label: string) => (perKeyword[label] ??= { keywords: 0, misses: 0, falseRejectRate: 0, falseAccepts: 0 });
    for (const label of keywordLabels) tally(label);
    const latencies: number[] = [];
    let processing = 0;
    let done = 0;
    try {
      for (let i = 0; i < count; i++) {
        const s = await buildStream(sources, i, { durationSeconds: streamSeconds, seed });
        const started = performance.now();
        const { detections, posteriors } = await scanRecording(detector, s.samples, {
          keepPosteriors: true,
          onProgress: (seconds) => progress.update(Math.round(done + seconds), { stream: `${i + 1}/${count}` }),
        });
        processing += (performance.now() - started) / 1000;
        done += s.durationSeconds;
        const r = matchDetections(detections, s.truth, DEFAULT_MATCH_TOLERANCE_SECONDS);
        configured.hits += r.hits;
        configured.misses += r.misses;
        configured.falseAccepts += r.falseAccepts;
        for (const m of r.matched) latencies.push(m.detection.firedAtSeconds - m.truth.endSeconds);
        for (const m of r.matched) tally(m.truth.label).keywords++;
        for (const t of r.missedTruths) {
          tally(t.label).keywords++;
          tally(t.label).misses++;
        }
        for (const d of r.falseAcceptDetections) tally(d.label).falseAccepts++;
        scored.push({ durationSeconds: s.durationSeconds, posteriors, truth: s.truth });
        placedFillers.push(s.fillers);
        streams.push({ index: i, seconds: s.durationSeconds, snrDb: Number(s.snrDb.toFixed(2)), noise: s.noise, keywords: s.truth.length, fillers: s.fillers.length });
      }
    } finally {
      progress.stop();
    }
    const sweepOptions = detectorSweepOptions(detector, recognizer.labels);
    const { sweep, point, perKeyword: perKeywordPoint } = chooseStreamThresholds(scored, sweepOptions, keywordLabels, budget);
    const operating = operatingThresholds(point, options.oneThreshold ? null : perKeywordPoint);
    for (const k of Object.values(perKeyword)) k.falseRejectRate = k.keywords > 0 ? k.misses / k.keywords : 0;
    const falseAccepts = operating ? falseAcceptsAt(scored, placedFillers, sweepOptions, operating.thresholds) : [];
    const report: StreamReport = {
      model: resolve(modelPath),
      data: resolve(options.data),
      split: options.split,
      holdout: options.holdout ?? false,
      ...(holdoutData.length > 0 ? { holdoutData } : {}),
      ...(holdoutTestPercent === undefined ? {} : { holdoutTestPercent }),
      seed,
      totalSeconds,
      keywords: streams.reduce((a, s) => a + s.keywords, 0),
      fillers: streams.reduce((a, s) => a + s.fillers, 0),
      detector: { ...detector.config, effectiveHopMs: detector.effectiveHopMs, smoothingLength: detector.smoothingLength },
      toleranceSeconds: DEFAULT_MATCH_TOLERANCE_SECONDS,
      atConfiguredThreshold: detPoint(detector.config.defaultThreshold, configured, totalSeconds),
      latencyAtConfiguredThreshold: latencySummary(latencies),
      perKeywordAtConfiguredThreshold: perKeyword,
      sweep,
      operatingPoint: { maxFalseAcceptsPerHour: budget, point, ...(options.oneThreshold ? { oneThreshold: true } : {}) },
      perKeywordOperatingPoint: perKeywordPoint,
      falseAcceptsAtOperatingPoint: falseAccepts,
      configuredThresholds: { defaultThreshold: detector.config.defaultThreshold, thresholds: detector.config.thresholds },
      streams,
      processingSeconds: Number(processing.toFixed(3)),
      realTimeFactor: processing / totalSeconds,
    };
    const reportDir = resolve(options.reportDir ?? DEFAULT_REPORT_DIR);
    await mkdir(reportDir, { recursive: true });
    await writeFileAtomic(join(reportDir, 'stream-report.json'), JSON.stringify(report, null, 2) + '\n');
    const html = lineChartHtml(
      `DET curve: ${report.keywords} keywords in ${(totalSeconds / 60).toFixed(1)} min of streams (FA/h = 0 points are off the log axis)`,
      [{ name: 'DET', points: detCurve(sweep) }],
      { x: 'false accepts per hour', y: 'false rejection rate', logX: true, logY: true },
    );
    await writeFileAtomic(join(reportDir, 'det-curve.html'), html);

    let saved: OperatingThresholds['thresholds'] | null = null;
    if (options.saveThresholds) {
      if (!operating) throw new Error(`--save-thresholds: no swept threshold reaches <= ${budget} FA/h; ${modelPath} left unchanged`);
      saved = operating.thresholds;
      const detection = {
        ...saved,
        hopMs: detector.config.hopMs,
        smoothingMs: detector.config.smoothingMs,
        refractoryMs: detector.config.refractoryMs,
        chosenOn: { data: report.data, split: report.split, holdout: report.holdout, ...(report.holdoutData ? { holdoutData: report.holdoutData } : {}), ...(holdoutTestPercent === undefined ? {} : { holdoutTestPercent }), minutes, seed, maxFalseAcceptsPerHour: budget, ...(options.oneThreshold ? { oneThreshold: true } : {}) },
        measured: { falseRejectRate: operating.measured.falseRejectRate, falseAcceptsPerHour: operating.measured.falseAcceptsPerHour, keywords: report.keywords },
      };
      await recognizer.dispose();
      await updateOnnxManifest(modelPath, (m) => ({ ...m, detection }));
    }
    if (options.json) out.write(JSON.stringify(report) + '\n');
    else {
      out.write(`${report.keywords} keywords and ${report.fillers} other words in ${count} streams, ${(totalSeconds / 60).toFixed(1)} min (real-time factor ${report.realTimeFactor.toFixed(4)})\n`);
      const c = report.atConfiguredThreshold;
      const configured = report.configuredThresholds;
      const perLabel = Object.entries(configured.thresholds).map(([l, t]) => `${l} ${t}`).join(', ');
      out.write(`at the detector's thresholds (default ${configured.defaultThreshold}${perLabel ? `; ${perLabel}` : ''}): FRR ${percent(c.falseRejectRate)}, ${c.falseAcceptsPerHour.toFixed(2)} false accepts/hour\n`);
      const lat = report.latencyAtConfiguredThreshold;
      if (lat) out.write(`hits fired ${(1000 * lat.medianSeconds).toFixed(0)} ms after the word's end (median; 90% within ${(1000 * lat.p90Seconds).toFixed(0)} ms)\n`);
      const said = Object.entries(report.perKeywordAtConfiguredThreshold).filter(([, k]) => k.keywords > 0);
      if (said.length > 0) out.write(`per keyword there (FRR of the times said / false accepts): ${said.map(([l, k]) => `${l} ${percent(k.falseRejectRate)} of ${k.keywords} / ${k.falseAccepts}`).join(', ')}\n`);
      out.write('\n');
      out.write(sweepTable(sweep));
      out.write(point
        ? `\noperating point (<= ${budget} FA/h): threshold ${point.threshold}, FRR ${percent(point.falseRejectRate)}, ${point.falseAcceptsPerHour.toFixed(2)} FA/h\n`
        : `\nno swept threshold reaches <= ${budget} FA/h\n`);
      if (falseAccepts.length > 0) {
        const counts = new Map<string, number>();
        for (const f of falseAccepts) counts.set(`${f.label} on ${f.under ?? 'noise only'}`, (counts.get(`${f.label} on ${f.under ?? 'noise only'}`) ?? 0) + 1);
        out.write(`false accepts at the operating point: ${[...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
      }
      if (perKeywordPoint) {
        const p = perKeywordPoint.point;
        out.write(`per-keyword thresholds (<= ${budget} FA/h): ${Object.entries(perKeywordPoint.thresholds).map(([l, t]) => `${l} ${t}`).join(', ')}: FRR ${percent(p.falseRejectRate)}, ${p.falseAcceptsPerHour.toFixed(2)} FA/h\n`);
      }
      if (saved) {
        const perLabel = Object.entries(saved.thresholds).map(([l, t]) => `${l} ${t}`).join(', ');
        const timing = `hop ${detector.config.hopMs} ms, smoothing ${detector.config.smoothingMs} ms, refractory ${detector.config.refractoryMs} ms`;
        out.write(`saved into ${modelPath} as its detection defaults: default ${saved.defaultThreshold}${perLabel ? `; ${perLabel}` : ''} (${timing})\n`);
      }
      out.write(`report: ${join(reportDir, 'stream-report.json')}, ${join(reportDir, 'det-curve.html')}\n`);
    }
    return report;
  } finally {
    await recognizer.dispose();
  }
}

