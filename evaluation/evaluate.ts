/**
 * `kws evaluate`: recognise a dataset split with an ONNX model and report accuracy, per-class
 * precision/recall/F1, the confusion matrix, and the clips the model got most wrong.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { topCalibrationError } from '../model/calibration.js';
import { holdoutTestPercentFor } from '../model/holdout.js';
import { readSpeechCommands, holdoutSplitOptions } from '../datasets/speech-commands.js';
import { SILENCE_LABEL, UNKNOWN_LABEL, type DatasetItem, type Split, type Task } from '../datasets/types.js';
import { readAudio } from '../features/audio/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { confusionMatrixHtml } from '../util/charts.js';
import { csvField } from '../pipeline/output-format.js';
import { DEFAULT_MODEL_PATH, Recognizer } from '../pipeline/recognizer.js';
import type { TextSink } from '../pipeline/transcribe.js';

export type EvaluateSplit = Split | 'all';
export const EVALUATE_SPLITS: readonly EvaluateSplit[] = ['test', 'validation', 'train', 'all'];
export const DEFAULT_REPORT_DIR = 'kws-report';

export interface ClassMetrics {
  label: string;
  /** Of the clips predicted as this label, the share that truly are (0 when none were predicted). */
  precision: number;
  /** Of the clips of this label, the share predicted as it. */
  recall: number;
  f1: number;
  /** Clips whose true label this is. */
  support: number;
  /** Clips predicted as this label. */
  predicted: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  correct: number;
  total: number;
  perClass: ClassMetrics[];
}

/** `matrix[t][p]`: clips of true class t predicted as p. */
export function confusionMatrix(numClasses: number, truth: readonly number[], predicted: readonly number[]): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`truth and predicted must have the same length, got ${truth.length} and ${predicted.length}`);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new RangeError(`class index out of range [0, ${numClasses}) at item ${i}: true ${t}, predicted ${p}`);
    matrix[t]![p]!++;
  });
  return matrix;
}

export function metricsFromConfusion(labels: readonly string[], matrix: readonly (readonly number[])[]): ClassificationMetrics {
  const n = labels.length;
  let correct = 0;
  let total = 0;
  const perClass = labels.map((label, c) => {
    const support = matrix[c]!.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < n; t++) predicted += matrix[t]![c]!;
    const hits = matrix[c]![c]!;
    correct += hits;
    total += support;
    const precision = predicted > 0 ? hits / predicted : 0;
    const recall = support > 0 ? hits / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support, predicted };
  });
  // Macro F1 over the classes present in the data, so a split without some class is not penalised for it.
  const present = perClass.filter((c) => c.support > 0);
  const macroF1 = present.length > 0 ? present.reduce((a, c) => a + c.f1, 0) / present.length : 0;
  return { accuracy: total > 0 ? correct / total : 0, macroF1, correct, total, perClass };
}

/**
 * The model label a dataset item counts as: its task label, else its word, else `_unknown_` when
 * the model has one (silence never becomes unknown); null when the model cannot express it.
 */
export function modelLabelFor(item: Pick<DatasetItem, 'label' | 'word'>, modelLabels: ReadonlySet<string>): string | null {
  if (modelLabels.has(item.label)) return item.label;
  if (modelLabels.has(item.word)) return item.word;
  if (item.label !== SILENCE_LABEL && item.word !== SILENCE_LABEL && modelLabels.has(UNKNOWN_LABEL)) return UNKNOWN_LABEL;
  return null;
}

/** The commands of a label set: every label but `_silence_` and `_unknown_`. */
export function commandLabels(labels: readonly string[]): string[] {
  return labels.filter((l) => l !== SILENCE_LABEL && l !== UNKNOWN_LABEL);
}

/**
 * The label a fixed-grammar recogniser would give: the highest-scoring command, `_silence_` and
 * `_unknown_` left out of the argmax.
 */
export function closedSetPrediction(scores: Readonly<Record<string, number>>, commands: readonly string[]): string {
  let best = commands[0]!;
  for (const c of commands) if (scores[c]! > scores[best]!) best = c;
  return best;
}

export interface ClosedSetMetrics {
  /** Of the clips of a command, the share whose highest-scoring command is the true one. */
  accuracy: number;
  correct: number;
  total: number;
  commands: string[];
}

