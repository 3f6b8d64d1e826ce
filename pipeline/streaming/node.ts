/**
 * Node glue for the streaming detector: onnxruntime-node through a Recognizer as the window scorer,
 * FastMfcc as the per-frame MFCC (none for an end-to-end model: its windows are scored as waveform).
 */
import { FastMfcc } from '../../features/mfcc-fast.js';
import type { Recognizer } from '../recognizer.js';
import { StreamingDetector, type StreamResult } from './detector.js';
import type { Detection, DetectorConfig, PosteriorFrame, WindowScorer } from './types.js';

/** Chunk size detectInRecording feeds the detector with (detections do not depend on it). */
export const RECORDING_CHUNK_SAMPLES = 16000 * 10;

export function recognizerScorer(recognizer: Recognizer): WindowScorer {
  return { labels: recognizer.labels, score: (features, count) => recognizer.runModel(features, count) };
}

export function createNodeDetector(recognizer: Recognizer, config: Partial<DetectorConfig> = {}): StreamingDetector {
  const model = { ...recognizer.manifest, input: recognizer.frontEnd.input };
  if (model.input === 'waveform') return new StreamingDetector(model, recognizerScorer(recognizer), null, config);
  const mfcc = new FastMfcc(recognizer.manifest.features);
  return new StreamingDetector(model, recognizerScorer(recognizer), (frame, out, offset) => mfcc.computeFrame(frame, out, offset), config);
}

export interface ScanOptions {
  /** Keep every evaluation's posteriors (for threshold sweeps and plots); default false. */
  keepPosteriors?: boolean;
  /** Called after each chunk with the seconds of audio processed so far. */
  onProgress?: (processedSeconds: number) => void;
}

/** Runs `detector` over a whole recording as one stream that ends (chunks, then flush). */
export async function scanRecording(detector: StreamingDetector, samples16k: Float32Array, options: ScanOptions = {}): Promise<StreamResult> {
  if (!(samples16k instanceof Float32Array)) throw new TypeError('samples16k must be a Float32Array of 16 kHz samples');
  detector.reset();
  const detections: Detection[] = [];
  const posteriors: PosteriorFrame[] = [];
  const collect = (r: StreamResult): void => {
    detections.push(...r.detections);
    if (options.keepPosteriors) for (const p of r.posteriors) posteriors.push(p);
  };
  for (let start = 0; start < samples16k.length; start += RECORDING_CHUNK_SAMPLES) {
    collect(await detector.push(samples16k.subarray(start, start + RECORDING_CHUNK_SAMPLES)));
    options.onProgress?.(Math.min(samples16k.length, start + RECORDING_CHUNK_SAMPLES) / detector.features.sampleRateHz);
  }
  collect(await detector.flush());
  return { detections, posteriors };
}

/** Keywords spotted in a whole 16 kHz recording (any length), in time order. */
export async function detectInRecording(recognizer: Recognizer, samples16k: Float32Array, config: Partial<DetectorConfig> = {}): Promise<Detection[]> {
  const detector = createNodeDetector(recognizer, config);
  return (await scanRecording(detector, samples16k)).detections;
}

/** Like detectInRecording, over a recording given as consecutive 16 kHz chunks (read as they come). */
export async function detectInChunks(recognizer: Recognizer, chunks: AsyncIterable<Float32Array> | Iterable<Float32Array>, config: Partial<DetectorConfig> = {}): Promise<Detection[]> {
  const detector = createNodeDetector(recognizer, config);
  detector.reset();
  const detections: Detection[] = [];
  for await (const chunk of chunks) {
    for (let start = 0; start < chunk.length; start += RECORDING_CHUNK_SAMPLES) {
      detections.push(...(await detector.push(chunk.subarray(start, start + RECORDING_CHUNK_SAMPLES))).detections);
    }
  }
  detections.push(...(await detector.flush()).detections);
  return detections;
}
