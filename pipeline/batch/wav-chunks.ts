/**
 * A long wav file read as a sequence of 16 kHz mono chunks, so memory stays flat whatever the
 * recording's length: only the header is parsed up front (by features/audio's validator), then
 * sample frames are read window by window and decoded, downmixed and resampled by decodeWav.
 *
 * Resampling uses the same overlapping windows as features/audio/resample.ts (500,000-sample
 * limit, 256-sample margin, starts on the exact output grid), so the chunks concatenated equal
 * readAudio's samples bit for bit.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { decodeWav, detectContainer, WavError } from '../../features/audio/index.js';
import { parseWavLayout, type WavEncoding, type WavLayout } from '../../features/audio/riff.js';
import { checkFiniteFrames } from '../../features/audio/wav.js';
import { TARGET_SAMPLE_RATE_HZ } from '../../features/types.js';

const HEAD_BYTES = 1 << 20;
/** Frames per chunk of a file already at 16 kHz: 10 s. */
const PLAIN_CHUNK_FRAMES = 160_000;
const SEGMENT_LIMIT_SAMPLES = 500_000;
const SEGMENT_MARGIN_SAMPLES = 256;

export interface WavChunks {
  layout: WavLayout;
  /** Samples the whole file gives at 16 kHz. */
  length16k: number;
  /** Decoded chunks in order; the file is closed when they end (or the iteration stops). */
  chunks(): AsyncGenerator<Float32Array>;
  close(): Promise<void>;
}

/** Where the data chunk starts and how long it claims to be, from the head of the file. */
function findDataChunk(head: Uint8Array): { headerPos: number; offset: number; size: number } | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  for (let pos = 12; pos + 8 <= head.length; ) {
    const id = String.fromCharCode(...head.subarray(pos, pos + 4));
    const size = view.getUint32(pos + 4, true);
    if (id === 'data') return { headerPos: pos, offset: pos + 8, size };
    pos += 8 + size + (size & 1);
  }
  return null;
}

/** Encodings read in chunks; others (companded G.711) are read whole. */
const FORMAT: Partial<Record<WavEncoding, [tag: number, bits: number]>> = {
  pcm8: [1, 8], pcm16: [1, 16], pcm24: [1, 24], pcm32: [1, 32], float32: [3, 32], float64: [3, 64],
};

/** A canonical 44-byte-header wav around raw sample frames of `layout`. */
function wavOf(layout: WavLayout, frames: Uint8Array): Uint8Array {
  const [tag, bits] = FORMAT[layout.encoding]!;
  const out = new Uint8Array(44 + frames.length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  const block = layout.channels * (bits / 8);
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + frames.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, tag, true);
  view.setUint16(22, layout.channels, true);
  view.setUint32(24, layout.sampleRateHz, true);
  view.setUint32(28, layout.sampleRateHz * block, true);
  view.setUint16(32, block, true);
  view.setUint16(34, bits, true);
  ascii(36, 'data');
  view.setUint32(40, frames.length, true);
  out.set(frames, 44);
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Opens `path` for chunked decoding, or returns null when it is not a RIFF/WAVE file whose data
 * chunk starts in its first MiB (the caller then reads it whole). Only a regular file is opened, and
 * without blocking, so a FIFO swapped in after the stat cannot hang the read.
 */
export async function openWavChunks(path: string): Promise<WavChunks | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new WavError(path, 'unreadable', `cannot read the file (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new WavError(path, 'unreadable', 'not a regular file; only regular files are read');
    const head = new Uint8Array(Math.min(info.size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const data = detectContainer(head) === 'wav' ? findDataChunk(head) : null;
    if (data === null || data.offset >= head.length) {
      await handle.close();
      return null;
    }
    const size = Math.min(data.size, info.size - data.offset);
    // The validator checks the header against the bytes it is given: give it the head with the
    // data chunk's size cut to what the head holds; the real size is checked against the file above.
    const inHead = Math.min(size, head.length - data.offset);
    const probe = head.slice(0, data.offset + inHead);
    new DataView(probe.buffer).setUint32(data.headerPos + 4, inHead, true);
    const parsed = parseWavLayout(probe, path);
    if (FORMAT[parsed.encoding] === undefined) {
      await handle.close();
      return null;
    }
    const layout: WavLayout = { ...parsed, frames: Math.floor(size / (parsed.bytesPerSample * parsed.channels)) };
    return chunksOf(path, handle, layout);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function chunksOf(path: string, handle: FileHandle, layout: WavLayout): WavChunks {
  const from = layout.sampleRateHz;
  const to = TARGET_SAMPLE_RATE_HZ;
  const ratio = to / from;
  const length16k = from === to ? layout.frames : Math.round(layout.frames * ratio);
  const frameBytes = layout.bytesPerSample * layout.channels;
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  const decodeFrames = async (start: number, end: number): Promise<Float32Array> => {
    const bytes = new Uint8Array((end - start) * frameBytes);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, layout.dataOffset + start * frameBytes);
    if (bytesRead < bytes.length) throw new WavError(path, 'truncated', `the file shrank while it was read (frame ${start + Math.floor(bytesRead / frameBytes)} of ${layout.frames})`);
    checkFiniteFrames(path, layout, bytes, start);
    return (await decodeWav(wavOf(layout, bytes), path)).samples;
  };

  async function* plain(): AsyncGenerator<Float32Array> {
    for (let start = 0; start < layout.frames; start += PLAIN_CHUNK_FRAMES) yield decodeFrames(start, Math.min(layout.frames, start + PLAIN_CHUNK_FRAMES));
  }

  async function* resampled(): AsyncGenerator<Float32Array> {
    const n = layout.frames;
    if (Math.max(n, Math.ceil(n * ratio)) <= SEGMENT_LIMIT_SAMPLES) {
      yield await decodeFrames(0, n);
      return;
    }
    const divisor = gcd(from, to);
    const inUnit = from / divisor;
    const outUnit = to / divisor;
    const margin = Math.ceil(Math.ceil(SEGMENT_MARGIN_SAMPLES * Math.max(1, 1 / ratio)) / inUnit) * inUnit;
    const maxInput = Math.floor(SEGMENT_LIMIT_SAMPLES / Math.max(1, ratio));
    const core = Math.max(inUnit, Math.floor((maxInput - 2 * margin) / inUnit) * inUnit);
    for (let coreStart = 0; coreStart < n; coreStart += core) {
      const windowStart = Math.max(0, coreStart - margin);
      const converted = await decodeFrames(windowStart, Math.min(n, coreStart + core + margin));
      const outStart = (coreStart / inUnit) * outUnit;
      const outEnd = Math.min(length16k, ((coreStart + core) / inUnit) * outUnit);
      const skip = ((coreStart - windowStart) / inUnit) * outUnit;
      const piece = new Float32Array(outEnd - outStart);
      piece.set(converted.subarray(skip, Math.min(converted.length, skip + piece.length)));
      yield piece;
    }
  }

  return {
    layout,
    length16k,
    close,
    async *chunks() {
      try {
        yield* from === to ? plain() : resampled();
      } finally {
        await close();
      }
    },
  };
}
