/**
 * Fixtures for the streaming detector tests: a deterministic scorer that is a pure function of the
 * window's features (loud frames -> 'yes'), and stream signals with tone bursts at known times.
 */
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../features/config.js';
import { FastMfcc } from '../features/mfcc-fast.js';
import type { FeatureConfig } from '../features/types.js';
import { StreamingDetector, type DetectorModel } from '../pipeline/streaming/detector.js';
import type { DetectorConfig, WindowScorer } from '../pipeline/streaming/types.js';
import { SeededRandom } from '../util/random.js';

export const FAKE_LABELS = ['_silence_', '_unknown_', 'yes', 'no'] as const;
/** Un-normalised features so the first MFCC coefficient tracks the frame's loudness. */
export const RAW_FEATURES: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG, normalization: { kind: 'none' } };
/** c0 above this marks a frame as loud: a 440 Hz tone at amplitude 0.3 gives ~36, noise at 0.003 gives ~0.3. */
const LOUD_C0 = 10;
/** Loud frames that give 'yes' full confidence (a 0.5 s burst holds ~23). */
const FULL_CONFIDENCE_FRAMES = 20;

export function fakeModel(features: FeatureConfig = RAW_FEATURES, labels: readonly string[] = FAKE_LABELS): DetectorModel {
  return { labels, features, architecture: { inputFrames: framesFor(features, features.clipLengthSamples), inputDim: featureDim(features) } };
}

/** 'yes' probability grows with the window's count of loud frames; the rest goes to '_silence_'. */
export class LoudnessScorer implements WindowScorer {
  readonly labels: readonly string[] = FAKE_LABELS;
  calls = 0;
  windows = 0;
  constructor(private readonly features: FeatureConfig = RAW_FEATURES) {}

  async score(batch: Float32Array, count: number): Promise<Float32Array> {
    this.calls++;
    this.windows += count;
    const T = framesFor(this.features, this.features.clipLengthSamples);
    const F = featureDim(this.features);
    const out = new Float32Array(count * this.labels.length);
    for (let w = 0; w < count; w++) {
      let loud = 0;
      for (let t = 0; t < T; t++) if (batch[w * T * F + t * F]! > LOUD_C0) loud++;
      const yes = Math.min(0.99, loud / FULL_CONFIDENCE_FRAMES);
      const row = w * this.labels.length;
      out[row + 0] = 1 - yes - 0.01;
      out[row + 1] = 0.005;
      out[row + 2] = yes;
      out[row + 3] = 0.005;
    }
    return out;
  }
}

/** Records every batch it is given and returns uniform probabilities. */
export class RecordingScorer implements WindowScorer {
  readonly batches: Float32Array[] = [];
  constructor(readonly labels: readonly string[]) {}
  async score(batch: Float32Array, count: number): Promise<Float32Array> {
    this.batches.push(batch.slice());
    return new Float32Array(count * this.labels.length).fill(1 / this.labels.length);
  }
}

export function fastFrameMfcc(features: FeatureConfig): (frame: Float32Array, out: Float32Array, offset: number) => void {
  const mfcc = new FastMfcc(features);
  return (frame, out, offset) => mfcc.computeFrame(frame, out, offset);
}

export function loudnessDetector(config: Partial<DetectorConfig> = {}): { detector: StreamingDetector; scorer: LoudnessScorer } {
  const scorer = new LoudnessScorer();
  return { detector: new StreamingDetector(fakeModel(), scorer, fastFrameMfcc(RAW_FEATURES), config), scorer };
}

/** Quiet noise with 0.5 s tone bursts starting at `burstStarts` (seconds). */
export function burstStream(seconds: number, burstStarts: readonly number[], seed = 1, burstSeconds = 0.5): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) out[i] = 0.003 * (rng.next() * 2 - 1);
  for (const start of burstStarts) {
    const a = Math.round(start * 16000);
    const b = Math.min(out.length, a + Math.round(burstSeconds * 16000));
    for (let i = a; i < b; i++) out[i] = out[i]! + 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000);
  }
  return out;
}

/** Pushes `samples` in chunks of `chunkSize` then flushes; returns everything the detector emitted. */
export async function runInChunks(detector: StreamingDetector, samples: Float32Array, chunkSize: number) {
  const detections = [];
  const posteriors = [];
  for (let i = 0; i < samples.length; i += chunkSize) {
    const r = await detector.push(samples.subarray(i, i + chunkSize));
    detections.push(...r.detections);
    posteriors.push(...r.posteriors);
  }
  const r = await detector.flush();
  detections.push(...r.detections);
  posteriors.push(...r.posteriors);
  return { detections, posteriors };
}
