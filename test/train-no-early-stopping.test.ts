/**
 * `kws train --no-early-stopping` through the real program on generated datasets: without
 * validation clips it trains every epoch, keeps the last as best.ckpt and fits no temperature (and
 * without the flag the error names it); with validation clips it trains every epoch whatever the
 * patience, and still selects the best epoch on validation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whichSet } from '../datasets/split.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { writeToneDataset } from './helpers/tone-dataset.js';
import { runKws } from './helpers/kws-process.js';

let dir = '';

function kws(args: string[]): ReturnType<typeof runKws> {
  return runKws(args, dir);
}

const tiny = ['--units', '8,8', '--hidden', '0', '--batch-size', '32', '--no-augment', '--limit', '40'];

/** A tone dataset whose validation speakers were removed, as a handful of speakers can leave it. */
async function datasetWithoutValidation(root: string): Promise<void> {
  await writeToneDataset(root, 10);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('_')) continue;
    for (const name of await readdir(join(root, entry.name))) {
      if (whichSet(name) === 'validation') await unlink(join(root, entry.name, name));
    }
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-no-early-stop-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('without validation clips: refused naming --no-early-stopping; with it every epoch trains and the last is best.ckpt', { timeout: 180_000 }, async () => {
  const data = join(dir, 'no-validation');
  await datasetWithoutValidation(data);

  const refused = await kws(['train', '--data', data, '--out', join(dir, 'refused'), '--epochs', '2', ...tiny]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /no validation items in .*no-validation.*--no-early-stopping/);

  const runDir = join(dir, 'run-no-validation');
  const trained = await kws(['train', '--data', data, '--out', runDir, '--epochs', '2', '--no-early-stopping', ...tiny]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /data .*: \d+ train, 0 validation/);
  const said = trained.stderr.split('\n').filter((l) => l.startsWith('no validation items:'));
  assert.deepEqual(said, ['no validation items: trained all 2 epochs without early stopping, best.ckpt is the last epoch, temperature left at 1 (not calibrated)']);
  assert.doesNotMatch(trained.stderr, /calibration on validation/);

  const last = await loadCheckpoint(join(runDir, 'last.ckpt'));
  const best = await loadCheckpoint(join(runDir, 'best.ckpt'));
  assert.deepEqual(last.state?.history.map((r) => r.epoch), [1, 2]);
  assert.ok(last.state!.history.every((r) => r.validationAccuracy === undefined));
  const curves = await readFile(join(runDir, 'training-curves.html'), 'utf8');
  assert.match(curves, /train loss/);
  assert.doesNotMatch(curves, /validation loss|NaN|undefined/);
  assert.equal(best.manifest.temperature, 1);
  assert.equal(best.manifest.metrics.bestEpoch, 2);
  assert.equal(best.manifest.metrics.validationAccuracy, undefined);
  assert.equal(best.manifest.metrics.validationEce, undefined);
  // best.ckpt holds the last epoch's weights (the prior correction only shifts the output bias).
  assert.deepEqual(best.weights.lstm, last.weights.lstm);
  assert.deepEqual(best.weights.output.kernel, last.weights.output.kernel);
});

test('with validation clips: every epoch trains whatever --patience, the best is still chosen on validation', { timeout: 180_000 }, async () => {
  const data = join(dir, 'with-validation');
  await writeToneDataset(data, 10);
  const runDir = join(dir, 'run-validation');
  // A learning rate this small cannot improve validation accuracy every epoch: patience 1 would stop.
  const trained = await kws(['train', '--data', data, '--out', runDir, '--epochs', '3', '--patience', '1', '--lr', '1e-6', '--no-early-stopping', ...tiny]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /calibration on validation: temperature/);
  const history = (await loadCheckpoint(join(runDir, 'last.ckpt'))).state!.history;
  assert.deepEqual(history.map((r) => r.epoch), [1, 2, 3]);
  const accuracies = history.map((r) => r.validationAccuracy!);
  const bestAccuracy = Math.max(...accuracies);
  const best = await loadCheckpoint(join(runDir, 'best.ckpt'));
  assert.equal(best.manifest.metrics.bestEpoch, accuracies.indexOf(bestAccuracy) + 1);
  assert.equal(best.manifest.metrics.validationAccuracy, bestAccuracy);
});
