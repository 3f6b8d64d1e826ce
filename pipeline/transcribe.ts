/**
 * `kws transcribe`: recognise many wav files in batches and print or write one row per file.
 * A file that cannot be read or recognised gets a row with its error; the rest go on.
 */
import { readWav } from '../features/audio/index.js';
import { writeFileAtomic } from './atomic.js';
import { expandWavInputs } from './files.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat, type ResultRow } from './output-format.js';
import { DEFAULT_MODEL_PATH, Recognizer, type Recognition } from './recognizer.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface TranscribeOptions {
  /** Wav files and folders (walked recursively for *.wav). */
  inputs: readonly string[];
  /** ONNX model (default: the shipped model). Ignored when `recognizer` is given. */
  modelPath?: string;
  /** An already loaded recognizer to reuse (the caller disposes it). */
  recognizer?: Recognizer;
  format?: OutputFormat;
  /** Write the results to this file (atomically) instead of `stdout`. */
  out?: string;
  /** Also list the best N labels per file (0 = no). */
  top?: number;
  /** Files per model run. */
  batchSize?: number;
  stdout?: TextSink;
  stderr?: TextSink;
}

export interface TranscribeResult {
  rows: ResultRow[];
  failures: number;
  seconds: number;
  filesPerSecond: number;
  /** 1 when any file failed, else 0. */
  exitCode: 0 | 1;
}

export const DEFAULT_BATCH_SIZE = 64;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function topLabels(recognition: Recognition, n: number): { label: string; score: number }[] {
  return Object.entries(recognition.scores)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, score]) => ({ label, score }));
}

/** Recognises one batch of files; every file gets a row, in order. */
async function transcribeBatch(recognizer: Recognizer, files: readonly string[], top: number): Promise<ResultRow[]> {
  const rows: ResultRow[] = files.map((file) => ({ file, label: null, score: null, error: null }));
  const decoded = await Promise.allSettled(files.map((file) => readWav(file)));
  const size = recognizer.frontEnd.size;
  const batch = new Float32Array(files.length * size);
  const ready: number[] = [];
  decoded.forEach((outcome, i) => {
    if (outcome.status === 'rejected') {
      rows[i]!.error = errorMessage(outcome.reason);
      return;
    }
    try {
      if (outcome.value.samples.length === 0) throw new RangeError(`${files[i]}: holds no samples`);
      batch.set(recognizer.frontEnd.features(outcome.value.samples), ready.length * size);
      ready.push(i);
    } catch (err) {
      rows[i]!.error = `${files[i]}: ${errorMessage(err)}`;
    }
  });
  if (ready.length === 0) return rows;
  try {
    const recognitions = await recognizer.recognizeFeatures(batch.subarray(0, ready.length * size), ready.length);
    ready.forEach((fileIndex, k) => {
      const r = recognitions[k]!;
      const row = rows[fileIndex]!;
      row.label = r.label;
      row.score = r.score;
      if (top > 0) row.top = topLabels(r, top);
    });
  } catch (err) {
    for (const fileIndex of ready) rows[fileIndex]!.error = `model run failed: ${errorMessage(err)}`;
  }
  return rows;
}

/** Runs the whole command: expands inputs, recognises, writes the output and a summary on stderr. */
export async function runTranscribe(options: TranscribeOptions): Promise<TranscribeResult> {
  const format = options.format ?? 'table';
  if (!OUTPUT_FORMATS.includes(format)) throw new RangeError(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${String(format)}'`);
  const top = options.top ?? 0;
  if (!Number.isInteger(top) || top < 0) throw new RangeError(`top must be a non-negative integer, got ${String(top)}`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;

  const files = await expandWavInputs(options.inputs);
  const recognizer = options.recognizer ?? (await Recognizer.create(options.modelPath ?? DEFAULT_MODEL_PATH));
  const started = performance.now();
  const rows: ResultRow[] = [];
  try {
    for (let i = 0; i < files.length; i += batchSize) {
      rows.push(...(await transcribeBatch(recognizer, files.slice(i, i + batchSize), top)));
    }
  } finally {
    if (!options.recognizer) await recognizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const failures = rows.filter((r) => r.error !== null).length;
  const filesPerSecond = seconds > 0 ? rows.length / seconds : 0;

  const text = formatRows(rows, format, top > 0);
  if (options.out !== undefined) await writeFileAtomic(options.out, text);
  else stdout.write(text);
  stderr.write(
    `${rows.length} files, ${failures} failed, ${filesPerSecond.toFixed(1)} files/s${options.out !== undefined ? `, results in ${options.out}` : ''}\n`,
  );
  return { rows, failures, seconds, filesPerSecond, exitCode: failures > 0 ? 1 : 0 };
}
