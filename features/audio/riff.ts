/**
 * Validates a RIFF/WAVE container and locates its samples, without trusting any size the header
 * claims: every size is checked against the bytes actually present before it is used.
 */
import { WavError } from './errors.js';

/** `mulaw`/`alaw`: 8-bit G.711 codes (format tags 7 and 6). */
export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'mulaw' | 'alaw';

/** Where the samples of a validated wav file are and how they are stored. */
export interface WavLayout {
  encoding: WavEncoding;
  channels: number;
  sampleRateHz: number;
  /** Bytes of one sample of one channel. */
  bytesPerSample: number;
  /** Byte offset of the first sample frame in the file. */
  dataOffset: number;
  /** Whole sample frames in the data chunk (a trailing partial frame is dropped). */
  frames: number;
}

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Common non-PCM format tags, so the error can name what the file holds. */
const UNSUPPORTED_FORMAT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'MS ADPCM'],
  [0x0011, 'IMA ADPCM'],
  [0x0031, 'GSM 6.10'],
  [0x0050, 'MPEG audio'],
  [0x0055, 'MP3'],
  [0x00ff, 'AAC'],
  [0x1610, 'HE-AAC'],
  [0x2000, 'AC-3'],
]);

/** Bytes 2..15 of the KSDATAFORMAT_SUBTYPE_* GUIDs; bytes 0..1 hold the plain format tag. */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
const FMT_MIN_BYTES = 16;
const FMT_EXTENSIBLE_MIN_BYTES = 40;

interface FmtChunk {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Present for WAVE_FORMAT_EXTENSIBLE: the effective format tag taken from the sub-format GUID. */
  subFormatTag?: number;
}

export function parseWavLayout(bytes: Uint8Array, fileName: string): WavLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = checkRiffHeader(bytes, fileName);

  let fmt: FmtChunk | undefined;
  let data: { offset: number; size: number } | undefined;
  const seen: string[] = [];
  let pos = RIFF_HEADER_BYTES;
  // Each step advances by at least the 8-byte chunk header, so the walk always ends.
  while (pos + CHUNK_HEADER_BYTES <= end && (fmt === undefined || data === undefined)) {
    const id = fourCC(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + CHUNK_HEADER_BYTES;
    const available = end - body;
    seen.push(printable(id));
    if (id === 'fmt ') {
      if (size > available) {
        throw new WavError(fileName, 'truncated', `fmt chunk at byte ${pos} needs ${size} bytes but the file has ${available} left`);
      }
      fmt = parseFmt(view, body, size, fileName);
    } else if (id === 'data') {
      if (size > available) {
        throw new WavError(fileName, 'header-overclaims', `data chunk at byte ${pos} claims ${size} bytes but the file holds only ${available} after its header`);
      }
      data = { offset: body, size };
    } else if (size > available && data === undefined) {
      throw new WavError(fileName, 'header-overclaims', `chunk ${quoted(id)} at byte ${pos} claims ${size} bytes but only ${available} remain, before any data chunk`);
    }
    pos = body + size + (size & 1); // RIFF pads odd-sized chunks to an even length
  }

  if (data === undefined) {
    const cut = pos < end ? `a partial chunk header at byte ${pos}` : `byte ${end}`;
    throw new WavError(fileName, 'truncated', `no data chunk: the file ends at ${cut} after chunks [${seen.join(', ')}]`);
  }
  if (fmt === undefined) {
    throw new WavError(fileName, 'bad-format', `no fmt chunk before the end of the file (chunks [${seen.join(', ')}])`);
  }
  const encoding = encodingOf(fmt, fileName);
  const frames = Math.floor(data.size / fmt.blockAlign);
  if (frames === 0) {
    throw new WavError(fileName, 'empty', `data chunk holds no complete sample frame (${data.size} bytes, ${fmt.blockAlign} per frame)`);
  }
  return {
    encoding,
    channels: fmt.channels,
    sampleRateHz: fmt.sampleRateHz,
    bytesPerSample: fmt.bitsPerSample / 8,
    dataOffset: data.offset,
    frames,
  };
}

/** Checks the 12-byte RIFF/WAVE header; returns where chunk walking must stop. */
function checkRiffHeader(bytes: Uint8Array, fileName: string): number {
  if (bytes.length === 0) {
    throw new WavError(fileName, 'empty', 'file is 0 bytes long');
  }
  const magic = fourCC(bytes, 0);
  if (bytes.length < RIFF_HEADER_BYTES) {
    if ('RIFF'.startsWith(magic.slice(0, Math.min(4, bytes.length)))) {
      throw new WavError(fileName, 'truncated', `file is ${bytes.length} bytes long, shorter than the 12-byte RIFF/WAVE header`);
    }
    throw new WavError(fileName, 'not-riff-wave', `not a RIFF/WAVE file (${bytes.length} bytes starting ${quoted(magic)})`);
  }
  if (magic !== 'RIFF') {
    const hint = magic === 'RIFX' ? ' (big-endian RIFX is not supported)' : magic === 'RF64' ? ' (64-bit RF64 is not supported)' : '';
    throw new WavError(fileName, 'not-riff-wave', `not a RIFF/WAVE file: starts with ${quoted(magic)} instead of "RIFF"${hint}`);
  }
  const form = fourCC(bytes, 8);
  if (form !== 'WAVE') {
    throw new WavError(fileName, 'not-riff-wave', `RIFF file of form ${quoted(form)}, not "WAVE"`);
  }
  // The RIFF size field is not trusted (streaming writers leave it 0 or 0xFFFFFFFF): chunks are
  // walked up to the real end of the bytes.
  return bytes.length;
}

