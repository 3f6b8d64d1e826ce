/**
 * Training loop: seeded shuffling, Adam, validation every epoch, early stopping, atomic
 * checkpoints (`last.ckpt` resumable, `best.ckpt` best validation accuracy), training curves.
 * Without early stopping every epoch is trained; without validation clips (allowed only then)
 * `best.ckpt` is the last epoch.
 * The training data is either fixed features (ExampleSet) or an EpochSource whose features change
 * every epoch (augmentation); validation always uses fixed features.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EpochSource, ExampleSet } from '../datasets/feature-store.js';
import { SeededRandom } from '../util/random.js';
import { createProgress } from '../util/progress.js';
import { BiLstmClassifier } from './network.js';
import { loadCheckpoint, saveCheckpoint, type EpochRecord, type NamedArray, type TrainingState } from './checkpoint.js';
import type { ModelManifest } from './types.js';
import type { BackendName } from './backend.js';
import { ParallelStepper, shardTensors, type ShardTensors } from './data-parallel.js';
import { writeTrainingCurves } from './curves.js';
import { distillationTargets, type TeacherEnsemble } from './distillation.js';
import { cosineLearningRate, scheduleDifferences, type LearningRateSchedule } from './learning-rate.js';
import { mixBatch, oneHotTargets } from './mixup.js';
import { augmentSeed } from '../datasets/augment.js';

export interface TrainLoopOptions {
  runDir: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** false: train every epoch whatever the validation accuracy (default true). */
  earlyStopping?: boolean;
  /** Multiply the learning rate by this after each epoch without improvement (schedule 'plateau'). */
  plateauDecay: number;
  /** How the learning rate changes during the run (model/learning-rate.ts; default 'plateau'). */
  learningRateSchedule?: LearningRateSchedule;
  /** Loss weight per label (model/class-weights.ts); absent: every clip weighs 1. */
  classWeights?: readonly number[];
  labelSmoothing: number;
  seed: number;
  resume: boolean;
  /**
   * Threads that share each step's batch (data-parallel, model/data-parallel.ts): this one and
   * trainers - 1 worker threads; default 1.
   */
  trainers?: number;
  /**
   * Distillation: the teachers' probabilities for each batch as augmented, and the weight of them in
   * the targets (model/distillation.ts); absent: one-hot labels.
   */
  distillation?: { teachers: Pick<TeacherEnsemble, 'probabilities'>; weight: number; temperature: number };
  /** Mixup's Beta(alpha, alpha) parameter (model/mixup.ts); 0 or absent: no mixing. */
  mixupAlpha?: number;
  log: (line: string) => void;
}

export interface TrainResult {
  best: BiLstmClassifier;
  state: TrainingState;
}

export const LAST_CHECKPOINT = 'last.ckpt';
export const BEST_CHECKPOINT = 'best.ckpt';
/** Mixes into the seed of each step's mixup draws, so they are independent of the augmentation's. */
const MIXUP_SEED_SALT = 0x6d697875;
/** Waits for an epoch's training features longer than this are logged. */
const DATA_WAIT_LOG_SECONDS = 0.05;

/** What the trainer reads: fixed features, or features produced anew for each epoch. */
export type TrainingData = ExampleSet | EpochSource;

export function isEpochSource(data: TrainingData): data is EpochSource {
  return typeof (data as Partial<EpochSource>).epochFeatures === 'function';
}

/** Features and labels of one batch, in the order `indices[start..end)` gives. */
type FeatureBlock = Pick<ExampleSet, 'x' | 'y' | 'frames' | 'dim'>;

function batchArrays(set: FeatureBlock, indices: ArrayLike<number>, start: number, end: number): { xs: Float32Array; labels: Int32Array } {
  const clip = set.frames * set.dim;
  const size = end - start;
  const xs = new Float32Array(size * clip);
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const n = indices[start + i]!;
    xs.set(set.x.subarray(n * clip, (n + 1) * clip), i * clip);
    labels[i] = set.y[n]!;
  }
  return { xs, labels };
}

function batchTensors(set: FeatureBlock, indices: ArrayLike<number>, start: number, end: number, numClasses: number): ShardTensors {
  const { xs, labels } = batchArrays(set, indices, start, end);
  return shardTensors(xs, labels, set.frames, set.dim, numClasses);
}

