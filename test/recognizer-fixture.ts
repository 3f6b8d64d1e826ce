/**
 * Test fixtures for the recognition pipeline: a small kws ONNX model with seeded random weights,
 * and wav files of generated signals.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LABELS_12 } from '../datasets/types.js';
import { writeWavPcm16 } from '../features/audio/index.js';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import type { DenseWeights, LstmDirectionWeights, ModelArchitecture, ModelManifest, ModelWeights } from '../model/types.js';
import { SeededRandom } from '../pipeline/random.js';

function uniform(rng: SeededRandom, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

function direction(rng: SeededRandom, inputDim: number, units: number): LstmDirectionWeights {
  const scale = 1 / Math.sqrt(units);
  return { kernel: uniform(rng, inputDim * 4 * units, scale), recurrentKernel: uniform(rng, units * 4 * units, scale), bias: uniform(rng, 4 * units, 0.1) };
}

function dense(rng: SeededRandom, inDim: number, outDim: number, scale: number): DenseWeights {
  return { inDim, outDim, kernel: uniform(rng, inDim * outDim, scale), bias: uniform(rng, outDim, 0.1) };
}

export function randomWeights(arch: ModelArchitecture, seed: number): ModelWeights {
  const rng = new SeededRandom(seed);
  let inputDim = arch.inputDim;
  const lstm = arch.lstmUnits.map((units) => {
    const layer = { inputDim, units, forward: direction(rng, inputDim, units), backward: direction(rng, inputDim, units) };
    inputDim = 2 * units;
    return layer;
  });
  const hidden = arch.hiddenUnits > 0 ? dense(rng, inputDim, arch.hiddenUnits, 1 / Math.sqrt(inputDim)) : null;
  const outIn = hidden ? arch.hiddenUnits : inputDim;
  // A large output scale spreads the probabilities so different clips get different labels.
  return { architecture: arch, lstm, hidden, output: dense(rng, outIn, arch.numClasses, 6 / Math.sqrt(outIn)) };
}

export interface FixtureModelOptions {
  lstmUnits?: number[];
  hiddenUnits?: number;
  labels?: readonly string[];
  features?: FeatureConfig;
  task?: string;
  seed?: number;
}

export function fixtureManifest(options: FixtureModelOptions = {}): ModelManifest {
  const features = options.features ?? DEFAULT_FEATURE_CONFIG;
  const labels = [...(options.labels ?? LABELS_12)];
  return {
    formatVersion: 1,
    name: 'test-random',
    task: options.task ?? '12',
    labels,
    features,
    architecture: {
      inputFrames: framesFor(features, features.clipLengthSamples),
      inputDim: featureDim(features),
      lstmUnits: options.lstmUnits ?? [16, 16],
      pooling: 'mean',
      hiddenUnits: options.hiddenUnits ?? 16,
      numClasses: labels.length,
      dropout: 0,
    },
    temperature: 1,
    training: { data: [], seed: options.seed ?? 1, epochs: 0, backend: 'none', createdAt: '2024-01-01T00:00:00.000Z' },
    metrics: {},
  };
}

/** Writes a random-weights kws ONNX model to `path` and returns its manifest. */
export async function writeFixtureModel(path: string, options: FixtureModelOptions = {}): Promise<ModelManifest> {
  const manifest = fixtureManifest(options);
  const bytes = buildOnnxModel(randomWeights(manifest.architecture, options.seed ?? 1), manifest);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return manifest;
}

/** A tone with a little seeded noise; different `seed`s give different clips. */
export function toneClip(seconds: number, frequencyHz: number, seed: number, sampleRateHz = 16000): Float32Array {
  const rng = new SeededRandom(seed);
  const n = Math.round(seconds * sampleRateHz);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const envelope = Math.sin((Math.PI * i) / n);
    out[i] = 0.4 * envelope * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz) + 0.05 * (rng.next() * 2 - 1);
  }
  return out;
}

export async function writeWav(path: string, samples: Float32Array, sampleRateHz = 16000): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeWavPcm16(path, samples, sampleRateHz);
}
