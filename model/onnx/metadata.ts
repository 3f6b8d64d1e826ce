/**
 * Reads the kws manifest back out of an exported ONNX model's metadata_props. No Node.js I/O here:
 * the browser demo bundles this module (rewriting a model file is in manifest-file.ts).
 */
import { frameStackProblem } from '../frame-stacking.js';
import type { ModelArchitecture, ModelManifest } from '../types.js';
import { MANIFEST_METADATA_KEY } from './export.js';
import { onnxClasses } from './proto.js';

export class OnnxMetadataError extends Error {
  readonly file: string;
  /** What is wrong, without the file name. */
  readonly problem: string;
  constructor(fileName: string, problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = 'OnnxMetadataError';
    this.file = fileName;
    this.problem = problem;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const POSITIVE_INTEGER_FEATURES = ['sampleRateHz', 'frameLengthSamples', 'hopLengthSamples', 'melBands', 'mfccCoefficients', 'clipLengthSamples'] as const;

/** Names the feature fields the front-end needs that are missing or malformed (empty: all there). */
function badFeatureFields(features: Record<string, unknown>): string[] {
  const bad: string[] = POSITIVE_INTEGER_FEATURES.filter((field) => !Number.isInteger(features[field]) || (features[field] as number) <= 0);
  if (typeof features.deltas !== 'boolean') bad.push('deltas');
  else if (features.deltas && (!Number.isInteger(features.deltaWindow) || (features.deltaWindow as number) <= 0)) bad.push('deltaWindow');
  if (typeof features.windowingFunction !== 'string') bad.push('windowingFunction');
  const normalization = features.normalization;
  if (!isRecord(normalization) || typeof normalization.kind !== 'string') bad.push('normalization');
  return bad;
}

/** Checks the fields a runtime relies on; the rest is carried through as written. */
export function validateManifest(value: unknown, fileName: string): ModelManifest {
  const fail = (problem: string): never => {
    throw new OnnxMetadataError(fileName, `metadata '${MANIFEST_METADATA_KEY}' ${problem}`);
  };
  if (!isRecord(value)) return fail('is not a JSON object');
  if (value.formatVersion !== 1) fail(`has formatVersion ${JSON.stringify(value.formatVersion)}, expected 1`);
  const labels = value.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    fail('has no labels (expected a non-empty array of strings)');
  }
  if (!isRecord(value.features)) fail('has no features object');
  const badFeatures = badFeatureFields(value.features as Record<string, unknown>);
  if (badFeatures.length > 0) fail(`features lack valid ${badFeatures.join(', ')}`);
  const arch = value.architecture;
  if (!isRecord(arch)) return fail('has no architecture object');
  for (const field of ['inputFrames', 'inputDim', 'numClasses'] as const) {
    if (!Number.isInteger(arch[field]) || (arch[field] as number) <= 0) fail(`architecture.${field} must be a positive integer`);
  }
  const stackingProblem = frameStackProblem(arch as Pick<ModelArchitecture, 'inputFrames' | 'inputDim' | 'frameStack'>);
  if (stackingProblem !== null) fail(`architecture.${stackingProblem}`);
  if (arch.numClasses !== (labels as string[]).length) {
    fail(`has ${(labels as string[]).length} labels but architecture.numClasses ${String(arch.numClasses)}`);
  }
  if (typeof value.temperature !== 'number' || !(value.temperature > 0)) fail('temperature must be a positive number');
  return value as unknown as ModelManifest;
}

/** Decodes the model and returns its manifest; errors name `fileName` and what is wrong. */
export function readOnnxManifest(bytes: Uint8Array, fileName: string): ModelManifest {
  let model;
  try {
    model = onnxClasses.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxMetadataError(fileName, `is not a valid ONNX model (${(err as Error).message})`);
  }
  const entry = model.metadataProps.find((p) => p.key === MANIFEST_METADATA_KEY);
  if (!entry || !entry.value) {
    throw new OnnxMetadataError(fileName, `has no '${MANIFEST_METADATA_KEY}' metadata (not exported by kws?)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value);
  } catch (err) {
    throw new OnnxMetadataError(fileName, `metadata '${MANIFEST_METADATA_KEY}' is not valid JSON (${(err as Error).message})`);
  }
  return validateManifest(parsed, fileName);
}
