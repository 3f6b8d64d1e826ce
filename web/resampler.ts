/**
 * Streaming windowed-sinc resampler from the audio device's rate to 16 kHz, used inside the
 * AudioWorklet. Low-passes at 90% of the output Nyquist so speech bands survive and nothing aliases.
 */
export class StreamResampler {
  readonly ratio: number;
  readonly #halfWidth: number;
  readonly #cutoff: number;
  #buffer: Float32Array;
  #length = 0;
  /** Position of the next output sample, in input samples from the buffer's start. */
  #position: number;

  constructor(inputRateHz: number, outputRateHz: number) {
    if (!(inputRateHz > 0) || !(outputRateHz > 0)) throw new RangeError(`resampler rates must be > 0, got ${inputRateHz} -> ${outputRateHz}`);
    this.ratio = inputRateHz / outputRateHz;
    this.#cutoff = Math.min(1, 1 / this.ratio) * 0.45;
    this.#halfWidth = Math.ceil(8 * Math.max(1, this.ratio));
    this.#buffer = new Float32Array(8192);
    this.#position = this.#halfWidth;
  }

  #kernel(distance: number): number {
    const x = distance / this.#halfWidth;
    if (Math.abs(x) >= 1) return 0;
    const arg = 2 * this.#cutoff * distance;
    const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
    const blackman = 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
    return 2 * this.#cutoff * sinc * blackman;
  }

  /** Consumes input samples and returns the output samples they complete. */
  process(input: Float32Array): Float32Array {
    if (this.ratio === 1) return input.slice();
    if (this.#length + input.length > this.#buffer.length) {
      const grown = new Float32Array(Math.max(this.#buffer.length * 2, this.#length + input.length));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(input, this.#length);
    this.#length += input.length;
    const out: number[] = [];
    const hw = this.#halfWidth;
    while (this.#position + hw < this.#length) {
      const p = this.#position;
      const base = Math.floor(p);
      let sum = 0;
      for (let i = base - hw + 1; i <= base + hw; i++) sum += this.#buffer[i]! * this.#kernel(p - i);
      out.push(sum);
      this.#position += this.ratio;
    }
    // Keep only the history the next outputs still need.
    const keepFrom = Math.max(0, Math.floor(this.#position) - hw);
    if (keepFrom > 0) {
      this.#buffer.copyWithin(0, keepFrom, this.#length);
      this.#length -= keepFrom;
      this.#position -= keepFrom;
    }
    return Float32Array.from(out);
  }
}
