/**
 * Streaming keyword detection over 16 kHz audio pushed in chunks of any length. Runtime-neutral
 * (no Node imports): the model and the per-frame MFCC are injected, so the same class runs in Node
 * and in the browser.
 *
 * MFCCs are computed once per feature frame as samples arrive. Every hop, the last window's frames
 * are assembled and finished exactly as the whole-clip front-end does (deltas with edge
 * replication over the window, then the manifest's normalisation), so a window's features equal
 * `FeatureExtractor.extract` of the same samples. Pending windows are scored in batches.
 * Memory is fixed at construction: ring buffers of one frame of samples and one window of MFCCs.
 *
 * For an end-to-end model (`input: 'waveform'`, the front-end inside the graph) the detector
 * computes no MFCC: it keeps the samples the window's frames span and hands the scorer each window's
 * samples [count, clipLengthSamples] (the samples after the last frame, which no frame reads, are
 * zero), at the same times and with the same results as the features path.
 */
import { featureDim, framesFor } from '../../features/config.js';
import { appendDeltas, normalize } from '../../features/postprocess.js';
import type { FeatureConfig } from '../../features/types.js';
import { resolveDetectorConfig } from './config.js';
import { KeywordTrigger } from './trigger.js';
import type { Detection, DetectorConfig, FrameMfcc, PosteriorFrame, WindowScorer } from './types.js';

/** What the detector needs from a model manifest. */
export interface DetectorModel {
  labels: readonly string[];
  features: FeatureConfig;
  architecture: { inputFrames: number; inputDim: number };
  /** Thresholds measured for the model (manifest.detection) and the timing they were measured with; explicit config values win over them. */
  detection?: { defaultThreshold: number; thresholds: Record<string, number>; hopMs?: number; smoothingMs?: number; refractoryMs?: number };
  /** What the scorer takes per window: 'features' [T, F] (default) or 'waveform' [clipLengthSamples]. */
  input?: 'features' | 'waveform';
}

/**
 * The detector config: explicit values, then the model's measured thresholds and the timing they were
 * measured with, then the defaults. An explicit defaultThreshold sets every keyword without its own
 * explicit threshold.
 */
export function configWithModelDefaults(model: DetectorModel, config: Partial<DetectorConfig>): Partial<DetectorConfig> {
  const detection = model.detection;
  if (!detection) return config;
  const measured = config.defaultThreshold === undefined ? detection.thresholds : {};
  return {
    ...config,
    hopMs: config.hopMs ?? detection.hopMs,
    smoothingMs: config.smoothingMs ?? detection.smoothingMs,
    refractoryMs: config.refractoryMs ?? detection.refractoryMs,
    defaultThreshold: config.defaultThreshold ?? detection.defaultThreshold,
    thresholds: { ...measured, ...(config.thresholds ?? {}) },
  };
}

export interface StreamResult {
  detections: Detection[];
  posteriors: PosteriorFrame[];
}

/** Most windows scored in one model call; bounds the batch buffer. */
export const MAX_WINDOWS_PER_BATCH = 32;
/** flush() pads the stream end with this fraction of a window of zeros, so a final word reaches mid-window. */
const TAIL_PAD_WINDOWS = 0.5;
const FLUSH_ZERO_CHUNK = 4096;

export class StreamingDetector {
  readonly config: DetectorConfig;
  readonly labels: readonly string[];
  readonly features: FeatureConfig;
  /** Samples between evaluations: hopMs rounded to whole feature frames (at least one). */
  readonly hopSamples: number;
  /** Samples per model window (the manifest's clip length). */
  readonly windowSamples: number;
  /** Evaluations in the moving average (smoothingMs / effective hop, at least 1). */
  readonly smoothingLength: number;

