/**
 * The demo's WebSocket protocol, shared by the server and the page (runtime-neutral: no Node
 * imports). The client sends binary messages of little-endian Float32 samples, mono, 16 kHz, in
 * [-1, 1]; the server answers with JSON text messages (ServerMessage). The server closes a
 * connection with one of DEMO_CLOSE_CODES and a reason naming the problem.
 */
import type { Detection } from '../streaming/types.js';

export const STREAM_SAMPLE_RATE_HZ = 16000;
export const BYTES_PER_SAMPLE = 4;
/** WebSocket path of the server-mode stream. */
export const STREAM_PATH = '/stream';

/** RFC 6455 close codes the server uses. */
export const DEMO_CLOSE_CODES = {
  /** A text message where audio was expected. */
  unsupportedData: 1003,
  /** Odd byte length, empty message, or non-finite samples. */
  invalidPayload: 1007,
  /** More audio than the rate limit allows, or a backlog the detector cannot keep up with. */
  policyViolation: 1008,
  /** A message larger than maxMessageBytes (sent by ws itself). */
  messageTooBig: 1009,
  /** The detector failed. */
  internalError: 1011,
  /** The server already holds maxConnections streams. */
  tryAgainLater: 1013,
} as const;

export interface ReadyMessage {
  type: 'ready';
  model: string;
  labels: string[];
  sampleRateHz: number;
  hopMs: number;
  /** The largest chunk the server accepts, in samples. */
  maxChunkSamples: number;
}

export interface PosteriorsMessage {
  type: 'posteriors';
  timeSeconds: number;
  probabilities: number[];
  smoothed: number[];
}

export interface DetectionMessage {
  type: 'detection';
  detection: Detection;
  /** Stream time at the end of the chunk whose push fired the detection (for latency display). */
  chunkEndSeconds: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type ServerMessage = ReadyMessage | PosteriorsMessage | DetectionMessage | ErrorMessage;

/** A client message that is not a valid audio chunk; `code` is the close code to answer with. */
export class AudioChunkError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'AudioChunkError';
    this.code = code;
  }
}

/** Encodes samples as one binary message (little-endian Float32). */
export function encodeAudioChunk(samples: Float32Array): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * BYTES_PER_SAMPLE);
  const view = new DataView(buffer);
  for (let i = 0; i < samples.length; i++) view.setFloat32(i * BYTES_PER_SAMPLE, samples[i]!, true);
  return buffer;
}

/** Decodes and validates one binary message; throws AudioChunkError naming the problem. */
export function decodeAudioChunk(bytes: Uint8Array, maxSamples: number): Float32Array {
  if (bytes.byteLength === 0) throw new AudioChunkError(DEMO_CLOSE_CODES.invalidPayload, 'audio chunk is empty');
  if (bytes.byteLength % BYTES_PER_SAMPLE !== 0) {
    throw new AudioChunkError(DEMO_CLOSE_CODES.invalidPayload, `audio chunk of ${bytes.byteLength} bytes is not a whole number of float32 samples`);
  }
  const count = bytes.byteLength / BYTES_PER_SAMPLE;
  if (count > maxSamples) {
    throw new AudioChunkError(DEMO_CLOSE_CODES.messageTooBig, `audio chunk of ${count} samples exceeds the limit of ${maxSamples}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = view.getFloat32(i * BYTES_PER_SAMPLE, true);
    if (!Number.isFinite(value)) throw new AudioChunkError(DEMO_CLOSE_CODES.invalidPayload, `audio sample ${i} is ${value}, expected a finite number`);
    samples[i] = value;
  }
  return samples;
}

/** Rounds probabilities for the wire (4 decimals is plenty for a chart). */
export function roundedArray(values: Float32Array): number[] {
  return Array.from(values, (v) => Math.round(v * 1e4) / 1e4);
}
