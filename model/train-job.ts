/**
 * `kws train` end to end: read the datasets, prepare the training data (raw waveforms augmented
 * anew each epoch in a worker thread, or cached fixed features), weight data folders with
 * `repeat`, build or resume the model, train, and evaluate the best checkpoint on the test split.
 * Validation and test always use cached, unaugmented features.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadExamples, loadWaveforms, repeatExamples, type ExampleSet } from '../datasets/feature-store.js';
import { validateAugmentConfig, type AugmentConfig } from '../datasets/augment.js';
import { loadNoiseRecordings, type NoiseSource } from '../datasets/augment-noise.js';
import { WorkerEpochSource } from '../datasets/augment-producer.js';
import { DEFAULT_SPLIT } from '../datasets/split.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { weightsFromOnnx } from './onnx/import.js';
import { labelPrior, withoutPriorCorrection, withPriorCorrection } from './prior-correction.js';
import { labelsForTask } from '../datasets/labels.js';
import { SILENCE_LABEL, UNKNOWN_LABEL, type DatasetItem, type Task } from '../datasets/types.js';
import { DEFAULT_FEATURE_CONFIG, framesFor, featureDim, sameFeatureConfig } from '../features/config.js';
import type { FeatureConfig } from '../features/types.js';
import { createProgress } from '../util/progress.js';
import { SeededRandom } from '../util/random.js';
import { describeBackend, initBackend } from './backend.js';
import { BiLstmClassifier } from './network.js';
import { trainClassifier, evaluateSet, isEpochSource, updateBestManifest, LAST_CHECKPOINT, BEST_CHECKPOINT, type TrainLoopOptions, type TrainingData } from './train.js';
import { calibrate, expectedCalibrationError, softmaxRows } from './calibration.js';
import { DEFAULT_ATTENTION_UNITS, DEFAULT_DISTILL_WEIGHT, type ModelArchitecture, type ModelManifest, type ModelWeights, type Pooling } from './types.js';
import { withAttentionPooling } from './attention-init.js';
import { widenWeights, type WiderShape } from './widen.js';
import { readTrainingFolders, trainShareOf, type TrainingFolderOptions } from './training-folders.js';
import { TeacherEnsemble } from './distillation.js';
import { frameStackOf } from './frame-stacking.js';
import { classWeighting, weightedPrior, type ClassWeighting } from './class-weights.js';

export interface TrainJobOptions extends TrainLoopOptions, TrainingFolderOptions {
  lstmUnits: number[];
  hiddenUnits: number;
  pooling: Pooling;
  /** Tanh units of the attention scorer (pooling 'attention'; default {@link DEFAULT_ATTENTION_UNITS}). */
  attentionUnits?: number;
  /** Frames per LSTM step (model/frame-stacking.ts; default 1). A fine-tuned or transferred model keeps its own. */
  frameStack?: number;
  dropout: number;
  cacheDir?: string;
  features?: FeatureConfig;
  command?: string;
  /** Augmentation of the training split, re-drawn every epoch; null or absent: fixed cached features. */
  augment?: AugmentConfig | null;
  /** Strength of the logit adjustment for the training label prior (0 = none; see prior-correction.ts). */
  priorCorrection?: number;
  /** Class balancing in the loss: weight ∝ training prior^-power (model/class-weights.ts; 0 or absent = none). */
  classWeightPower?: number;
  /** Start from this checkpoint's (or kws ONNX file's) weights (fine-tuning) instead of a random initialisation. */
  initFrom?: string;
  /** With `initFrom`: grow the starting model to `lstmUnits`/`hiddenUnits`, keeping its function (model/widen.ts). */
  widenInit?: boolean;
  /**
   * Partial words for stream training (with augmentation): this share of the keyword clip
   * presentations is added again each epoch as `_unknown_`, cut to part of the word (WindowAugment).
   */
  partialWords?: number;
  /** Transfer learning: the LSTM and hidden layers of these weights, a new output layer for `labels`. */
  transferFrom?: { source: string; weights: ModelWeights };
  /** Distil from these float kws ONNX models (their mean probabilities on each augmented batch). */
  teachers?: string[];
  /** Weight of the teachers' probabilities in the targets (default {@link DEFAULT_DISTILL_WEIGHT}). */
  distillWeight?: number;
  /** Softmax temperature of the teachers' probabilities (default 1). */
  distillTemperature?: number;
}