  readonly #scorer: WindowScorer;
  readonly #frameMfcc: FrameMfcc | null;
  readonly #frames: number;
  readonly #mfccDim: number;
  readonly #windowSize: number;
  readonly #hopFrames: number;
  readonly #sampleRing: Float32Array;
  readonly #frameScratch: Float32Array;
  readonly #mfccRing: Float32Array;
  readonly #windowMfcc: Float32Array;
  readonly #batch: Float32Array;
  readonly #batchTimes: Float64Array;
  readonly #recentRaw: Float32Array;
  readonly #trigger: KeywordTrigger;

  #received = 0;
  #nextFrame = 0;
  #windowsQueued = 0;
  #pending = 0;
  #recentCount = 0;
  #recentNext = 0;
  #tail: Promise<unknown> = Promise.resolve();

  /** `frameMfcc` may be null only for a waveform-input model. */
  constructor(model: DetectorModel, scorer: WindowScorer, frameMfcc: FrameMfcc | null, config: Partial<DetectorConfig> = {}) {
    const features = model.features;
    const frames = framesFor(features, features.clipLengthSamples);
    const dim = featureDim(features);
    if (frames !== model.architecture.inputFrames || dim !== model.architecture.inputDim) {
      throw new RangeError(`detector: features give ${frames}x${dim} (frames x dim) per window but the architecture expects ${model.architecture.inputFrames}x${model.architecture.inputDim}`);
    }
    if (frames < 1) throw new RangeError(`detector: features.clipLengthSamples ${features.clipLengthSamples} is shorter than one frame`);
    if (scorer.labels.length !== model.labels.length) {
      throw new RangeError(`detector: the scorer has ${scorer.labels.length} labels, the model ${model.labels.length}`);
    }
    this.config = resolveDetectorConfig(configWithModelDefaults(model, config), model.labels);
    this.labels = Object.freeze([...model.labels]);
    this.features = features;
    this.#scorer = scorer;
    const waveform = model.input === 'waveform';
    if (!waveform && frameMfcc === null) throw new TypeError('detector: a features-input model needs a frameMfcc');
    this.#frameMfcc = waveform ? null : frameMfcc;
    this.#frames = frames;
    this.#mfccDim = features.mfccCoefficients;
    this.#windowSize = waveform ? features.clipLengthSamples : frames * dim;
    const hop = features.hopLengthSamples;
    // Windows must start on the feature-frame grid so their frames can be reused from the ring.
    this.#hopFrames = Math.max(1, Math.round((this.config.hopMs * features.sampleRateHz) / 1000 / hop));
    this.hopSamples = this.#hopFrames * hop;
    this.windowSamples = features.clipLengthSamples;
    this.smoothingLength = Math.max(1, Math.round(this.config.smoothingMs / this.effectiveHopMs));
    // Waveform mode keeps every sample the window's frames read; the features path one frame.
    this.#sampleRing = new Float32Array(waveform ? (frames - 1) * hop + features.frameLengthSamples : features.frameLengthSamples);
    this.#frameScratch = new Float32Array(waveform ? 0 : features.frameLengthSamples);
    this.#mfccRing = new Float32Array(waveform ? 0 : frames * this.#mfccDim);
    this.#windowMfcc = new Float32Array(waveform ? 0 : frames * this.#mfccDim);
    this.#batch = new Float32Array(MAX_WINDOWS_PER_BATCH * this.#windowSize);
    this.#batchTimes = new Float64Array(MAX_WINDOWS_PER_BATCH);
    this.#recentRaw = new Float32Array(this.smoothingLength * this.labels.length);
    this.#trigger = new KeywordTrigger(this.labels, this.config, this.windowSamples / features.sampleRateHz, this.smoothingLength);
  }

  /** The evaluation period actually used, in milliseconds. */
  get effectiveHopMs(): number {
    return (this.hopSamples * 1000) / this.features.sampleRateHz;
  }

  /** Samples pushed since the stream started. */
  get receivedSamples(): number {
    return this.#received;
  }

