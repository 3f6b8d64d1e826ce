/** ID3v2 tags, which MP3 files (and some FLAC files) carry before their audio. */
import { WavError } from './errors.js';

const ID3V2_HEADER_BYTES = 10;

/** True when the bytes at `pos` start an ID3v2 tag header ("ID3", version, flags, syncsafe size). */
export function isId3v2At(bytes: Uint8Array, pos: number): boolean {
  if (bytes.length - pos < ID3V2_HEADER_BYTES) return false;
  if (bytes[pos] !== 0x49 || bytes[pos + 1] !== 0x44 || bytes[pos + 2] !== 0x33) return false;
  return bytes[pos + 3]! < 0xff && bytes[pos + 4]! < 0xff && [6, 7, 8, 9].every((k) => bytes[pos + k]! < 0x80);
}

/**
 * Where the audio starts: past every ID3v2 tag at the start of the file (some writers chain several)
 * and the zero padding some leave after them. Throws 'truncated' when a tag runs past the end.
 */
export function skipId3v2(bytes: Uint8Array, fileName: string): number {
  let pos = 0;
  while (isId3v2At(bytes, pos)) {
    const size = (bytes[pos + 6]! << 21) | (bytes[pos + 7]! << 14) | (bytes[pos + 8]! << 7) | bytes[pos + 9]!;
    const footer = bytes[pos + 5]! & 0x10 ? ID3V2_HEADER_BYTES : 0;
    const end = pos + ID3V2_HEADER_BYTES + size + footer;
    if (end > bytes.length) throw new WavError(fileName, 'truncated', `the ID3v2 tag at byte ${pos} needs ${end - pos} bytes but the file has ${bytes.length - pos} left (the file is cut off)`);
    pos = end;
    while (pos < bytes.length && bytes[pos] === 0) pos++;
  }
  return pos;
}
