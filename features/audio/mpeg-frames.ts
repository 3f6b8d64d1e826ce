/**
 * MPEG audio (layers I-III, MPEG-1/2/2.5) frame walking, done before decoding so a cut or damaged
 * file gets a named error: mpg123 itself skips damage and stops quietly at a cut-off frame.
 */
import { WavError } from './errors.js';
import { skipId3v2 } from './id3.js';

export interface MpegFrameHeader {
  /** 1, 2 or 2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  sampleRateHz: number;
  /** 1 for mono, else 2. */
  channels: 1 | 2;
  bitrateKbps: number;
  samplesPerFrame: number;
  frameBytes: number;
  /** A 16-bit CRC follows the header. */
  protected: boolean;
}

export interface MpegLayout {
  first: MpegFrameHeader;
  /** Byte range of the frames (ID3v2 before and ID3v1/APE tags after excluded). */
  start: number;
  end: number;
  /** Frames holding audio (a Xing/Info/VBRI header frame is not counted). */
  audioFrames: number;
  /** Samples per channel the frames hold after the encoder delay and padding of a LAME tag, if any. */
  expectedSamples: number;
}

const BITRATES_KBPS: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES_HZ = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] } as const;

/** True when the 4 bytes at `pos` are a plausible MPEG audio frame header (sync, no reserved field). */
export function isMpegSyncAt(bytes: Uint8Array, pos: number): boolean {
  if (bytes.length - pos < 4 || bytes[pos] !== 0xff || (bytes[pos + 1]! & 0xe0) !== 0xe0) return false;
  const b1 = bytes[pos + 1]!;
  const b2 = bytes[pos + 2]!;
  return ((b1 >> 3) & 3) !== 1 && ((b1 >> 1) & 3) !== 0 && b2 >> 4 !== 15 && ((b2 >> 2) & 3) !== 3;
}

/** Parses the frame header at `pos`; null when it is not one (no sync or a reserved field). */
export function parseMpegHeader(bytes: Uint8Array, pos: number): MpegFrameHeader | null {
  if (!isMpegSyncAt(bytes, pos)) return null;
  const b1 = bytes[pos + 1]!;
  const b2 = bytes[pos + 2]!;
  const b3 = bytes[pos + 3]!;
  const versionBits = (b1 >> 3) & 3;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - ((b1 >> 1) & 3)) as 1 | 2 | 3;
  const bitrateKbps = BITRATES_KBPS[`${version === 1 ? 1 : 2}-${layer}`]![b2 >> 4]!;
  const sampleRateHz = SAMPLE_RATES_HZ[version][(b2 >> 2) & 3]!;
  const padding = (b2 >> 1) & 1;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  const frameBytes = layer === 1 ? (Math.floor((12000 * bitrateKbps) / sampleRateHz) + padding) * 4 : Math.floor(((samplesPerFrame / 8) * 1000 * bitrateKbps) / sampleRateHz) + padding;
  return { version, layer, sampleRateHz, channels: b3 >> 6 === 3 ? 1 : 2, bitrateKbps, samplesPerFrame, frameBytes, protected: (b1 & 1) === 0 };
}

function ascii(bytes: Uint8Array, pos: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(pos, pos + length));
}

/** Where a Layer III frame's side information ends, relative to the frame start (Xing/Info sits there). */
function sideInfoEnd(h: MpegFrameHeader): number {
  const side = h.version === 1 ? (h.channels === 1 ? 17 : 32) : h.channels === 1 ? 9 : 17;
  return 4 + (h.protected ? 2 : 0) + side;
}

interface VbrHeader {
  kind: 'Xing' | 'Info' | 'VBRI';
  /** Audio frames the header lists (itself excluded), when given. */
  frames?: number;
  /** LAME tag encoder delay and padding, samples per channel. */
  delay: number;
  padding: number;
}

