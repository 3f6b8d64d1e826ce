/**
 * A fast reproduction of Meyda 5.6.3's `extract('mfcc', frame)`:
 *   window (Meyda's own table) -> FFT -> amplitude |X_k|, k < N/2, stored as float32
 *   -> power amp^2 (float32) -> mel bands: sum_k bank[f][k] * power_k accumulated in float32
 *   -> log(band + 1) (float32; silence gives 0, never -Inf)
 *   -> unnormalised DCT-II of the dct package, 2 * sum_m x_m cos(pi/M (m + 1/2) k), first K kept.
 * The float32 roundings are reproduced on purpose (Meyda stores these stages in Float32Arrays), so
 * the results agree with Meyda far inside the 1e-4 relative tolerance. The filter bank is Meyda's
 * own, stored sparsely; all tables and buffers are allocated once per instance.
 */
import { framesFor, MAX_MFCC_COEFFICIENTS } from './config.js';
import { meydaMelFilterBank, meydaWindow } from './meyda-internals.js';
import { RealFft } from './real-fft.js';
import type { FeatureConfig, FeatureMatrix } from './types.js';

export type MfccConfig = Pick<
  FeatureConfig,
  'sampleRateHz' | 'frameLengthSamples' | 'hopLengthSamples' | 'windowingFunction' | 'melBands' | 'mfccCoefficients'
>;

const fround = Math.fround;

export class FastMfcc {
  readonly frameLength: number;
  readonly hopLength: number;
  /** MFCC values per frame. */
  readonly dim: number;
  private readonly bands: number;
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  /** Nonzero span of mel filter f: bandWeights[bandOffset[f] .. bandOffset[f+1]) for bins from bandStart[f]. */
  private readonly bandStart: Int32Array;
  private readonly bandOffset: Int32Array;
  private readonly bandWeights: Float64Array;
  /** dct[k * bands + m] = cos(pi / bands * (m + 0.5) * k), as the dct package computes it. */
  private readonly dct: Float64Array;
  private readonly windowed: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly power: Float64Array;
  private readonly logMel: Float64Array;

  constructor(config: MfccConfig) {
    const n = config.frameLengthSamples;
    if (!Number.isInteger(n) || n < 4 || (n & (n - 1)) !== 0) {
      throw new RangeError(`mfcc-fast: frameLengthSamples must be a power of two >= 4, got ${n}`);
    }
    if (config.mfccCoefficients < 1 || config.mfccCoefficients > MAX_MFCC_COEFFICIENTS) {
      throw new RangeError(`mfcc-fast: mfccCoefficients must be in 1..${MAX_MFCC_COEFFICIENTS}, got ${config.mfccCoefficients}`);
    }
    this.frameLength = n;
    this.hopLength = config.hopLengthSamples;
    this.dim = config.mfccCoefficients;
    const half = n / 2;

    this.window = Float64Array.from(meydaWindow(config.windowingFunction, n));
    this.fft = new RealFft(n);

    // Meyda builds max(melBands, coefficients) filters and only uses bins below N/2.
    const bank = meydaMelFilterBank(Math.max(config.melBands, config.mfccCoefficients), config.sampleRateHz, n);
    this.bands = bank.length;
    this.bandStart = new Int32Array(this.bands);
    this.bandOffset = new Int32Array(this.bands + 1);
    const weights: number[] = [];
    bank.forEach((row, f) => {
      let first = 0;
      let last = -1;
      for (let k = 0; k < half; k++) {
        if (row[k] !== 0) {
          if (last < 0) first = k;
          last = k;
        }
      }
      this.bandStart[f] = first;
      for (let k = first; k <= last; k++) weights.push(row[k]);
      this.bandOffset[f + 1] = weights.length;
    });
    this.bandWeights = Float64Array.from(weights);

    const piOverBands = Math.PI / this.bands;
    this.dct = new Float64Array(this.dim * this.bands);
    for (let k = 0; k < this.dim; k++) {
      for (let m = 0; m < this.bands; m++) this.dct[k * this.bands + m] = Math.cos(piOverBands * (m + 0.5) * k);
    }

    this.windowed = new Float64Array(n);
    this.re = new Float64Array(half + 1);
    this.im = new Float64Array(half + 1);
    this.power = new Float64Array(half);
    this.logMel = new Float64Array(this.bands);
  }

  /** MFCCs of every full frame of `samples` (see framesFor): `frames` rows of `dim` values. */
  compute(samples: Float32Array): FeatureMatrix {
    const frames = framesFor({ frameLengthSamples: this.frameLength, hopLengthSamples: this.hopLength }, samples.length);
    const data = new Float32Array(frames * this.dim);
    for (let t = 0; t < frames; t++) this.computeAt(samples, t * this.hopLength, data, t * this.dim);
    return { data, frames, dim: this.dim };
  }

  /** MFCCs of one frame of exactly frameLength samples, written to out[outOffset .. outOffset + dim). */
  computeFrame(frame: Float32Array, out: Float32Array, outOffset: number): void {
    if (frame.length !== this.frameLength) {
      throw new RangeError(`mfcc-fast: frame must hold ${this.frameLength} samples, got ${frame.length}`);
    }
    if (outOffset < 0 || outOffset + this.dim > out.length) {
      throw new RangeError(`mfcc-fast: out has no room for ${this.dim} values at offset ${outOffset} (length ${out.length})`);
    }
    this.computeAt(frame, 0, out, outOffset);
  }

  private computeAt(samples: Float32Array, start: number, out: Float32Array, outOffset: number): void {
    const { frameLength, window, windowed, re, im, power, logMel, bands, bandStart, bandOffset, bandWeights, dct, dim } = this;
    for (let i = 0; i < frameLength; i++) windowed[i] = samples[start + i] * window[i];
    this.fft.transform(windowed, re, im);

    const half = frameLength >> 1;
    for (let k = 0; k < half; k++) {
      const amp = fround(Math.sqrt(re[k] * re[k] + im[k] * im[k]));
      power[k] = fround(amp * amp);
    }

    for (let f = 0; f < bands; f++) {
      let acc = 0;
      const end = bandOffset[f + 1];
      for (let w = bandOffset[f], k = bandStart[f]; w < end; w++, k++) {
        acc = fround(acc + fround(bandWeights[w] * power[k]));
      }
      logMel[f] = fround(Math.log(acc + 1));
    }

    for (let k = 0; k < dim; k++) {
      let sum = 0;
      const row = k * bands;
      for (let m = 0; m < bands; m++) sum += logMel[m] * dct[row + m];
      out[outOffset + k] = 2 * sum;
    }
  }
}
