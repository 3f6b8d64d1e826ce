/**
 * The one audio entry point: reads a file and decodes it to 16 kHz mono by its content (RIFF/WAVE
 * or Ogg Opus), whatever its name says. Every reader of audio in kws goes through here.
 */
import { readFile } from 'node:fs/promises';
import type { DecodedAudio } from '../types.js';
import { WavError } from './errors.js';
import { decodeOggOpus } from './ogg-opus.js';
import { decodeWav } from './wav.js';

/** File names a folder walk picks up as audio (content decides how they are decoded). */
export const AUDIO_FILE_NAME = /\.(wav|opus|ogg)$/i;

export function isAudioFileName(name: string): boolean {
  return !name.startsWith('.') && AUDIO_FILE_NAME.test(name);
}

export type AudioContainer = 'wav' | 'ogg' | 'unknown';

/** The container the bytes start with. */
export function detectContainer(bytes: Uint8Array): AudioContainer {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === 'RIFF' || magic === 'RIFX' || magic === 'RF64') return 'wav';
  if (magic === 'OggS') return 'ogg';
  return 'unknown';
}

/** Decodes wav or Ogg Opus bytes; `fileName` only labels errors. */
export async function decodeAudio(bytes: Uint8Array, fileName: string): Promise<DecodedAudio> {
  const container = detectContainer(bytes);
  if (container === 'ogg') return decodeOggOpus(bytes, fileName);
  // wav, and anything unrecognised: the wav reader names what the bytes look like.
  return decodeWav(bytes, fileName);
}

/** Reads and decodes an audio file; any file-system failure becomes a WavError 'unreadable'. */
export async function readAudio(path: string): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new WavError(path, 'unreadable', `cannot read the file (${reason})`, { cause: err });
  }
  return decodeAudio(bytes, path);
}
