/**
 * `kws calibrate` through the real program: a model's temperature re-fitted on a generated
 * dataset's validation clips (class-balanced for a prior-corrected model), the weights kept (same
 * logits in onnxruntime), thresholds measured at the old temperature dropped, no silent overwrite.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { LABELS_12 } from '../datasets/types.js';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../features/config.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { readOnnxManifest } from '../model/onnx/metadata.js';
import type { ModelArchitecture, ModelManifest } from '../model/types.js';
import { randomClips, randomModelWeights } from './helpers/random-weights.js';
import { writeToneDataset } from './helpers/tone-dataset.js';
import { runKws } from './helpers/kws-process.js';

let dir = '';

function kws(args: string[]): ReturnType<typeof runKws> {
  return runKws(args, dir);
}

const architecture: ModelArchitecture = {
  inputFrames: framesFor(DEFAULT_FEATURE_CONFIG, DEFAULT_FEATURE_CONFIG.clipLengthSamples),
  inputDim: featureDim(DEFAULT_FEATURE_CONFIG),
  lstmUnits: [8, 8],
  pooling: 'mean',
  hiddenUnits: 0,
  numClasses: LABELS_12.length,
  dropout: 0,
};

function manifest(): ModelManifest {
  return {
    formatVersion: 1,
    name: 'kws-12',
    task: '12',
    labels: [...LABELS_12],
    features: DEFAULT_FEATURE_CONFIG,
    architecture,
    temperature: 1,
    training: {
      data: [],
      seed: 1,
      epochs: 1,
      backend: 'none',
      createdAt: '2026-01-01T00:00:00.000Z',
      priorCorrection: { strength: 1, trainPrior: LABELS_12.map(() => 1 / LABELS_12.length) },
    },
    metrics: {},
    detection: {
      defaultThreshold: 0.9,
      thresholds: {},
      chosenOn: { data: 'fixture', split: 'validation', holdout: false, minutes: 30, seed: 0, maxFalseAcceptsPerHour: 1 },
      measured: { falseRejectRate: 0.5, falseAcceptsPerHour: 1, keywords: 10 },
    },
  };
}

async function logitsOf(path: string, clips: Float32Array[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const data = new Float32Array(clips.length * clips[0]!.length);
  clips.forEach((c, i) => data.set(c, i * c.length));
  const out = await session.run({ features: new ort.Tensor('float32', data, [clips.length, architecture.inputFrames, architecture.inputDim]) });
  await session.release();
  return out.logits!.data as Float32Array;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-calibrate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('kws calibrate re-fits the temperature on validation clips, keeps the weights, drops stale thresholds', { timeout: 180_000 }, async () => {
  const data = join(dir, 'tones');
  await writeToneDataset(data, 10);
  const model = join(dir, 'model.onnx');
  // A confident random model: its temperature has something to correct.
  await writeFile(model, buildOnnxModel(randomModelWeights(architecture, 3, { outputGain: 6 }), manifest()));

  const out = join(dir, 'calibrated.onnx');
  const r = await kws(['calibrate', '--model', model, '--data', data, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const fitted = /temperature 1\.000 -> \d+\.\d{3} fitted on (\d+) validation clips \(class-balanced\); their top-1 accuracy (\d+\.\d{2})%, calibration error/.exec(r.stdout);
  assert.ok(fitted, r.stdout);
  // The accuracy is a count of those clips: k / n.
  const [clipCount, accuracy] = [Number(fitted[1]), Number(fitted[2])];
  const correct = (accuracy / 100) * clipCount;
  assert.ok(Math.abs(correct - Math.round(correct)) < 0.01 && correct <= clipCount, `${accuracy}% of ${clipCount} clips`);
  assert.match(r.stdout, /parity over 16 clips/);
  assert.match(r.stdout, /detection thresholds were measured at the old temperature/);
  const calibrated = readOnnxManifest(new Uint8Array(await readFile(out)), out);
  assert.notEqual(calibrated.temperature, 1);
  assert.equal(calibrated.training.temperatureFit, 'class-balanced');
  assert.equal(calibrated.detection, undefined);
  assert.ok(calibrated.metrics.validationEce! <= calibrated.metrics.validationEceUncalibrated! + 1e-9, 'the fit does not make the validation clips worse calibrated');

  const clips = randomClips(architecture, 4, 5);
  const [before, after] = [await logitsOf(model, clips), await logitsOf(out, clips)];
  before.forEach((v, i) => assert.ok(Math.abs(v - after[i]!) < 1e-5, `logit ${i}: ${v} vs ${after[i]}`));

  const asGiven = await kws(['calibrate', '--model', model, '--data', data, '--out', join(dir, 'as-given.onnx'), '--weighting', 'as-given']);
  assert.equal(asGiven.code, 0, asGiven.stderr);
  assert.match(asGiven.stdout, /\(as-given\)/);

  const again = await kws(['calibrate', '--model', model, '--data', data, '--out', out]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /calibrated\.onnx exists; pass --force/);
  const noData = await kws(['calibrate', '--model', model, '--out', join(dir, 'x.onnx')]);
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /at least one --data or --holdout/);
});

test('kws calibrate --prior-strength keeps the strength with the best class-balanced validation accuracy and re-bakes only the bias', { timeout: 180_000 }, async () => {
  const data = join(dir, 'tones-strength');
  await writeToneDataset(data, 10);
  // A training prior far from uniform, so the strength changes predictions.
  const trainPrior = LABELS_12.map((l) => (l === '_unknown_' ? 0.45 : l === '_silence_' ? 0.1 : 0.045));
  const skewed: ModelManifest = { ...manifest(), training: { ...manifest().training, priorCorrection: { strength: 1, trainPrior } } };
  const model = join(dir, 'skewed.onnx');
  await writeFile(model, buildOnnxModel(randomModelWeights(architecture, 4, { outputGain: 3 }), skewed));
  const out = join(dir, 'strength.onnx');
  const r = await kws(['calibrate', '--model', model, '--data', data, '--out', out, '--prior-strength', '0,1,2']);
  assert.equal(r.code, 0, r.stderr);
  const scores = [...r.stdout.matchAll(/prior strength ([\d.]+): class-balanced accuracy ([\d.]+)%/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.deepEqual(scores.map(([s]) => s), [0, 1, 2]);
  const chosen = Number(/prior strength 1 -> ([\d.]+) \(the best class-balanced accuracy/.exec(r.stdout)?.[1]);
  const best = Math.max(...scores.map(([, a]) => a));
  assert.equal(chosen, scores.find(([, a]) => a === best)![0]);
  const written = readOnnxManifest(new Uint8Array(await readFile(out)), out);
  assert.equal(written.training.priorCorrection!.strength, chosen);
  assert.deepEqual(written.training.priorCorrection!.trainPrior, trainPrior);

  // Only the output bias moved, by (1 - chosen) x log(prior) up to a constant: logit differences between classes say so.
  const clips = randomClips(architecture, 3, 8);
  const [before, after] = [await logitsOf(model, clips), await logitsOf(out, clips)];
  const k = LABELS_12.length;
  for (let n = 0; n < clips.length; n++) {
    for (let c = 1; c < k; c++) {
      const moved = after[n * k + c]! - after[n * k]! - (before[n * k + c]! - before[n * k]!);
      const expected = (1 - chosen) * (Math.log(trainPrior[c]!) - Math.log(trainPrior[0]!));
      assert.ok(Math.abs(moved - expected) < 1e-4, `clip ${n} class ${c}: ${moved} vs ${expected}`);
    }
  }

  const bad = await kws(['calibrate', '--model', model, '--data', data, '--out', join(dir, 'y.onnx'), '--prior-strength', '1,3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--prior-strength takes strengths in \[0, 2\]/);
  const plain = join(dir, 'no-prior.onnx');
  const { priorCorrection: _, ...training } = manifest().training;
  await writeFile(plain, buildOnnxModel(randomModelWeights(architecture, 4, { outputGain: 3 }), { ...manifest(), training }));
  const none = await kws(['calibrate', '--model', plain, '--data', data, '--out', join(dir, 'z.onnx'), '--prior-strength', '1']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no-prior\.onnx was trained without a prior correction/);
});
