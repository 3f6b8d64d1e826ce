/**
 * Distillation (model/distillation.ts): the targets, the teachers' probabilities (their networks
 * before prior correction and temperature, through onnxruntime), teachers that do not fit the
 * student refused, soft targets split over trainer threads, and `kws train --teacher` end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { labelsForTask } from '../datasets/labels.js';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor } from '../features/config.js';
import { initBackend, type BackendName } from '../model/backend.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { ParallelStepper } from '../model/data-parallel.js';
import { distillationTargets, TeacherEnsemble } from '../model/distillation.js';
import { BiLstmClassifier } from '../model/network.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { withPriorCorrection } from '../model/prior-correction.js';
import { referenceForward } from '../model/reference-lstm.js';
import { runTrainJob, type TrainJobOptions } from '../model/train-job.js';
import type { ModelArchitecture, ModelManifest } from '../model/types.js';
import { SeededRandom } from '../util/random.js';
import { runKws } from './helpers/kws-process.js';
import { softmax } from './helpers/softmax.js';
import { randomClips, randomModelWeights, testManifest, TEST_FEATURE_CONFIG } from './helpers/random-weights.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

const backend = (await initBackend()) as BackendName;

test('targets: weight x teacher + (1 - weight) x one-hot, rows summing to 1; bad weights and sizes refused', () => {
  const teacher = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]);
  const labels = Int32Array.from([1, 2]);
  const t = distillationTargets(teacher, labels, 3, 0.25);
  const want = [0.175, 0.8, 0.025, 0.025, 0.025, 0.95];
  t.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${i}: ${v} vs ${want[i]}`));
  assert.deepEqual(Array.from(distillationTargets(teacher, labels, 3, 0)), [0, 1, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(distillationTargets(teacher, labels, 3, 1)), Array.from(teacher));
  assert.throws(() => distillationTargets(teacher, labels, 3, 1.5), /weight must be in \[0, 1\], got 1.5/);
  assert.throws(() => distillationTargets(teacher, Int32Array.from([0]), 3, 0.5), /6 teacher probabilities for 1 clips of 3 classes/);
});

test('teachers give the mean of their networks\' probabilities before prior correction and temperature', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-distill-'));
  try {
    const mean: ModelArchitecture = { inputFrames: 6, inputDim: 13, lstmUnits: [5, 4], pooling: 'mean', hiddenUnits: 3, numClasses: 4, dropout: 0 };
    const attention: ModelArchitecture = { ...mean, pooling: 'attention', attentionUnits: 3, hiddenUnits: 0 };
    const correction = { strength: 1, trainPrior: [0.1, 0.5, 0.3, 0.1] };
    const networks = [randomModelWeights(mean, 1, { outputGain: 3 }), randomModelWeights(attention, 2, { outputGain: 3 })];
    const paths: string[] = [];
    for (const [k, w] of networks.entries()) {
      // The first file has the correction baked in and a temperature of 2; neither may reach the targets.
      const manifest: ModelManifest = k === 0
        ? { ...testManifest(mean, 2), training: { ...testManifest(mean).training, priorCorrection: correction } }
        : testManifest(attention);
      const path = join(dir, `teacher${k}.onnx`);
      await writeFile(path, buildOnnxModel(k === 0 ? withPriorCorrection(w, correction) : w, manifest));
      paths.push(path);
    }
    const labels = testManifest(mean).labels;
    const teachers = await TeacherEnsemble.load(paths, labels, TEST_FEATURE_CONFIG);
    try {
      const clips = randomClips(mean, 5, 3);
      const x = new Float32Array(5 * 6 * 13);
      clips.forEach((c, i) => x.set(c, i * c.length));
      for (const temperature of [1, 2.5]) {
        const got = await teachers.probabilities(x, 5, 6, 13, temperature);
        clips.forEach((clip, i) => {
          const each = networks.map((w) => softmax(Array.from(referenceForward(w, clip).logits, (z) => z / temperature)));
          for (let c = 0; c < 4; c++) {
            const want = (each[0]![c]! + each[1]![c]!) / 2;
            assert.ok(Math.abs(got[i * 4 + c]! - want) < 1e-4, `temperature ${temperature}, clip ${i} class ${c}: ${got[i * 4 + c]} vs ${want}`);
          }
        });
      }
      await assert.rejects(teachers.probabilities(x, 5, 6, 13, 0), /temperature must be a positive number, got 0/);
    } finally {
      await teachers.close();
    }

    await assert.rejects(TeacherEnsemble.load(paths, ['a', 'b', 'c', 'd'], TEST_FEATURE_CONFIG), (err: Error) => err.message.includes(paths[0]!) && /labels \(class0, class1, class2, class3\) are not the student's \(a, b, c, d\)/.test(err.message));
    await assert.rejects(TeacherEnsemble.load(paths, labels, { ...TEST_FEATURE_CONFIG, deltas: true }), (err: Error) => err.message.includes(paths[0]!) && /its features .* are not the student's/.test(err.message));
    await assert.rejects(TeacherEnsemble.load([join(dir, 'missing.onnx')], labels, TEST_FEATURE_CONFIG), /missing\.onnx: cannot read the teacher model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('soft targets: two trainer threads take the step of one, and one-hot targets the step of plain labels', async () => {
  const arch: ModelArchitecture = { inputFrames: 5, inputDim: 4, lstmUnits: [5], pooling: 'mean', hiddenUnits: 0, numClasses: 3, dropout: 0 };
  const batch = 7;
  const rng = new SeededRandom(12);
  const xs = Float32Array.from({ length: batch * 5 * 4 }, () => 2 * rng.next() - 1);
  const labels = Int32Array.from({ length: batch }, () => rng.int(3));
  const teacher = Float32Array.from({ length: batch * 3 }, () => rng.next());
  for (let r = 0; r < batch; r++) {
    const s = teacher[3 * r]! + teacher[3 * r + 1]! + teacher[3 * r + 2]!;
    for (let c = 0; c < 3; c++) teacher[3 * r + c]! /= s;
  }
  const stepOnce = async (trainers: number, targets: Float32Array | null): Promise<Float32Array[]> => {
    const model = BiLstmClassifier.create(arch, 5);
    const optimizer = tf.train.sgd(1);
    const stepper = await ParallelStepper.create(model, optimizer, trainers, backend, 0.05);
    try {
      await stepper.step(xs, labels, 5, 4, 3, 1, targets === null ? null : targets.slice());
      return model.trainableVariables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    } finally {
      await stepper.close();
      optimizer.dispose();
      model.dispose();
    }
  };
  const plain = await stepOnce(1, null);
  assert.deepEqual(await stepOnce(1, distillationTargets(teacher, labels, 3, 0)), plain, 'one-hot targets are the labels');
  const soft = distillationTargets(teacher, labels, 3, 0.6);
  const one = await stepOnce(1, soft);
  const two = await stepOnce(2, soft);
  let differs = 0;
  one.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      assert.ok(Math.abs(w[j]! - two[i]![j]!) <= 1e-5, `variable ${i}[${j}]: ${w[j]} vs ${two[i]![j]}`);
      differs = Math.max(differs, Math.abs(w[j]! - plain[i]![j]!));
    }
  });
  assert.ok(differs > 1e-4, 'soft targets must change the step');
});

test('kws train --teacher: the teachers change training, weight 0 trains as without them, the manifest names them', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-distill-train-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 8);
    const labels = [...labelsForTask('12')];
    const arch: ModelArchitecture = {
      inputFrames: framesFor(DEFAULT_FEATURE_CONFIG, DEFAULT_FEATURE_CONFIG.clipLengthSamples), inputDim: featureDim(DEFAULT_FEATURE_CONFIG),
      lstmUnits: [4], pooling: 'mean', hiddenUnits: 0, numClasses: labels.length, dropout: 0,
    };
    const teacherPath = join(dir, 'teacher.onnx');
    await writeFile(teacherPath, buildOnnxModel(randomModelWeights(arch, 4, { outputGain: 4 }), { ...testManifest(arch), labels, features: DEFAULT_FEATURE_CONFIG }));

    const options = (runDir: string, teachers: string[] | undefined, distillWeight: number | undefined, lines: string[]): TrainJobOptions => ({
      data: [data], holdout: [], task: '12', lstmUnits: [5], hiddenUnits: 0, pooling: 'mean', dropout: 0.1, limitPerSplit: 0,
      cacheDir: join(dir, 'cache'), runDir, epochs: 2, batchSize: 16, learningRate: 0.01, patience: 10, plateauDecay: 0.5,
      labelSmoothing: 0.05, seed: 3, resume: false, augment: null, teachers, distillWeight, log: (line) => lines.push(line),
    });
    await runTrainJob(options(join(dir, 'plain'), undefined, undefined, []));
    await runTrainJob(options(join(dir, 'zero'), [teacherPath], 0, []));
    const lines: string[] = [];
    const { manifest } = await runTrainJob(options(join(dir, 'taught'), [teacherPath], undefined, lines));
    assert.ok(lines.some((l) => l.startsWith(`distillation from 1 teacher (${teacherPath}): targets 0.5 x`)), lines.join('\n'));
    assert.deepEqual(manifest.training.distillation, { teachers: [teacherPath], weight: 0.5, temperature: 1 });
    const [plain, zero, taught] = await Promise.all(['plain', 'zero', 'taught'].map((r) => loadCheckpoint(join(dir, r, 'last.ckpt'))));
    assert.deepEqual(zero!.weights.output.kernel, plain!.weights.output.kernel, 'weight 0: the targets are the labels');
    assert.notDeepEqual(taught!.weights.output.kernel, plain!.weights.output.kernel);

    const usage = await runKws(['train', '--data', data, '--out', join(dir, 'cli'), '--distill-weight', '0.3'], dir);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /--distill-weight applies to the models given by --teacher: give --teacher too/);
    const missing = await runKws(['train', '--data', data, '--out', join(dir, 'cli'), '--teacher', join(dir, 'nope.onnx')], dir);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--teacher .*nope\.onnx: no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
