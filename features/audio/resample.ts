/**
 * Sample-rate conversion with libsamplerate (the WebAssembly build in
 * `@alexanderolsen/libsamplerate-js`), band-limited sinc interpolation at SRC_SINC_MEDIUM_QUALITY.
 *
 * Every call is independent: only the wrapper's `simple()` is used, which runs libsamplerate's
 * `src_simple` (a fresh converter state per call). For inputs longer than its transfer buffer the
 * wrapper would switch to stateful `full()` calls, which carry filter state into the next call, drop
 * the tail, and once any `simple()` has run return almost nothing (1,694 of 1,200,000 samples in a
 * check). So long inputs are split here instead, into overlapping windows resampled independently
 * and stitched on the exact output grid; the result equals one `simple()` call bit for bit.
 */
import LibSampleRate from '@alexanderolsen/libsamplerate-js';

type Converter = Awaited<ReturnType<typeof LibSampleRate.create>>;

/** Sample rates the wrapper accepts. */
export const MIN_RESAMPLE_RATE_HZ = 1;
export const MAX_RESAMPLE_RATE_HZ = 192000;
/** libsamplerate refuses conversion ratios beyond 256 in either direction. */
const MAX_RATIO = 256;

/** Keeps one call's input and output well inside the wrapper's 1,008,000-float transfer buffers. */
const SEGMENT_LIMIT_SAMPLES = 500_000;
/**
 * Context resampled on each side of a window, in input samples at ratio >= 1 (scaled by the
 * downsampling factor below 1): well beyond the medium-quality sinc's half width (~46 zero crossings).
 */
const SEGMENT_MARGIN_SAMPLES = 256;

const converters = new Map<string, Promise<Converter>>();

/**
 * Resamples mono `samples` from `fromHz` to `toHz`. The result has exactly
 * `Math.round(samples.length * toHz / fromHz)` samples (the converter's output is zero-padded or
 * trimmed to that). Returns a copy when the rates are equal.
 */
export async function resample(samples: Float32Array, fromHz: number, toHz: number): Promise<Float32Array> {
  checkRate('fromHz', fromHz);
  checkRate('toHz', toHz);
  if (toHz / fromHz > MAX_RATIO || fromHz / toHz > MAX_RATIO) {
    throw new RangeError(`resample: ratio ${toHz}/${fromHz} is beyond libsamplerate's limit of ${MAX_RATIO}`);
  }
  if (fromHz === toHz) return samples.slice();
  if (samples.length === 0) return new Float32Array(0);
  const converter = await converterFor(fromHz, toHz);
  return resampleWith((input) => converter.simple(input), samples, fromHz, toHz);
}

/**
 * The resampling logic around a stateless converter call; exported for tests, which pass a small
 * `segmentLimitSamples` to check that windowed results match a single call.
 */
export function resampleWith(
  convert: (input: Float32Array) => Float32Array,
  samples: Float32Array,
  fromHz: number,
  toHz: number,
  segmentLimitSamples: number = SEGMENT_LIMIT_SAMPLES,
): Float32Array {
  const ratio = toHz / fromHz;
  const outLength = Math.round(samples.length * ratio);
  const out = new Float32Array(outLength);
  if (Math.max(samples.length, Math.ceil(samples.length * ratio)) <= segmentLimitSamples) {
    const converted = convert(samples);
    out.set(converted.length > outLength ? converted.subarray(0, outLength) : converted);
    return out;
  }

  // Window starts are multiples of `inUnit` input samples, which map to whole output samples.
  const divisor = gcd(fromHz, toHz);
  const inUnit = fromHz / divisor;
  const outUnit = toHz / divisor;
  const margin = roundUpTo(Math.ceil(SEGMENT_MARGIN_SAMPLES * Math.max(1, 1 / ratio)), inUnit);
  const maxInput = Math.floor(segmentLimitSamples / Math.max(1, ratio));
  const core = Math.max(inUnit, Math.floor((maxInput - 2 * margin) / inUnit) * inUnit);

  for (let coreStart = 0; coreStart < samples.length; coreStart += core) {
    const windowStart = Math.max(0, coreStart - margin);
    const windowEnd = Math.min(samples.length, coreStart + core + margin);
    const converted = convert(samples.subarray(windowStart, windowEnd));
    const outStart = (coreStart / inUnit) * outUnit;
    const outEnd = Math.min(outLength, ((coreStart + core) / inUnit) * outUnit);
    const skip = ((coreStart - windowStart) / inUnit) * outUnit;
    const piece = converted.subarray(skip, Math.min(converted.length, skip + outEnd - outStart));
    out.set(piece, outStart);
  }
  return out;
}

function converterFor(fromHz: number, toHz: number): Promise<Converter> {
  const key = `${fromHz}->${toHz}`;
  let converter = converters.get(key);
  if (converter === undefined) {
    converter = LibSampleRate.create(1, fromHz, toHz, {
      converterType: LibSampleRate.ConverterType.SRC_SINC_MEDIUM_QUALITY,
    }).catch((reason: unknown) => {
      converters.delete(key);
      // The wrapper rejects with plain strings.
      throw new Error(`resample: libsamplerate could not create a ${key} Hz converter: ${String(reason)}`);
    });
    converters.set(key, converter);
  }
  return converter;
}

function checkRate(name: string, hz: number): void {
  if (!Number.isInteger(hz) || hz < MIN_RESAMPLE_RATE_HZ || hz > MAX_RESAMPLE_RATE_HZ) {
    throw new RangeError(`resample: ${name} must be an integer from ${MIN_RESAMPLE_RATE_HZ} to ${MAX_RESAMPLE_RATE_HZ} Hz, got ${hz}`);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function roundUpTo(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
