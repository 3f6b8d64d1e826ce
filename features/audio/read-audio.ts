/**
 * The one audio entry point: reads a file and decodes it to 16 kHz mono by its content (RIFF/WAVE,
 * Ogg Opus, FLAC or MPEG audio), whatever its name says. Every reader of audio in kws goes through here.
 */
import { readFile } from 'node:fs/promises';
import type { DecodedAudio } from '../types.js';
import { WavError } from './errors.js';
import { decodeFlac } from './flac.js';
import { isId3v2At, skipId3v2 } from './id3.js';
import { decodeMp3 } from './mp3.js';
import { isMpegSyncAt } from './mpeg-frames.js';
import { decodeOggOpus } from './ogg-opus.js';
import { decodeWav } from './wav.js';

/** File names a folder walk picks up as audio (content decides how they are decoded). */
export const AUDIO_FILE_NAME = /\.(wav|opus|ogg|flac|mp3)$/i;

export function isAudioFileName(name: string): boolean {
  return !name.startsWith('.') && AUDIO_FILE_NAME.test(name);
}

/** `mpeg`: MPEG audio layers I-III (MP3), with or without an ID3v2 tag. */
export type AudioContainer = 'wav' | 'ogg' | 'flac' | 'mpeg' | 'unknown';

/** The container the bytes start with. */
export function detectContainer(bytes: Uint8Array): AudioContainer {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === 'RIFF' || magic === 'RIFX' || magic === 'RF64') return 'wav';
  if (magic === 'OggS') return 'ogg';
  if (magic === 'fLaC') return 'flac';
  if (isId3v2At(bytes, 0)) {
    // An ID3v2 tag is MP3's, but some taggers put one before FLAC too.
    let audio: number;
    try {
      audio = skipId3v2(bytes, '');
    } catch {
      return 'mpeg'; // the tag is cut off; the MPEG reader says so
    }
    return String.fromCharCode(...bytes.subarray(audio, audio + 4)) === 'fLaC' ? 'flac' : 'mpeg';
  }
  // ADTS (AAC) shares MPEG audio's sync word; the MPEG reader names it as unsupported.
  if (isMpegSyncAt(bytes, 0) || (bytes[0] === 0xff && (bytes[1]! & 0xf6) === 0xf0)) return 'mpeg';
  return 'unknown';
}

/** Decodes wav, Ogg Opus, FLAC or MPEG audio bytes; `fileName` only labels errors. */
export async function decodeAudio(bytes: Uint8Array, fileName: string): Promise<DecodedAudio> {
  switch (detectContainer(bytes)) {
    case 'ogg':
      return decodeOggOpus(bytes, fileName);
    case 'flac':
      return decodeFlac(bytes, fileName);
    case 'mpeg':
      return decodeMp3(bytes, fileName);
    default:
      // wav, and anything unrecognised: the wav reader names what the bytes look like.
      return decodeWav(bytes, fileName);
  }
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
