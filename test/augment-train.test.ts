/**
 * `runTrainJob` with augmentation in a worker thread: --repeat weighting is applied and reported,
 * the manifest records the augmentation, and a resumed run ends with exactly the weights of an
 * uninterrupted one (the augmentation depends only on seed, epoch and clip index).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUGMENT_CONFIG } from '../datasets/augment.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

test('augmented training: --repeat counts, manifest record, exact resume', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-augment-train-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 10);
    const base = (runDir: string, epochs: number, resume: boolean, lines: string[]): TrainJobOptions => ({
      data: [data],
      holdout: [],
      task: '12',
      lstmUnits: [6, 6],
      hiddenUnits: 0,
      pooling: 'mean',
      dropout: 0.1,
      limitPerSplit: 0,
      cacheDir: join(dir, 'cache'),
      runDir,
      epochs,
      batchSize: 32,
      learningRate: 0.01,
      patience: 10,
      plateauDecay: 0.5,
      labelSmoothing: 0.05,
      seed: 3,
      resume,
      augment: DEFAULT_AUGMENT_CONFIG,
      repeat: { [data]: 2 },
      log: (line) => lines.push(line),
    });

    const straight: string[] = [];
    const { manifest } = await runTrainJob(base(join(dir, 'straight'), 2, false, straight));
    const counts = straight.find((l) => l.startsWith('train clips per label after --repeat'));
    assert.ok(counts, straight.join('\n'));
    const yes = /yes (\d+)/.exec(counts)!;
    assert.equal(Number(yes[1]) % 2, 0, 'every train clip counted twice');
    assert.deepEqual(manifest.training.augmentation?.config, DEFAULT_AUGMENT_CONFIG);
    assert.deepEqual(manifest.training.augmentation?.repeat, { [data]: 2 });
    assert.deepEqual(manifest.training.augmentation?.noiseFiles, [join(data, '_background_noise_', 'white_noise.wav')]);

    const resumedDir = join(dir, 'resumed');
    await runTrainJob(base(resumedDir, 1, false, []));
    const resumedLog: string[] = [];
    await runTrainJob(base(resumedDir, 2, true, resumedLog));
    assert.ok(resumedLog.some((l) => l.startsWith('resuming after epoch 1')));

    const a = await loadCheckpoint(join(dir, 'straight', 'last.ckpt'));
    const b = await loadCheckpoint(join(resumedDir, 'last.ckpt'));
    assert.equal(b.manifest.training.augmentation?.config?.noise.snrDbMax, DEFAULT_AUGMENT_CONFIG.noise.snrDbMax);
    assert.deepEqual(b.state?.history.map((r) => r.trainLoss), a.state?.history.map((r) => r.trainLoss));
    assert.deepEqual(b.weights.output.kernel, a.weights.output.kernel);
    assert.deepEqual(b.weights.lstm[0]!.forward.kernel, a.weights.lstm[0]!.forward.kernel);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
