/**
 * Training throughput of the shipped architecture (2x64 BiLSTM, 49x40 input, 12 classes, 64 ReLU
 * hidden, dropout 0.1), batch 64, Adam: the tf.layers baseline against the fast LSTM on the wasm
 * and cpu backends, the same with 2 frames per LSTM step (frame stacking) on wasm, and PyTorch CPU
 * when it is installed,
 * all in one run and printed as ratios against the baseline on the same backend.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../model/backend.js';
import { buildLayersModel, setLayersWeights } from '../../model/layers-baseline.js';
import { BiLstmClassifier } from '../../model/network.js';
import { ParallelStepper } from '../../model/data-parallel.js';
import type { BackendName } from '../../model/backend.js';
import { cpus } from 'node:os';
import type { ModelArchitecture } from '../../model/types.js';
import { SeededRandom } from '../../util/random.js';

const BATCH = 64;
const ARCH: ModelArchitecture = { inputFrames: 49, inputDim: 40, lstmUnits: [64, 64], pooling: 'mean', hiddenUnits: 64, numClasses: 12, dropout: 0.1 };
const STACKED_ARCH: ModelArchitecture = { ...ARCH, frameStack: 2 };
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function randomBatch(seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const rng = new SeededRandom(seed);
  const xs = Float32Array.from({ length: BATCH * ARCH.inputFrames * ARCH.inputDim }, () => 2 * rng.next() - 1);
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(ARCH.numClasses));
  return tf.tidy(() => ({ x: tf.tensor3d(xs, [BATCH, ARCH.inputFrames, ARCH.inputDim]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), ARCH.numClasses).toFloat() as tf.Tensor2D }));
}

/** Median ms of `steps` optimizer steps after `warmup` untimed ones; the loss is read back each step. */
async function timeSteps(warmup: number, steps: number, step: () => tf.Scalar): Promise<number> {
  const times: number[] = [];
  for (let n = 0; n < warmup + steps; n++) {
    const start = process.hrtime.bigint();
    const loss = step();
    await loss.data();
    loss.dispose();
    if (n >= warmup) times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

async function benchBaseline(warmup: number, steps: number): Promise<number> {
  const reference = BiLstmClassifier.create(ARCH, 1);
  const weights = reference.toWeights();
  reference.dispose();
  const model = buildLayersModel(ARCH);
  setLayersWeights(model, weights);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(1e-3);
  const { x, y } = randomBatch(2);
  try {
    return await timeSteps(warmup, steps, () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D) as tf.Scalar, true, vars)!);
  } finally {
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

async function benchFast(warmup: number, steps: number, arch: ModelArchitecture = ARCH): Promise<number> {
  const model = BiLstmClassifier.create(arch, 1);
  const optimizer = tf.train.adam(1e-3);
  const { x, y } = randomBatch(2);
  let seed = 0;
  try {
    return await timeSteps(warmup, steps, () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.logits(x, true, seed++)) as tf.Scalar, true, model.trainableVariables)!);
  } finally {
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** Median ms per step of the training loop's stepper on `trainers` threads (model/data-parallel.ts). */
async function benchParallel(trainers: number, warmup: number, steps: number): Promise<number> {
  const model = BiLstmClassifier.create(ARCH, 1);
  const optimizer = tf.train.adam(1e-3);
  const stepper = await ParallelStepper.create(model, optimizer, trainers, tf.getBackend() as BackendName, 0.05);
  const rng = new SeededRandom(2);
  const xs = Float32Array.from({ length: BATCH * ARCH.inputFrames * ARCH.inputDim }, () => 2 * rng.next() - 1);
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(ARCH.numClasses));
  const times: number[] = [];
  try {
    for (let n = 0; n < warmup + steps; n++) {
      const start = process.hrtime.bigint();
      await stepper.step(xs, labels, ARCH.inputFrames, ARCH.inputDim, ARCH.numClasses, n);
      if (n >= warmup) times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(times);
  } finally {
    await stepper.close();
    optimizer.dispose();
    model.dispose();
  }
}

function benchTorch(steps: number): { msPerStep: number; threads: number } | null {
  const script = path.join(repoRoot, 'scripts/torch_lstm_bench.py');
  if (!existsSync('/usr/bin/python3') || !existsSync(script)) return null;
  if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return null;
  const run = spawnSync('/usr/bin/python3', [script, '--steps', String(steps)], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`torch_lstm_bench.py failed: ${run.stderr.trim().split('\n').pop()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as { msPerStep: number; threads: number };
}

const line = (label: string, ms: number): string => `${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms/step  ${((1000 * BATCH) / ms).toFixed(0).padStart(5)} samples/s`;

export async function benchTraining(report: (line: string) => void): Promise<void> {
  report(`2x64 BiLSTM classifier, 49x40 input, 12 classes, batch ${BATCH}, adam; median ms per training step`);
  const results: Record<string, number> = {};
  for (const backend of ['wasm', 'cpu'] as const) {
    await initBackend(backend);
    const slow = backend === 'cpu';
    const baseline = await benchBaseline(1, slow ? 2 : 3);
    report(line(`tf.layers baseline (${backend})`, baseline));
    const fast = await benchFast(2, slow ? 3 : 6);
    results[`${backend}/fast`] = fast;
    report(`${line(`fast LSTM (${backend})`, fast)}  ${(baseline / fast).toFixed(1)}x faster than baseline`);
    results[`${backend}/baseline`] = baseline;
    if (backend === 'wasm') {
      // The training loop's own stepper, one thread and then the batch split over two.
      const one = await benchParallel(1, 2, 8);
      report(line('training loop, 1 trainer thread (wasm)', one));
      const two = await benchParallel(2, 2, 8);
      report(`${line('training loop, 2 trainer threads (wasm)', two)}  ${(one / two).toFixed(2)}x the samples/s of 1 thread (${cpus().length} cores)`);
      // The same input read 2 frames per LSTM step (--frame-stack 2): 24 steps of 80 values.
      const stacked = await benchFast(2, 6, STACKED_ARCH);
      report(`${line('fast LSTM, 2 frames per step (wasm)', stacked)}  ${(fast / stacked).toFixed(2)}x the samples/s of 1 frame per step`);
    }
  }
  const torch = benchTorch(6);
  if (torch === null) {
    report('PyTorch: /usr/bin/python3 with torch not available, skipped');
    return;
  }
  report(line(`PyTorch CPU (${torch.threads} thread${torch.threads === 1 ? '' : 's'})`, torch.msPerStep));
  for (const backend of ['wasm', 'cpu']) {
    report(`speed of fast ${backend} relative to PyTorch: ${(torch.msPerStep / results[`${backend}/fast`]!).toFixed(2)}x   target >= 1.0 (at least as fast)`);
  }
}