export interface ScoredClip {
  path: string;
  slice?: DatasetItem['slice'];
  trueLabel: string;
  predicted: string;
  /** The model's probability for the true label. */
  trueScore: number;
  predictedScore: number;
}

export interface EvaluationReport {
  model: string;
  modelName: string;
  task: string;
  data: string;
  split: EvaluateSplit;
  /** With --holdout: the percent of the folder's speakers held out for testing that the split was read with. */
  holdoutTestPercent?: number;
  labels: string[];
  /** Items of the split, evaluated, without a model label, and unreadable. */
  items: number;
  evaluated: number;
  skipped: number;
  failed: number;
  accuracy: number;
  macroF1: number;
  /** Accuracy over the command clips with the argmax restricted to the commands (null: no command clips). */
  closedSet: ClosedSetMetrics | null;
  /** Expected calibration error of the top score (15 equal-width bins). */
  expectedCalibrationError: number;
  /** The softmax temperature the model applies (fitted on validation data at training time). */
  temperature: number;
  perClass: ClassMetrics[];
  confusion: number[][];
  /** Misclassified clips, lowest true-label score first. */
  worst: ScoredClip[];
  errors: { path: string; error: string }[];
  seconds: number;
  createdAt: string;
}

export interface EvaluateOptions {
  data: string;
  modelPath?: string;
  recognizer?: Recognizer;
  split?: EvaluateSplit;
  /** Use the hold-out re-split by speaker (HOLDOUT_SPLIT), as `kws train --holdout` does. */
  holdout?: boolean;
  /** With `holdout`: percent of the speakers held out for testing (default: the model's own, see model/holdout.ts). */
  holdoutTestPercent?: number;
  /** Keep only clips of this source ('synth:flite', a dataset folder name, ...). */
  source?: string;
  /** Print report.json to stdout instead of the text report. */
  json?: boolean;
  reportDir?: string;
  batchSize?: number;
  /** How many misclassified clips to list. */
  worst?: number;
  stdout?: TextSink;
  stderr?: TextSink;
}

/** Keeps recently decoded files: silence clips are many slices of the same few noise recordings. */
export class AudioCache {
  readonly #entries = new Map<string, Promise<Float32Array>>();
  constructor(private readonly capacity: number) {}

  get(path: string): Promise<Float32Array> {
    const cached = this.#entries.get(path);
    const entry = cached ?? readAudio(path).then((audio): Float32Array => audio.samples);
    if (cached) this.#entries.delete(path);
    else if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(path, entry);
    return entry;
  }
}

