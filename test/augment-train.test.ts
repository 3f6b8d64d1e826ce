/**
 * `runTrainJob` with augmentation in a worker thread: --repeat weighting is applied and reported,
 * the manifest records the augmentation, and a resumed run ends with exactly the weights of an
 * uninterrupted one (the augmentation depends only on seed, epoch and clip index).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUGMENT_CONFIG } from '../datasets/augment.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { correctedOutputBias } from '../model/prior-correction.js';
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

test('--train-fraction keeps a share of training speakers; the prior correction is baked into best.ckpt once', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-prior-train-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 10);
    const runDir = join(dir, 'run');
    const options = (resume: boolean, lines: string[], trainFraction?: Record<string, number>): TrainJobOptions => ({
      data: [data],
      holdout: [],
      task: '12',
      lstmUnits: [4],
      hiddenUnits: 0,
      pooling: 'mean',
      dropout: 0,
      limitPerSplit: 0,
      cacheDir: join(dir, 'cache'),
      runDir,
      epochs: 1,
      batchSize: 32,
      learningRate: 0.01,
      patience: 10,
      plateauDecay: 0.5,
      labelSmoothing: 0,
      seed: 5,
      resume,
      augment: null,
      priorCorrection: 1,
      ...(trainFraction ? { trainFraction } : {}),
      log: (line) => lines.push(line),
    });
    const trainCount = (lines: string[]): number => Number(/: (\d+) train/.exec(lines.find((l) => l.startsWith(`data ${data}`))!)![1]);

    const full: string[] = [];
    await runTrainJob({ ...options(false, full), runDir: join(dir, 'full') });
    const half: string[] = [];
    const { manifest } = await runTrainJob(options(false, half, { [data]: 0.5 }));
    assert.ok(half.some((l) => l.includes('(50% of its training speakers)')), half.join('\n'));
    assert.ok(trainCount(half) > 0 && trainCount(half) < trainCount(full), `${trainCount(half)} of ${trainCount(full)}`);
    assert.equal(manifest.training.data[0]!.trainFraction, 0.5);

    const correction = manifest.training.priorCorrection!;
    assert.equal(correction.strength, 1);
    assert.ok(Math.abs(correction.trainPrior.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const best = await loadCheckpoint(join(runDir, 'best.ckpt'));
    const last = await loadCheckpoint(join(runDir, 'last.ckpt'));
    // One epoch: best and last hold the same trained weights, best with the corrected bias.
    assert.deepEqual(best.weights.output.kernel, last.weights.output.kernel);
    assert.deepEqual(Array.from(best.weights.output.bias), Array.from(correctedOutputBias(last.weights.output.bias, correction)));

    const again: string[] = [];
    await runTrainJob(options(true, again, { [data]: 0.5 }));
    assert.ok(again.some((l) => l.startsWith('prior correction (strength 1) already applied')), again.join('\n'));
    assert.deepEqual((await loadCheckpoint(join(runDir, 'best.ckpt'))).weights.output.bias, best.weights.output.bias);

    // Fine-tuning starts from the run's weights, the prior correction taken out again.
    const tuneDir = join(dir, 'tuned');
    const tuned = await runTrainJob({ ...options(false, []), runDir: tuneDir, initFrom: runDir, learningRate: 1e-6, priorCorrection: 0 });
    assert.equal(tuned.manifest.training.initFrom, runDir);
    const start = await loadCheckpoint(join(tuneDir, 'best.ckpt'));
    const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    assert.ok(maxDiff(start.weights.lstm[0]!.forward.kernel, last.weights.lstm[0]!.forward.kernel) < 1e-4);
    const offset = start.weights.output.bias[0]! - last.weights.output.bias[0]!;
    assert.ok(maxDiff(start.weights.output.bias.map((b) => b - offset), last.weights.output.bias) < 1e-4, 'bias back to the uncorrected one (up to a constant)');
    await assert.rejects(runTrainJob({ ...options(false, []), runDir: join(dir, 'bad'), initFrom: runDir, task: '35' }), /its labels .* are not this task's/);

    // ... or from the exported ONNX model (how the shipped model is fine-tuned without its checkpoint).
    const onnxPath = join(dir, 'model.onnx');
    await writeFile(onnxPath, buildOnnxModel(best.weights, best.manifest));
    const fromOnnx = await runTrainJob({ ...options(false, []), runDir: join(dir, 'tuned-onnx'), initFrom: onnxPath, learningRate: 1e-6, priorCorrection: 0 });
    assert.equal(fromOnnx.manifest.training.initFrom, onnxPath);
    const onnxStart = await loadCheckpoint(join(dir, 'tuned-onnx', 'best.ckpt'));
    assert.ok(maxDiff(onnxStart.weights.lstm[0]!.forward.kernel, last.weights.lstm[0]!.forward.kernel) < 1e-4);
    const onnxOffset = onnxStart.weights.output.bias[0]! - last.weights.output.bias[0]!;
    assert.ok(maxDiff(onnxStart.weights.output.bias.map((b) => b - onnxOffset), last.weights.output.bias) < 1e-4, 'prior correction taken out of the ONNX weights too');

    // --pooling attention on a mean-pooled start adds the scorer and keeps every trained layer.
    const attentionLines: string[] = [];
    const withAttention = await runTrainJob({ ...options(false, attentionLines), runDir: join(dir, 'tuned-attention'), initFrom: onnxPath, pooling: 'attention', attentionUnits: 3, learningRate: 1e-6, priorCorrection: 0 });
    assert.equal(withAttention.manifest.architecture.pooling, 'attention');
    assert.equal(withAttention.manifest.architecture.attentionUnits, 3);
    assert.ok(attentionLines.some((l) => l.startsWith('added attention pooling (3 tanh units)')), attentionLines.join('\n'));
    const attentionStart = await loadCheckpoint(join(dir, 'tuned-attention', 'best.ckpt'));
    assert.equal(attentionStart.weights.attention!.projection.outDim, 3);
    assert.ok(maxDiff(attentionStart.weights.lstm[0]!.forward.kernel, last.weights.lstm[0]!.forward.kernel) < 1e-4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--validation-from uses only the named folders\' validation splits', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-validation-from-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeToneDataset(a, 10, 5);
    await writeToneDataset(b, 10, 6);
    const lines: string[] = [];
    const options: TrainJobOptions = {
      data: [a, b], holdout: [], task: '12', lstmUnits: [4], hiddenUnits: 0, pooling: 'mean', dropout: 0, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir: join(dir, 'run'), epochs: 1, batchSize: 32, learningRate: 0.01, patience: 10,
      plateauDecay: 0.5, labelSmoothing: 0, seed: 5, resume: false, augment: null, validationFrom: [b], log: (line) => lines.push(line),
    };
    const { manifest } = await runTrainJob(options);
    const validationOf = (root: string): number => Number(/(\d+) validation/.exec(lines.find((l) => l.startsWith(`data ${root}:`))!)![1]);
    assert.equal(validationOf(a), 0);
    assert.ok(validationOf(b) > 0);
    assert.equal(manifest.training.data.find((d) => d.path === a)!.perSplit.validation, 0);
    await assert.rejects(runTrainJob({ ...options, runDir: join(dir, 'bad'), validationFrom: [join(dir, 'c')] }), /--validation-from .*c: not one of/);

    // --exclude-source leaves a source out of every split: here the silence slices cut from noise.
    const excludedLines: string[] = [];
    const excluded = await runTrainJob({ ...options, runDir: join(dir, 'no-noise'), validationFrom: [], excludeSources: ['noise'], log: (line) => excludedLines.push(line) });
    assert.doesNotMatch(lines.find((l) => l.startsWith('train clips per label'))!, /_silence_ 0,/);
    assert.match(excludedLines.find((l) => l.startsWith('train clips per label'))!, /_silence_ 0,/);
    assert.deepEqual(excluded.manifest.training.data[0]!.excludedSources, ['noise']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
