/**
 * The model every latency benchmark runs: the shipped architecture (2x64 BiLSTM, mean pooling,
 * 64-unit hidden layer, 12 classes, 49x40 input) with seeded random weights, which cost exactly as
 * much to run as trained ones. Written to `dir` as ONNX.
 */
import { join } from 'node:path';
import { LABELS_12 } from '../../datasets/types.js';
import { DEFAULT_FEATURE_CONFIG, framesFor, featureDim } from '../../features/config.js';
import { BiLstmClassifier } from '../../model/network.js';
import { buildOnnxModel } from '../../model/onnx/export.js';
import type { ModelArchitecture, ModelManifest, ModelWeights } from '../../model/types.js';
import { writeFileAtomic } from '../../util/atomic.js';

export interface BenchModel {
  weights: ModelWeights;
  manifest: ModelManifest;
  onnxPath: string;
}

export async function writeBenchModel(dir: string): Promise<BenchModel> {
  const features = DEFAULT_FEATURE_CONFIG;
  const architecture: ModelArchitecture = {
    inputFrames: framesFor(features, features.clipLengthSamples),
    inputDim: featureDim(features),
    lstmUnits: [64, 64],
    pooling: 'mean',
    hiddenUnits: 64,
    numClasses: LABELS_12.length,
    dropout: 0,
  };
  const net = BiLstmClassifier.create(architecture, 3);
  const weights = net.toWeights();
  net.dispose();
  const manifest: ModelManifest = {
    formatVersion: 1,
    name: 'bench',
    task: '12',
    labels: [...LABELS_12],
    features,
    architecture,
    temperature: 1,
    training: { data: [], seed: 3, epochs: 0, backend: 'none', createdAt: new Date(0).toISOString() },
    metrics: {},
  };
  const onnxPath = join(dir, 'bench.onnx');
  await writeFileAtomic(onnxPath, buildOnnxModel(weights, manifest));
  return { weights, manifest, onnxPath };
}
