/**
 * Pitch shift that keeps the duration (SoundTouch's WSOLA time-stretch plus resampling, from the
 * soundtouchjs package): speaker-like pitch variation independent of the speed perturbation.
 * ~3–4 ms per 1 s clip, inside the augmentation worker's budget (training takes ~6 ms per clip).
 */
import { SimpleFilter, SoundTouch } from 'soundtouchjs';

/** SoundTouch holds output back while its windows fill: feed this much silence after the clip. */
const TAIL_PADDING = 16384;

/** `samples` shifted by `semitones` (positive: higher), same length; its onset moves by a few ms. */
export function pitchShift(samples: Float32Array, semitones: number): Float32Array {
  if (!Number.isFinite(semitones) || Math.abs(semitones) > 24) throw new RangeError(`pitch shift must be within ±24 semitones, got ${semitones}`);
  if (semitones === 0 || samples.length === 0) return samples.slice();
  const stretch = new SoundTouch();
  stretch.pitchSemitones = semitones;
  const total = samples.length + TAIL_PADDING;
  // SoundTouch works on interleaved stereo: both channels carry the clip.
  const source = {
    extract(target: Float32Array, numFrames: number, position: number): number {
      const frames = Math.max(0, Math.min(numFrames, total - position));
      for (let i = 0; i < frames; i++) {
        const at = position + i;
        const v = at < samples.length ? samples[at]! : 0;
        target[2 * i] = v;
        target[2 * i + 1] = v;
      }
      return frames;
    },
  };
  const filter = new SimpleFilter(source, stretch);
  const stereo = new Float32Array(samples.length * 2);
  let done = 0;
  while (done < samples.length) {
    const got = filter.extract(stereo.subarray(done * 2), samples.length - done);
    if (got === 0) break;
    done += got;
  }
  const out = new Float32Array(samples.length);
  for (let i = 0; i < done; i++) out[i] = stereo[2 * i]!;
  return out;
}
