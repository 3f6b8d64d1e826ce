/**
 * `kws listen FILE.wav`: runs the streaming keyword detector over a recording as if it were live
 * audio and prints each detection with its time.
 */
import type { Command } from 'commander';
import { readAudio } from '../features/audio/index.js';
import { DEFAULT_MODEL_PATH, Recognizer } from '../pipeline/recognizer.js';
import { DEFAULT_HOP_MS, DEFAULT_REFRACTORY_MS, DEFAULT_SMOOTHING_MS, DEFAULT_THRESHOLD } from '../pipeline/streaming/config.js';
import { createNodeDetector, scanRecording } from '../pipeline/streaming/node.js';
import type { Detection, DetectorConfig } from '../pipeline/streaming/types.js';
import { numberIn, positiveInt, THRESHOLD_SYNTAX, thresholdConfig, thresholdSetting, type ThresholdSetting } from './options.js';

export interface ListenOptions {
  model?: string;
  json?: boolean;
  hopMs?: number;
  smoothingMs?: number;
  /** Firing threshold of every keyword (the model's measured per-keyword thresholds are then dropped). */
  threshold?: number;
  /** Firing thresholds of single keywords, over the model's measured ones (or over `threshold`). */
  thresholds?: Record<string, number>;
  refractoryMs?: number;
}

interface Sink {
  write(text: string): unknown;
}

/** One JSON object per line: label, score, start, end (seconds), fired. */
export function detectionJsonLine(d: Detection): string {
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  return JSON.stringify({ label: d.label, score: round(d.score, 4), start: round(d.startSeconds, 3), end: round(d.endSeconds, 3), fired: round(d.firedAtSeconds, 3) });
}

export function detectionsTable(detections: readonly Detection[]): string {
  const header = ['time', 'label', 'score', 'start', 'end'];
  const rows = detections.map((d) => [d.firedAtSeconds.toFixed(2), d.label, d.score.toFixed(3), d.startSeconds.toFixed(2), d.endSeconds.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Reads `file`, streams it through the detector and writes the detections to `out`; returns them. */
export async function runListen(file: string, options: ListenOptions = {}, out: Sink = process.stdout): Promise<Detection[]> {
  const recognizer = await Recognizer.create(options.model ?? DEFAULT_MODEL_PATH);
  try {
    const config: Partial<DetectorConfig> = {};
    if (options.hopMs !== undefined) config.hopMs = options.hopMs;
    if (options.smoothingMs !== undefined) config.smoothingMs = options.smoothingMs;
    if (options.threshold !== undefined) config.defaultThreshold = options.threshold;
    if (options.thresholds !== undefined) config.thresholds = options.thresholds;
    if (options.refractoryMs !== undefined) config.refractoryMs = options.refractoryMs;
    const detector = createNodeDetector(recognizer, config);
    const audio = await readAudio(file);
    const { detections } = await scanRecording(detector, audio.samples);
    if (options.json) {
      for (const d of detections) out.write(`${detectionJsonLine(d)}\n`);
    } else if (detections.length === 0) {
      out.write(`${file}: no keywords detected in ${audio.source.durationSeconds.toFixed(2)} s\n`);
    } else {
      out.write(detectionsTable(detections));
    }
    return detections;
  } finally {
    await recognizer.dispose();
  }
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('detect keywords in a recording as a live stream would: prints each detection with its time (seconds)')
    .argument('<file>', 'audio file: wav, Opus, FLAC or MP3 (any rate/channels; resampled to 16 kHz mono)')
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--json', 'one JSON object per line: label, score, start, end, fired (seconds)', false)
    .option('--hop-ms <n>', `model evaluation period (default: the model's measured timing, else ${DEFAULT_HOP_MS})`, positiveInt('--hop-ms'))
    .option('--smoothing-ms <n>', `moving average of the posteriors over this span (default: the model's measured timing, else ${DEFAULT_SMOOTHING_MS})`, numberIn('--smoothing-ms', 0, 60_000))
    .option('--threshold <p>', `firing threshold on the smoothed posterior: ${THRESHOLD_SYNTAX} (default: the model's measured thresholds, else ${DEFAULT_THRESHOLD})`, thresholdSetting('--threshold'))
    .option('--refractory-ms <n>', `quiet period after a detection (default: the model's measured timing, else ${DEFAULT_REFRACTORY_MS})`, numberIn('--refractory-ms', 0, 3_600_000))
    .action(async (file: string, opts: Omit<ListenOptions, 'threshold' | 'thresholds'> & { threshold?: ThresholdSetting }) => {
      const { threshold, ...rest } = opts;
      const { defaultThreshold, thresholds } = thresholdConfig(threshold);
      await runListen(file, { ...rest, ...(defaultThreshold !== undefined ? { threshold: defaultThreshold } : {}), ...(thresholds ? { thresholds } : {}) });
    });
}
