/**
 * Mixup (model/mixup.ts): the seeded Beta draws, the mixed batch against its formula, and
 * `kws train --mixup` end to end: recorded in the manifest, changing training, resuming exactly,
 * and a resume with another alpha refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRunFolder } from '../cli/run-folder.js';
import { initBackend } from '../model/backend.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { mixBatch, oneHotTargets, sampleGamma, sampleSymmetricBeta } from '../model/mixup.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import { SeededRandom } from '../util/random.js';
import { writeToneDataset } from './helpers/tone-dataset.js';
import { interruptThenResume } from './helpers/interrupted-run.js';

await initBackend();

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  const values = Array.from({ length: n }, draw);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return { mean, variance: values.reduce((a, v) => a + (v - mean) ** 2, 0) / n };
}

test('gamma and Beta(alpha, alpha) draws have their distributions\' mean and variance, and repeat for a seed', () => {
  for (const shape of [0.3, 1, 2.5]) {
    const rng = new SeededRandom(11);
    const { mean, variance } = moments(() => sampleGamma(rng, shape), 40_000);
    assert.ok(Math.abs(mean - shape) < 0.03 * Math.max(1, shape), `gamma(${shape}) mean ${mean}`);
    assert.ok(Math.abs(variance - shape) < 0.08 * Math.max(1, shape), `gamma(${shape}) variance ${variance}`);
  }
  for (const alpha of [0.2, 0.4, 2]) {
    const rng = new SeededRandom(5);
    const { mean, variance } = moments(() => sampleSymmetricBeta(rng, alpha), 40_000);
    const expected = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(mean - 0.5) < 0.01, `Beta(${alpha}) mean ${mean}`);
    assert.ok(Math.abs(variance - expected) < 0.05 * expected, `Beta(${alpha}) variance ${variance}, expected ${expected}`);
  }
  const a = new SeededRandom(9);
  const b = new SeededRandom(9);
  assert.deepEqual(Array.from({ length: 20 }, () => sampleSymmetricBeta(a, 0.4)), Array.from({ length: 20 }, () => sampleSymmetricBeta(b, 0.4)));
  assert.throws(() => sampleGamma(new SeededRandom(1), 0), /gamma shape must be a positive number, got 0/);
});

test('a mixed batch: each clip is share x itself + (1 - share) x its partner, targets the same, its own label dominant', () => {
  const count = 9;
  const clip = 7;
  const classes = 4;
  const rng = new SeededRandom(3);
  const x = Float32Array.from({ length: count * clip }, () => rng.next() * 2 - 1);
  const labels = Int32Array.from({ length: count }, (_, i) => i % classes);
  const targets = oneHotTargets(labels, classes);
  const xBefore = x.slice();
  const mixed = mixBatch(x, targets, count, classes, 0.4, new SeededRandom(21));
  assert.deepEqual(x, xBefore, 'the input is not changed');
  assert.deepEqual([...mixed.partners].sort((p, q) => p - q), Array.from({ length: count }, (_, i) => i), 'the partners are a permutation of the batch');
  assert.ok(mixed.partners.some((j, i) => j !== i));
  for (let i = 0; i < count; i++) {
    const share = mixed.shares[i]!;
    const j = mixed.partners[i]!;
    assert.ok(share >= 0.5 && share <= 1, `share ${share}`);
    for (let k = 0; k < clip; k++) assert.ok(Math.abs(mixed.x[i * clip + k]! - (share * x[i * clip + k]! + (1 - share) * x[j * clip + k]!)) < 1e-6);
    const row = mixed.targets.subarray(i * classes, (i + 1) * classes);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const expected = Array.from({ length: classes }, (_, c) => share * (c === labels[i] ? 1 : 0) + (1 - share) * (c === labels[j] ? 1 : 0));
    expected.forEach((e, c) => assert.ok(Math.abs(row[c]! - e) < 1e-6, `clip ${i} class ${c}: ${row[c]} vs ${e}`));
    assert.ok(row[labels[i]!]! >= 0.5);
  }
  assert.deepEqual(mixBatch(x, targets, count, classes, 0.4, new SeededRandom(21)).x, mixed.x, 'the same seed mixes the same way');
  assert.throws(() => mixBatch(x, targets, count, classes, 0, new SeededRandom(1)), /mixup alpha must be a positive number, got 0/);
  assert.throws(() => mixBatch(x, targets.subarray(1), count, classes, 0.4, new SeededRandom(1)), /35 target values for 9 clips of 4 classes/);
});

test('kws train with mixup: recorded, changes training, resumes exactly; a resume with another alpha is refused', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-mixup-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 10);
    const options = (runDir: string, mixupAlpha: number, resume: boolean, log: (line: string) => void): TrainJobOptions => ({
      data: [data], holdout: [], task: '12', lstmUnits: [6], hiddenUnits: 0, pooling: 'mean', dropout: 0.1, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs: 3, batchSize: 32, learningRate: 0.01, patience: 10, plateauDecay: 0.5,
      labelSmoothing: 0.05, seed: 3, resume, augment: null, mixupAlpha, log,
    });
    const lines: string[] = [];
    const { manifest } = await runTrainJob(options(join(dir, 'straight'), 0.4, false, (l) => lines.push(l)));
    assert.equal(manifest.training.mixupAlpha, 0.4);
    assert.ok(lines.some((l) => l.startsWith('mixup: every training clip mixed with another of its batch')), lines.join('\n'));
    const plain = await runTrainJob(options(join(dir, 'plain'), 0, false, () => {}));
    assert.equal(plain.manifest.training.mixupAlpha, undefined);
    const straight = await loadCheckpoint(join(dir, 'straight', 'last.ckpt'));
    assert.notDeepEqual(straight.weights.output.kernel, (await loadCheckpoint(join(dir, 'plain', 'last.ckpt'))).weights.output.kernel);

    const resumedDir = join(dir, 'resumed');
    await interruptThenResume(resumedDir, (resume, log) => runTrainJob(options(resumedDir, 0.4, resume, log)));
    const resumed = await loadCheckpoint(join(resumedDir, 'last.ckpt'));
    assert.deepEqual(resumed.state!.history.map((r) => r.trainLoss), straight.state!.history.map((r) => r.trainLoss));
    assert.deepEqual(resumed.weights.output.kernel, straight.weights.output.kernel);
    assert.deepEqual(resumed.weights.lstm[0]!.forward.kernel, straight.weights.lstm[0]!.forward.kernel);

    const request = { out: resumedDir, resume: true, force: false, lstmUnits: [6], hiddenUnits: 0, pooling: 'mean' as const };
    await checkRunFolder({ ...request, mixupAlpha: 0.4 });
    await assert.rejects(checkRunFolder({ ...request, mixupAlpha: 0 }), /--resume: .*last\.ckpt was trained with --mixup 0\.4 \(asked: 0\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
