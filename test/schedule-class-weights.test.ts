/**
 * The cosine learning-rate schedule (model/learning-rate.ts) and class weights in the loss
 * (model/class-weights.ts): the rates and weights themselves, the weighted gradient against one
 * computed clip by clip, two trainer threads against one, and training runs that use them — a
 * cosine run resumed after an interruption ends with the uninterrupted run's weights, and one
 * resumed with another schedule or length is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_AUGMENT_CONFIG } from '../datasets/augment.js';
import { initBackend, type BackendName } from '../model/backend.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { classWeighting, weightedPrior } from '../model/class-weights.js';
import { ParallelStepper, shardGradients, shardTensors } from '../model/data-parallel.js';
import { cosineLearningRate, scheduleDifferences } from '../model/learning-rate.js';
import { checkRunFolder } from '../cli/run-folder.js';
import { BiLstmClassifier } from '../model/network.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import type { ModelArchitecture } from '../model/types.js';
import { SeededRandom } from '../util/random.js';
import { maxAbsDiff } from './helpers/max-diff.js';
import { writeToneDataset } from './helpers/tone-dataset.js';
import { interruptThenResume } from './helpers/interrupted-run.js';

const backend = (await initBackend()) as BackendName;

test('the cosine rate starts at the base rate, is half of it halfway and falls to near 0', () => {
  assert.equal(cosineLearningRate(0.002, 0, 100), 0.002);
  assert.ok(Math.abs(cosineLearningRate(0.002, 50, 100) - 0.001) < 1e-12);
  assert.ok(cosineLearningRate(0.002, 99, 100) < 0.002 * 0.001);
  for (let s = 1; s < 100; s++) assert.ok(cosineLearningRate(0.002, s, 100) < cosineLearningRate(0.002, s - 1, 100));
  assert.throws(() => cosineLearningRate(0.002, 100, 100), /step 100 outside 0\.\.99/);
  assert.throws(() => cosineLearningRate(0.002, 0, 0), /totalSteps must be a positive integer/);
});

test('a run resumes only with the schedule it was trained with, and a cosine one only over the same epochs', () => {
  assert.deepEqual(scheduleDifferences(undefined, 'plateau', 30), []);
  assert.deepEqual(scheduleDifferences(16, 'cosine', 16), []);
  assert.deepEqual(scheduleDifferences(undefined, 'cosine', 16), ['--lr-schedule plateau (asked: cosine)']);
  assert.deepEqual(scheduleDifferences(16, 'plateau', 16), ['--lr-schedule cosine (asked: plateau)']);
  assert.deepEqual(scheduleDifferences(16, 'cosine', 20), ["--epochs 16 (asked: 20; the cosine schedule spans the run's epochs)"]);
});

test('class weights: power 1 weighs every label the same in all, power 0 weighs every clip 1, the mean weight is 1', () => {
  const prior = [0.5, 0.3, 0.2, 0];
  const full = classWeighting(prior, 1);
  const share = prior.map((p, c) => p * full.weights[c]!);
  for (const s of share.slice(0, 3)) assert.ok(Math.abs(s - share[0]!) < 1e-12, share.join(' '));
  assert.ok(Math.abs(share.reduce((a, b) => a + b, 0) - 1) < 1e-12, 'mean weight over the clips');
  assert.equal(full.weights[3], 1, 'a label absent from training keeps weight 1');
  assert.deepEqual(weightedPrior(prior, full.weights).map((p) => Number(p.toFixed(12))), [1 / 3, 1 / 3, 1 / 3, 0].map((p) => Number(p.toFixed(12))));
  assert.deepEqual(classWeighting(prior, 0).weights, [1, 1, 1, 1]);
  const half = classWeighting(prior, 0.5).weights;
  assert.ok(half[0]! < half[1]! && half[1]! < half[2]!, 'rarer labels weigh more');
  assert.throws(() => classWeighting(prior, 1.5), /power must be in \[0, 1\], got 1\.5/);
});

const arch: ModelArchitecture = { inputFrames: 6, inputDim: 4, lstmUnits: [5], pooling: 'mean', hiddenUnits: 0, numClasses: 3, dropout: 0 };

function batch(count: number, seed: number): { xs: Float32Array; labels: Int32Array } {
  const rng = new SeededRandom(seed);
  return {
    xs: Float32Array.from({ length: count * arch.inputFrames * arch.inputDim }, () => 2 * rng.next() - 1),
    labels: Int32Array.from({ length: count }, (_, i) => i % arch.numClasses),
  };
}

test('the class-weighted gradient is the mean over the clips of each clip\'s gradient times its label\'s weight', () => {
  const weights = Float32Array.from([0.5, 1, 2.5]);
  const { xs, labels } = batch(6, 2);
  const clip = arch.inputFrames * arch.inputDim;
  const model = BiLstmClassifier.create(arch, 5);
  try {
    const weighted = tf.tidy(() => shardGradients(model, shardTensors(xs, labels, arch.inputFrames, arch.inputDim, arch.numClasses), 0, 0.1, weights).gradients.map((g) => Float32Array.from(g.dataSync() as Float32Array)));
    const expected = weighted.map((g) => new Float64Array(g.length));
    for (let i = 0; i < labels.length; i++) {
      const one = tf.tidy(() =>
        shardGradients(model, shardTensors(xs.subarray(i * clip, (i + 1) * clip), labels.subarray(i, i + 1), arch.inputFrames, arch.inputDim, arch.numClasses), 0, 0.1).gradients.map((g) => Float32Array.from(g.dataSync() as Float32Array)),
      );
      one.forEach((g, v) => g.forEach((value, j) => (expected[v]![j]! += (weights[labels[i]!]! * value) / labels.length)));
    }
    weighted.forEach((g, v) => assert.ok(maxAbsDiff(g, expected[v]!) < 1e-6, `variable ${v}: ${maxAbsDiff(g, expected[v]!)}`));
    assert.ok(Math.max(...weighted.map((g) => maxAbsDiff(g, new Float32Array(g.length)))) > 1e-4, 'the gradient must not vanish');
  } finally {
    model.dispose();
  }
});

test('with class weights, two trainer threads take the step of one', async () => {
  const weights = Float32Array.from([0.5, 1, 2.5]);
  const { xs, labels } = batch(7, 3);
  const after: Float32Array[][] = [];
  for (const trainers of [1, 2]) {
    const model = BiLstmClassifier.create(arch, 7);
    const optimizer = tf.train.sgd(1);
    const stepper = await ParallelStepper.create(model, optimizer, trainers, backend, 0.05, weights);
    try {
      await stepper.step(xs, labels, arch.inputFrames, arch.inputDim, arch.numClasses, 9);
      after.push(model.trainableVariables.map((v) => Float32Array.from(v.dataSync() as Float32Array)));
    } finally {
      await stepper.close();
      optimizer.dispose();
      model.dispose();
    }
  }
  after[1]!.forEach((w, v) => assert.ok(maxAbsDiff(w, after[0]![v]!) <= 1e-5, `variable ${v}: ${maxAbsDiff(w, after[0]![v]!)}`));
});

test('a cosine, class-weighted run records both, corrects for the weighted prior, and resumes exactly', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-schedule-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 10);
    const options = (runDir: string, resume: boolean, log: (line: string) => void): TrainJobOptions => ({
      data: [data], holdout: [], task: '12', lstmUnits: [6], hiddenUnits: 0, pooling: 'mean', dropout: 0.1, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs: 3, batchSize: 32, learningRate: 0.01, patience: 10, plateauDecay: 0.5,
      labelSmoothing: 0.05, seed: 3, resume, augment: DEFAULT_AUGMENT_CONFIG, learningRateSchedule: 'cosine', classWeightPower: 1,
      priorCorrection: 1, log,
    });
    const lines: string[] = [];
    const { manifest } = await runTrainJob(options(join(dir, 'straight'), false, (l) => lines.push(l)));
    assert.equal(manifest.training.learningRateSchedule, 'cosine');
    const weighting = manifest.training.classWeighting!;
    assert.equal(weighting.power, 1);
    assert.ok(lines.some((l) => l.startsWith('class weights in the loss (training prior^-1')), lines.join('\n'));
    // The loss weights make every label's total weight equal, so the prior to correct for is uniform over the labels trained on.
    const trained = manifest.training.priorCorrection!.trainPrior.filter((p) => p > 0);
    for (const p of trained) assert.ok(Math.abs(p - 1 / trained.length) < 1e-9, `weighted prior ${trained.join(' ')}`);

    const straight = await loadCheckpoint(join(dir, 'straight', 'last.ckpt'));
    const rates = straight.state!.history.map((r) => r.learningRate);
    assert.equal(rates[0], 0.01);
    assert.ok(rates[1]! < rates[0]! && rates[2]! < rates[1]!, `rates ${rates.join(' ')}`);
    assert.ok(straight.state!.learningRate < rates[2]!, 'the rate keeps falling within the last epoch');

    // Interrupted while epoch 2 is reported, before its checkpoint is written; resumed with the same command.
    const resumedDir = join(dir, 'resumed');
    await interruptThenResume(resumedDir, (resume, log) => runTrainJob(options(resumedDir, resume, log)));
    const resumed = await loadCheckpoint(join(resumedDir, 'last.ckpt'));
    assert.deepEqual(resumed.state!.history.map((r) => [r.trainLoss, r.learningRate]), straight.state!.history.map((r) => [r.trainLoss, r.learningRate]));
    assert.deepEqual(resumed.weights.output.kernel, straight.weights.output.kernel);
    assert.deepEqual(resumed.weights.lstm[0]!.backward.recurrentKernel, straight.weights.lstm[0]!.backward.recurrentKernel);

    // Resumed with another length, schedule or class weighting: refused by the CLI before any data is read, and by the training loop.
    const request = { out: resumedDir, resume: true, force: false, lstmUnits: [6], hiddenUnits: 0, pooling: 'mean' as const };
    await checkRunFolder({ ...request, schedule: { kind: 'cosine', epochs: 3 }, classWeightPower: 1 });
    await assert.rejects(checkRunFolder({ ...request, classWeightPower: 0 }), /--class-weights 1 \(asked: 0\)/);
    await assert.rejects(checkRunFolder({ ...request, schedule: { kind: 'cosine', epochs: 5 } }), /--resume: .*last\.ckpt was trained with --epochs 3 \(asked: 5; the cosine schedule spans the run's epochs\)/);
    await assert.rejects(checkRunFolder({ ...request, schedule: { kind: 'plateau', epochs: 3 } }), /--lr-schedule cosine \(asked: plateau\)/);
    await assert.rejects(runTrainJob({ ...options(resumedDir, true, () => {}), epochs: 5 }), /last\.ckpt: was trained with --epochs 3 \(asked: 5/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