async function firstEpochToTrain(runDir: string, resume: boolean): Promise<number> {
  const last = join(runDir, LAST_CHECKPOINT);
  if (!resume || !existsSync(last)) return 1;
  return ((await loadCheckpoint(last)).state?.epoch ?? 0) + 1;
}

function labelCounts(y: Int32Array, labels: string[]): string {
  const counts = new Array<number>(labels.length).fill(0);
  for (const label of y) counts[label]!++;
  return labels.map((l, i) => `${l} ${counts[i]}`).join(', ');
}

export async function featuresFor(name: string, items: DatasetItem[], labels: string[], config: FeatureConfig, cacheDir: string | undefined, log: (l: string) => void): Promise<ExampleSet> {
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
  o.log(describeBackend(backend));
  const labels = o.labels ? [...o.labels] : [...labelsForTask(o.task)];
  // A fine-tune starts from the front-end its model was trained with, unless one is given.
  const initSource = o.initFrom ? await loadInitSource(o.initFrom) : null;
  const config = o.features ?? initSource?.manifest.features ?? DEFAULT_FEATURE_CONFIG;
  const { bySplit, dataDescription, trainDir, repeat, datasetNoise, namedNoiseFiles, silenceFromNamedNoise, dirs } = await readTrainingFolders(o, labels, config);
  if (bySplit.train.length === 0) throw new Error(`no training items in ${o.data.join(', ')}`);
  const earlyStopping = o.earlyStopping ?? true;
  if (bySplit.validation.length === 0 && earlyStopping) {
    throw new Error(`no validation items in ${dirs.join(', ')}: early stopping needs some (or pass --no-early-stopping to train every epoch and keep the last)`);
  }

  const distillWeight = o.distillWeight ?? DEFAULT_DISTILL_WEIGHT;
  const distillTemperature = o.distillTemperature ?? 1;
  const timesOf = (item: DatasetItem): number => repeat.get(trainDir.get(item)!) ?? 1;
  const augment = o.augment ? validateAugmentConfig(o.augment) : null;
  if ((o.partialWords ?? 0) > 0 && !augment) throw new Error('partial words are cut from the waveforms each epoch: they need augmentation (drop --no-augment)');
  // Loaded before the training data is read, so a wrong teacher fails in seconds.
  const teachers = o.teachers && o.teachers.length > 0 ? await TeacherEnsemble.load(o.teachers.map((t) => resolve(t)), labels, config) : null;
  let train: TrainingData | undefined;
  let noiseFiles: string[] = [];
  try {
    if (augment) {
      // Noise whose later part became validation/test silence is mixed in from its train share only.
      const usableFraction = silenceFromNamedNoise ? trainShareOf(DEFAULT_SPLIT) : 1;
      const noiseSources = namedNoiseFiles.length > 0 ? namedNoiseFiles.map((path) => ({ path, usableFraction })) : datasetNoise;
      noiseFiles = noiseSources.map((s) => s.path);
      train = await augmentedTrainingSource(o, bySplit.train, labels, config, augment, noiseSources, timesOf);
    } else {
      const fixed = await featuresFor('train', bySplit.train, labels, config, o.cacheDir, o.log);
      train = repeat.size > 0 ? repeatExamples(fixed, fixed.items.map(timesOf)) : fixed;
    }
    o.log(`train clips per label${repeat.size > 0 ? ' after --repeat' : ''}: ${labelCounts(train.y, labels)} (${train.count} in all)`);
    const weighting = (o.classWeightPower ?? 0) > 0 ? classWeighting(labelPrior(train.y, labels.length), o.classWeightPower!) : null;
    if (weighting) o.log(`class weights in the loss (training prior^-${weighting.power}, mean 1 over the training clips): ${labels.map((l, i) => `${l} ${weighting.weights[i]!.toFixed(2)}`).join(', ')}`);
    const validation = bySplit.validation.length > 0 ? await featuresFor('validation', bySplit.validation, labels, config, o.cacheDir, o.log) : null;
    const test = bySplit.test.length > 0 ? await featuresFor('test', bySplit.test, labels, config, o.cacheDir, o.log) : null;

    const attentionUnits = o.attentionUnits ?? DEFAULT_ATTENTION_UNITS;
    const init = o.initFrom
      ? initialWeightsFrom(initSource!, labels, config, o.widenInit ? { lstmUnits: o.lstmUnits, hiddenUnits: o.hiddenUnits, seed: o.seed } : null, o.pooling === 'attention' ? { attentionUnits, seed: o.seed } : null, o.log)
      : null;
    const transfer = o.transferFrom ? transferredArchitecture(o.transferFrom.weights, config, labels.length, o.dropout) : null;
    const architecture: ModelArchitecture = init ? { ...init.architecture, dropout: o.dropout } : transfer ?? {
      inputFrames: framesFor(config, config.clipLengthSamples),
      inputDim: featureDim(config),
      ...((o.frameStack ?? 1) > 1 ? { frameStack: o.frameStack } : {}),
      lstmUnits: o.lstmUnits,
      pooling: o.pooling,
      ...(o.pooling === 'attention' ? { attentionUnits } : {}),
      hiddenUnits: o.hiddenUnits,
      numClasses: labels.length,
      dropout: o.dropout,
    };
    if (o.frameStack !== undefined && (init || transfer) && o.frameStack !== frameStackOf(architecture)) {
      throw new Error(`frame stacking: ${o.initFrom ?? o.transferFrom?.source} reads ${frameStackOf(architecture)} frame(s) per LSTM step; a model it starts cannot read ${o.frameStack} (leave the option out)`);
    }
    const manifest: ModelManifest = {
      formatVersion: 1,
      name: o.labels ? `kws-custom-${labels.slice(2).map((l) => l.replace(/ /g, '-')).join('-')}` : `kws-${o.task}`,
      task: o.labels ? 'custom' : o.task,
      labels,
      features: config,
      architecture,
      temperature: 1,
      training: {
        data: dataDescription,
        seed: o.seed,
        epochs: 0,
        backend,
        createdAt: new Date().toISOString(),
        command: o.command,
        augmentation: { config: augment, noiseFiles, repeat: Object.fromEntries(repeat) },
        ...((o.trainers ?? 1) > 1 ? { trainers: o.trainers } : {}),
        ...(o.learningRateSchedule === 'cosine' ? { learningRateSchedule: o.learningRateSchedule } : {}),
        ...(weighting ? { classWeighting: weighting } : {}),
        ...(o.initFrom ? { initFrom: resolve(o.initFrom) } : {}),
        ...(o.transferFrom ? { transferFrom: o.transferFrom.source } : {}),
        ...(teachers ? { distillation: { teachers: teachers.paths, weight: distillWeight, temperature: distillTemperature } } : {}),
        ...((o.mixupAlpha ?? 0) > 0 ? { mixupAlpha: o.mixupAlpha } : {}),
      },
      metrics: {},
    };
    const model = BiLstmClassifier.create(architecture, o.seed);
    if (init) model.setWeights({ ...init, architecture });
    if (o.transferFrom) {
      const fresh = model.toWeights();
      model.setWeights({ ...fresh, lstm: o.transferFrom.weights.lstm, hidden: o.transferFrom.weights.hidden, ...(o.transferFrom.weights.attention ? { attention: o.transferFrom.weights.attention } : {}) });
      o.log(`transfer learning from ${o.transferFrom.source}: its ${architecture.lstmUnits.length} LSTM layers${architecture.hiddenUnits > 0 ? ' and hidden layer' : ''}, a new output layer for ${labels.length} labels`);
    }
    if ((o.mixupAlpha ?? 0) > 0) o.log(`mixup: every training clip mixed with another of its batch, its share max(b, 1 - b), b ~ Beta(${o.mixupAlpha}, ${o.mixupAlpha})`);
    if (teachers) o.log(`distillation from ${teachers.paths.length} teacher${teachers.paths.length > 1 ? 's' : ''} (${teachers.paths.join(', ')}): targets ${distillWeight} x their mean probabilities${distillTemperature === 1 ? '' : ` at temperature ${distillTemperature}`} + ${1 - distillWeight} x the label`);
    const { state } = await trainClassifier(model, manifest, train, validation, {
      ...o,
      ...(weighting ? { classWeights: weighting.weights } : {}),
      ...(teachers ? { distillation: { teachers, weight: distillWeight, temperature: distillTemperature } } : {}),
    });
    await applyPriorCorrection(o, model, train.y, labels, weighting);
    // A prior-corrected model is adjusted to a uniform label prior: its temperature is fitted for one too.
    const temperatureFit = (o.priorCorrection ?? 0) > 0 ? 'class-balanced' : 'as-given';
    const calibration = validation === null ? null : calibrate(evaluateSet(model, validation, labels.length).logits, validation.y, labels.length, temperatureFit);
    if (calibration === null) {
      o.log(`no validation items: trained all ${state.epoch} epochs without early stopping, best.ckpt is the last epoch, temperature left at 1 (not calibrated)`);
    } else {
      o.log(
        `calibration on validation: temperature ${calibration.temperature.toFixed(3)}, ` +
          `expected calibration error ${(100 * calibration.eceBefore).toFixed(2)}% -> ${(100 * calibration.eceAfter).toFixed(2)}%` +
          (calibration.weighting === 'class-balanced' ? ' (fitted with every class weighed equally: the uniform prior the prior correction targets)' : ''),
      );
    }
    const temperature = calibration?.temperature ?? 1;
    let testAccuracy: number | null = null;
    let testEce: number | null = null;
    if (test) {
      const result = evaluateSet(model, test, labels.length);
      testAccuracy = result.accuracy;
      const ece = expectedCalibrationError(softmaxRows(result.logits, labels.length, temperature), test.y, labels.length);
      testEce = ece;
      o.log(`test accuracy (best checkpoint, epoch ${state.bestEpoch}): ${(100 * testAccuracy).toFixed(2)}% on ${test.count} clips, ${calibration === null ? 'uncalibrated' : 'calibrated'} ECE ${(100 * ece).toFixed(2)}%`);
    }
    const best = await updateBestManifest(o.runDir, (m) => ({
      ...m,
      temperature,
      ...(calibration === null ? {} : { training: { ...m.training, temperatureFit: calibration.weighting } }),
      metrics: {
        ...m.metrics,
        ...(calibration === null ? {} : { validationEceUncalibrated: calibration.eceBefore, validationEce: calibration.eceAfter }),
        ...(testAccuracy === null ? {} : { testAccuracy }),
        ...(testEce === null ? {} : { testEce }),
      },
    }));
    model.dispose();
    return { manifest: best, testAccuracy };
  } finally {
    await teachers?.close();
    if (train && isEpochSource(train)) await train.close();
  }
}

