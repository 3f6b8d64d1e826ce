import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_AUGMENT_CONFIG, type AugmentConfig } from '../datasets/augment.js';
import { HOLDOUT_SPLIT, MAX_HOLDOUT_TEST_PERCENT } from '../datasets/split.js';
import type { Task } from '../datasets/types.js';
import { UsageError } from './exit-codes.js';
import { collect, intList, nonNegativeInt, numberIn, oneOf, positiveInt } from './options.js';
import { checkRunFolder } from './run-folder.js';
import { addFrontEndOptions, frontEndConfigFrom, givenFrontEndOptions, type FrontEndCliOptions } from './front-end-options.js';
import { DEFAULT_ATTENTION_UNITS, DEFAULT_DISTILL_WEIGHT, POOLING_KINDS, type Pooling } from '../model/types.js';
import { LEARNING_RATE_SCHEDULES, type LearningRateSchedule } from '../model/learning-rate.js';

/** `MIN,MAX` in dB, MIN <= MAX. */
function snrRange(value: string): [number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n) || n < -30 || n > 100) || parts[0]! > parts[1]!) {
    throw new InvalidArgumentError(`--snr-db must be MIN,MAX in dB with -30 <= MIN <= MAX <= 100, got '${value}'`);
  }
  return [parts[0]!, parts[1]!];
}

/**
 * A repeatable `DIR=VALUE` option collected into a record; `accept` says whether VALUE (a number)
 * is allowed, `expected` describes it in the error.
 */
function collectPerFolder(option: string, expected: string, accept: (n: number) => boolean) {
  return (value: string, previous: Record<string, number> | undefined): Record<string, number> => {
    const at = value.lastIndexOf('=');
    const text = value.slice(at + 1);
    const n = Number(text);
    if (at <= 0 || text.trim() === '' || !accept(n)) throw new InvalidArgumentError(`${option} must be ${expected}, got '${value}'`);
    return { ...(previous ?? {}), [value.slice(0, at)]: n };
  };
}

const collectFraction = collectPerFolder('--train-fraction', 'DIR=F with 0 <= F <= 1', (f) => f >= 0 && f <= 1);
const collectRepeat = collectPerFolder('--repeat', 'DIR=N with N a positive integer', (n) => Number.isInteger(n) && n >= 1);

function augmentConfigFrom(opts: TrainCliOptions): AugmentConfig | null {
  if (!opts.augment) return null;
  const [snrDbMin, snrDbMax] = opts.snrDb ?? [DEFAULT_AUGMENT_CONFIG.noise.snrDbMin, DEFAULT_AUGMENT_CONFIG.noise.snrDbMax];
  return {
    ...DEFAULT_AUGMENT_CONFIG,
    noise: { ...DEFAULT_AUGMENT_CONFIG.noise, snrDbMin, snrDbMax },
    specAugment: { ...DEFAULT_AUGMENT_CONFIG.specAugment, probability: opts.specAugment ? DEFAULT_AUGMENT_CONFIG.specAugment.probability : 0 },
    pitch: opts.pitch > 0 ? { probability: 0.5, maxSemitones: opts.pitch } : DEFAULT_AUGMENT_CONFIG.pitch,
    window: { ...DEFAULT_AUGMENT_CONFIG.window, probability: opts.placeAnywhere },
  };
}

interface TrainCliOptions extends FrontEndCliOptions {
  data: string[];
  holdout: string[];
  holdoutTestPercent: number;
  out: string;
  task: Task;
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
  earlyStopping: boolean;
  plateauDecay: number;
  lrSchedule: LearningRateSchedule;
  classWeights: number;
  labelSmoothing: number;
  mixup: number;
  seed: number;
  units: number[];
  hidden: number;
  pooling: Pooling;
  attentionUnits: number;
  frameStack?: number;
  trainers: number;
  dropout: number;
  resume: boolean;
  force: boolean;
  limit: number;
  cacheDir?: string;
  augment: boolean;
  noiseDir: string[];
  snrDb?: [number, number];
  specAugment: boolean;
  pitch: number;
  placeAnywhere: number;
  trainOnly: string[];
  partialWords: number;
  repeat: Record<string, number>;
  trainFraction: Record<string, number>;
  priorCorrection: number;
  initFrom?: string;
  widen?: boolean;
  validationFrom: string[];
  excludeSource: string[];
  excludeWord: string[];
  teacher: string[];
  distillWeight?: number;
  distillTemperature?: number;
}

