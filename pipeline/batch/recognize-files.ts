/**
 * Recognition of one batch of keyed files, the unit of work of every runner (in-process, worker
 * thread, queue worker): clips go through the model together in one run; a recording longer than
 * the model window is scanned with the streaming detector and gives one row per detection.
 *
 * Memory is bounded whatever the file lengths: a wav file over STREAM_ABOVE_BYTES is decoded in
 * chunks as the detector scans it, and long recordings are scanned one after another.
 */
import { readAudio } from '../../features/audio/index.js';
import type { ResultRow } from '../output-format.js';
import type { Recognition, Recognizer } from '../recognizer.js';
import { detectInChunks } from '../streaming/node.js';
import type { DetectorConfig } from '../streaming/types.js';
import type { FileTask } from './file-key.js';
import { clipWarning, PeakMeter } from './speech-checks.js';
import { openWavChunks, type WavChunks } from './wav-chunks.js';

/** Files larger than this are opened for chunked decoding when they are wav (1 MiB: 32 s of 16 kHz 16-bit). */
export const STREAM_ABOVE_BYTES = 1 << 20;

export interface RecognizeOptions {
  /** Also list the best N labels per clip (0 = no). */
  top?: number;
  /** A file longer than the model window by more than this many seconds is a long recording (default 0.25). */
  longToleranceSeconds?: number;
  /** Detector settings for long recordings. */
  detector?: Partial<DetectorConfig>;
}

export const DEFAULT_LONG_TOLERANCE_SECONDS = 0.25;

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // One line per row keeps JSONL and CSV rows greppable; the text is unchanged otherwise.
  return text.replace(/[\r\n]+/g, ' ');
}

function topLabels(recognition: Recognition, n: number): { label: string; score: number }[] {
  return Object.entries(recognition.scores)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, score]) => ({ label, score }));
}

function baseRow(task: FileTask): ResultRow {
  return { file: task.file, label: null, score: null, start: null, end: null, error: null, key: task.key, part: 1, parts: 1 };
}

/** Rows for `tasks` in order, each file's rows together (part 1..parts). Never throws for one bad file. */
export async function recognizeFiles(recognizer: Recognizer, tasks: readonly FileTask[], options: RecognizeOptions = {}): Promise<ResultRow[]> {
  const top = options.top ?? 0;
  const tolerance = options.longToleranceSeconds ?? DEFAULT_LONG_TOLERANCE_SECONDS;
  const frontEnd = recognizer.frontEnd;
  const longAbove = frontEnd.clipLengthSamples + Math.round(tolerance * frontEnd.config.sampleRateHz);
  const perFile: ResultRow[][] = tasks.map((task) => [baseRow(task)]);

  type Decoded = { samples: Float32Array } | { stream: WavChunks };
  const decode = async (task: FileTask): Promise<Decoded> => {
    if (task.error !== undefined) throw new Error(task.error);
    if (task.size > STREAM_ABOVE_BYTES) {
      const stream = await openWavChunks(task.file);
      if (stream !== null && stream.length16k > longAbove) return { stream };
      await stream?.close();
    }
    return { samples: (await readAudio(task.file)).samples };
  };
  const decoded = await Promise.allSettled(tasks.map(decode));
  const size = frontEnd.inputSize;
  const batch = new Float32Array(tasks.length * size);
  const clips: number[] = [];
  const long: { index: number; chunks: AsyncIterable<Float32Array> | Iterable<Float32Array> }[] = [];
  const warnings = new Map<number, string>();
  decoded.forEach((outcome, i) => {
    const row = perFile[i]![0]!;
    if (outcome.status === 'rejected') {
      row.error = errorMessage(outcome.reason);
      return;
    }
    if ('stream' in outcome.value) {
      long.push({ index: i, chunks: outcome.value.stream.chunks() });
      return;
    }
    const samples = outcome.value.samples;
    try {
      if (samples.length === 0) throw new RangeError(`${tasks[i]!.file}: holds no samples`);
      const meter = new PeakMeter();
      meter.add(samples);
      const warning = clipWarning(tasks[i]!.file, samples.length, meter.peak);
      if (warning !== null) warnings.set(i, warning);
      if (samples.length > longAbove) {
        long.push({ index: i, chunks: [samples] });
        return;
      }
      batch.set(frontEnd.modelInput(samples), clips.length * size);
      clips.push(i);
    } catch (err) {
      const message = errorMessage(err);
      row.error = message.startsWith(tasks[i]!.file) ? message : `${tasks[i]!.file}: ${message}`;
    }
  });

  if (clips.length > 0) {
    try {
      const recognitions = await recognizer.recognizeFeatures(batch.subarray(0, clips.length * size), clips.length);
      clips.forEach((fileIndex, k) => {
        const r = recognitions[k]!;
        const row = perFile[fileIndex]![0]!;
        row.label = r.label;
        row.score = r.score;
        if (top > 0) row.top = topLabels(r, top);
      });
    } catch (err) {
      for (const fileIndex of clips) perFile[fileIndex]![0]!.error = `model run failed: ${errorMessage(err)}`;
    }
  }

  for (const { index, chunks } of long) {
    const task = tasks[index]!;
    const meter = new PeakMeter();
    try {
      const detections = await detectInChunks(recognizer, meter.through(chunks), options.detector);
      const warning = warnings.get(index) ?? clipWarning(task.file, meter.samples, meter.peak);
      if (warning !== null) warnings.set(index, warning);
      // A long recording without any keyword still gets one row, with no label, so it counts as done.
      if (detections.length > 0) {
        perFile[index] = detections.map((d, k) => ({
          ...baseRow(task),
          label: d.label,
          score: d.score,
          start: d.startSeconds,
          end: d.endSeconds,
          part: k + 1,
          parts: detections.length,
        }));
      }
    } catch (err) {
      const message = errorMessage(err);
      perFile[index] = [{ ...baseRow(task), error: message.startsWith(task.file) ? message : `${task.file}: streaming detection failed: ${message}` }];
    }
  }
  for (const [index, warning] of warnings) for (const row of perFile[index]!) row.warning = warning;
  return perFile.flat();
}

/** Rows that count as detections: labelled rows of long recordings. */
export function countDetections(rows: readonly ResultRow[]): number {
  let n = 0;
  for (const row of rows) if (row.start !== null && row.start !== undefined && row.label !== null) n++;
  return n;
}