/** A Xing/Info (LAME) or VBRI header in the first frame: a frame with no audio of its own. */
function vbrHeader(bytes: Uint8Array, pos: number, h: MpegFrameHeader): VbrHeader | null {
  if (h.layer !== 3) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = pos + sideInfoEnd(h);
  const tag = ascii(bytes, at, 4);
  if ((tag === 'Xing' || tag === 'Info') && at + 8 <= pos + h.frameBytes) {
    const flags = view.getUint32(at + 4);
    let field = at + 8;
    const frames = flags & 1 ? view.getUint32(field) : undefined;
    if (flags & 1) field += 4;
    if (flags & 2) field += 4; // byte count
    if (flags & 4) field += 100; // seek table
    if (flags & 8) field += 4; // quality
    const lame = field;
    let delay = 0;
    let padding = 0;
    if (lame + 24 <= pos + h.frameBytes && /^(LAME|Lavc|Lavf|GOGO)/.test(ascii(bytes, lame, 4))) {
      delay = (bytes[lame + 21]! << 4) | (bytes[lame + 22]! >> 4);
      padding = ((bytes[lame + 22]! & 0x0f) << 8) | bytes[lame + 23]!;
    }
    return { kind: tag, frames, delay, padding };
  }
  const vbri = pos + 36;
  if (ascii(bytes, vbri, 4) === 'VBRI' && vbri + 18 <= pos + h.frameBytes) return { kind: 'VBRI', frames: view.getUint32(vbri + 14), delay: 0, padding: 0 };
  return null;
}

/** Tags that may follow the last frame: ID3v1 (128 bytes, "TAG") and APEv2 ("APETAGEX"). */
function isTrailingTag(bytes: Uint8Array, pos: number): boolean {
  return (bytes.length - pos === 128 && ascii(bytes, pos, 3) === 'TAG') || ascii(bytes, pos, 8) === 'APETAGEX' || ascii(bytes, pos, 9) === 'LYRICSBEG';
}

function describe(h: MpegFrameHeader): string {
  return `MPEG-${h.version} layer ${'I'.repeat(h.layer)} ${h.sampleRateHz} Hz ${h.channels === 1 ? 'mono' : 'stereo'}`;
}

/** Walks every frame; throws a WavError naming the first problem. */
export function parseMpegLayout(bytes: Uint8Array, fileName: string): MpegLayout {
  if (bytes.length === 0) throw new WavError(fileName, 'empty', 'file is 0 bytes long');
  const start = skipId3v2(bytes, fileName);
  if (start >= bytes.length) throw new WavError(fileName, 'empty', `the file holds an ID3v2 tag and no audio after it (${bytes.length} bytes)`);
  if (bytes[start] === 0xff && (bytes[start + 1]! & 0xf6) === 0xf0) throw new WavError(fileName, 'unsupported-encoding', 'unsupported encoding AAC (ADTS stream); convert to wav, FLAC, MP3 or Opus');
  const first = parseMpegHeader(bytes, start);
  if (!first) throw new WavError(fileName, start > 0 ? 'corrupt' : 'not-audio', `no MPEG audio frame at byte ${start}${start > 0 ? ' after the ID3v2 tag' : ''}`);
  if (first.bitrateKbps === 0) throw new WavError(fileName, 'unsupported-encoding', 'unsupported encoding: free-format MPEG audio (no bitrate in the frame header)');

  const vbr = vbrHeader(bytes, start, first);
  let pos = start;
  let frames = 0;
  while (pos < bytes.length && !isTrailingTag(bytes, pos)) {
    const h = parseMpegHeader(bytes, pos);
    if (!h) {
      if (bytes.length - pos < 4 && bytes[pos] === 0xff) throw new WavError(fileName, 'truncated', `the file ends inside the header of frame ${frames} at byte ${pos} (it is cut off)`);
      throw new WavError(fileName, 'corrupt', `lost MPEG frame sync at byte ${pos} after ${frames} frames (damaged data)`);
    }
    if (h.version !== first.version || h.layer !== first.layer || h.sampleRateHz !== first.sampleRateHz || h.bitrateKbps === 0) {
      throw new WavError(fileName, 'corrupt', `frame ${frames} at byte ${pos} is ${describe(h)} in a ${describe(first)} stream (damaged data)`);
    }
    if (pos + h.frameBytes > bytes.length) {
      throw new WavError(fileName, 'truncated', `frame ${frames} at byte ${pos} needs ${h.frameBytes} bytes but the file has ${bytes.length - pos} left (it is cut off)`);
    }
    pos += h.frameBytes;
    frames++;
  }
  const audioFrames = vbr ? frames - 1 : frames;
  if (audioFrames < 1) throw new WavError(fileName, 'empty', 'no MPEG audio frames after the header frame');
  if (vbr?.frames !== undefined && audioFrames < vbr.frames) {
    throw new WavError(fileName, 'truncated', `the file holds ${audioFrames} of the ${vbr.frames} frames its ${vbr.kind} header lists (it is cut off)`);
  }
  const delayAndPadding = vbr ? vbr.delay + vbr.padding : 0;
  return { first, start, end: pos, audioFrames, expectedSamples: Math.max(0, audioFrames * first.samplesPerFrame - delayAndPadding) };
}
