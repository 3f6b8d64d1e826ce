import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, classBalancedWeights, expectedCalibrationError, fitTemperature, negativeLogLikelihood, softmaxRows } from '../model/calibration.js';
import { SeededRandom } from '../util/random.js';

test('softmaxRows normalises each row and applies the temperature', () => {
  const p = softmaxRows(new Float32Array([0, Math.log(3), 0, 0]), 2, 1);
  assert.ok(Math.abs(p[0]! - 0.25) < 1e-6 && Math.abs(p[1]! - 0.75) < 1e-6);
  assert.ok(Math.abs(p[2]! - 0.5) < 1e-6 && Math.abs(p[3]! - 0.5) < 1e-6);
  const hot = softmaxRows(new Float32Array([0, Math.log(3)]), 2, 1e6);
  assert.ok(Math.abs(hot[0]! - 0.5) < 1e-5, 'a huge temperature flattens the distribution');
});

test('ECE is 0 for perfectly calibrated bins and |acc - conf| for one bin', () => {
  // Four predictions at confidence 0.75, three right: calibrated.
  const probs = new Float32Array([0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
  assert.ok(Math.abs(expectedCalibrationError(probs, [0, 0, 0, 1], 2)) < 1e-6);
  assert.ok(Math.abs(expectedCalibrationError(probs, [0, 0, 0, 0], 2) - 0.25) < 1e-6, 'all right at 0.75: under-confident by 0.25');
  // All at confidence 0.9, half right: ECE = 0.4.
  const over = new Float32Array([0.9, 0.1, 0.9, 0.1]);
  assert.ok(Math.abs(expectedCalibrationError(over, [0, 1], 2) - 0.4) < 1e-6);
});

test('fitTemperature recovers the temperature that generated the labels', () => {
  const rng = new SeededRandom(4);
  const classes = 4;
  const n = 4000;
  const trueTemperature = 2.5;
  const logits = new Float32Array(n * classes);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) logits[i * classes + c] = 6 * (rng.next() - 0.5);
    const p = softmaxRows(logits.subarray(i * classes, (i + 1) * classes), classes, trueTemperature);
    let u = rng.next();
    let c = 0;
    while (c < classes - 1 && u > p[c]!) u -= p[c++]!;
    labels[i] = c;
  }
  const t = fitTemperature(logits, labels, classes);
  assert.ok(Math.abs(t - trueTemperature) < 0.25, `fitted ${t}`);
  assert.ok(negativeLogLikelihood(logits, labels, classes, t) <= negativeLogLikelihood(logits, labels, classes, 1));
  const before = expectedCalibrationError(softmaxRows(logits, classes, 1), labels, classes);
  const after = expectedCalibrationError(softmaxRows(logits, classes, t), labels, classes);
  assert.ok(after < before, `ECE ${before} -> ${after}`);
  assert.throws(() => fitTemperature(new Float32Array(0), [], 2), RangeError);
});

test('a class-balanced fit equals the plain fit on a set resampled to equal classes, and differs on a skewed one', () => {
  // Class 0 is over-represented and confidently right; class 1 is rare and often wrong.
  const rows: { logits: number[]; label: number }[] = [];
  for (let i = 0; i < 90; i++) rows.push({ logits: [4, 0], label: 0 });
  for (let i = 0; i < 10; i++) rows.push({ logits: [i < 4 ? 1 : 0, i < 4 ? 0 : 1], label: 1 });
  const logits = Float32Array.from(rows.flatMap((r) => r.logits));
  const labels = rows.map((r) => r.label);
  const weights = classBalancedWeights(labels, 2);
  assert.ok(Math.abs(weights[0]! * 90 - weights[95]! * 10) < 1e-9, 'each class carries the same total weight');
  // The same set with class 1 repeated nine times: 90 and 90.
  const balancedRows = [...rows.slice(0, 90), ...Array.from({ length: 9 }, () => rows.slice(90)).flat()];
  const tBalancedSet = fitTemperature(Float32Array.from(balancedRows.flatMap((r) => r.logits)), balancedRows.map((r) => r.label), 2);
  const tWeighted = fitTemperature(logits, labels, 2, weights);
  assert.ok(Math.abs(tWeighted - tBalancedSet) < 1e-3, `weighted ${tWeighted} vs resampled ${tBalancedSet}`);
  const plain = calibrate(logits, labels, 2);
  const balanced = calibrate(logits, labels, 2, 'class-balanced');
  assert.equal(balanced.weighting, 'class-balanced');
  assert.ok(Math.abs(balanced.temperature - tWeighted) < 1e-9);
  assert.ok(balanced.temperature > plain.temperature + 0.1, `the rare, error-prone class pulls the temperature up: ${plain.temperature} -> ${balanced.temperature}`);
});
