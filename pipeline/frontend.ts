/**
 * The recognition front-end rebuilt from a model's manifest: 16 kHz samples of any length ->
 * clip window (padded/cropped) -> feature matrix flattened to [T*F], the exact input the model saw
 * in training.
 */
import { fitToLength } from '../features/audio/index.js';
import { framesFor, featureDim } from '../features/config.js';
import { FeatureExtractor } from '../features/extractor.js';
import type { FeatureConfig } from '../features/types.js';
import type { ModelManifest } from '../model/types.js';

/** The manifest's feature configuration and architecture disagree, or a clip produced the wrong shape. */
export class FrontEndMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrontEndMismatchError';
  }
}

export class FrontEnd {
  readonly config: FeatureConfig;
  readonly frames: number;
  readonly dim: number;
  readonly clipLengthSamples: number;
  readonly #extractor: FeatureExtractor;

  /** `source` names the model file in error messages. */
  constructor(manifest: ModelManifest, source: string) {
    const config = manifest.features;
    const arch = manifest.architecture;
    const frames = framesFor(config, config.clipLengthSamples);
    const dim = featureDim(config);
    if (frames !== arch.inputFrames || dim !== arch.inputDim) {
      throw new FrontEndMismatchError(
        `${source}: manifest features give ${frames}x${dim} (frames x dim) per clip but the architecture expects ${arch.inputFrames}x${arch.inputDim}`,
      );
    }
    this.config = config;
    this.frames = frames;
    this.dim = dim;
    this.clipLengthSamples = config.clipLengthSamples;
    this.#extractor = new FeatureExtractor(config);
  }

  /** Values per clip in the model input (T*F). */
  get size(): number {
    return this.frames * this.dim;
  }

  /** Features of one clip, [T*F] row-major. `samples16k` may be any length. */
  features(samples16k: Float32Array): Float32Array {
    const clip = samples16k.length === this.clipLengthSamples ? samples16k : fitToLength(samples16k, this.clipLengthSamples);
    const matrix = this.#extractor.extract(clip);
    if (matrix.frames !== this.frames || matrix.dim !== this.dim || matrix.data.length !== this.size) {
      throw new FrontEndMismatchError(
        `feature extractor produced ${matrix.frames}x${matrix.dim} but the model expects ${this.frames}x${this.dim}`,
      );
    }
    return matrix.data;
  }
}
