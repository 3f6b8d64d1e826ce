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
  /**
   * What the model graph takes per clip: 'features' [T, F] computed here, or 'waveform' (an
   * end-to-end model, whose graph holds the front-end): the clip window of 16 kHz samples.
   */
  readonly input: 'features' | 'waveform';
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
    const graphInput = manifest.graphInput;
    if (graphInput && (graphInput.kind !== 'waveform' || graphInput.samples !== config.clipLengthSamples)) {
      throw new FrontEndMismatchError(`${source}: manifest graphInput (${graphInput.kind}, ${graphInput.samples} samples) does not match the clip length ${config.clipLengthSamples}`);
    }
    this.input = graphInput ? 'waveform' : 'features';
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

  /** Values per clip in the model graph's input: T*F, or the clip length for an end-to-end model. */
  get inputSize(): number {
    return this.input === 'waveform' ? this.clipLengthSamples : this.size;
  }

  /** The clip window: `samples16k` centred in silence or cropped to its loudest window. */
  window(samples16k: Float32Array): Float32Array {
    return samples16k.length === this.clipLengthSamples ? samples16k : fitToLength(samples16k, this.clipLengthSamples);
  }

  /** What the model graph takes for one clip of any length: features() or window(). */
  modelInput(samples16k: Float32Array): Float32Array {
    return this.input === 'waveform' ? this.window(samples16k) : this.features(samples16k);
  }

  /** Features of one clip, [T*F] row-major. `samples16k` may be any length. */
  features(samples16k: Float32Array): Float32Array {
    const matrix = this.#extractor.extract(this.window(samples16k));
    if (matrix.frames !== this.frames || matrix.dim !== this.dim || matrix.data.length !== this.size) {
      throw new FrontEndMismatchError(
        `feature extractor produced ${matrix.frames}x${matrix.dim} but the model expects ${this.frames}x${this.dim}`,
      );
    }
    return matrix.data;
  }
}