/** The training job's dead ends, with what to do next. */
async function withGuidance<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no validation items/.test(message)) {
      throw new UsageError(
        `${message}. With a small set: add a folder that has validation clips (--data, or --validation-from DIR), ` +
          'give the folder a validation_list.txt, or use more speakers (clips are split by speaker, so a few speakers can leave a split empty)',
      );
    }
    throw err;
  }
}

export function registerTrainCommand(program: Command): void {
  addFrontEndOptions(
    program
    .command('train')
    .description('train a bidirectional stacked LSTM on one or more Speech Commands-layout datasets')
    .option('--data <dir>', 'dataset folder (repeat for several)', collect, [])
    .option('--holdout <dir>', 'dataset folder re-split by speaker: half its speakers (--holdout-test-percent) held out for testing (repeatable)', collect, [])
    .option('--holdout-test-percent <n>', `percent of the --holdout folders' speakers held out for testing (${HOLDOUT_SPLIT.validationPercent}% validate, the rest train; a smaller held-out set is a subset of a larger one)`, numberIn('--holdout-test-percent', 1, MAX_HOLDOUT_TEST_PERCENT), HOLDOUT_SPLIT.testPercent)
    .requiredOption('--out <runDir>', 'run folder: checkpoints, curves, manifest')
    .option('--task <task>', 'label set: 12 or 35', oneOf('--task', ['12', '35'] as const), '12')
    .option('--epochs <n>', 'maximum epochs', positiveInt('--epochs'), 30)
    .option('--batch-size <n>', 'clips per training step', positiveInt('--batch-size'), 64)
    .option('--lr <rate>', 'Adam learning rate', numberIn('--lr', 1e-6, 1), 2e-3)
    .option('--patience <n>', 'stop after this many epochs without validation improvement', positiveInt('--patience'), 6)
    .option('--no-early-stopping', 'train every epoch (--patience ignored); the best epoch is still chosen on validation clips where there are some, otherwise best.ckpt is the last epoch and no temperature is fitted')
    .option('--plateau-decay <f>', 'learning-rate factor after an epoch without improvement (--lr-schedule plateau)', numberIn('--plateau-decay', 0.01, 1), 0.5)
    .option('--lr-schedule <kind>', 'plateau: the rate is cut by --plateau-decay after every epoch without improvement; cosine: it falls every step from --lr to 0 over --epochs', oneOf('--lr-schedule', LEARNING_RATE_SCHEDULES), 'plateau')
    .option('--class-weights <power>', 'weigh each clip\'s loss by its label\'s training share^-power (1: every label weighs the same in all; 0 = off); the prior correction then uses the weighted prior', numberIn('--class-weights', 0, 1), 0)
    .option('--label-smoothing <f>', 'label smoothing', numberIn('--label-smoothing', 0, 0.5), 0.05)
    .option('--mixup <alpha>', 'mixup: mix each training clip\'s features and label with another clip\'s of its batch, the larger share max(b, 1-b) on its own, b ~ Beta(alpha, alpha) (0 = off)', numberIn('--mixup', 0, 10), 0)
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 1)
    .option('--units <list>', 'LSTM units per direction for each stacked layer', intList('--units'), [64, 64])
    .option('--hidden <n>', 'hidden dense units (0 = none)', nonNegativeInt('--hidden'), 64)
    .option('--pooling <kind>', 'how the LSTM outputs over time become one vector: mean, last or attention (learned weights per frame; with --init-from a mean-pooled model, attention is added keeping its function)', oneOf('--pooling', POOLING_KINDS), 'mean')
    .option('--attention-units <n>', 'tanh units of the attention scorer (--pooling attention)', positiveInt('--attention-units'), DEFAULT_ATTENTION_UNITS)
    .option('--frame-stack <k>', 'frame stacking: the LSTM reads k consecutive feature frames as one step (k x fewer steps; frames left over at the end of the window are not read). Default 1; a model given by --init-from keeps its own', positiveInt('--frame-stack'))
    .option('--trainers <n>', `threads that share each batch (data-parallel: gradients averaged every step; at most the ${availableParallelism()} cores here). The data augmentation also runs in a thread of its own`, positiveInt('--trainers'), 1)
    .option('--dropout <rate>', 'dropout during training', numberIn('--dropout', 0, 0.9), 0.1)
    .option('--resume', 'continue an interrupted run from RUN_DIR/last.ckpt')
    .option('--force', 'replace the run already in --out (its checkpoints are overwritten)')
    .option('--limit <n>', 'at most N clips per split and dataset (0 = all)', nonNegativeInt('--limit'), 0)
    .option('--cache-dir <dir>', 'feature cache folder (default ~/.cache/kws/features)')
    .option('--no-augment', 'train on fixed cached features of the training clips (by default they are augmented anew every epoch: noise, shift, gain, speed, reverb, in a worker thread)')
    .option('--noise-dir <dir>', 'folder of noise recordings (or a dataset with _background_noise_/) to mix in; data folders without noise of their own also cut their _silence_ clips from it (repeatable; default: the data folders\' _background_noise_)', collect, [])
    .option('--snr-db <min,max>', `signal-to-noise range of mixed noise in dB (default ${DEFAULT_AUGMENT_CONFIG.noise.snrDbMin},${DEFAULT_AUGMENT_CONFIG.noise.snrDbMax})`, snrRange)
    .option('--no-spec-augment', 'no masking of random frames and coefficients of the training features (on by default with augmentation)')
    .option('--pitch <semitones>', 'shift the pitch of half the training clips by up to ±N semitones, keeping their duration (with --augment; 0 = off)', numberIn('--pitch', 0, 12), 0)
    .option('--place-anywhere <share>', 'for streams: place the word anywhere in the window (all of it inside) in this share of the training clips, instead of near where it was recorded (with --augment; 0 = off)', numberIn('--place-anywhere', 0, 1), 0)
    .option('--partial-words <share>', 'for streams: add this share of the keyword clips again each epoch as _unknown_, with 40-80% of the word cut off at its start or end (with --augment; 0 = off)', numberIn('--partial-words', 0, 1), 0)
    .option('--train-only <dir>', 'use every clip of this data folder for training, none for validation or test (e.g. mined negatives; repeatable)', collect, [])
    .option('--repeat <dir=n>', 'use the train split of data folder DIR N times per epoch, each augmented differently (repeatable)', collectRepeat, {})
    .option('--train-fraction <dir=f>', 'train on only this share of data folder DIR\'s training speakers (nested subsets, for learning curves; repeatable)', collectFraction, {})
    .option('--prior-correction <strength>', 'after training, shift the output bias by -strength x log(training label prior), so the over-represented _unknown_ is not over-predicted (0 = off)', numberIn('--prior-correction', 0, 2), 1)
    .option('--init-from <checkpoint>', 'fine-tune: start from this run folder\'s best.ckpt (or a .ckpt file, or a kws .onnx model such as the shipped one) with the same labels and features; its architecture is kept')
    .option('--widen', 'with --init-from: grow the starting model to --units/--hidden (e.g. 128,128 and 128); the trained units are kept and the new ones start with zero outgoing weights, so training starts from the same function')
    .option('--validation-from <dir>', 'select the best epoch and fit the temperature on this folder\'s validation split only (repeatable; default: every folder\'s)', collect, [])
    .option('--exclude-source <name>', 'leave out every clip of this source from all splits, e.g. synth:flite to test on an unseen TTS engine (repeatable)', collect, [])
    .option('--teacher <model.onnx>', 'distil: train towards the mean probabilities of these float kws models (same labels and features) on each augmented batch, mixed with the labels (repeatable)', collect, [])
    .option('--distill-weight <w>', `with --teacher: weight of the teachers' probabilities in the targets, the rest on the label (default ${DEFAULT_DISTILL_WEIGHT})`, numberIn('--distill-weight', 0, 1))
    .option('--distill-temperature <t>', 'with --teacher: softmax temperature of the teachers\' probabilities (above 1 softens them; default 1)', numberIn('--distill-temperature', 0.1, 20))
    .option('--exclude-word <word>', 'leave out every clip of this word from all folders and splits, e.g. to start custom keywords from a model that never heard them (repeatable)', collect, []),
  )
    .action(async (opts: TrainCliOptions) => {
      if (opts.data.length + opts.holdout.length === 0) throw new UsageError('give at least one --data or --holdout folder');
      if (opts.trainers > availableParallelism()) throw new UsageError(`--trainers ${opts.trainers}: this machine has ${availableParallelism()} cores; more trainer threads than cores only slow each other down`);
      if (opts.frameStack !== undefined && opts.initFrom !== undefined) throw new UsageError('--frame-stack sets up a model trained from scratch; the model given by --init-from keeps its own frame stacking: leave one out');
      const frontEndGiven = givenFrontEndOptions(opts);
      if (frontEndGiven.length > 0 && opts.initFrom !== undefined) throw new UsageError(`${frontEndGiven.join(' ')} set up the front-end of a model trained from scratch; the model given by --init-from keeps its own: leave them out`);
      const features = opts.initFrom === undefined ? frontEndConfigFrom(opts) : undefined;
      if (opts.widen === true && opts.initFrom === undefined) throw new UsageError('--widen grows the model given by --init-from: give --init-from too');
      if ((opts.distillWeight !== undefined || opts.distillTemperature !== undefined) && opts.teacher.length === 0) {
        throw new UsageError(`${opts.distillWeight !== undefined ? '--distill-weight' : '--distill-temperature'} applies to the models given by --teacher: give --teacher too`);
      }
      for (const t of opts.teacher) if (!existsSync(t)) throw new UsageError(`--teacher ${t}: no such file`);
      await checkRunFolder({ out: opts.out, resume: opts.resume === true, force: opts.force === true, lstmUnits: opts.units, hiddenUnits: opts.hidden, pooling: opts.pooling, frameStack: opts.frameStack ?? 1, schedule: { kind: opts.lrSchedule, epochs: opts.epochs }, classWeightPower: opts.classWeights, mixupAlpha: opts.mixup, ...(opts.holdout.length > 0 ? { holdoutTestPercent: opts.holdoutTestPercent } : {}), ...(features ? { features } : {}) });
      // Loaded on use: TensorFlow.js is slow to import and only training needs it.
      const { runTrainJob } = await import('../model/train-job.js');
      const result = await withGuidance(
        runTrainJob({
          data: opts.data,
          holdout: opts.holdout,
          holdoutTestPercent: opts.holdoutTestPercent,
          runDir: opts.out,
          task: opts.task,
          epochs: opts.epochs,
          batchSize: opts.batchSize,
          learningRate: opts.lr,
          patience: opts.patience,
          earlyStopping: opts.earlyStopping,
          plateauDecay: opts.plateauDecay,
          learningRateSchedule: opts.lrSchedule,
          classWeightPower: opts.classWeights,
          labelSmoothing: opts.labelSmoothing,
          mixupAlpha: opts.mixup,
          seed: opts.seed,
          lstmUnits: opts.units,
          hiddenUnits: opts.hidden,
          pooling: opts.pooling,
          attentionUnits: opts.attentionUnits,
          frameStack: opts.frameStack,
          trainers: opts.trainers,
          dropout: opts.dropout,
          ...(features ? { features } : {}),
          resume: opts.resume === true,
          limitPerSplit: opts.limit,
          cacheDir: opts.cacheDir,
          augment: augmentConfigFrom(opts),
          noiseDirs: opts.noiseDir,
          repeat: opts.repeat,
          trainFraction: opts.trainFraction,
          priorCorrection: opts.priorCorrection,
          initFrom: opts.initFrom,
          widenInit: opts.widen === true,
          partialWords: opts.partialWords,
          trainOnly: opts.trainOnly,
          validationFrom: opts.validationFrom,
          excludeSources: opts.excludeSource,
          excludeWords: opts.excludeWord.map((w) => w.trim().toLowerCase()),
          teachers: opts.teacher,
          distillWeight: opts.distillWeight,
          distillTemperature: opts.distillTemperature,
          command: `kws ${process.argv.slice(2).join(' ')}`,
          log: (line) => process.stderr.write(`${line}\n`),
        }),
      );
      process.stdout.write(`best checkpoint: ${opts.out}/best.ckpt${result.testAccuracy === null ? '' : ` (test accuracy ${(100 * result.testAccuracy).toFixed(2)}%)`}\n`);
    });
}
