/**
 * Contracts of the audio front-end. The feature configuration is serialised into every model's
 * manifest, so a model and the front-end that feeds it can never disagree.
 */

/** The only sample rate the feature extractor accepts; every reader resamples to it. */
export const TARGET_SAMPLE_RATE_HZ = 16000;

/** Audio decoded from a wav file, downmixed to mono and resampled to 16 kHz. */
export interface DecodedAudio {
  /** Mono samples in [-1, 1] at `sampleRateHz` (always 16000 after `readAudio`/`decodeWav`). */
  samples: Float32Array;
  sampleRateHz: number;
  /** What the file held before downmix/resample, for reports. */
  source: {
    sampleRateHz: number;
    channels: number;
    /** e.g. 'pcm16', 'pcm24', 'pcm8', 'pcm32', 'float32', 'float64', 'mulaw', 'alaw', 'opus', 'flac', 'mp3'. */
    encoding: string;
    durationSeconds: number;
  };
}

/** How features are normalised after extraction (part of the model's front-end). */
export type FeatureNormalization =
  | { kind: 'none' }
  /** Per-utterance mean/variance normalisation over frames, per feature dimension. */
  | { kind: 'utterance' }
  /** Global statistics computed on training data: one mean and std per feature dimension. */
  | { kind: 'global'; mean: number[]; std: number[] };

export interface FeatureConfig {
  /** Always 16000. */
  sampleRateHz: number;
  /** Samples per analysis frame (Meyda bufferSize; a power of two). */
  frameLengthSamples: number;
  /** Samples between frame starts. */
  hopLengthSamples: number;
  /** Meyda windowing function applied to each frame. */
  windowingFunction: 'hanning' | 'hamming' | 'blackman' | 'sine' | 'rect';
  /** Mel filter bank size (Meyda melBands). */
  melBands: number;
  /** MFCC coefficients kept per frame (Meyda numberOfMFCCCoefficients). */
  mfccCoefficients: number;
  /** Append first-order deltas (regression over +-deltaWindow frames) to each frame. */
  deltas: boolean;
  /** Half width N of the delta regression window (standard formula, edges replicated). */
  deltaWindow: number;
  /** Length of the model's input window in samples (clips are padded/cropped to it). */
  clipLengthSamples: number;
  normalization: FeatureNormalization;
}

/** Features of one clip: `frames` rows of `dim` values, row-major. */
export interface FeatureMatrix {
  data: Float32Array;
  frames: number;
  dim: number;
}
