/**
 * Augmented training features, one epoch at a time. `produceEpochFeatures` is the whole job
 * (augment every entry's clip with its (seed, epoch, index) seed, extract features, mask them);
 * `WorkerEpochSource` runs it in a worker thread one epoch ahead of the trainer, and
 * `InThreadEpochSource` runs it on the calling thread (same bytes, for tests and comparisons).
 */
import { Worker } from 'node:worker_threads';
import { FeatureExtractor } from '../features/extractor.js';
import { framesFor, featureDim } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { SeededRandom } from '../util/random.js';
import { applyFeatureMasks, applyWaveAugmentation, augmentSeed, drawAugmentation, validateAugmentConfig, type AugmentConfig, type NoiseRecording } from './augment.js';
import type { EpochSource } from './feature-store.js';

/** What a producer needs; every array may live in shared memory (sent to the worker without a copy). */
export interface AugmentInputs {
  /** Raw clips, [clipCount, clipLength] Int16. */
  clips: Int16Array;
  clipLength: number;
  /** Row of `clips` for each epoch entry; repeats of a clip are separate entries (different augmentation). */
  entries: Int32Array;
  /** 1 where the entry is a partial word (WindowAugment); absent: none is. */
  partialEntries?: Uint8Array;
  noise: NoiseRecording[];
  config: AugmentConfig;
  features: FeatureConfig;
  seed: number;
}

export class AugmentProducerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AugmentProducerError';
  }
}

function checkInputs(inputs: AugmentInputs): void {
  validateAugmentConfig(inputs.config);
  if (inputs.clipLength !== inputs.features.clipLengthSamples) {
    throw new RangeError(`augment inputs: clipLength ${inputs.clipLength} differs from features.clipLengthSamples ${inputs.features.clipLengthSamples}`);
  }
  const rows = Math.floor(inputs.clips.length / inputs.clipLength);
  for (const row of inputs.entries) {
    if (!(row >= 0 && row < rows)) throw new RangeError(`augment inputs: entry names clip ${row}, but there are ${rows} clips`);
  }
  if (inputs.partialEntries && inputs.partialEntries.length !== inputs.entries.length) {
    throw new RangeError(`augment inputs: ${inputs.partialEntries.length} partial-entry flags for ${inputs.entries.length} entries`);
  }
}

/** Features of epoch `epoch`: [entries, frames, dim] row-major. */
export function produceEpochFeatures(inputs: AugmentInputs, epoch: number, extractor: FeatureExtractor = new FeatureExtractor(inputs.features)): Float32Array {
  const { clips, clipLength, entries, partialEntries, noise, config, seed } = inputs;
  const frames = framesFor(inputs.features, clipLength);
  const dim = featureDim(inputs.features);
  const context = { noiseLengths: noise.map((r) => r.usable), frames, coefficients: inputs.features.mfccCoefficients };
  const out = new Float32Array(entries.length * frames * dim);
  const clip = new Float32Array(clipLength);
  for (let n = 0; n < entries.length; n++) {
    const row = entries[n]! * clipLength;
    for (let i = 0; i < clipLength; i++) clip[i] = clips[row + i]! / 32768;
    const params = drawAugmentation(new SeededRandom(augmentSeed(seed, epoch, n)), config, context, partialEntries?.[n] === 1);
    const features = extractor.extract(applyWaveAugmentation(clip, params, noise)).data;
    applyFeatureMasks(features, frames, dim, inputs.features.mfccCoefficients, params.timeMasks, params.frequencyMasks);
    out.set(features, n * frames * dim);
  }
  return out;
}

interface SourceShape {
  count: number;
  frames: number;
  dim: number;
  y: Int32Array;
}

function shapeOf(inputs: AugmentInputs, y: Int32Array): SourceShape {
  if (y.length !== inputs.entries.length) throw new RangeError(`augment source: ${y.length} labels for ${inputs.entries.length} entries`);
  checkInputs(inputs);
  return { count: inputs.entries.length, frames: framesFor(inputs.features, inputs.clipLength), dim: featureDim(inputs.features), y };
}

export class InThreadEpochSource implements EpochSource {
  readonly count: number;
  readonly frames: number;
  readonly dim: number;
  readonly y: Int32Array;
  readonly #inputs: AugmentInputs;
  readonly #extractor: FeatureExtractor;

