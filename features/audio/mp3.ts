/**
 * MPEG audio (MP3, and layers I/II) decoding to 16 kHz mono: frames checked by mpeg-frames.ts, then
 * decoded by libmpg123 in `mpg123-decoder` (wasm; gapless, so a LAME tag's encoder delay and padding
 * are removed as the `mpg123` command does).
 */
import { MPEGDecoder } from 'mpg123-decoder';
import { TARGET_SAMPLE_RATE_HZ, type DecodedAudio } from '../types.js';
import { WavError } from './errors.js';
import { parseMpegLayout, type MpegLayout } from './mpeg-frames.js';
import { checkSourceRate, to16kMono } from './to-16k-mono.js';

/** Samples at the file's own rate, one array per channel, before downmixing and resampling. */
export interface DecodedMpeg {
  layout: MpegLayout;
  channelData: Float32Array[];
  sampleRateHz: number;
}

/**
 * Decodes every frame at the stream's own rate. A fresh decoder per file: libmpg123 carries the
 * bit reservoir and gapless state from one stream into the next.
 */
export async function decodeMpegNative(bytes: Uint8Array, fileName: string): Promise<DecodedMpeg> {
  const layout = parseMpegLayout(bytes, fileName);
  checkSourceRate(layout.first.sampleRateHz, fileName);
  const decoder = new MPEGDecoder();
  let decoded;
  try {
    await decoder.ready;
    decoded = decoder.decode(bytes.subarray(layout.start, layout.end));
  } catch (err) {
    throw new WavError(fileName, 'corrupt', `the MPEG decoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    decoder.free();
  }
  if (decoded.errors.length > 0) throw new WavError(fileName, 'corrupt', `damaged MPEG frames: ${decoded.errors[0]!.message}`);
  if (decoded.samplesDecoded < layout.expectedSamples) {
    throw new WavError(fileName, 'corrupt', `decoded ${decoded.samplesDecoded} samples where its ${layout.audioFrames} frames hold ${layout.expectedSamples} (damaged data)`);
  }
  // mpg123-decoder always returns two channels; a mono stream's second one is a copy.
  const channelData = decoded.channelData.slice(0, layout.first.channels).map((c) => c.subarray(0, decoded.samplesDecoded));
  return { layout, channelData, sampleRateHz: decoded.sampleRate };
}

/** Decodes MPEG audio bytes to mono samples at 16 kHz. `fileName` only labels errors. */
export async function decodeMp3(bytes: Uint8Array, fileName: string): Promise<DecodedAudio> {
  const { layout, channelData, sampleRateHz } = await decodeMpegNative(bytes, fileName);
  const frames = channelData[0]!.length;
  return {
    samples: await to16kMono(channelData, sampleRateHz),
    sampleRateHz: TARGET_SAMPLE_RATE_HZ,
    source: { sampleRateHz, channels: layout.first.channels, encoding: `mp${layout.first.layer}`, durationSeconds: frames / sampleRateHz },
  };
}
