/**
 * The reference MFCC: Meyda.extract('mfcc', frame) frame by frame. Slow; it defines the features
 * that FastMfcc reproduces and is used for parity tests and benchmarks.
 */
import { framesFor } from './config.js';
import { meyda } from './meyda-internals.js';
import type { FeatureConfig, FeatureMatrix } from './types.js';

type MfccConfig = Pick<
  FeatureConfig,
  'sampleRateHz' | 'frameLengthSamples' | 'hopLengthSamples' | 'windowingFunction' | 'melBands' | 'mfccCoefficients'
>;

let bankKey = '';
let bankSeen: number[][] | undefined;

/**
 * Points Meyda's global settings at `config`. Meyda rebuilds its cached mel filter bank only when
 * melBands changes (not on a new sampleRate or bufferSize), so the cache is dropped whenever the
 * bank's parameters differ from the last call or someone else replaced it.
 */
function configureMeyda(config: MfccConfig): void {
  const key = `${config.melBands}/${config.sampleRateHz}/${config.frameLengthSamples}/${config.mfccCoefficients}`;
  if (key !== bankKey || meyda.melFilterBank !== bankSeen) {
    meyda.melFilterBank = undefined;
    meyda.barkScale = undefined;
    bankKey = key;
  }
  meyda.bufferSize = config.frameLengthSamples;
  meyda.sampleRate = config.sampleRateHz;
  meyda.melBands = config.melBands;
  meyda.numberOfMFCCCoefficients = config.mfccCoefficients;
  meyda.windowingFunction = config.windowingFunction;
}

/** MFCCs of every full frame of `samples` (see framesFor), `mfccCoefficients` values per frame. */
export function mfccMeyda(samples: Float32Array, config: MfccConfig): FeatureMatrix {
  const frames = framesFor(config, samples.length);
  const dim = config.mfccCoefficients;
  const data = new Float32Array(frames * dim);
  for (let t = 0; t < frames; t++) {
    configureMeyda(config);
    const start = t * config.hopLengthSamples;
    const mfcc = meyda.extract('mfcc', samples.subarray(start, start + config.frameLengthSamples));
    bankSeen = meyda.melFilterBank;
    if (!mfcc || mfcc.length !== dim) {
      throw new Error(`mfcc-meyda: Meyda returned ${mfcc ? mfcc.length : 'no'} coefficients, expected ${dim}`);
    }
    data.set(mfcc, t * dim);
  }
  return { data, frames, dim };
}
