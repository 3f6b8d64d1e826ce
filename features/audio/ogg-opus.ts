/**
 * Ogg Opus decoding to 16 kHz mono. The Ogg container is checked here (page structure, CRC, the
 * OpusHead header, the final granule position) so a damaged file gets a named error instead of
 * silently short audio; the Opus packets are decoded by libopus in `ogg-opus-decoder` (wasm),
 * natively at 16 kHz (Opus decodes at 8/12/16/24/48 kHz without resampling).
 */
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { TARGET_SAMPLE_RATE_HZ, type DecodedAudio } from '../types.js';
import { WavError } from './errors.js';
import { downmix } from './downmix.js';

const OPUS_GRANULE_RATE_HZ = 48000;
const PAGE_HEADER_BYTES = 27;
const FLAG_END_OF_STREAM = 0x04;

/** What the container says about the stream, before any decoding. */
export interface OggOpusLayout {
  channels: number;
  /** Samples at 48 kHz the decoder must drop at the start (OpusHead pre-skip). */
  preSkip: number;
  /** The rate the audio had before encoding (informational, OpusHead). */
  inputSampleRateHz: number;
  /** Granule position of the last page: 48 kHz samples including the pre-skip. */
  finalGranule: number;
  pages: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected) of a page whose CRC field reads as zero. */
function pageCrc(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    const byte = i - start >= 22 && i - start < 26 ? 0 : bytes[i]!;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}

/** Walks every Ogg page of the file; throws a WavError naming the first problem. */
export function parseOggOpusLayout(bytes: Uint8Array, fileName: string): OggOpusLayout {
  if (bytes.length === 0) throw new WavError(fileName, 'empty', 'file is 0 bytes long');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let pages = 0;
  let serial: number | null = null;
  let head: Omit<OggOpusLayout, 'finalGranule' | 'pages'> | null = null;
  let finalGranule = -1;
  let ended = false;
  while (pos < bytes.length) {
    if (ended) throw new WavError(fileName, 'corrupt', `data after the end-of-stream page (byte ${pos}); chained or multiplexed Ogg streams are not supported`);
    if (bytes.length - pos < PAGE_HEADER_BYTES) throw new WavError(fileName, 'truncated', `Ogg page ${pages} at byte ${pos} is cut off in its header (the file ends at ${bytes.length})`);
    if (view.getUint32(pos) !== 0x4f676753) throw new WavError(fileName, 'corrupt', `no Ogg page at byte ${pos} (expected "OggS" after page ${pages - 1})`);
    if (bytes[pos + 4] !== 0) throw new WavError(fileName, 'corrupt', `Ogg page ${pages} at byte ${pos} has version ${bytes[pos + 4]}, not 0`);
    const flags = bytes[pos + 5]!;
    const granule = Number(view.getBigInt64(pos + 6, true));
    const pageSerial = view.getUint32(pos + 14, true);
    const segments = bytes[pos + 26]!;
    if (bytes.length - pos < PAGE_HEADER_BYTES + segments) throw new WavError(fileName, 'truncated', `Ogg page ${pages} at byte ${pos} is cut off in its segment table`);
    let bodyBytes = 0;
    for (let s = 0; s < segments; s++) bodyBytes += bytes[pos + PAGE_HEADER_BYTES + s]!;
    const bodyStart = pos + PAGE_HEADER_BYTES + segments;
    const end = bodyStart + bodyBytes;
    if (end > bytes.length) throw new WavError(fileName, 'truncated', `Ogg page ${pages} at byte ${pos} needs ${end - pos} bytes but the file has ${bytes.length - pos} left`);
    if (pageCrc(bytes, pos, end) !== view.getUint32(pos + 22, true)) throw new WavError(fileName, 'corrupt', `Ogg page ${pages} at byte ${pos} fails its CRC check (damaged data)`);
    if (serial === null) serial = pageSerial;
    else if (pageSerial !== serial) throw new WavError(fileName, 'unsupported-encoding', `Ogg page ${pages} belongs to a second logical stream; multiplexed Ogg files are not supported`);
    if (pages === 0) head = parseOpusHead(bytes.subarray(bodyStart, end), flags, fileName);
    if (granule >= 0) finalGranule = granule; // -1: no packet ends on this page
    if (flags & FLAG_END_OF_STREAM) ended = true;
    pos = end;
    pages++;
  }
  if (!head) throw new WavError(fileName, 'empty', 'no Ogg page');
  if (!ended) throw new WavError(fileName, 'truncated', `the Ogg stream ends without its end-of-stream page after ${pages} pages (the file is cut off)`);
  if (pages < 3) throw new WavError(fileName, 'empty', `only ${pages} Ogg pages: no audio after the Opus headers`);
  if (finalGranule <= head.preSkip) throw new WavError(fileName, 'empty', `the stream holds no audio (final granule position ${finalGranule}, pre-skip ${head.preSkip})`);
  return { ...head, finalGranule, pages };
}

