/**
 * The default front-end configuration, its validation, and the shape of the matrices it produces.
 */
import { canonicalJson } from '../util/canonical-json.js';
import { TARGET_SAMPLE_RATE_HZ, type FeatureConfig, type FeatureNormalization } from './types.js';

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = {
  sampleRateHz: TARGET_SAMPLE_RATE_HZ,
  frameLengthSamples: 512,
  hopLengthSamples: 320,
  windowingFunction: 'hanning',
  melBands: 40,
  mfccCoefficients: 20,
  deltas: true,
  deltaWindow: 2,
  clipLengthSamples: 16000,
  normalization: { kind: 'utterance' },
};

export const WINDOWING_FUNCTIONS: readonly FeatureConfig['windowingFunction'][] = [
  'hanning',
  'hamming',
  'blackman',
  'sine',
  'rect',
];

/** Meyda's mfcc extractor clamps the coefficient count to [1, 40]. */
export const MAX_MFCC_COEFFICIENTS = 40;

/** Every field of a FeatureConfig, in the order validateFeatureConfig writes them. */
export const CONFIG_FIELDS: readonly (keyof FeatureConfig)[] = [
  'sampleRateHz',
  'frameLengthSamples',
  'hopLengthSamples',
  'windowingFunction',
  'melBands',
  'mfccCoefficients',
  'deltas',
  'deltaWindow',
  'clipLengthSamples',
  'normalization',
];

/** Whether two front-ends compute the same features (compared by value, not by the order of their keys). */
export function sameFeatureConfig(a: FeatureConfig, b: FeatureConfig): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Frames in a signal of `numSamples` samples: frames start every hop and must lie entirely inside
 * the signal (no padding at the end), so floor((n - frame) / hop) + 1 when n >= frame, else 0.
 * A 1 s clip at the default config gives 49 frames.
 */
export function framesFor(config: Pick<FeatureConfig, 'frameLengthSamples' | 'hopLengthSamples'>, numSamples: number): number {
  if (!(config.hopLengthSamples >= 1) || !(config.frameLengthSamples >= 1)) {
    throw new RangeError(`framesFor: frame and hop lengths must be >= 1, got ${config.frameLengthSamples} and ${config.hopLengthSamples}`);
  }
  if (numSamples < config.frameLengthSamples) return 0;
  return Math.floor((numSamples - config.frameLengthSamples) / config.hopLengthSamples) + 1;
}

/** Values per frame the front-end emits: MFCCs, plus as many deltas when enabled. */
export function featureDim(config: Pick<FeatureConfig, 'mfccCoefficients' | 'deltas'>): number {
  return config.mfccCoefficients * (config.deltas ? 2 : 1);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function requireInteger(record: Record<string, unknown>, field: string, where: string, min: number): number {
  const value = record[field];
  if (typeof value !== 'number') {
    throw new TypeError(`${where}.${field} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new RangeError(`${where}.${field} must be ${what}, got ${describe(value)}`);
  }
  return value;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && (n & (n - 1)) === 0;
}

function validateStatsVector(value: unknown, field: string, where: string, dim: number, positive: boolean): number[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${where}.normalization.${field} must be an array of numbers, got ${describe(value)}`);
  }
  if (value.length !== dim) {
    throw new RangeError(`${where}.normalization.${field} must have ${dim} values (the feature dimension), got ${value.length}`);
  }
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'number') {
      throw new TypeError(`${where}.normalization.${field}[${i}] must be a number, got ${describe(v)}`);
    }
    if (!Number.isFinite(v) || (positive && v <= 0)) {
      const what = positive ? 'a finite number > 0' : 'a finite number';
      throw new RangeError(`${where}.normalization.${field}[${i}] must be ${what}, got ${describe(v)}`);
    }
  });
  return [...(value as number[])];
}