/**
 * The architecture of a model transferred from `weights`: the same LSTM and hidden layers (they do
 * not depend on the number of frames, so a longer window for phrases keeps them), `classes` outputs.
 */
function transferredArchitecture(weights: ModelWeights, config: FeatureConfig, classes: number, dropout: number): ModelArchitecture {
  const source = weights.architecture;
  if (source.inputDim !== featureDim(config)) throw new Error(`transfer learning: the model takes ${source.inputDim} features per frame, this run's front-end gives ${featureDim(config)}`);
  return { ...source, lstmUnits: [...source.lstmUnits], inputFrames: framesFor(config, config.clipLengthSamples), numClasses: classes, dropout };
}

interface InitSource {
  file: string;
  manifest: ModelManifest;
  weights: ModelWeights;
}

/** The checkpoint (a run folder's best.ckpt, a .ckpt file or a float kws .onnx file) `--init-from` names. */
async function loadInitSource(path: string): Promise<InitSource> {
  const file = path.endsWith('.ckpt') || path.endsWith('.onnx') ? path : join(path, BEST_CHECKPOINT);
  const { manifest, weights } = file.endsWith('.onnx') ? weightsFromOnnx(new Uint8Array(await readFile(file)), file) : await loadCheckpoint(file);
  return { file, manifest, weights };
}