  constructor(inputs: AugmentInputs, y: Int32Array) {
    const shape = shapeOf(inputs, y);
    this.count = shape.count;
    this.frames = shape.frames;
    this.dim = shape.dim;
    this.y = y;
    this.#inputs = inputs;
    this.#extractor = new FeatureExtractor(inputs.features);
  }

  async epochFeatures(epoch: number): Promise<Float32Array> {
    return produceEpochFeatures(this.#inputs, epoch, this.#extractor);
  }

  async close(): Promise<void> {}
}

export type ProducerRequest = { epoch: number } | { stop: true };
export type ProducerReply = { kind: 'epoch'; epoch: number; x: Float32Array; seconds: number } | { kind: 'failed'; epoch: number; message: string };

interface Pending {
  promise: Promise<{ x: Float32Array; seconds: number }>;
  resolve: (value: { x: Float32Array; seconds: number }) => void;
  reject: (err: Error) => void;
}

export interface WorkerSourceOptions {
  /** No epoch after this one is prefetched. Default: unbounded. */
  lastEpoch?: number;
}

/**
 * Produces epochs in a worker thread: asking for epoch e also queues e + 1, so while the trainer
 * works through e the worker (on the other core) builds the next one. At most two epochs of
 * features are held at a time.
 */
export class WorkerEpochSource implements EpochSource {
  readonly count: number;
  readonly frames: number;
  readonly dim: number;
  readonly y: Int32Array;
  /** Seconds the worker spent producing each epoch, by epoch. */
  readonly produceSeconds = new Map<number, number>();
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #lastEpoch: number;
  #failure: Error | null = null;
  #closed = false;

  constructor(inputs: AugmentInputs, y: Int32Array, options: WorkerSourceOptions = {}) {
    const shape = shapeOf(inputs, y);
    this.count = shape.count;
    this.frames = shape.frames;
    this.dim = shape.dim;
    this.y = y;
    this.#lastEpoch = options.lastEpoch ?? Number.POSITIVE_INFINITY;
    this.#worker = new Worker(new URL('./augment-worker.js', import.meta.url), { workerData: inputs });
    this.#worker.on('message', (reply: ProducerReply) => {
      const pending = this.#pending.get(reply.epoch);
      if (!pending) return;
      if (reply.kind === 'epoch') {
        this.produceSeconds.set(reply.epoch, reply.seconds);
        pending.resolve({ x: reply.x, seconds: reply.seconds });
      } else {
        pending.reject(new AugmentProducerError(`augmentation worker failed on epoch ${reply.epoch}: ${reply.message}`));
      }
    });
    const fail = (err: Error): void => {
      if (this.#closed) return;
      this.#failure = err;
      for (const p of this.#pending.values()) p.reject(err);
    };
    this.#worker.on('error', (err) => fail(new AugmentProducerError(`augmentation worker crashed: ${err.message}`)));
    this.#worker.on('exit', (code) => fail(new AugmentProducerError(`augmentation worker exited with code ${code}`)));
  }

  /** Starts producing `epoch` (if not already asked for). */
  prefetch(epoch: number): void {
    if (this.#closed || this.#pending.has(epoch) || epoch > this.#lastEpoch) return;
    let resolve!: Pending['resolve'];
    let reject!: Pending['reject'];
    const promise = new Promise<{ x: Float32Array; seconds: number }>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A prefetched epoch nobody asks for must not become an unhandled rejection.
    promise.catch(() => undefined);
    this.#pending.set(epoch, { promise, resolve, reject });
    if (this.#failure) reject(this.#failure);
    else this.#worker.postMessage({ epoch } satisfies ProducerRequest);
  }

  async epochFeatures(epoch: number): Promise<Float32Array> {
    if (this.#closed) throw new AugmentProducerError('augmentation source is closed');
    this.prefetch(epoch);
    this.prefetch(epoch + 1);
    const pending = this.#pending.get(epoch)!;
    try {
      return (await pending.promise).x;
    } finally {
      this.#pending.delete(epoch);
      for (const e of this.#pending.keys()) if (e < epoch) this.#pending.delete(e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.clear();
    await this.#worker.terminate();
  }
}
