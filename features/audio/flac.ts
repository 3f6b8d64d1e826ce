/**
 * FLAC decoding to 16 kHz mono. STREAMINFO is read here, frames are split by `codec-parser` and
 * decoded by libFLAC in `@wasm-audio-decoders/flac` (wasm). The decoder stops quietly at a cut-off
 * or damaged frame, so the result is checked against STREAMINFO: the sample count it promises, and
 * the MD5 of the decoded samples it records.
 */
import { createHash } from 'node:crypto';
import CodecParser from 'codec-parser';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { TARGET_SAMPLE_RATE_HZ, type DecodedAudio } from '../types.js';
import { WavError } from './errors.js';
import { skipId3v2 } from './id3.js';
import { checkSourceRate, to16kMono } from './to-16k-mono.js';

export interface FlacStreamInfo {
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel; 0 when the encoder did not know. */
  totalSamples: number;
  maxFrameBytes: number;
  /** MD5 of the unencoded samples; all zeros when the encoder did not compute it. */
  md5: Uint8Array;
  /** Byte offsets of the "fLaC" marker (after any ID3v2 tag) and of the first audio frame. */
  markerOffset: number;
  audioOffset: number;
}

const STREAMINFO_BYTES = 34;
/** codec-parser and the wasm decoder handle 4 to 24 bits per sample. */
const MAX_BITS = 24;

/** Reads the "fLaC" marker and the metadata blocks; throws a WavError naming the first problem. */
export function parseFlacStreamInfo(bytes: Uint8Array, fileName: string): FlacStreamInfo {
  if (bytes.length === 0) throw new WavError(fileName, 'empty', 'file is 0 bytes long');
  const start = skipId3v2(bytes, fileName);
  if (String.fromCharCode(...bytes.subarray(start, start + 4)) !== 'fLaC') throw new WavError(fileName, 'not-audio', `no "fLaC" marker at byte ${start}`);
  let pos = start + 4;
  let info: Omit<FlacStreamInfo, 'audioOffset' | 'markerOffset'> | null = null;
  for (let block = 0; ; block++) {
    if (bytes.length - pos < 4) throw new WavError(fileName, 'truncated', `the file ends in the FLAC metadata at byte ${pos} (it is cut off)`);
    const last = (bytes[pos]! & 0x80) !== 0;
    const type = bytes[pos]! & 0x7f;
    const size = (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    const body = pos + 4;
    if (body + size > bytes.length) throw new WavError(fileName, 'truncated', `FLAC metadata block ${block} at byte ${pos} needs ${size} bytes but the file has ${bytes.length - body} left (it is cut off)`);
    if (block === 0) {
      if (type !== 0 || size < STREAMINFO_BYTES) throw new WavError(fileName, 'corrupt', `the first FLAC metadata block is not a STREAMINFO block (type ${type}, ${size} bytes)`);
      info = readStreamInfo(bytes.subarray(body, body + STREAMINFO_BYTES));
    } else if (type === 127) {
      throw new WavError(fileName, 'corrupt', `FLAC metadata block ${block} at byte ${pos} has the invalid type 127`);
    }
    pos = body + size;
    if (last) break;
  }
  const streamInfo = { ...info!, markerOffset: start, audioOffset: pos };
  if (pos >= bytes.length) throw new WavError(fileName, 'empty', 'the FLAC file has metadata and no audio frames');
  if (streamInfo.bitsPerSample > MAX_BITS) throw new WavError(fileName, 'unsupported-encoding', `unsupported encoding ${streamInfo.bitsPerSample}-bit FLAC; 4 to ${MAX_BITS} bits are supported`);
  return streamInfo;
}

function readStreamInfo(b: Uint8Array): Omit<FlacStreamInfo, 'audioOffset' | 'markerOffset'> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    maxFrameBytes: (b[7]! << 16) | (b[8]! << 8) | b[9]!,
    sampleRateHz: (b[10]! << 12) | (b[11]! << 4) | (b[12]! >> 4),
    channels: ((b[12]! >> 1) & 7) + 1,
    bitsPerSample: (((b[12]! & 1) << 4) | (b[13]! >> 4)) + 1,
    totalSamples: (b[13]! & 0x0f) * 2 ** 32 + view.getUint32(14),
    md5: b.slice(18, 34),
  };
}

let shared: Promise<FLACDecoder> | null = null;

/** One decoder for every file (its frames are independent); replaced after a failure. */
function decoder(): Promise<FLACDecoder> {
  shared ??= (async () => {
    const d = new FLACDecoder();
    await d.ready;
    return d;
  })();
  return shared;
}