function parseFmt(view: DataView, body: number, size: number, fileName: string): FmtChunk {
  if (size < FMT_MIN_BYTES) {
    throw new WavError(fileName, 'bad-format', `fmt chunk is ${size} bytes, less than the 16 a PCM header needs`);
  }
  const fmt: FmtChunk = {
    formatTag: view.getUint16(body, true),
    channels: view.getUint16(body + 2, true),
    sampleRateHz: view.getUint32(body + 4, true),
    blockAlign: view.getUint16(body + 12, true),
    bitsPerSample: view.getUint16(body + 14, true),
  };
  if (fmt.formatTag === FORMAT_EXTENSIBLE) {
    if (size < FMT_EXTENSIBLE_MIN_BYTES) {
      throw new WavError(fileName, 'bad-format', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, less than the 40 it needs`);
    }
    const guid = new Uint8Array(view.buffer, view.byteOffset + body + 24, 16);
    if (!SUBFORMAT_GUID_TAIL.every((b, i) => guid[i + 2] === b)) {
      throw new WavError(fileName, 'unsupported-encoding', `unsupported encoding: WAVE_FORMAT_EXTENSIBLE sub-format GUID ${guidString(guid)} is neither PCM nor IEEE float`);
    }
    fmt.subFormatTag = view.getUint16(body + 24, true);
  }
  if (fmt.channels < 1) {
    throw new WavError(fileName, 'bad-format', 'fmt chunk declares 0 channels');
  }
  if (fmt.sampleRateHz < 1) {
    throw new WavError(fileName, 'bad-format', 'fmt chunk declares a sample rate of 0 Hz');
  }
  return fmt;
}

function encodingOf(fmt: FmtChunk, fileName: string): WavEncoding {
  const tag = fmt.subFormatTag ?? fmt.formatTag;
  const bits = fmt.bitsPerSample;
  const described = fmt.subFormatTag === undefined ? `format tag ${tag}` : `WAVE_FORMAT_EXTENSIBLE sub-format ${tag}`;
  let encoding: WavEncoding | undefined;
  if (tag === FORMAT_PCM) {
    encoding = bits === 8 ? 'pcm8' : bits === 16 ? 'pcm16' : bits === 24 ? 'pcm24' : bits === 32 ? 'pcm32' : undefined;
  } else if (tag === FORMAT_FLOAT) {
    encoding = bits === 32 ? 'float32' : bits === 64 ? 'float64' : undefined;
  } else if (tag === FORMAT_MULAW || tag === FORMAT_ALAW) {
    encoding = bits === 8 ? (tag === FORMAT_MULAW ? 'mulaw' : 'alaw') : undefined;
  } else {
    const name = UNSUPPORTED_FORMAT_NAMES.get(tag) ?? `0x${tag.toString(16).padStart(4, '0')}`;
    throw new WavError(fileName, 'unsupported-encoding', `unsupported encoding ${name} (${described}); convert to PCM or float`);
  }
  if (encoding === undefined) {
    if (tag === FORMAT_MULAW || tag === FORMAT_ALAW) {
      throw new WavError(fileName, 'unsupported-encoding', `unsupported encoding ${bits}-bit ${tag === FORMAT_MULAW ? 'mu-law' : 'a-law'} (${described}); G.711 stores 8 bits per sample`);
    }
    const kind = tag === FORMAT_PCM ? 'integer PCM' : 'float';
    throw new WavError(fileName, 'unsupported-encoding', `unsupported encoding ${bits}-bit ${kind} (${described}); use 8/16/24/32-bit PCM or 32/64-bit float`);
  }
  const expectedBlockAlign = fmt.channels * (bits / 8);
  if (fmt.blockAlign !== expectedBlockAlign) {
    throw new WavError(fileName, 'bad-format', `block align ${fmt.blockAlign} does not match ${fmt.channels} channel(s) of ${bits}-bit samples (${expectedBlockAlign})`);
  }
  return encoding;
}

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** A chunk id as text safe to print: non-printable bytes become \xNN. */
function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function quoted(id: string): string {
  return `"${printable(id)}"`;
}

function guidString(guid: Uint8Array): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Array.from(guid.subarray(from, to), (b) => b.toString(16).padStart(2, '0'));
    return (reverse ? part.reverse() : part).join('');
  };
  return `{${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}}`;
}
