/**
 * AudioWorklet processor: takes the microphone's first channel, resamples it to 16 kHz and posts
 * chunks of `chunkSamples` samples to the page with their RMS and peak level.
 */
import { StreamResampler } from './resampler.js';

declare const sampleRate: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}

export interface CaptureChunk {
  samples: Float32Array;
  rms: number;
  peak: number;
}

const TARGET_RATE_HZ = 16000;

class CaptureProcessor extends AudioWorkletProcessor {
  readonly #resampler: StreamResampler;
  readonly #chunk: Float32Array;
  #filled = 0;

  constructor(options: { processorOptions?: { chunkSamples?: number } }) {
    super(options);
    this.#resampler = new StreamResampler(sampleRate, TARGET_RATE_HZ);
    this.#chunk = new Float32Array(options.processorOptions?.chunkSamples ?? 1600);
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel || channel.length === 0) return true;
    const samples = this.#resampler.process(channel);
    let at = 0;
    while (at < samples.length) {
      const n = Math.min(samples.length - at, this.#chunk.length - this.#filled);
      this.#chunk.set(samples.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#chunk.length) this.#post();
    }
    return true;
  }

  #post(): void {
    const samples = this.#chunk.slice();
    let sum = 0;
    let peak = 0;
    for (const s of samples) {
      sum += s * s;
      peak = Math.max(peak, Math.abs(s));
    }
    const message: CaptureChunk = { samples, rms: Math.sqrt(sum / samples.length), peak };
    this.port.postMessage(message, [samples.buffer]);
    this.#filled = 0;
  }
}

registerProcessor('kws-capture', CaptureProcessor);