/** Loss and accuracy of a model on a whole set, in inference mode. */
export function evaluateSet(
  model: BiLstmClassifier,
  set: ExampleSet,
  numClasses: number,
  batchSize = 256,
): { loss: number; accuracy: number; predictions: Int32Array; logits: Float32Array } {
  const order = Array.from({ length: set.count }, (_, i) => i);
  let lossSum = 0;
  const predictions = new Int32Array(set.count);
  const allLogits = new Float32Array(set.count * numClasses);
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const { x, y, label } = batchTensors(set, order, start, end, numClasses);
    const [loss, pred, logits] = tf.tidy(() => {
      const logits = model.logits(x, false);
      return [tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, tf.Reduction.SUM), logits.argMax(-1), logits];
    });
    lossSum += (loss as tf.Scalar).dataSync()[0]!;
    predictions.set((pred as tf.Tensor1D).dataSync() as Int32Array, start);
    allLogits.set((logits as tf.Tensor2D).dataSync() as Float32Array, start * numClasses);
    tf.dispose([x, y, label, loss!, pred!, logits!]);
  }
  let correct = 0;
  for (let i = 0; i < set.count; i++) if (predictions[i] === set.y[i]) correct++;
  return { loss: lossSum / Math.max(1, set.count), accuracy: correct / Math.max(1, set.count), predictions, logits: allLogits };
}

async function optimizerArrays(optimizer: tf.Optimizer): Promise<NamedArray[]> {
  const named = await optimizer.getWeights();
  // Copied into float32: Adam's iteration count is an int32 tensor, whose bytes read as float32
  // would resume with a near-zero count (and wrong bias correction).
  return Promise.all(named.map(async (t) => ({ name: t.name, shape: t.tensor.shape, data: Float32Array.from(await t.tensor.data()) })));
}