/**
 * Weights of a checkpoint (or of a float kws ONNX file, e.g. the shipped model) to fine-tune from,
 * for the same labels and front-end, with any prior correction taken out again (fine-tuning data
 * has its own label prior).
 */
function initialWeightsFrom(
  { file, manifest, weights }: InitSource,
  labels: string[],
  config: FeatureConfig,
  widen: (WiderShape & { seed: number }) | null,
  attention: { attentionUnits: number; seed: number } | null,
  log: (line: string) => void,
): ModelWeights {
  if (manifest.labels.join(',') !== labels.join(',')) throw new Error(`--init-from ${file}: its labels (${manifest.labels.join(' ')}) are not this task's (${labels.join(' ')})`);
  if (!sameFeatureConfig(manifest.features, config)) throw new Error(`--init-from ${file}: its feature configuration differs from this run's`);
  const correction = manifest.training.priorCorrection;
  let start = correction ? withoutPriorCorrection(weights, correction) : weights;
  if (widen !== null) {
    const before = `${start.architecture.lstmUnits.join('x')} units, hidden ${start.architecture.hiddenUnits}`;
    start = widenWeights(start, widen, widen.seed);
    log(`widened ${file} from ${before} to ${start.architecture.lstmUnits.join('x')} units, hidden ${start.architecture.hiddenUnits} (new units' outputs start at zero weight: the same function)`);
  }
  if (attention !== null && start.architecture.pooling !== 'attention') {
    start = withAttentionPooling(start, attention.attentionUnits, attention.seed);
    log(`added attention pooling (${attention.attentionUnits} tanh units) to ${file}'s mean pooling; its scores start at zero, so every frame weighs the same: the same function`);
  }
  return start;
}

