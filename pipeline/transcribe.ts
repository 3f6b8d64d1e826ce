/**
 * `kws transcribe`: recognise many wav files, from one folder to millions of files.
 *
 * Files are keyed by resolved path, size and mtime and processed in batches (one model run per
 * batch of clips) on a pool of worker threads. Rows come out in input order (directories walked
 * sorted), every file's rows together; with --out they are appended and fsync'ed per batch, and a
 * re-run with the same --out skips files already there, so output order across resumed runs is
 * "finished first" and consumers should key rows by `file`/`key`, not by position.
 * A file that cannot be read or recognised gets a row with its error; the rest go on.
 */
import type { OutputFormat, ResultRow } from './output-format.js';
import { expandInputs } from './files.js';
import { fileTask, type FileTask } from './batch/file-key.js';
import { openBatchSink, resolveBatchOutput, type RowSink, type TextSink } from './batch/output-sink.js';
import { defaultJobs, InlineRunner, RecognizerPool, type BatchRunner } from './batch/pool.js';
import { countDetections, type RecognizeOptions } from './batch/recognize-files.js';
import { createProgress, type Progress } from '../util/progress.js';
import { DEFAULT_MODEL_PATH, type Recognizer } from './recognizer.js';
import type { DetectorConfig } from './streaming/types.js';
import { resolveDetectorConfig } from './streaming/config.js';
import { checkDetectorSettings } from './batch/detector-settings.js';

export type { TextSink } from './batch/output-sink.js';

export interface TranscribeOptions {
  /** Wav files, folders (walked recursively for *.wav), glob patterns, and `-` for paths on stdin. */
  inputs: readonly string[];
  /** Where `-` reads paths from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** ONNX model (default: the shipped model). Ignored when `recognizer` is given. */
  modelPath?: string;
  /** An already loaded recognizer to use on this thread (the caller disposes it; `jobs` is ignored). */
  recognizer?: Recognizer;
  /** Default: from the --out extension, else table on a terminal and JSONL when piped. */
  format?: OutputFormat;
  /** Append the results to this file (resumable: files already in it are skipped). */
  out?: string;
  /** Also list the best N labels per clip (0 = no). */
  top?: number;
  /** Files per model run (default 64). */
  batchSize?: number;
  /** Worker threads, each with its own onnxruntime session (default: the number of cores). */
  jobs?: number;
  /** Show progress on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  longToleranceSeconds?: number;
  detector?: Partial<DetectorConfig>;
  /** Aborting stops taking new batches; batches under way are finished and written. */
  signal?: AbortSignal;
  stdout?: TextSink;
  stderr?: TextSink & { isTTY?: boolean };
}

export interface TranscribeResult {
  /** Files listed by the inputs (after removing duplicates). */
  files: number;
  /** Files recognised (or failed) by this run. */
  processed: number;
  /** Files skipped because --out already held them. */
  skipped: number;
  /** Files of this run that failed. */
  failures: number;
  /** Keywords found in long recordings by this run. */
  detections: number;
  seconds: number;
  /** processed / seconds. */
  filesPerSecond: number;
  /** Bytes cut from the end of --out (a torn last line from an interrupted run). */
  repairedBytes: number;
  /** The run was stopped by `signal` before every file was done. */
  interrupted: boolean;
  /** 1 when any file failed (in this run or one it resumed), 130 when interrupted, else 0. */
  exitCode: 0 | 1 | 130;
}

export const DEFAULT_BATCH_SIZE = 64;
function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function failedFiles(rows: readonly ResultRow[]): number {
  let n = 0;
  for (const row of rows) if (row.error !== null && row.part === 1) n++;
  return n;
}

/** Keys a batch of paths (stat in parallel) and drops those already done. */
async function keyBatch(files: readonly string[], done: ReadonlySet<string>): Promise<{ tasks: FileTask[]; skipped: number }> {
  const all = await Promise.all(files.map((file) => fileTask(file)));
  const tasks = all.filter((t) => !done.has(t.key));
  return { tasks, skipped: all.length - tasks.length };
}