/** The samples of a dataset item: its whole file, or its slice of it (checked to lie inside the file). */
export async function itemSamples(item: DatasetItem, cache: AudioCache): Promise<Float32Array> {
  const samples = await cache.get(item.path);
  if (!item.slice) return samples;
  const { offsetSamples, lengthSamples } = item.slice;
  if (offsetSamples < 0 || offsetSamples + lengthSamples > samples.length) {
    throw new RangeError(`${item.path}: slice [${offsetSamples}, ${offsetSamples + lengthSamples}) is outside its ${samples.length} samples`);
  }
  return samples.subarray(offsetSamples, offsetSamples + lengthSamples);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** The human-readable report: summary, per-class table, confusion matrix. */
export function formatEvaluationText(r: EvaluationReport): string {
  const lines: string[] = [];
  lines.push(`model: ${r.model} (${r.modelName}, task ${r.task}, ${r.labels.length} labels)`);
  lines.push(`data: ${r.data}, split ${r.split}${r.holdoutTestPercent === undefined ? '' : ` (hold-out re-split, ${r.holdoutTestPercent}% of the speakers held out for testing)`}: ${r.items} clips, ${r.evaluated} evaluated, ${r.skipped} without a model label, ${r.failed} unreadable`);
  const correct = r.confusion.reduce((a, row, i) => a + row[i]!, 0);
  lines.push(`accuracy: ${pct(r.accuracy)} (${correct}/${r.evaluated}), macro F1 ${r.macroF1.toFixed(4)}`);
  if (r.closedSet) {
    lines.push(`closed-set accuracy over the ${r.closedSet.commands.length} commands: ${pct(r.closedSet.accuracy)} (${r.closedSet.correct}/${r.closedSet.total} command clips; argmax over the commands only)`);
  }
  lines.push(`expected calibration error: ${pct(r.expectedCalibrationError)} (softmax temperature ${r.temperature.toFixed(3)})`);
  lines.push('');
  const w = Math.max(9, ...r.labels.map((l) => l.length));
  lines.push(`${'label'.padEnd(w)}  precision  recall      f1  support`);
  for (const c of r.perClass) {
    if (c.support === 0 && c.predicted === 0) {
      lines.push(`${c.label.padEnd(w)}  ${'no clips, none predicted'.padStart(23)}  ${String(c.support).padStart(7)}`);
      continue;
    }
    const precision = c.predicted === 0 ? '—' : c.precision.toFixed(4);
    const recall = c.support === 0 ? '—' : c.recall.toFixed(4);
    const f1 = c.support === 0 ? '—' : c.f1.toFixed(4);
    lines.push(`${c.label.padEnd(w)}  ${precision.padStart(9)}  ${recall.padStart(6)}  ${f1.padStart(6)}  ${String(c.support).padStart(7)}`);
  }
  lines.push('');
  lines.push('confusion matrix (rows: true label, columns: predicted):');
  const cw = Math.max(5, ...r.confusion.flat().map((v) => String(v).length + 1));
  const short = r.labels.map((l) => (l.length > cw - 1 ? l.slice(0, cw - 1) : l));
  lines.push(`${''.padEnd(w)} ${short.map((l) => l.padStart(cw)).join('')}`);
  r.confusion.forEach((row, t) => lines.push(`${r.labels[t]!.padEnd(w)} ${row.map((v) => String(v).padStart(cw)).join('')}`));
  if (r.worst.length > 0) {
    lines.push('');
    lines.push(`worst misclassified clips (lowest score for the true label):`);
    for (const s of r.worst.slice(0, 10)) {
      lines.push(`  ${s.trueScore.toFixed(4)}  ${s.trueLabel} -> ${s.predicted} (${s.predictedScore.toFixed(4)})  ${s.path}${s.slice ? ` @${s.slice.offsetSamples}+${s.slice.lengthSamples}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

function worstClipsCsv(worst: readonly ScoredClip[]): string {
  const lines = ['path,slice_offset_samples,slice_length_samples,true,predicted,true_score,predicted_score'];
  for (const s of worst) {
    lines.push(
      [s.path, s.slice ? String(s.slice.offsetSamples) : '', s.slice ? String(s.slice.lengthSamples) : '', s.trueLabel, s.predicted, s.trueScore.toFixed(6), s.predictedScore.toFixed(6)]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** Evaluates the model on a split and writes report.json, confusion-matrix.html and worst-clips.csv. */
export async function runEvaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  if (typeof options.data !== 'string' || options.data.length === 0) throw new TypeError(`data must be a dataset folder path, got ${JSON.stringify(options.data)}`);
  const split = options.split ?? 'test';
  if (!EVALUATE_SPLITS.includes(split)) throw new RangeError(`split must be one of ${EVALUATE_SPLITS.join(', ')}, got '${String(split)}'`);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  const worstCount = options.worst ?? 50;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const reportDir = options.reportDir ?? DEFAULT_REPORT_DIR;

  const recognizer = options.recognizer ?? (await Recognizer.create(options.modelPath ?? DEFAULT_MODEL_PATH));
  try {
    const manifest = recognizer.manifest;
    // Words map to the model's own labels (custom keywords too); the task only names the layout's words.
    const task: Task = manifest.task === '35' ? '35' : '12';
    const readOptions = { task, labels: manifest.labels };
    const holdoutTestPercent = options.holdout ? holdoutTestPercentFor(manifest, options.holdoutTestPercent) : undefined;
    const dataset = await readSpeechCommands(resolve(options.data), holdoutTestPercent === undefined ? readOptions : { ...readOptions, ...holdoutSplitOptions(holdoutTestPercent) });
    const items = dataset.items.filter((item: DatasetItem) => (split === 'all' || item.split === split) && (options.source === undefined || item.source === options.source));
    if (options.source !== undefined && items.length === 0) {
      const sources = [...new Set(dataset.items.map((item) => item.source))].sort().join(', ');
      throw new Error(`${dataset.root}: no clips of source '${options.source}' in the ${split} split (sources: ${sources})`);
    }
    const labels = [...recognizer.labels];
    const labelSet = new Set(labels);
    const labelIndex = new Map(labels.map((l, i) => [l, i]));

    const truth: number[] = [];
    const predicted: number[] = [];
    const topScores: number[] = [];
    const misclassified: ScoredClip[] = [];
    const commands = commandLabels(labels);
    const closed = { correct: 0, total: 0 };
    const errors: { path: string; error: string }[] = [];
    let skipped = 0;
    const cache = new AudioCache(8);
    const size = recognizer.frontEnd.inputSize;
    const started = performance.now();
    const usable: { item: DatasetItem; label: string }[] = [];
    for (const item of items) {
      const label = modelLabelFor(item, labelSet);
      if (label === null) skipped++;
      else usable.push({ item, label });
    }
    for (let start = 0; start < usable.length; start += batchSize) {
      const chunk = usable.slice(start, start + batchSize);
      const loaded = await Promise.allSettled(chunk.map(({ item }) => itemSamples(item, cache)));
      const batch = new Float32Array(chunk.length * size);
      const ready: number[] = [];
      loaded.forEach((outcome, i) => {
        const path = chunk[i]!.item.path;
        try {
          if (outcome.status === 'rejected') throw outcome.reason;
          batch.set(recognizer.frontEnd.modelInput(outcome.value), ready.length * size);
          ready.push(i);
        } catch (err) {
          errors.push({ path, error: err instanceof Error ? err.message : String(err) });
        }
      });
      if (ready.length === 0) continue;
      const recognitions = await recognizer.recognizeFeatures(batch.subarray(0, ready.length * size), ready.length);
      ready.forEach((i, k) => {
        const { item, label } = chunk[i]!;
        const r = recognitions[k]!;
        truth.push(labelIndex.get(label)!);
        predicted.push(r.index);
        topScores.push(r.score);
        if (commands.includes(label)) {
          closed.total++;
          if (closedSetPrediction(r.scores, commands) === label) closed.correct++;
        }
        if (r.label !== label) {
          misclassified.push({ path: item.path, ...(item.slice ? { slice: item.slice } : {}), trueLabel: label, predicted: r.label, trueScore: r.scores[label]!, predictedScore: r.score });
        }
      });
      if (usable.length > batchSize * 4 && (start / batchSize) % 10 === 9) stderr.write(`evaluated ${start + chunk.length}/${usable.length}\n`);
    }
    const seconds = (performance.now() - started) / 1000;
    const confusion = confusionMatrix(labels.length, truth, predicted);
    const ece = topCalibrationError(topScores, predicted.map((p, i) => p === truth[i]));
    const metrics = metricsFromConfusion(labels, confusion);
    misclassified.sort((a, b) => a.trueScore - b.trueScore);
    const report: EvaluationReport = {
      model: recognizer.modelPath,
      modelName: manifest.name,
      task: manifest.task,
      data: dataset.root,
      split,
      ...(holdoutTestPercent === undefined ? {} : { holdoutTestPercent }),
      labels,
      items: items.length,
      evaluated: truth.length,
      skipped,
      failed: errors.length,
      accuracy: metrics.accuracy,
      macroF1: metrics.macroF1,
      closedSet: closed.total > 0 ? { accuracy: closed.correct / closed.total, correct: closed.correct, total: closed.total, commands } : null,
      expectedCalibrationError: ece,
      temperature: manifest.temperature,
      perClass: metrics.perClass,
      confusion,
      worst: misclassified.slice(0, worstCount),
      errors,
      seconds,
      createdAt: new Date().toISOString(),
    };

    await mkdir(reportDir, { recursive: true });
    await writeFileAtomic(join(reportDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    const title = `${manifest.name}: ${split} split of ${dataset.root} (accuracy ${pct(metrics.accuracy)})`;
    await writeFileAtomic(join(reportDir, 'confusion-matrix.html'), confusionMatrixHtml(labels, confusion, title));
    await writeFileAtomic(join(reportDir, 'worst-clips.csv'), worstClipsCsv(report.worst));

    stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatEvaluationText(report));
    stderr.write(`${report.evaluated} clips in ${seconds.toFixed(1)} s (${(report.evaluated / Math.max(seconds, 1e-9)).toFixed(0)} clips/s); report in ${reportDir}\n`);
    return report;
  } finally {
    if (!options.recognizer) await recognizer.dispose();
  }
}