/** Samples at the file's own rate, one array per channel, before downmixing and resampling. */
export interface DecodedFlac {
  info: FlacStreamInfo;
  /** Scaled by 2^(bits-1), as kws reads integer PCM wav. */
  channelData: Float32Array[];
}

export async function decodeFlacNative(bytes: Uint8Array, fileName: string): Promise<DecodedFlac> {
  const info = parseFlacStreamInfo(bytes, fileName);
  checkSourceRate(info.sampleRateHz, fileName);
  const frames = new CodecParser('audio/flac', { enableFrameCRC32: false, enableLogging: false }).parseAll(bytes.subarray(info.markerOffset));
  let decoded;
  try {
    decoded = await (await decoder()).decodeFrames(frames.map((f) => f.data));
  } catch (err) {
    shared = null;
    throw new WavError(fileName, 'corrupt', `the FLAC decoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (decoded.errors.length > 0) {
    shared = null;
    throw new WavError(fileName, 'corrupt', `damaged FLAC frames: ${decoded.errors[0]!.message}`);
  }
  const got = decoded.samplesDecoded;
  const end = info.audioOffset + frames.reduce((sum, f) => sum + f.data.length, 0);
  const trailingId3v1 = bytes.length - end === 128 && String.fromCharCode(...bytes.subarray(end, end + 3)) === 'TAG';
  const left = trailingId3v1 ? 0 : bytes.length - end;
  if (left > 0 || (info.totalSamples > 0 && got !== info.totalSamples)) {
    // Less than two frames' worth of bytes after the last good frame: the file was cut there.
    const cut = (info.totalSamples === 0 || got < info.totalSamples) && left < Math.max(info.maxFrameBytes, 1) * 2;
    const promised = info.totalSamples > 0 ? ` of the ${info.totalSamples} samples its STREAMINFO promises` : ' samples';
    const why = got > info.totalSamples && info.totalSamples > 0 ? 'more than promised' : cut ? `the file ends inside a frame at byte ${end} (it is cut off)` : `no valid frame at byte ${end}, ${left} bytes before the end (damaged data)`;
    throw new WavError(fileName, cut ? 'truncated' : 'corrupt', `decoded ${got}${promised}: ${why}`);
  }
  if (got === 0) throw new WavError(fileName, 'empty', 'no FLAC frame could be decoded');
  if (decoded.channelData.length !== info.channels) throw new WavError(fileName, 'corrupt', `frames hold ${decoded.channelData.length} channels where STREAMINFO says ${info.channels}`);
  const integers = decoded.channelData.map((c) => toIntegers(c, info.bitsPerSample));
  if (info.md5.some((b) => b !== 0) && !md5Matches(integers, info)) {
    throw new WavError(fileName, 'corrupt', 'the decoded samples do not match the MD5 signature in STREAMINFO (damaged data)');
  }
  const scale = 2 ** (info.bitsPerSample - 1);
  return { info, channelData: integers.map((c) => Float32Array.from(c, (v) => v / scale)) };
}

/** The decoder scales by 2^(bits-1) - 1; rounding recovers the integers exactly up to 24 bits. */
function toIntegers(channel: Float32Array, bits: number): Int32Array {
  const scale = 2 ** (bits - 1) - 1;
  return Int32Array.from(channel, (v) => Math.round(v * scale));
}

/** STREAMINFO's MD5 is over the interleaved samples, little-endian, in whole bytes per sample. */
function md5Matches(channels: Int32Array[], info: FlacStreamInfo): boolean {
  const bytesPerSample = Math.ceil(info.bitsPerSample / 8);
  const frames = channels[0]!.length;
  const buffer = new Uint8Array(frames * channels.length * bytesPerSample);
  let o = 0;
  for (let f = 0; f < frames; f++) {
    for (const channel of channels) {
      const v = channel[f]!;
      for (let k = 0; k < bytesPerSample; k++) buffer[o++] = (v >> (8 * k)) & 0xff;
    }
  }
  const digest = createHash('md5').update(buffer).digest();
  return digest.every((b, i) => b === info.md5[i]);
}

/** Decodes FLAC bytes to mono samples at 16 kHz. `fileName` only labels errors. */
export async function decodeFlac(bytes: Uint8Array, fileName: string): Promise<DecodedAudio> {
  const { info, channelData } = await decodeFlacNative(bytes, fileName);
  return {
    samples: await to16kMono(channelData, info.sampleRateHz),
    sampleRateHz: TARGET_SAMPLE_RATE_HZ,
    source: { sampleRateHz: info.sampleRateHz, channels: info.channels, encoding: 'flac', durationSeconds: channelData[0]!.length / info.sampleRateHz },
  };
}
