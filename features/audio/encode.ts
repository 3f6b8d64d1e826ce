/** Writing mono 16-bit PCM wav files. */
import { writeFileAtomic } from '../../util/atomic.js';

const HEADER_BYTES = 44;

/**
 * Encodes mono samples as a 16-bit PCM wav file. Samples are clipped to [-1, 1] and scaled by
 * 32768 (the inverse of decodeWav's scaling), so 0.5 -> 16384 and 1 -> 32767 after clamping.
 */
export function encodeWavPcm16(samples: Float32Array, sampleRateHz: number): Uint8Array {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > 0xffffffff / 2) {
    throw new RangeError(`encodeWavPcm16: sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  }
  const dataBytes = samples.length * 2;
  if (HEADER_BYTES - 8 + dataBytes > 0xffffffff) {
    throw new RangeError(`encodeWavPcm16: ${samples.length} samples exceed the 4 GiB a wav file can hold`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + dataBytes);
  const view = new DataView(bytes.buffer);
  writeAscii(bytes, 0, 'RIFF');
  view.setUint32(4, HEADER_BYTES - 8 + dataBytes, true);
  writeAscii(bytes, 8, 'WAVE');
  writeAscii(bytes, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeAscii(bytes, 36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i]!;
    if (Number.isNaN(value)) {
      throw new RangeError(`encodeWavPcm16: sample ${i} is NaN`);
    }
    const scaled = Math.round(Math.min(1, Math.max(-1, value)) * 32768);
    view.setInt16(HEADER_BYTES + 2 * i, Math.min(32767, scaled), true);
  }
  return bytes;
}

/** Encodes with encodeWavPcm16 and writes the file atomically (temp file, then rename). */
export async function writeWavPcm16(path: string, samples: Float32Array, sampleRateHz: number): Promise<void> {
  await writeFileAtomic(path, encodeWavPcm16(samples, sampleRateHz));
}

function writeAscii(bytes: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
}
