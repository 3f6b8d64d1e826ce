/**
 * `kws train` end to end: read the datasets, compute (or load cached) features, build or resume the
 * model, train, and evaluate the best checkpoint on the test split.
 */
import { resolve } from 'node:path';
import { readSpeechCommands, holdoutSplitOptions } from '../datasets/speech-commands.js';
import { loadExamples, type ExampleSet } from '../datasets/feature-store.js';
import { labelsForTask } from '../datasets/labels.js';
import type { DatasetItem, Split, Task } from '../datasets/types.js';
import { DEFAULT_FEATURE_CONFIG, framesFor, featureDim } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { createProgress } from '../pipeline/progress.js';
import { initBackend } from './backend.js';
import { BiLstmClassifier } from './network.js';
import { trainClassifier, evaluateSet, type TrainLoopOptions } from './train.js';
import type { ModelArchitecture, ModelManifest } from './types.js';

export interface TrainJobOptions extends TrainLoopOptions {
  data: string[];
  /** Folders (also read as data) re-split by speaker with HOLDOUT_SPLIT instead of their own split. */
  holdout: string[];
  task: Task;
  lstmUnits: number[];
  hiddenUnits: number;
  pooling: 'mean' | 'last';
  dropout: number;
  /** Keep at most this many items per split and dataset (for quick runs and tests); 0 = all. */
  limitPerSplit: number;
  cacheDir?: string;
  features?: FeatureConfig;
  command?: string;
}

function takeSpread<T>(items: T[], limit: number): T[] {
  if (limit <= 0 || items.length <= limit) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)]!);
}

async function featuresFor(name: string, items: DatasetItem[], labels: string[], config: FeatureConfig, cacheDir: string | undefined, log: (l: string) => void): Promise<ExampleSet> {
  const progress = createProgress(`features ${name}`, items.length);
  const set = await loadExamples(items, labels, config, {
    cacheDir,
    onProgress: (done) => progress.update(done),
    onSkip: (item, err) => log(`skipped ${item.path}: ${err.message}`),
  });
  progress.stop();
  return set;
}

export async function runTrainJob(o: TrainJobOptions): Promise<{ manifest: ModelManifest; testAccuracy: number | null }> {
  const backend = await initBackend();
  o.log(`TensorFlow.js backend: ${backend}`);
  const labels = [...labelsForTask(o.task)];
  const config = o.features ?? DEFAULT_FEATURE_CONFIG;
  const bySplit: Record<Split, DatasetItem[]> = { train: [], validation: [], test: [] };
  const dataDescription: ModelManifest['training']['data'] = [];
  const holdout = new Set(o.holdout.map((d) => resolve(d)));
  for (const dir of [...new Set([...o.data.map((d) => resolve(d)), ...holdout])]) {
    const ds = await readSpeechCommands(dir, holdout.has(dir) ? { task: o.task, seed: o.seed, ...holdoutSplitOptions() } : { task: o.task, seed: o.seed });
    const perSplit: Record<string, number> = {};
    for (const split of ['train', 'validation', 'test'] as const) {
      const items = takeSpread(ds.items.filter((it) => it.split === split && labels.includes(it.label)), o.limitPerSplit);
      bySplit[split].push(...items);
      perSplit[split] = items.length;
    }
    dataDescription.push({ path: dir, splitMethod: ds.splitMethod, items: Object.values(perSplit).reduce((a, b) => a + b, 0), perSplit });
    o.log(`data ${dir}: ${perSplit.train} train, ${perSplit.validation} validation, ${perSplit.test} test (split by ${ds.splitMethod})`);
  }
  if (bySplit.train.length === 0) throw new Error(`no training items in ${o.data.join(', ')}`);
  if (bySplit.validation.length === 0) throw new Error(`no validation items in ${o.data.join(', ')}: early stopping needs some`);

  const train = await featuresFor('train', bySplit.train, labels, config, o.cacheDir, o.log);
  const validation = await featuresFor('validation', bySplit.validation, labels, config, o.cacheDir, o.log);
  const test = bySplit.test.length > 0 ? await featuresFor('test', bySplit.test, labels, config, o.cacheDir, o.log) : null;

  const architecture: ModelArchitecture = {
    inputFrames: framesFor(config, config.clipLengthSamples),
    inputDim: featureDim(config),
    lstmUnits: o.lstmUnits,
    pooling: o.pooling,
    hiddenUnits: o.hiddenUnits,
    numClasses: labels.length,
    dropout: o.dropout,
  };
  const manifest: ModelManifest = {
    formatVersion: 1,
    name: `kws-${o.task}`,
    task: o.task,
    labels,
    features: config,
    architecture,
    temperature: 1,
    training: { data: dataDescription, seed: o.seed, epochs: 0, backend, createdAt: new Date().toISOString(), command: o.command },
    metrics: {},
  };
  const model = BiLstmClassifier.create(architecture, o.seed);
  const { state } = await trainClassifier(model, manifest, train, validation, o);
  let testAccuracy: number | null = null;
  if (test) {
    testAccuracy = evaluateSet(model, test, labels.length).accuracy;
    o.log(`test accuracy (best checkpoint, epoch ${state.bestEpoch}): ${(100 * testAccuracy).toFixed(2)}% on ${test.count} clips`);
  }
  model.dispose();
  return { manifest, testAccuracy };
}
