/** The last step of every decoder: downmix to mono, then resample to the front-end's 16 kHz. */
import { TARGET_SAMPLE_RATE_HZ } from '../types.js';
import { WavError } from './errors.js';
import { downmix } from './downmix.js';
import { MAX_RESAMPLE_RATE_HZ, resample } from './resample.js';

/** libsamplerate converts at most 256:1, so 16 kHz can be reached from 63 Hz upwards. */
const MIN_SOURCE_RATE_HZ = Math.ceil(TARGET_SAMPLE_RATE_HZ / 256);

/** Throws a WavError 'bad-format' for a rate that cannot be resampled to 16 kHz; call before decoding. */
export function checkSourceRate(sampleRateHz: number, fileName: string): void {
  if (sampleRateHz !== TARGET_SAMPLE_RATE_HZ && (sampleRateHz < MIN_SOURCE_RATE_HZ || sampleRateHz > MAX_RESAMPLE_RATE_HZ)) {
    throw new WavError(fileName, 'bad-format', `sample rate ${sampleRateHz} Hz cannot be resampled to ${TARGET_SAMPLE_RATE_HZ} Hz (supported: ${MIN_SOURCE_RATE_HZ} to ${MAX_RESAMPLE_RATE_HZ} Hz)`);
  }
}

/** Mean of the channels at 16 kHz. */
export async function to16kMono(channels: Float32Array[], sampleRateHz: number): Promise<Float32Array> {
  const mono = downmix(channels);
  return sampleRateHz === TARGET_SAMPLE_RATE_HZ ? mono : resample(mono, sampleRateHz, TARGET_SAMPLE_RATE_HZ);
}