function validateNormalization(value: unknown, where: string, dim: number): FeatureNormalization {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}.normalization must be an object with a "kind", got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  const kind = record.kind;
  if (typeof kind !== 'string') {
    throw new TypeError(`${where}.normalization.kind must be a string, got ${describe(kind)}`);
  }
  switch (kind) {
    case 'none':
    case 'utterance':
      return { kind };
    case 'global':
      return {
        kind,
        mean: validateStatsVector(record.mean, 'mean', where, dim, false),
        std: validateStatsVector(record.std, 'std', where, dim, true),
      };
    default:
      throw new RangeError(`${where}.normalization.kind must be "none", "utterance" or "global", got ${describe(kind)}`);
  }
}

/**
 * Checks that `value` is a complete, usable FeatureConfig and returns a fresh copy of it.
 * Throws TypeError when a field has the wrong type (or is missing), RangeError when its value is
 * out of range; messages name the field, e.g. "feature config.hopLengthSamples must be a positive
 * integer, got -3". Unknown fields are rejected too, so a misspelt field cannot be silently ignored.
 */
export function validateFeatureConfig(value: unknown, where = 'feature config'): FeatureConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object, got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(key)) {
      throw new RangeError(`${where} has an unknown field "${key}"`);
    }
  }

  const sampleRateHz = requireInteger(record, 'sampleRateHz', where, 1);
  if (sampleRateHz !== TARGET_SAMPLE_RATE_HZ) {
    throw new RangeError(`${where}.sampleRateHz must be ${TARGET_SAMPLE_RATE_HZ}, got ${sampleRateHz}`);
  }
  const frameLengthSamples = requireInteger(record, 'frameLengthSamples', where, 1);
  if (frameLengthSamples < 4 || !isPowerOfTwo(frameLengthSamples)) {
    throw new RangeError(`${where}.frameLengthSamples must be a power of two >= 4 (Meyda bufferSize), got ${frameLengthSamples}`);
  }
  const hopLengthSamples = requireInteger(record, 'hopLengthSamples', where, 1);

  const windowingFunction = record.windowingFunction;
  if (typeof windowingFunction !== 'string') {
    throw new TypeError(`${where}.windowingFunction must be a string, got ${describe(windowingFunction)}`);
  }
  if (!(WINDOWING_FUNCTIONS as readonly string[]).includes(windowingFunction)) {
    throw new RangeError(`${where}.windowingFunction must be one of ${WINDOWING_FUNCTIONS.join(', ')}, got ${describe(windowingFunction)}`);
  }

  const melBands = requireInteger(record, 'melBands', where, 1);
  const mfccCoefficients = requireInteger(record, 'mfccCoefficients', where, 1);
  if (mfccCoefficients > MAX_MFCC_COEFFICIENTS) {
    throw new RangeError(`${where}.mfccCoefficients must be at most ${MAX_MFCC_COEFFICIENTS} (Meyda's limit), got ${mfccCoefficients}`);
  }
  if (mfccCoefficients > melBands) {
    throw new RangeError(`${where}.mfccCoefficients must not exceed melBands (${melBands}), got ${mfccCoefficients}`);
  }

  const deltas = record.deltas;
  if (typeof deltas !== 'boolean') {
    throw new TypeError(`${where}.deltas must be a boolean, got ${describe(deltas)}`);
  }
  const deltaWindow = requireInteger(record, 'deltaWindow', where, 1);

  const clipLengthSamples = requireInteger(record, 'clipLengthSamples', where, 1);
  if (clipLengthSamples < frameLengthSamples) {
    throw new RangeError(`${where}.clipLengthSamples must be at least frameLengthSamples (${frameLengthSamples}), got ${clipLengthSamples}`);
  }

  const normalization = validateNormalization(record.normalization, where, featureDim({ mfccCoefficients, deltas }));

  return {
    sampleRateHz,
    frameLengthSamples,
    hopLengthSamples,
    windowingFunction: windowingFunction as FeatureConfig['windowingFunction'],
    melBands,
    mfccCoefficients,
    deltas,
    deltaWindow,
    clipLengthSamples,
    normalization,
  };
}
