/**
 * The firing rule over smoothed posteriors, separate from the model so detection metrics can replay
 * stored posteriors at many thresholds without re-running the model. Runtime-neutral.
 *
 * A label is armed while its smoothed score is below its threshold. It fires when it is armed, its
 * score reaches the threshold, it is not ignored and no detection fired within the refractory
 * period. Firing disarms every label then above its threshold (so one utterance that lifts two
 * confusable labels gives one detection); a label re-arms once its score falls below threshold.
 */
import type { DetectorConfig, Detection, PosteriorFrame } from './types.js';

export type TriggerConfig = Pick<DetectorConfig, 'thresholds' | 'defaultThreshold' | 'refractoryMs' | 'ignoreLabels'>;

/** Refractory comparisons allow this much float slack on stream times. */
const TIME_EPSILON_SECONDS = 1e-6;

export class KeywordTrigger {
  readonly labels: readonly string[];
  readonly #thresholds: Float64Array;
  readonly #ignored: Uint8Array;
  readonly #armed: Uint8Array;
  readonly #refractorySeconds: number;
  readonly #windowSeconds: number;
  /** The last `historyLength` frames: the evaluations behind the current smoothed score. */
  readonly #history: (PosteriorFrame | undefined)[];
  #historyNext = 0;
  #lastFiredAt = -Infinity;

  /**
   * `windowSeconds`: the model window length (a detection spans the window that scored highest);
   * `historyLength`: how many recent evaluations to search for that window (the smoothing length).
   */
  constructor(labels: readonly string[], config: TriggerConfig, windowSeconds: number, historyLength: number) {
    if (!Number.isInteger(historyLength) || historyLength < 1) throw new RangeError(`trigger historyLength must be a positive integer, got ${historyLength}`);
    if (!(windowSeconds > 0)) throw new RangeError(`trigger windowSeconds must be > 0, got ${windowSeconds}`);
    this.labels = labels;
    this.#thresholds = Float64Array.from(labels, (l) => config.thresholds[l] ?? config.defaultThreshold);
    this.#ignored = Uint8Array.from(labels, (l) => (config.ignoreLabels.includes(l) ? 1 : 0));
    this.#armed = new Uint8Array(labels.length).fill(1);
    this.#refractorySeconds = config.refractoryMs / 1000;
    this.#windowSeconds = windowSeconds;
    this.#history = new Array<PosteriorFrame | undefined>(historyLength);
  }

  /** Feeds one evaluation (in time order); returns the detection it fires, if any. */
  update(frame: PosteriorFrame): Detection | null {
    const { smoothed } = frame;
    this.#history[this.#historyNext] = frame;
    this.#historyNext = (this.#historyNext + 1) % this.#history.length;
    const refractory = frame.timeSeconds - this.#lastFiredAt < this.#refractorySeconds - TIME_EPSILON_SECONDS;
    let best = -1;
    for (let c = 0; c < this.labels.length; c++) {
      const above = smoothed[c]! >= this.#thresholds[c]!;
      if (!above) {
        this.#armed[c] = 1;
        continue;
      }
      if (!refractory && this.#armed[c] && !this.#ignored[c] && (best < 0 || smoothed[c]! > smoothed[best]!)) best = c;
    }
    if (best < 0) return null;
    for (let c = 0; c < this.labels.length; c++) if (smoothed[c]! >= this.#thresholds[c]!) this.#armed[c] = 0;
    this.#lastFiredAt = frame.timeSeconds;
    const peak = this.#peakWindowEnd(best);
    return {
      label: this.labels[best]!,
      score: smoothed[best]!,
      startSeconds: Math.max(0, peak - this.#windowSeconds),
      endSeconds: peak,
      firedAtSeconds: frame.timeSeconds,
    };
  }

  #peakWindowEnd(label: number): number {
    let bestTime = NaN;
    let bestScore = -Infinity;
    const n = this.#history.length;
    // Oldest first, so equal scores resolve to the earliest window.
    for (let i = 0; i < n; i++) {
      const f = this.#history[(this.#historyNext + i) % n];
      if (f && f.probabilities[label]! > bestScore) {
        bestScore = f.probabilities[label]!;
        bestTime = f.timeSeconds;
      }
    }
    return bestTime;
  }

  reset(): void {
    this.#armed.fill(1);
    this.#history.fill(undefined);
    this.#historyNext = 0;
    this.#lastFiredAt = -Infinity;
  }
}

/** The detections the trigger gives over stored posteriors (the detector's own rule, offline). */
export function replayTrigger(
  labels: readonly string[],
  frames: readonly PosteriorFrame[],
  config: TriggerConfig,
  windowSeconds: number,
  historyLength: number,
): Detection[] {
  const trigger = new KeywordTrigger(labels, config, windowSeconds, historyLength);
  const out: Detection[] = [];
  for (const frame of frames) {
    const d = trigger.update(frame);
    if (d) out.push(d);
  }
  return out;
}
