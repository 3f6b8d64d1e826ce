/**
 * The whole feature front-end: MFCC -> optional deltas -> normalisation. Its input is the clip
 * window itself, already 16 kHz and already padded/cropped by the caller (fitToLength).
 */
import { validateFeatureConfig } from './config.js';
import { FastMfcc } from './mfcc-fast.js';
import { mfccMeyda } from './mfcc-meyda.js';
import { appendDeltas, normalize } from './postprocess.js';
import type { FeatureConfig, FeatureMatrix } from './types.js';

export interface ExtractOptions {
  /** 'fast' (default) is FastMfcc; 'meyda' is the frame-by-frame reference. */
  implementation?: 'fast' | 'meyda';
}

function finish(mfcc: FeatureMatrix, config: FeatureConfig): FeatureMatrix {
  const withDeltas = config.deltas ? appendDeltas(mfcc, config.deltaWindow) : mfcc;
  return normalize(withDeltas, config.normalization);
}

/** Holds one FastMfcc for a config, for hot loops over many clips. */
export class FeatureExtractor {
  readonly config: FeatureConfig;
  private readonly mfcc: FastMfcc;

  constructor(config: FeatureConfig) {
    this.config = validateFeatureConfig(config);
    this.mfcc = new FastMfcc(config);
  }

  /** Features of one clip window: framesFor(config, samples.length) rows of featureDim(config). */
  extract(samples16k: Float32Array): FeatureMatrix {
    return finish(this.mfcc.compute(samples16k), this.config);
  }
}

const fastByShape = new Map<string, FastMfcc>();

function fastMfccFor(config: FeatureConfig): FastMfcc {
  const key = [
    config.sampleRateHz,
    config.frameLengthSamples,
    config.hopLengthSamples,
    config.windowingFunction,
    config.melBands,
    config.mfccCoefficients,
  ].join('/');
  let mfcc = fastByShape.get(key);
  if (!mfcc) {
    mfcc = new FastMfcc(config);
    fastByShape.set(key, mfcc);
  }
  return mfcc;
}

/** Features of one clip window (see FeatureExtractor.extract); FastMfcc tables are cached per config. */
export function extractFeatures(samples16k: Float32Array, config: FeatureConfig, options: ExtractOptions = {}): FeatureMatrix {
  const implementation = options.implementation ?? 'fast';
  let mfcc: FeatureMatrix;
  if (implementation === 'fast') mfcc = fastMfccFor(config).compute(samples16k);
  else if (implementation === 'meyda') mfcc = mfccMeyda(samples16k, config);
  else throw new RangeError(`extractFeatures: options.implementation must be 'fast' or 'meyda', got ${JSON.stringify(implementation)}`);
  return finish(mfcc, config);
}
