import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctedOutputBias, labelPrior, scoreStrengths, uncorrectedOutputBias } from '../model/prior-correction.js';
import { SeededRandom } from '../util/random.js';
import { softmax } from './helpers/softmax.js';

test('labelPrior counts shares of each label, absent labels 0', () => {
  assert.deepEqual(labelPrior(Int32Array.from([0, 1, 1, 3]), 4), [0.25, 0.5, 0, 0.25]);
  assert.throws(() => labelPrior(Int32Array.from([]), 3), /no labels/);
  assert.throws(() => labelPrior(Int32Array.from([5]), 3), /outside/);
});

test('strength 1 turns posteriors under the training prior into posteriors under a uniform prior', () => {
  const prior = [0.1, 0.3, 0.05, 0.55];
  const bias = Float32Array.from([0.2, -0.4, 1.1, 0.3]);
  const corrected = correctedOutputBias(bias, { strength: 1, trainPrior: prior });
  for (const features of [[0, 0, 0, 0], [1.5, -2, 0.3, 0.9], [-1, 4, 2, -3]]) {
    const before = softmax(features.map((f, i) => f + bias[i]!));
    const after = softmax(features.map((f, i) => f + corrected[i]!));
    // Bayes: p_uniform(k|x) is proportional to p_train(k|x) / prior_k.
    const expected = before.map((p, i) => p / prior[i]!);
    const total = expected.reduce((a, b) => a + b, 0);
    after.forEach((p, i) => assert.ok(Math.abs(p - expected[i]! / total) < 1e-6, `class ${i}: ${p} vs ${expected[i]! / total}`));
  }
});

test('a uniform prior or strength 0 changes nothing; an unseen label keeps its bias', () => {
  const bias = Float32Array.from([0.5, -1, 2]);
  assert.deepEqual(Array.from(correctedOutputBias(bias, { strength: 1, trainPrior: [1 / 3, 1 / 3, 1 / 3] })), Array.from(bias));
  assert.deepEqual(Array.from(correctedOutputBias(bias, { strength: 0, trainPrior: [0.8, 0.1, 0.1] })), Array.from(bias));
  const withUnseen = correctedOutputBias(bias, { strength: 1, trainPrior: [0.5, 0.5, 0] });
  assert.equal(withUnseen[2], bias[2]);
  assert.ok(Math.abs(withUnseen[0]! - bias[0]!) < 1e-6, 'equal priors of the seen labels: no relative shift');
  assert.throws(() => correctedOutputBias(bias, { strength: 1, trainPrior: [0.5, 0.5] }), /2 labels, the output layer 3/);
});

test('uncorrectedOutputBias undoes the correction up to a constant', () => {
  const bias = Float32Array.from([0.3, -0.7, 1.2, 0]);
  const correction = { strength: 0.8, trainPrior: [0.2, 0.5, 0.3, 0] };
  const back = uncorrectedOutputBias(correctedOutputBias(bias, correction), correction);
  const offset = back[0]! - bias[0]!;
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(back[i]! - bias[i]! - offset) < 1e-6);
  assert.equal(back[3], bias[3]);
});

test('scoreStrengths scores each strength as if the bias were baked again at it', () => {
  const prior = [0.05, 0.6, 0.2, 0.15];
  const random = new SeededRandom(9);
  const count = 400;
  const raw = Float32Array.from({ length: count * 4 }, () => 3 * (random.next() - 0.5));
  const y = Int32Array.from({ length: count }, () => random.int(4));
  const bakedAt = (strength: number): Float32Array => {
    const bias = correctedOutputBias(new Float32Array(4), { strength, trainPrior: prior });
    return Float32Array.from(raw, (z, i) => z + bias[i % 4]!);
  };
  const direct = (logits: Float32Array) => {
    const right = [0, 0, 0, 0];
    const total = [0, 0, 0, 0];
    for (let i = 0; i < count; i++) {
      const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
      total[y[i]!]! += 1;
      if (row.indexOf(Math.max(...row)) === y[i]) right[y[i]!]! += 1;
    }
    return { balancedAccuracy: right.reduce((a, r, c) => a + r / total[c]!, 0) / 4, accuracy: right.reduce((a, b) => a + b, 0) / count };
  };
  const scores = scoreStrengths(bakedAt(1), y, 4, { strength: 1, trainPrior: prior }, [0, 0.5, 1, 2]);
  assert.deepEqual(scores.map((s) => s.strength), [0, 0.5, 1, 2]);
  for (const s of scores) {
    const expected = direct(bakedAt(s.strength));
    assert.ok(Math.abs(s.balancedAccuracy - expected.balancedAccuracy) < 1e-12, `strength ${s.strength}`);
    assert.ok(Math.abs(s.accuracy - expected.accuracy) < 1e-12, `strength ${s.strength}`);
  }
  // The strengths classify differently here (the test would prove nothing otherwise).
  assert.notEqual(scores[0]!.accuracy, scores[3]!.accuracy);
  assert.throws(() => scoreStrengths(bakedAt(1), y, 4, { strength: 1, trainPrior: prior }, [2.5]), /\[0, 2\]/);
  assert.throws(() => scoreStrengths(bakedAt(1).subarray(4), y, 4, { strength: 1, trainPrior: prior }, [1]), /logits for/);
});
