/**
 * Data-parallel training (model/data-parallel.ts): the averaged shard gradients are the gradient of
 * the whole batch, a run on two trainer threads resumes exactly, and it learns.
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
import { ParallelStepper, shardBounds } from '../model/data-parallel.js';
import { BiLstmClassifier } from '../model/network.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import type { ModelArchitecture } from '../model/types.js';
import { SeededRandom } from '../util/random.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

const backend = (await initBackend()) as BackendName;

test('shard bounds cover the batch in order, sizes differing by at most one', () => {
  assert.deepEqual(shardBounds(64, 2), [0, 32, 64]);
  assert.deepEqual(shardBounds(7, 2), [0, 4, 7]);
  assert.deepEqual(shardBounds(10, 3), [0, 3, 7, 10]);
  assert.deepEqual(shardBounds(1, 2), [0, 1, 1]);
});

for (const arch of [
  { inputFrames: 7, inputDim: 5, lstmUnits: [6, 4], pooling: 'mean', hiddenUnits: 5, numClasses: 4, dropout: 0 },
  { inputFrames: 7, inputDim: 5, lstmUnits: [6, 4], pooling: 'attention', attentionUnits: 3, hiddenUnits: 0, numClasses: 4, dropout: 0 },
] satisfies ModelArchitecture[]) {
  test(`two trainer threads take the step of one (pooling ${arch.pooling}): averaged shard gradients = the batch gradient`, async () => {
    const batch = 9;
    const rng = new SeededRandom(4);
    const xs = Float32Array.from({ length: batch * arch.inputFrames * arch.inputDim }, () => 2 * rng.next() - 1);
    const labels = Int32Array.from({ length: batch }, () => rng.int(arch.numClasses));
    const after: Float32Array[][] = [];
    const losses: number[] = [];
    for (const trainers of [1, 2, 3]) {
      const model = BiLstmClassifier.create(arch, 7);
      // Plain SGD with rate 1: the weight change is the gradient itself, no Adam normalisation.
      const optimizer = tf.train.sgd(1);
      const stepper = await ParallelStepper.create(model, optimizer, trainers, backend, 0.1);
      try {
        assert.equal(stepper.trainers, trainers);
        const result = await stepper.step(xs, labels, arch.inputFrames, arch.inputDim, arch.numClasses, 11);
        losses.push(result.loss);
        after.push(model.trainableVariables.map((v) => Float32Array.from(v.dataSync() as Float32Array)));
      } finally {
        await stepper.close();
        optimizer.dispose();
        model.dispose();
      }
    }
    const start = BiLstmClassifier.create(arch, 7);
    const initial = start.trainableVariables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    start.dispose();
    let moved = 0;
    for (const [k, weights] of after.entries()) {
      weights.forEach((w, i) => {
        for (let j = 0; j < w.length; j++) {
          moved = Math.max(moved, Math.abs(w[j]! - initial[i]![j]!));
          assert.ok(Math.abs(w[j]! - after[0]![i]![j]!) <= 1e-5, `${k + 1} trainers: variable ${i}[${j}] ${w[j]} vs ${after[0]![i]![j]}`);
        }
      });
      assert.ok(Math.abs(losses[k]! - losses[0]!) <= 1e-5, `${k + 1} trainers: loss ${losses[k]} vs ${losses[0]}`);
    }
    assert.ok(moved > 1e-3, 'the step must move the weights');
  });
}

test('steps on one and on two trainer threads leave no tensors behind', async () => {
  const arch: ModelArchitecture = { inputFrames: 5, inputDim: 4, lstmUnits: [4], pooling: 'mean', hiddenUnits: 0, numClasses: 3, dropout: 0.1 };
  const rng = new SeededRandom(8);
  const xs = Float32Array.from({ length: 6 * 5 * 4 }, () => rng.next());
  const labels = Int32Array.from({ length: 6 }, (_, i) => i % 3);
  for (const trainers of [1, 2]) {
    const model = BiLstmClassifier.create(arch, 1);
    const optimizer = tf.train.adam(0.01);
    const stepper = await ParallelStepper.create(model, optimizer, trainers, backend, 0);
    try {
      await stepper.step(xs, labels, 5, 4, 3, 0);
      const after1 = tf.memory().numTensors;
      for (let n = 1; n < 4; n++) await stepper.step(xs, labels, 5, 4, 3, n);
      assert.equal(tf.memory().numTensors, after1, `${trainers} trainer(s): tensor count grew between steps`);
    } finally {
      await stepper.close();
      optimizer.dispose();
      model.dispose();
    }
  }
});

test('training on two trainer threads learns and resumes exactly', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-data-parallel-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 10);
    const options = (runDir: string, epochs: number, resume: boolean, lines: string[]): TrainJobOptions => ({
      data: [data], holdout: [], task: '12', lstmUnits: [6, 6], hiddenUnits: 0, pooling: 'mean', dropout: 0.1, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs, batchSize: 32, learningRate: 0.01, patience: 10, plateauDecay: 0.5,
      labelSmoothing: 0.05, seed: 3, resume, augment: DEFAULT_AUGMENT_CONFIG, trainers: 2, log: (line) => lines.push(line),
    });
    const straight: string[] = [];
    const { manifest } = await runTrainJob(options(join(dir, 'straight'), 3, false, straight));
    assert.ok(straight.some((l) => l.startsWith('data-parallel: each batch of 32 split over 2 trainer threads')), straight.join('\n'));
    assert.equal(manifest.training.trainers, 2);
    const resumedDir = join(dir, 'resumed');
    await runTrainJob(options(resumedDir, 1, false, []));
    await runTrainJob(options(resumedDir, 3, true, []));
    const a = await loadCheckpoint(join(dir, 'straight', 'last.ckpt'));
    const b = await loadCheckpoint(join(resumedDir, 'last.ckpt'));
    const history = a.state!.history;
    assert.deepEqual(b.state?.history.map((r) => r.trainLoss), history.map((r) => r.trainLoss));
    assert.deepEqual(b.weights.output.kernel, a.weights.output.kernel);
    assert.deepEqual(b.weights.lstm[1]!.backward.recurrentKernel, a.weights.lstm[1]!.backward.recurrentKernel);
    assert.ok(history[2]!.trainLoss < history[0]!.trainLoss, `loss ${history.map((r) => r.trainLoss.toFixed(4)).join(' -> ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