/**
 * Bakes the logit adjustment for the training label prior (weighted by the loss's class weights,
 * where there are some) into the best checkpoint's output bias, once: a best checkpoint whose
 * manifest records a correction already has it.
 */
async function applyPriorCorrection(o: TrainJobOptions, model: BiLstmClassifier, y: Int32Array, labels: string[], weighting: ClassWeighting | null): Promise<void> {
  const strength = o.priorCorrection ?? 0;
  const bestPath = join(o.runDir, BEST_CHECKPOINT);
  const best = await loadCheckpoint(bestPath);
  const done = best.manifest.training.priorCorrection;
  if (done) {
    o.log(`prior correction (strength ${done.strength}) already applied to ${bestPath}`);
    return;
  }
  if (strength === 0) return;
  const prior = labelPrior(y, labels.length);
  const correction = { strength, trainPrior: weighting ? weightedPrior(prior, weighting.weights) : prior };
  const weights = withPriorCorrection(best.weights, correction);
  model.setWeights(weights);
  await saveCheckpoint(bestPath, { ...best, weights, manifest: { ...best.manifest, training: { ...best.manifest.training, priorCorrection: correction } } });
  o.log(
    `prior correction strength ${strength} for the training label prior${weighting ? ' as the class weights weigh it' : ''} ` +
      labels.map((l, i) => `${l} ${(100 * correction.trainPrior[i]!).toFixed(1)}%`).join(', '),
  );
}

