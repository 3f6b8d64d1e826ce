/** Weight averaging (scripts/average-weights.ts): the mean of every weight array; models that differ are refused by path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageTrees } from '../scripts/average-weights.js';
import type { ModelArchitecture } from '../model/types.js';
import { randomModelWeights } from './helpers/random-weights.js';

const arch: ModelArchitecture = { inputFrames: 6, inputDim: 4, lstmUnits: [3, 3], hiddenUnits: 5, numClasses: 4, pooling: 'mean', dropout: 0 };

test('averageTrees gives the element-wise mean of every weight and keeps the rest', () => {
  const a = randomModelWeights(arch, 1);
  const b = randomModelWeights(arch, 2);
  const c = randomModelWeights(arch, 3);
  const mean = averageTrees([a, b, c]);
  assert.deepEqual(mean.architecture, a.architecture);
  const pairs: [Float32Array, Float32Array, Float32Array, Float32Array][] = [
    [mean.output.kernel, a.output.kernel, b.output.kernel, c.output.kernel],
    [mean.lstm[1]!.backward.recurrentKernel, a.lstm[1]!.backward.recurrentKernel, b.lstm[1]!.backward.recurrentKernel, c.lstm[1]!.backward.recurrentKernel],
    [mean.hidden!.bias, a.hidden!.bias, b.hidden!.bias, c.hidden!.bias],
  ];
  for (const [m, x, y, z] of pairs) {
    assert.ok(m instanceof Float32Array && m.length === x.length);
    for (let i = 0; i < m.length; i++) assert.ok(Math.abs(m[i]! - (x[i]! + y[i]! + z[i]!) / 3) < 1e-6);
  }
  // The mean of one model is the model.
  assert.deepEqual(averageTrees([a]), a);
});

test('averageTrees refuses models that differ, naming where', () => {
  const a = randomModelWeights(arch, 1);
  const wider = randomModelWeights({ ...arch, hiddenUnits: 6 }, 2);
  assert.throws(() => averageTrees([a, wider]), /weights\.architecture\.hiddenUnits: the models differ|weights\.hidden.*differ/);
});
