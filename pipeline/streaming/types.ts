/**
 * Contracts of streaming keyword detection. The detector core is runtime-neutral (no Node
 * imports): the same code runs in Node over onnxruntime-node and in the browser over
 * onnxruntime-web, so both demo modes give the same detections on the same audio.
 */

/** One fired keyword. Times are seconds from the start of the stream. */
export interface Detection {
  label: string;
  /** Smoothed posterior of `label` when it fired. */
  score: number;
  /** Estimated start and end of the spoken word (the window that scored highest). */
  startSeconds: number;
  endSeconds: number;
  /** Stream time at which the detection fired (end of the evaluated window). */
  firedAtSeconds: number;
}

/** Posteriors of one evaluation of the sliding window, for live plots. */
export interface PosteriorFrame {
  /** Stream time of the window's end. */
  timeSeconds: number;
  /** Raw probabilities, aligned with the model's labels. */
  probabilities: Float32Array;
  /** Smoothed probabilities, aligned with the model's labels. */
  smoothed: Float32Array;
}

export interface DetectorConfig {
  /** Model evaluation period in milliseconds (default 100). */
  hopMs: number;
  /** Length of the moving average over evaluations, in milliseconds (default 300). */
  smoothingMs: number;
  /** Per-label firing thresholds on the smoothed posterior; labels not listed use defaultThreshold. */
  thresholds: Record<string, number>;
  /** Default firing threshold in [0, 1] (default 0.9). */
  defaultThreshold: number;
  /** After a detection, no label fires again for this long, in milliseconds (default 1000). */
  refractoryMs: number;
  /** Labels that never fire (default ['_silence_', '_unknown_']). */
  ignoreLabels: string[];
}

/** Runs the model on a batch of feature windows laid out [count, T, F]; returns probabilities [count, C]. */
export interface WindowScorer {
  readonly labels: readonly string[];
  score(features: Float32Array, count: number): Promise<Float32Array>;
}

/** Computes the MFCC of one analysis frame into out[offset .. offset + mfccCoefficients). */
export type FrameMfcc = (frame: Float32Array, out: Float32Array, offset: number) => void;
