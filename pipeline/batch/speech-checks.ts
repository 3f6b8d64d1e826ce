/**
 * Clips that cannot hold speech still get a label (the model always answers); these checks add a
 * warning to their rows so the label is not trusted blindly.
 */
import { TARGET_SAMPLE_RATE_HZ } from '../../features/types.js';

/** A spoken keyword lasts at least about 0.1 s (the shortest Speech Commands words, fast speakers). */
export const MIN_SPEECH_SAMPLES = TARGET_SAMPLE_RATE_HZ / 10;
/** Integer PCM never exceeds 1; float audio beyond this is not audio in the ±1 convention. */
export const FULL_SCALE = 1;

/** Peak magnitude and sample count of audio seen chunk by chunk. */
export class PeakMeter {
  peak = 0;
  samples = 0;

  add(chunk: Float32Array): void {
    let peak = this.peak;
    for (let i = 0; i < chunk.length; i++) {
      const v = Math.abs(chunk[i]!);
      if (v > peak) peak = v;
    }
    this.peak = peak;
    this.samples += chunk.length;
  }

  /** Passes chunks on, measuring them on the way. */
  async *through(chunks: AsyncIterable<Float32Array> | Iterable<Float32Array>): AsyncGenerator<Float32Array> {
    for await (const chunk of chunks) {
      this.add(chunk);
      yield chunk;
    }
  }
}

export function clipWarning(file: string, samples: number, peak: number): string | null {
  const seconds = samples / TARGET_SAMPLE_RATE_HZ;
  if (samples < MIN_SPEECH_SAMPLES) {
    return `${file}: too short to hold speech (${samples} sample${samples === 1 ? '' : 's'}, ${seconds.toFixed(4)} s at 16 kHz; a keyword needs at least ${MIN_SPEECH_SAMPLES / TARGET_SAMPLE_RATE_HZ} s): the label is a guess`;
  }
  if (peak > FULL_SCALE) {
    return `${file}: samples reach ${peak.toPrecision(3)}, beyond full scale (±1): not audio in the usual range, or badly clipped: the label is a guess`;
  }
  return null;
}