/**
 * Loads the train split's waveforms once and starts the worker that augments and featurises them
 * every epoch; each item appears `timesOf(item)` times per epoch, each time augmented differently.
 */
async function augmentedTrainingSource(
  o: TrainJobOptions,
  items: DatasetItem[],
  labels: string[],
  config: FeatureConfig,
  augment: AugmentConfig,
  noiseSources: NoiseSource[],
  timesOf: (item: DatasetItem) => number,
): Promise<WorkerEpochSource> {
  const noise = await loadNoiseRecordings(noiseSources);
  if (noise.length === 0 && augment.noise.probability > 0) o.log('no noise recordings found (no --noise-dir, no _background_noise_): noise augmentation off');
  const progress = createProgress('waveforms train', items.length);
  const waves = await loadWaveforms(items, config.clipLengthSamples, {
    onProgress: (done) => progress.update(done),
    onSkip: (item, err) => o.log(`skipped ${item.path}: ${err.message}`),
  });
  progress.stop();
  const entries: number[] = [];
  const y: number[] = [];
  waves.items.forEach((item, row) => {
    for (let r = timesOf(item); r > 0; r--) {
      entries.push(row);
      y.push(labels.indexOf(item.label));
    }
  });
  const partial = partialWordEntries(entries, y, labels, o.partialWords ?? 0, o.seed);
  if (partial.count > 0) o.log(`partial words: ${partial.count} keyword clip presentations added as ${UNKNOWN_LABEL}, cut to ${(100 * augment.window.minCut).toFixed(0)}-${(100 * augment.window.maxCut).toFixed(0)}% of the word`);
  const firstEpoch = await firstEpochToTrain(o.runDir, o.resume);
  const source = new WorkerEpochSource(
    {
      clips: waves.clips,
      clipLength: waves.clipLength,
      entries: Int32Array.from(partial.entries),
      ...(partial.count > 0 ? { partialEntries: partial.flags } : {}),
      noise,
      config: augment,
      features: config,
      seed: o.seed,
    },
    Int32Array.from(partial.y),
    { lastEpoch: o.epochs },
  );
  // The first epoch is produced on the other core while validation and test features load.
  source.prefetch(firstEpoch);
  o.log(`augmenting ${waves.count} training clips (${(waves.clips.byteLength / 2 ** 20).toFixed(0)} MiB of Int16 waveforms) with ${noise.length} noise recordings, in a worker thread`);
  return source;
}

/**
 * The epoch entries with partial words appended: a seeded `share` of the keyword entries (labels
 * other than silence and unknown) again, labelled unknown and flagged for cutting.
 */
export function partialWordEntries(entries: readonly number[], y: readonly number[], labels: readonly string[], share: number, seed: number): { entries: number[]; y: number[]; flags: Uint8Array; count: number } {
  if (!(share >= 0 && share <= 1)) throw new RangeError(`partial words: share must be in [0, 1], got ${share}`);
  const unknown = labels.indexOf(UNKNOWN_LABEL);
  const silence = labels.indexOf(SILENCE_LABEL);
  const outEntries = [...entries];
  const outY = [...y];
  if (share > 0) {
    if (unknown < 0) throw new Error(`partial words need an ${UNKNOWN_LABEL} label (labels: ${labels.join(', ')})`);
    const rng = new SeededRandom((seed ^ 0x5bd1e995) >>> 0);
    entries.forEach((row, i) => {
      if (y[i] !== unknown && y[i] !== silence && rng.next() < share) {
        outEntries.push(row);
        outY.push(unknown);
      }
    });
  }
  const flags = new Uint8Array(outEntries.length);
  flags.fill(1, entries.length);
  return { entries: outEntries, y: outY, flags, count: outEntries.length - entries.length };
}