function parseOpusHead(packet: Uint8Array, flags: number, fileName: string): Omit<OggOpusLayout, 'finalGranule' | 'pages'> {
  const magic = new TextDecoder('latin1').decode(packet.subarray(0, 8));
  if ((flags & 0x02) === 0) throw new WavError(fileName, 'corrupt', 'the first Ogg page is not a beginning-of-stream page');
  if (magic !== 'OpusHead') {
    const what = magic.startsWith('\x01vorbis') ? 'Ogg Vorbis' : magic.startsWith('\x7fFLAC') ? 'Ogg FLAC' : magic.startsWith('Speex') ? 'Ogg Speex' : `a stream starting ${JSON.stringify(magic)}`;
    throw new WavError(fileName, 'unsupported-encoding', `Ogg file holds ${what}, not Opus`);
  }
  if (packet.length < 19) throw new WavError(fileName, 'corrupt', `OpusHead is ${packet.length} bytes, less than 19`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const version = packet[8]!;
  if (version >> 4 !== 0) throw new WavError(fileName, 'unsupported-encoding', `OpusHead version ${version} is not supported`);
  const channels = packet[9]!;
  if (channels === 0) throw new WavError(fileName, 'bad-format', 'OpusHead declares 0 channels');
  return { channels, preSkip: view.getUint16(10, true), inputSampleRateHz: view.getUint32(12, true) };
}

/** Rates libopus decodes to without resampling. */
export type OpusDecodeRateHz = 8000 | 12000 | 16000 | 24000 | 48000;

const decoders = new Map<OpusDecodeRateHz, Promise<OggOpusDecoder>>();
let queue: Promise<unknown> = Promise.resolve();

/** The decoder keeps state between awaits, so calls on the shared instances are run one at a time. */
function decodeSerially(bytes: Uint8Array, rateHz: OpusDecodeRateHz): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors: { message: string }[] }> {
  let decoder = decoders.get(rateHz);
  if (!decoder) {
    decoder = (async () => {
      // `sampleRate` is an option of OggOpusDecoder that its type declarations leave out.
      const d = new OggOpusDecoder({ sampleRate: rateHz } as ConstructorParameters<typeof OggOpusDecoder>[0]);
      await d.ready;
      return d;
    })();
    decoders.set(rateHz, decoder);
  }
  const run = queue.then(async () => (await decoder).decodeFile(bytes));
  queue = run.catch(() => undefined);
  return run;
}

export interface DecodeOggOpusOptions {
  /** Output rate; default 16000, the front-end's. Other rates are for comparisons with other decoders. */
  sampleRateHz?: OpusDecodeRateHz;
}

/** Decodes Ogg Opus bytes to mono samples (at 16 kHz unless asked otherwise). `fileName` only labels errors. */
export async function decodeOggOpus(bytes: Uint8Array, fileName: string, options: DecodeOggOpusOptions = {}): Promise<DecodedAudio> {
  const rateHz = options.sampleRateHz ?? TARGET_SAMPLE_RATE_HZ;
  const layout = parseOggOpusLayout(bytes, fileName);
  let decoded;
  try {
    decoded = await decodeSerially(bytes, rateHz);
  } catch (err) {
    throw new WavError(fileName, 'corrupt', `the Opus decoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (decoded.errors.length > 0) throw new WavError(fileName, 'corrupt', `damaged Opus packets: ${decoded.errors[0]!.message}`);
  const expected = Math.round(((layout.finalGranule - layout.preSkip) * rateHz) / OPUS_GRANULE_RATE_HZ);
  const all = downmix(decoded.channelData);
  if (all.length < expected - 1) {
    throw new WavError(fileName, 'corrupt', `decoded ${all.length} samples where the stream's granule positions promise ${expected}`);
  }
  // The final granule position ends the stream (RFC 7845 §4.5); ogg-opus-decoder leaves the
  // pre-skip's worth of padding at the end of streams whose audio is on a single page.
  const samples = all.length > expected ? all.slice(0, expected) : all;
  return {
    samples,
    sampleRateHz: rateHz,
    source: {
      sampleRateHz: layout.inputSampleRateHz || OPUS_GRANULE_RATE_HZ,
      channels: layout.channels,
      encoding: 'opus',
      durationSeconds: samples.length / rateHz,
    },
  };
}