export function summaryLine(r: Pick<TranscribeResult, 'processed' | 'skipped' | 'failures' | 'detections' | 'filesPerSecond' | 'seconds' | 'interrupted'>, out?: string): string {
  const parts = [`${r.processed} files`];
  if (r.skipped > 0) parts[0] += ` (${r.skipped} already done)`;
  parts.push(`${r.failures} failed`, `${r.detections} detections`, `${r.filesPerSecond.toFixed(1)} files/s`, `${r.seconds.toFixed(1)} s`);
  if (out !== undefined) parts.push(`results in ${out}`);
  if (r.interrupted) parts.push('interrupted: re-run the same command to finish');
  return parts.join(', ') + '\n';
}

/** Runs the whole command: expands inputs, recognises, writes rows as batches finish, prints a summary on stderr. */
export async function runTranscribe(options: TranscribeOptions): Promise<TranscribeResult> {
  const output = resolveBatchOutput(options);
  const { stderr, top } = output;
  const batchSize = positiveInt(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
  const jobs = positiveInt(options.jobs ?? defaultJobs(), 'jobs');
  const recognize: RecognizeOptions = { top, longToleranceSeconds: options.longToleranceSeconds, detector: options.detector };

  if (options.recognizer) resolveDetectorConfig(options.detector, options.recognizer.labels);
  else await checkDetectorSettings(options.modelPath ?? DEFAULT_MODEL_PATH, options.detector);
  const files = await expandInputs(options.inputs, { stdin: options.stdin });
  const runner: BatchRunner = options.recognizer
    ? new InlineRunner(options.recognizer, recognize)
    : await RecognizerPool.create(options.modelPath ?? DEFAULT_MODEL_PATH, Math.min(jobs, Math.max(1, Math.ceil(files.length / batchSize))), recognize);
  let sink: RowSink | null = null;
  let progress: Progress | null = null;
  const started = performance.now();
  let processed = 0;
  let skipped = 0;
  let failures = 0;
  let detections = 0;
  let interrupted = false;
  try {
    sink = await openBatchSink(output);
    const done = sink.resumed.done;
    const showProgress = options.progress ?? stderr.isTTY === true;
    if (showProgress) progress = createProgress('transcribe', files.length, stderr as NodeJS.WriteStream);

    // Batches run ahead of the writer (2 per runner slot); rows are written in batch order.
    const inFlight: Promise<{ rows: ResultRow[]; skipped: number; size: number }>[] = [];
    const window = runner.capacity * 2;
    let next = 0;
    const launch = (): void => {
      const slice = files.slice(next, next + batchSize);
      next += slice.length;
      inFlight.push(
        keyBatch(slice, done).then(async ({ tasks, skipped }) => ({
          rows: tasks.length > 0 ? await runner.run(tasks) : [],
          skipped,
          size: slice.length,
        })),
      );
    };
    while (next < files.length || inFlight.length > 0) {
      if (options.signal?.aborted) interrupted ||= next < files.length;
      while (!interrupted && next < files.length && inFlight.length < window) launch();
      if (inFlight.length === 0) break;
      const batch = await inFlight.shift()!;
      await sink.write(batch.rows);
      skipped += batch.skipped;
      processed += batch.size - batch.skipped;
      failures += failedFiles(batch.rows);
      detections += countDetections(batch.rows);
      if (progress !== null) {
        const elapsed = (performance.now() - started) / 1000;
        progress.update(processed + skipped, { 'files/s': elapsed > 0 ? (processed / elapsed).toFixed(0) : '0', failed: failures });
      }
    }
  } finally {
    progress?.stop();
    await sink?.close();
    await runner.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const result: TranscribeResult = {
    files: files.length,
    processed,
    skipped,
    failures,
    detections,
    seconds,
    filesPerSecond: seconds > 0 ? processed / seconds : 0,
    repairedBytes: sink!.resumed.repairedBytes,
    interrupted,
    exitCode: interrupted ? 130 : failures + sink!.resumed.failed > 0 ? 1 : 0,
  };
  stderr.write(summaryLine(result, options.out));
  return result;
}
