/**
 * `--holdout-test-percent`: a hold-out folder can lend more of its speakers to training. The smaller
 * held-out set is a subset of the larger one and the validation speakers never move; the run records
 * its share, `kws evaluate`/`evaluate-stream --holdout` then read the model's own held-out speakers
 * by default and refuse a larger share (speakers it trained on), and a resume with another share is
 * refused. `evaluate-stream --holdout-data` adds a hold-out folder's clips of the same split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRunFolder } from '../cli/run-folder.js';
import { holdoutSplitOptions, readSpeechCommands } from '../datasets/speech-commands.js';
import { HOLDOUT_SPLIT, holdoutPercentages, splitForKey } from '../datasets/split.js';
import { runEvaluate } from '../evaluation/evaluate.js';
import { runEvaluateStream } from '../evaluation/stream-evaluation.js';
import { modelStreamSources } from '../evaluation/stream-builder.js';
import { initBackend } from '../model/backend.js';
import { heldOutTestPercentOf, holdoutTestPercentFor } from '../model/holdout.js';
import { updateOnnxManifest } from '../model/onnx/manifest-file.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import { runTrainJob } from '../model/train-job.js';
import type { ModelManifest } from '../model/types.js';
import { readTrainingFolders } from '../model/training-folders.js';
import { DEFAULT_FEATURE_CONFIG } from '../features/config.js';
import { labelsForTask } from '../datasets/labels.js';
import { writeFixtureModel } from './recognizer-fixture.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

const quiet = { write(): void {} };

test('a smaller held-out share is a subset of the larger one; the validation speakers do not move', () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `${HOLDOUT_SPLIT.salt}:speaker${i.toString(16)}`);
  const at = (percent: number): string[] => keys.map((k) => splitForKey(k, holdoutPercentages(percent)));
  const half = at(50);
  const share30 = at(30);
  keys.forEach((_, i) => {
    assert.equal(share30[i] === 'validation', half[i] === 'validation', 'validation speakers are the same');
    if (share30[i] === 'test') assert.equal(half[i], 'test', 'held out at 30% implies held out at 50%');
    if (half[i] === 'train') assert.equal(share30[i], 'train', 'trained at 50% implies trained at 30%');
  });
  const count = (splits: string[], s: string): number => splits.filter((x) => x === s).length / splits.length;
  assert.ok(Math.abs(count(share30, 'test') - 0.3) < 0.03 && Math.abs(count(share30, 'train') - 0.6) < 0.03, `shares ${count(share30, 'test')}, ${count(share30, 'train')}`);
  assert.deepEqual(holdoutPercentages(), { validationPercent: 10, testPercent: 50 });
  for (const bad of [0, -5, 91, Number.NaN]) assert.throws(() => holdoutPercentages(bad), /held-out test share of a hold-out folder must be in \(0, 90\] percent of its speakers/);
});

test('a model\'s held-out share: its own by default, a larger one refused, 50% for older models', () => {
  const manifestWith = (data: ModelManifest['training']['data']): ModelManifest => ({ training: { data } }) as unknown as ModelManifest;
  const entry = { path: '/half', splitMethod: 'salted-speaker-hash', items: 10, perSplit: {} };
  const old = manifestWith([entry, { path: '/opus', splitMethod: 'lists', items: 10, perSplit: {} }]);
  assert.equal(heldOutTestPercentOf(old), 50);
  assert.equal(holdoutTestPercentFor(old), 50);
  const lent = manifestWith([{ ...entry, holdoutTestPercent: 30 }]);
  assert.equal(holdoutTestPercentFor(lent), 30);
  assert.equal(holdoutTestPercentFor(lent, 20), 20);
  assert.throws(() => holdoutTestPercentFor(lent, 40), /--holdout-test-percent 40: the model held out only 30% of its hold-out folders' speakers for testing and trained on the rest; ask for at most 30/);
  const none = manifestWith([{ path: '/opus', splitMethod: 'lists', items: 10, perSplit: {} }]);
  assert.equal(heldOutTestPercentOf(none), null);
  assert.equal(holdoutTestPercentFor(none, 80), 80);
});

test('training reads the share it is given and records it; evaluate and evaluate-stream follow the model', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-holdout-share-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 40);
    const split = async (percent: number): Promise<Record<string, number>> => {
      const ds = await readSpeechCommands(data, { task: '12', ...holdoutSplitOptions(percent) });
      const counts: Record<string, number> = { train: 0, validation: 0, test: 0 };
      for (const item of ds.items) if (!item.slice) counts[item.split]!++;
      return counts;
    };
    const [at50, at30] = [await split(50), await split(30)];
    assert.equal(at30.validation, at50.validation);
    assert.ok(at30.test! < at50.test! && at30.train! > at50.train!, `50%: ${JSON.stringify(at50)}, 30%: ${JSON.stringify(at30)}`);

    const folders = await readTrainingFolders({ data: [], holdout: [data], holdoutTestPercent: 30, task: '12', limitPerSplit: 0, seed: 1, log: () => {} }, labelsForTask('12'), DEFAULT_FEATURE_CONFIG);
    assert.equal(folders.dataDescription[0]!.holdoutTestPercent, 30);
    assert.equal(folders.bySplit.test.filter((i) => !i.slice).length, at30.test);

    const model = join(dir, 'model.onnx');
    await writeFixtureModel(model, { seed: 4 });
    await updateOnnxManifest(model, (m) => ({ ...m, training: { ...m.training, data: [{ path: data, splitMethod: 'salted-speaker-hash', holdoutTestPercent: 30, items: 1, perSplit: {} }] } }));
    const evaluate = (holdoutTestPercent?: number) => runEvaluate({ data, modelPath: model, split: 'test', holdout: true, holdoutTestPercent, reportDir: join(dir, 'report'), stdout: quiet, stderr: quiet });
    const own = await evaluate();
    assert.equal(own.holdoutTestPercent, 30);
    assert.equal(own.items, at30.test! + (await readSpeechCommands(data, { task: '12', ...holdoutSplitOptions(30) })).items.filter((i) => i.slice && i.split === 'test').length);
    assert.equal((await evaluate(20)).holdoutTestPercent, 20);
    await assert.rejects(evaluate(50), /--holdout-test-percent 50: the model held out only 30%/);
    const stream = await runEvaluateStream({ data, split: 'test', holdout: true, minutes: 1, streamSeconds: 30, modelPath: model, reportDir: join(dir, 'stream'), out: quiet, progress: false });
    assert.equal(stream.holdoutTestPercent, 30);
    await assert.rejects(runEvaluateStream({ data, split: 'test', holdout: true, holdoutTestPercent: 50, minutes: 1, modelPath: model, reportDir: join(dir, 'stream'), out: quiet, progress: false }), /held out only 30%/);

    // --holdout-data: a second folder's clips of the same split, under the hold-out re-split at the model's share.
    const other = join(dir, 'other');
    await writeToneDataset(other, 12, 9);
    const keywords = labelsForTask('12').filter((l) => l !== '_silence_' && l !== '_unknown_');
    const fromModel = { labels: labelsForTask('12'), task: '12' };
    const plain = await modelStreamSources(fromModel, keywords, { data: other, split: 'validation' });
    const both = await modelStreamSources(fromModel, keywords, { data: other, split: 'validation', holdoutData: [data], holdoutTestPercent: 30 });
    const heldOutValidation = (await readSpeechCommands(data, { task: '12', ...holdoutSplitOptions(30) })).items.filter((i) => !i.slice && i.split === 'validation');
    assert.ok(heldOutValidation.some((i) => keywords.includes(i.label)), 'the fixture has validation keyword clips under the hold-out re-split');
    assert.deepEqual(
      [...both.keywords, ...both.fillers].map((c) => c.path).sort(),
      [...plain.keywords, ...plain.fillers, ...heldOutValidation].map((c) => c.path).sort(),
    );
    const withData = await runEvaluateStream({ data: other, split: 'validation', holdoutData: [data], minutes: 1, streamSeconds: 30, modelPath: model, reportDir: join(dir, 'stream-both'), saveThresholds: true, out: quiet, progress: false });
    assert.deepEqual(withData.holdoutData, [data]);
    assert.equal(withData.holdoutTestPercent, 30);
    assert.equal(withData.holdout, false);
    const saved = readOnnxManifest(await readFile(model), model).detection;
    assert.deepEqual(saved?.chosenOn.holdoutData, [data]);
    await assert.rejects(runEvaluateStream({ data: other, split: 'validation', holdoutData: [data], holdoutTestPercent: 50, minutes: 1, modelPath: model, reportDir: join(dir, 'stream-both'), out: quiet, progress: false }), /held out only 30%/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kws train --holdout-test-percent is in the manifest, and a resume with another share is refused', { timeout: 240_000 }, async () => {
  await initBackend();
  const dir = await mkdtemp(join(tmpdir(), 'kws-holdout-train-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 30);
    const runDir = join(dir, 'run');
    const { manifest } = await runTrainJob({
      data: [], holdout: [data], holdoutTestPercent: 30, task: '12', lstmUnits: [4], hiddenUnits: 0, pooling: 'mean', dropout: 0, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs: 1, batchSize: 32, learningRate: 0.01, patience: 2, plateauDecay: 0.5,
      labelSmoothing: 0, seed: 2, resume: false, augment: null, log: () => {},
    });
    assert.equal(manifest.training.data[0]!.holdoutTestPercent, 30);
    assert.equal(heldOutTestPercentOf(manifest), 30);
    const request = { out: runDir, resume: true, force: false, lstmUnits: [4], hiddenUnits: 0, pooling: 'mean' as const };
    await checkRunFolder({ ...request, holdoutTestPercent: 30 });
    await assert.rejects(checkRunFolder({ ...request, holdoutTestPercent: 50 }), /--resume: .*last\.ckpt was trained with --holdout-test-percent 30 \(asked: 50\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