  /** Floats held in the detector's buffers; constant for the detector's life (no growth with stream length). */
  get bufferedFloats(): number {
    return this.#sampleRing.length + this.#frameScratch.length + this.#mfccRing.length + this.#windowMfcc.length + this.#batch.length + this.#recentRaw.length;
  }

  /**
   * Feeds 16 kHz mono samples (any length). Resolves with the detections fired and the posteriors
   * of every window evaluated during this chunk. Calls are serialised in call order.
   */
  async push(chunk: Float32Array): Promise<StreamResult> {
    if (!(chunk instanceof Float32Array)) throw new TypeError(`detector.push: chunk must be a Float32Array of 16 kHz samples, got ${chunk === null ? 'null' : typeof chunk}`);
    for (let i = 0; i < chunk.length; i++) {
      if (!Number.isFinite(chunk[i]!)) throw new RangeError(`detector.push: chunk must be finite, got ${chunk[i]} at index ${i}`);
    }
    return this.#serial(async () => {
      const result: StreamResult = { detections: [], posteriors: [] };
      await this.#feed(chunk, result);
      await this.#scorePending(result);
      return result;
    });
  }

  /**
   * Ends the stream: pads the end with zeros (half a window past the last sample, at least one
   * whole window) so a word in the last second is evaluated, scores everything, then resets so the
   * next push starts a new stream at time 0.
   */
  async flush(): Promise<StreamResult> {
    return this.#serial(async () => {
      const result: StreamResult = { detections: [], posteriors: [] };
      const received = this.#received;
      if (received > 0) {
        const target = Math.max(this.windowSamples, received + Math.ceil(TAIL_PAD_WINDOWS * this.windowSamples));
        const lastWindow = Math.ceil((target - this.windowSamples) / this.hopSamples);
        let zeros = lastWindow * this.hopSamples + this.windowSamples - received;
        const zeroChunk = new Float32Array(Math.min(FLUSH_ZERO_CHUNK, Math.max(1, zeros)));
        while (zeros > 0) {
          const n = Math.min(zeros, zeroChunk.length);
          await this.#feed(n === zeroChunk.length ? zeroChunk : zeroChunk.subarray(0, n), result);
          zeros -= n;
        }
        await this.#scorePending(result);
      }
      this.#resetState();
      return result;
    });
  }

  /** Forgets the stream (buffers, smoothing, refractory state); the next push starts at time 0. */
  reset(): void {
    this.#resetState();
  }

  #resetState(): void {
    this.#received = 0;
    this.#nextFrame = 0;
    this.#windowsQueued = 0;
    this.#pending = 0;
    this.#recentCount = 0;
    this.#recentNext = 0;
    this.#sampleRing.fill(0);
    this.#mfccRing.fill(0);
    this.#trigger.reset();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #feed(chunk: Float32Array, result: StreamResult): Promise<void> {
    const frameLength = this.features.frameLengthSamples;
    const ringLength = this.#sampleRing.length;
    const hop = this.features.hopLengthSamples;
    let pos = 0;
    while (pos < chunk.length) {
      const frameEnd = this.#nextFrame * hop + frameLength;
      const take = Math.min(frameEnd - this.#received, chunk.length - pos);
      // Only the last ringLength samples can still be read.
      const from = pos + Math.max(0, take - ringLength);
      this.#writeRing(chunk, from, pos + take, this.#received + (from - pos));
      this.#received += take;
      pos += take;
      if (this.#received === frameEnd) {
        this.#computeFrame();
        if (this.#pending === MAX_WINDOWS_PER_BATCH) await this.#scorePending(result);
      }
    }
  }

  #writeRing(chunk: Float32Array, from: number, to: number, globalIndex: number): void {
    const ring = this.#sampleRing;
    let at = globalIndex % ring.length;
    for (let i = from; i < to; i++) {
      ring[at] = chunk[i]!;
      at = at + 1 === ring.length ? 0 : at + 1;
    }
  }

  #computeFrame(): void {
    if (this.#frameMfcc === null) {
      const j = this.#nextFrame++;
      if (j === this.#windowsQueued * this.#hopFrames + this.#frames - 1) this.#queueWaveform();
      return;
    }
    const ring = this.#sampleRing;
    const start = this.#received % ring.length;
    const frame = this.#frameScratch;
    frame.set(ring.subarray(start), 0);
    frame.set(ring.subarray(0, start), ring.length - start);
    const j = this.#nextFrame++;
    this.#frameMfcc(frame, this.#mfccRing, (j % this.#frames) * this.#mfccDim);
    if (j === this.#windowsQueued * this.#hopFrames + this.#frames - 1) this.#queueWindow(j);
  }

  /** Copies the samples of the window whose last frame just ended into the batch (oldest first). */
  #queueWaveform(): void {
    const ring = this.#sampleRing;
    const start = this.#received % ring.length;
    const at = this.#pending * this.#windowSize;
    this.#batch.set(ring.subarray(start), at);
    this.#batch.set(ring.subarray(0, start), at + ring.length - start);
    this.#queued();
  }

  #queued(): void {
    const windowEnd = this.#windowsQueued * this.hopSamples + this.windowSamples;
    this.#batchTimes[this.#pending] = windowEnd / this.features.sampleRateHz;
    this.#pending++;
    this.#windowsQueued++;
  }

  /** Assembles the window whose last frame is `lastFrame` into the batch. */
  #queueWindow(lastFrame: number): void {
    const T = this.#frames;
    const M = this.#mfccDim;
    const first = lastFrame - T + 1;
    for (let i = 0; i < T; i++) {
      const slot = (first + i) % T;
      this.#windowMfcc.set(this.#mfccRing.subarray(slot * M, (slot + 1) * M), i * M);
    }
    const mfcc = { data: this.#windowMfcc, frames: T, dim: M };
    const withDeltas = this.features.deltas ? appendDeltas(mfcc, this.features.deltaWindow) : mfcc;
    const finished = normalize(withDeltas, this.features.normalization);
    this.#batch.set(finished.data, this.#pending * this.#windowSize);
    this.#queued();
  }

  async #scorePending(result: StreamResult): Promise<void> {
    const count = this.#pending;
    if (count === 0) return;
    this.#pending = 0;
    const input = count === MAX_WINDOWS_PER_BATCH ? this.#batch : this.#batch.slice(0, count * this.#windowSize);
    const probs = await this.#scorer.score(input, count);
    const C = this.labels.length;
    if (!(probs instanceof Float32Array) || probs.length !== count * C) {
      throw new RangeError(`detector: the scorer returned ${probs?.length} probabilities for ${count} windows of ${C} labels`);
    }
    for (let i = 0; i < count; i++) {
      const probabilities = probs.slice(i * C, (i + 1) * C);
      const frame: PosteriorFrame = { timeSeconds: this.#batchTimes[i]!, probabilities, smoothed: this.#smooth(probabilities) };
      result.posteriors.push(frame);
      const detection = this.#trigger.update(frame);
      if (detection) result.detections.push(detection);
    }
  }

  /** Moving average of the last smoothingLength evaluations (fewer at the stream start). */
  #smooth(probabilities: Float32Array): Float32Array {
    const C = this.labels.length;
    this.#recentRaw.set(probabilities, this.#recentNext * C);
    this.#recentNext = (this.#recentNext + 1) % this.smoothingLength;
    this.#recentCount = Math.min(this.#recentCount + 1, this.smoothingLength);
    const smoothed = new Float32Array(C);
    for (let r = 0; r < this.#recentCount; r++) {
      for (let c = 0; c < C; c++) smoothed[c] = smoothed[c]! + this.#recentRaw[r * C + c]!;
    }
    for (let c = 0; c < C; c++) smoothed[c] = smoothed[c]! / this.#recentCount;
    return smoothed;
  }
}
