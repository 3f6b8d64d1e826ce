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
import type { ModelArchitecture, ModelManifest, ModelWeights } from '../model/types.js';
import { SeededRandom } from '../util/random.js';
import { randomModelWeights } from './helpers/random-weights.js';

/** Random weights whose output layer is scaled up, so different clips get different labels. */
export function randomWeights(arch: ModelArchitecture, seed: number): ModelWeights {
  return randomModelWeights(arch, seed, { outputGain: 3.5 });
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
