/**
 * `kws train`'s front-end options: the Meyda MFCC configuration a model is trained with (and then
 * carries in its checkpoints and ONNX file, so serving reads it from there).
 */
import type { Command } from 'commander';
import { CONFIG_FIELDS, DEFAULT_FEATURE_CONFIG, MAX_MFCC_COEFFICIENTS, WINDOWING_FUNCTIONS, validateFeatureConfig } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { canonicalJson } from '../util/canonical-json.js';
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

/** One option: the config field it sets, its value when given (undefined: not given) and how a value of the field is written. */
interface FrontEndOption {
  field: keyof FeatureConfig;
  given: (o: FrontEndCliOptions) => FeatureConfig[keyof FeatureConfig] | undefined;
  written: (value: FeatureConfig[keyof FeatureConfig]) => string;
  /** The value alone, for "(asked: …)". */
  shown: (value: FeatureConfig[keyof FeatureConfig]) => string;
}

function valueOption(field: keyof FeatureConfig, option: string, given: FrontEndOption['given']): FrontEndOption {
  return { field, given, written: (v) => `${option} ${String(v)}`, shown: String };
}

const deltasWritten = (v: FeatureConfig[keyof FeatureConfig]): string => (v ? 'deltas' : '--no-deltas');

const OPTIONS: readonly FrontEndOption[] = [
  valueOption('melBands', '--mel-bands', (o) => o.melBands),
  valueOption('mfccCoefficients', '--mfcc', (o) => o.mfcc),
  { field: 'deltas', given: (o) => (o.deltas ? undefined : false), written: deltasWritten, shown: deltasWritten },
  valueOption('frameLengthSamples', '--frame-length', (o) => o.frameLength),
  valueOption('hopLengthSamples', '--hop', (o) => o.hop),
  valueOption('windowingFunction', '--window', (o) => o.window),
];

/** The front-end options given on the command line, as written (for messages). */
export function givenFrontEndOptions(o: FrontEndCliOptions): string[] {
  return OPTIONS.flatMap((x) => {
    const value = x.given(o);
    return value === undefined ? [] : [x.written(value)];
  });
}

/**
 * The front-end a model trained from scratch gets: the default with the options given, checked as a
 * whole (e.g. `--mfcc 40 --mel-bands 32` is refused, naming both limits).
 */
export function frontEndConfigFrom(o: FrontEndCliOptions): FeatureConfig {
  const asked = { ...D, ...Object.fromEntries(OPTIONS.flatMap((x) => (x.given(o) === undefined ? [] : [[x.field, x.given(o)]]))) };
  try {
    return validateFeatureConfig(asked, 'front-end');
  } catch (err) {
    throw new UsageError(`${givenFrontEndOptions(o).join(' ')}: ${(err as Error).message}`);
  }
}

/**
 * What differs between two front-ends, field by field and by value, in the options' words ("--mfcc
 * 20 (asked: 40)"); a field no option sets (a library caller's configuration) is named as it is.
 */
export function frontEndDifferences(saved: FeatureConfig, asked: FeatureConfig): string[] {
  const differs = (field: keyof FeatureConfig): boolean => canonicalJson(saved[field]) !== canonicalJson(asked[field]);
  const byOption = OPTIONS.filter((x) => differs(x.field)).map((x) => `${x.written(saved[x.field])} (asked: ${x.shown(asked[x.field])})`);
  const others = CONFIG_FIELDS.filter((field) => !OPTIONS.some((x) => x.field === field) && differs(field));
  return [...byOption, ...others.map((field) => `front-end ${field} ${canonicalJson(saved[field])} (asked: ${canonicalJson(asked[field])})`)];
}
