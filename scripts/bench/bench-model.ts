/**
 * The model every latency benchmark runs: the shipped model's architecture (read from
 * models/kws12/model.onnx; 2x64 BiLSTM, mean pooling, 64-unit hidden layer where it is absent) with
 * seeded random weights, which cost exactly as much to run as trained ones. Written to `dir` as ONNX.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS_12 } from '../../datasets/types.js';
import { DEFAULT_FEATURE_CONFIG, framesFor, featureDim } from '../../features/config.js';
import { BiLstmClassifier } from '../../model/network.js';
import { buildOnnxModel } from '../../model/onnx/export.js';
import { readOnnxManifest } from '../../model/onnx/metadata.js';
import { DEFAULT_MODEL_PATH } from '../../pipeline/recognizer.js';
import type { ModelArchitecture, ModelManifest, ModelWeights } from '../../model/types.js';
import { writeFileAtomic } from '../../util/atomic.js';

export interface BenchModel {
  weights: ModelWeights;
  manifest: ModelManifest;
  onnxPath: string;
}

/** The shipped model's LSTM units, hidden units and pooling (what users run), or the 2x64 defaults. */
function shippedShape(): Pick<ModelArchitecture, 'lstmUnits' | 'hiddenUnits' | 'pooling'> {
  if (!existsSync(DEFAULT_MODEL_PATH)) return { lstmUnits: [64, 64], hiddenUnits: 64, pooling: 'mean' };
  const { architecture } = readOnnxManifest(new Uint8Array(readFileSync(DEFAULT_MODEL_PATH)), DEFAULT_MODEL_PATH);
  return { lstmUnits: [...architecture.lstmUnits], hiddenUnits: architecture.hiddenUnits, pooling: architecture.pooling };
}

export async function writeBenchModel(dir: string): Promise<BenchModel> {
  const features = DEFAULT_FEATURE_CONFIG;
  const architecture: ModelArchitecture = {
    inputFrames: framesFor(features, features.clipLengthSamples),
    inputDim: featureDim(features),
    ...shippedShape(),
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
