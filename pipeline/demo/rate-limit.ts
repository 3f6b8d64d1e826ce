/**
 * A token bucket over audio samples: a client may stream at most `realTimeFactor` times real
 * time, with a burst allowance for network jitter. Time is passed in, so it is testable.
 */
export interface AudioRateLimitOptions {
  sampleRateHz: number;
  /** Sustained limit as a multiple of real time (default 2). */
  realTimeFactor?: number;
  /** Audio a client may send at once on top of the sustained rate, in seconds (default 1). */
  burstSeconds?: number;
}

export class AudioRateLimiter {
  readonly samplesPerMs: number;
  readonly capacity: number;
  #allowance: number;
  #lastMs: number | null = null;

  constructor(options: AudioRateLimitOptions) {
    const factor = options.realTimeFactor ?? 2;
    const burst = options.burstSeconds ?? 1;
    if (!(options.sampleRateHz > 0)) throw new RangeError(`rate limit sampleRateHz must be > 0, got ${options.sampleRateHz}`);
    if (!(factor > 0)) throw new RangeError(`rate limit realTimeFactor must be > 0, got ${factor}`);
    if (!(burst > 0)) throw new RangeError(`rate limit burstSeconds must be > 0, got ${burst}`);
    this.samplesPerMs = (options.sampleRateHz * factor) / 1000;
    this.capacity = options.sampleRateHz * factor * burst;
    this.#allowance = this.capacity;
  }

  /** Takes `samples` from the bucket at time `nowMs`; false when the client is over the limit. */
  admit(samples: number, nowMs: number): boolean {
    if (this.#lastMs !== null) {
      const elapsed = Math.max(0, nowMs - this.#lastMs);
      this.#allowance = Math.min(this.capacity, this.#allowance + elapsed * this.samplesPerMs);
    }
    this.#lastMs = nowMs;
    if (samples > this.#allowance) return false;
    this.#allowance -= samples;
    return true;
  }
}
