/**
 * `kws train`'s front-end options: the Meyda MFCC configuration a model is trained with (and then
 * carries in its checkpoints and ONNX file, so serving reads it from there).
 */
import type { Command } from 'commander';
import { DEFAULT_FEATURE_CONFIG, MAX_MFCC_COEFFICIENTS, WINDOWING_FUNCTIONS, validateFeatureConfig } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { UsageError } from './exit-codes.js';
import { oneOf, positiveInt } from './options.js';

export interface FrontEndCliOptions {
  melBands?: number;
  mfcc?: number;
  /** false with --no-deltas. */
  deltas: boolean;
  frameLength?: number;
  hop?: number;
  window?: FeatureConfig['windowingFunction'];
}

const D = DEFAULT_FEATURE_CONFIG;

export function addFrontEndOptions(command: Command): Command {
  return command
    .option('--mel-bands <n>', `front-end: mel bands of the filter bank (default ${D.melBands})`, positiveInt('--mel-bands'))
    .option('--mfcc <n>', `front-end: MFCCs per frame, at most the mel bands and ${MAX_MFCC_COEFFICIENTS} (default ${D.mfccCoefficients})`, positiveInt('--mfcc'))
    .option('--no-deltas', `front-end: no delta features (by default each frame also holds its MFCCs' deltas over ±${D.deltaWindow} frames)`)
    .option('--frame-length <samples>', `front-end: analysis frame at 16 kHz, a power of two (default ${D.frameLengthSamples})`, positiveInt('--frame-length'))
    .option('--hop <samples>', `front-end: samples between frame starts (default ${D.hopLengthSamples}: ${D.hopLengthSamples / 16} ms)`, positiveInt('--hop'))
    .option('--window <function>', `front-end: analysis window, one of ${WINDOWING_FUNCTIONS.join(', ')} (default ${D.windowingFunction})`, oneOf('--window', WINDOWING_FUNCTIONS));
}

/** The front-end options given on the command line, as written (for messages). */
export function givenFrontEndOptions(o: FrontEndCliOptions): string[] {
  const given: string[] = [];
  if (o.melBands !== undefined) given.push(`--mel-bands ${o.melBands}`);
  if (o.mfcc !== undefined) given.push(`--mfcc ${o.mfcc}`);
  if (!o.deltas) given.push('--no-deltas');
  if (o.frameLength !== undefined) given.push(`--frame-length ${o.frameLength}`);
  if (o.hop !== undefined) given.push(`--hop ${o.hop}`);
  if (o.window !== undefined) given.push(`--window ${o.window}`);
  return given;
}

/**
 * The front-end a model trained from scratch gets: the default with the options given, checked as a
 * whole (e.g. `--mfcc 40 --mel-bands 32` is refused, naming both limits).
 */
export function frontEndConfigFrom(o: FrontEndCliOptions): FeatureConfig {
  const asked = {
    ...D,
    ...(o.melBands !== undefined ? { melBands: o.melBands } : {}),
    ...(o.mfcc !== undefined ? { mfccCoefficients: o.mfcc } : {}),
    deltas: o.deltas,
    ...(o.frameLength !== undefined ? { frameLengthSamples: o.frameLength } : {}),
    ...(o.hop !== undefined ? { hopLengthSamples: o.hop } : {}),
    ...(o.window !== undefined ? { windowingFunction: o.window } : {}),
  };
  try {
    return validateFeatureConfig(asked, 'front-end');
  } catch (err) {
    throw new UsageError(`${givenFrontEndOptions(o).join(' ')}: ${(err as Error).message}`);
  }
}

/** What differs between two front-ends, in the options' words ("--mfcc 20 (asked: 40)"). */
export function frontEndDifferences(saved: FeatureConfig, asked: FeatureConfig): string[] {
  const fields: [keyof FeatureConfig, string][] = [
    ['melBands', '--mel-bands'],
    ['mfccCoefficients', '--mfcc'],
    ['deltas', '--deltas'],
    ['frameLengthSamples', '--frame-length'],
    ['hopLengthSamples', '--hop'],
    ['windowingFunction', '--window'],
  ];
  const differences = fields
    .filter(([field]) => saved[field] !== asked[field])
    .map(([field, option]) => (field === 'deltas' ? `${saved.deltas ? 'deltas' : '--no-deltas'} (asked: ${asked.deltas ? 'deltas' : '--no-deltas'})` : `${option} ${String(saved[field])} (asked: ${String(asked[field])})`));
  // Fields no option sets (a library caller's configuration): named as they are, compared by value, not key order.
  const others: (keyof FeatureConfig)[] = ['sampleRateHz', 'deltaWindow', 'clipLengthSamples', 'normalization'];
  for (const field of others) {
    if (canonical(saved[field]) !== canonical(asked[field])) differences.push(`front-end ${field} ${canonical(saved[field])} (asked: ${canonical(asked[field])})`);
  }
  return differences;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
}