function setLearningRate(optimizer: tf.AdamOptimizer, rate: number): void {
  // tfjs declares learningRate protected but reads it on every step; changing it is how its own
  // callbacks would schedule it.
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

export async function trainClassifier(
  model: BiLstmClassifier,
  manifest: ModelManifest,
  train: TrainingData,
  validation: ExampleSet | null,
  options: TrainLoopOptions,
): Promise<TrainResult> {
  const earlyStopping = options.earlyStopping ?? true;
  if (validation === null && earlyStopping) throw new Error(`${options.runDir}: early stopping needs validation clips`);
  await mkdir(options.runDir, { recursive: true });
  const numClasses = manifest.labels.length;
  const lastPath = join(options.runDir, LAST_CHECKPOINT);
  const bestPath = join(options.runDir, BEST_CHECKPOINT);
  const optimizer = tf.train.adam(options.learningRate);
  const trainers = options.trainers ?? 1;
  let state: TrainingState = { epoch: 0, bestEpoch: 0, bestValidationAccuracy: -1, epochsWithoutImprovement: 0, rngState: options.seed >>> 0, history: [], learningRate: options.learningRate };

  if (options.resume && existsSync(lastPath)) {
    const last = await loadCheckpoint(lastPath);
    if (!last.state) throw new Error(`${lastPath}: checkpoint has no training state to resume from`);
    model.setWeights(last.weights);
    state = last.state;
    if (last.optimizer.length > 0) {
      await optimizer.setWeights(last.optimizer.map((t) => ({ name: t.name, tensor: tf.tensor(t.data, t.shape) })));
    }
    setLearningRate(optimizer, state.learningRate);
    const bestSoFar = state.bestValidationAccuracy >= 0 ? `best validation accuracy ${(100 * state.bestValidationAccuracy).toFixed(2)}% at epoch ${state.bestEpoch}` : 'no validation';
    options.log(`resuming after epoch ${state.epoch} (${bestSoFar})`);
  }

  const mixupAlpha = options.mixupAlpha ?? 0;
  const classWeights = options.classWeights ? Float32Array.from(options.classWeights) : null;
  if (classWeights && classWeights.length !== numClasses) throw new RangeError(`${classWeights.length} class weights for ${numClasses} labels`);
  const stepper = await ParallelStepper.create(model, optimizer, trainers, tf.getBackend() as BackendName, options.labelSmoothing, classWeights);
  if (trainers > 1) options.log(`data-parallel: each batch of ${options.batchSize} split over ${trainers} trainer threads (this one and ${trainers - 1} worker${trainers > 2 ? 's' : ''}), gradients averaged every step`);
  try {
    const rng = SeededRandom.fromState(state.rngState);
    const order = Array.from({ length: train.count }, (_, i) => i);
    const stepsPerEpoch = Math.ceil(train.count / options.batchSize);
    const cosine = options.learningRateSchedule === 'cosine';
    const cosineSteps = options.epochs * stepsPerEpoch;
    if (state.epoch > 0) {
      const differences = scheduleDifferences(state.cosineEpochs, options.learningRateSchedule ?? 'plateau', options.epochs);
      if (differences.length > 0) throw new Error(`${lastPath}: was trained with ${differences.join(', ')}; resume with the run's own settings`);
    }
    if (cosine) state.cosineEpochs = options.epochs;

    while (state.epoch < options.epochs && (!earlyStopping || state.epochsWithoutImprovement < options.patience)) {
      const epoch = state.epoch + 1;
      const started = Date.now();
      let block: FeatureBlock = train as ExampleSet;
      if (isEpochSource(train)) {
        const x = await train.epochFeatures(epoch);
        if (x.length !== train.count * train.frames * train.dim) throw new RangeError(`epoch ${epoch} training features have ${x.length} values, expected ${train.count * train.frames * train.dim}`);
        block = { x, y: train.y, frames: train.frames, dim: train.dim };
        const waited = (Date.now() - started) / 1000;
        if (waited > DATA_WAIT_LOG_SECONDS) options.log(`epoch ${epoch}: waited ${waited.toFixed(2)}s for augmented training features`);
      }
      // Shuffle from the identity each epoch: a resumed run has no previous epoch's order to shuffle.
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
      const progress = createProgress(`epoch ${epoch}/${options.epochs}`, stepsPerEpoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      const epochLearningRate = cosine ? cosineLearningRate(options.learningRate, state.epoch * stepsPerEpoch, cosineSteps) : state.learningRate;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (cosine) {
          state.learningRate = cosineLearningRate(options.learningRate, state.epoch * stepsPerEpoch + step, cosineSteps);
          setLearningRate(optimizer, state.learningRate);
        }
        const start = step * options.batchSize;
        const end = Math.min(train.count, start + options.batchSize);
        const batch = batchArrays(block, order, start, end);
        const { labels } = batch;
        let { xs } = batch;
        const dropoutSeed = rng.int(2 ** 31);
        let targets = options.distillation
          ? distillationTargets(await options.distillation.teachers.probabilities(xs, labels.length, block.frames, block.dim, options.distillation.temperature), labels, numClasses, options.distillation.weight)
          : null;
        if (mixupAlpha > 0) {
          // Drawn from (seed, epoch, step) alone, not from the shuffling sequence: a resumed run mixes the same pairs.
          const mixRng = new SeededRandom(augmentSeed((options.seed ^ MIXUP_SEED_SALT) >>> 0, epoch, step));
          const mixed = mixBatch(xs, targets ?? oneHotTargets(labels, numClasses), labels.length, numClasses, mixupAlpha, mixRng);
          xs = mixed.x;
          targets = mixed.targets;
        }
        const result = await stepper.step(xs, labels, block.frames, block.dim, numClasses, dropoutSeed, targets);
        lossSum += result.loss * (end - start);
        correct += result.correct;
        seen += end - start;
        progress.update(step + 1, { loss: (lossSum / seen).toFixed(4), acc: ((100 * correct) / seen).toFixed(1) + '%' });
      }
      progress.stop();
      const val = validation === null ? null : evaluateSet(model, validation, numClasses);
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        ...(val === null ? {} : { validationLoss: val.loss, validationAccuracy: val.accuracy }),
        learningRate: epochLearningRate,
        seconds: (Date.now() - started) / 1000,
      };
      state.history.push(record);
      state.epoch = epoch;
      // Without validation the latest epoch is the best one there is.
      const improved = val === null || val.accuracy > state.bestValidationAccuracy;
      if (improved) {
        if (val !== null) state.bestValidationAccuracy = val.accuracy;
        state.bestEpoch = epoch;
        state.epochsWithoutImprovement = 0;
      } else {
        state.epochsWithoutImprovement++;
        if (!cosine) {
          state.learningRate *= options.plateauDecay;
          setLearningRate(optimizer, state.learningRate);
        }
      }
      state.rngState = rng.state;
      options.log(
        `epoch ${epoch}: loss ${record.trainLoss.toFixed(4)} acc ${(100 * record.trainAccuracy).toFixed(2)}% | ` +
          (val === null ? 'no validation' : `val loss ${val.loss.toFixed(4)} val acc ${(100 * val.accuracy).toFixed(2)}%${improved ? ' (best)' : ''}`) +
          ` | ${record.seconds.toFixed(1)}s`,
      );
      const weights = model.toWeights();
      const validationMetric: Record<string, number> = state.bestValidationAccuracy >= 0 ? { validationAccuracy: state.bestValidationAccuracy } : {};
      const withMetrics: ModelManifest = { ...manifest, metrics: { ...manifest.metrics, ...validationMetric, bestEpoch: state.bestEpoch } };
      withMetrics.training = { ...manifest.training, epochs: state.epoch };
      if (improved) await saveCheckpoint(bestPath, { manifest: withMetrics, weights, optimizer: [], state: null });
      await saveCheckpoint(lastPath, { manifest: withMetrics, weights, optimizer: await optimizerArrays(optimizer), state });
      await writeTrainingCurves(join(options.runDir, 'training-curves.html'), state.history);
    }
  } finally {
    await stepper.close();
  }
  optimizer.dispose();
  const best = await loadCheckpoint(bestPath);
  model.setWeights(best.weights);
  return { best: model, state };
}

/** Rewrites the run's best checkpoint with an updated manifest (calibration, test metrics). */
export async function updateBestManifest(runDir: string, update: (m: ModelManifest) => ModelManifest): Promise<ModelManifest> {
  const path = join(runDir, BEST_CHECKPOINT);
  const best = await loadCheckpoint(path);
  const manifest = update(best.manifest);
  await saveCheckpoint(path, { ...best, manifest });
  return manifest;
}
