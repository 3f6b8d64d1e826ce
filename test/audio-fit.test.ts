import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToLength } from '../features/audio/index.js';

test('a clip of the right length is returned as is', () => {
  const clip = new Float32Array([1, 2, 3]);
  assert.equal(fitToLength(clip, 3), clip);
});

test('a shorter clip is centred in zeros, the odd extra zero after it', () => {
  assert.deepEqual(Array.from(fitToLength(new Float32Array([1, 2]), 6)), [0, 0, 1, 2, 0, 0]);
  assert.deepEqual(Array.from(fitToLength(new Float32Array([1, 2]), 5)), [0, 1, 2, 0, 0]);
  assert.deepEqual(Array.from(fitToLength(new Float32Array(0), 3)), [0, 0, 0]);
});

test('a longer clip is cropped to its most energetic window', () => {
  const clip = new Float32Array([0.1, 0, 0, 0.5, -0.9, 0.2, 0, 0.1]);
  assert.deepEqual(Array.from(fitToLength(clip, 2)), [0.5, -0.9].map(Math.fround));
  assert.deepEqual(Array.from(fitToLength(clip, 3)), [0.5, -0.9, 0.2].map(Math.fround));
});

test('ties go to the earliest window, even when rounding differs', () => {
  // The same three values at 2..4 and, reversed, at 8..10. Summed in float64 the second copy's
  // energy comes out one ulp larger (0.4418244623372517 vs ...16), which must still count as a tie.
  const burst = [0.16890788078308105, 0.4447753429412842, -0.4641869068145752];
  const clip = new Float32Array([-0.19927524030208588, 0.37561267614364624, ...burst, 0, 0, 0.01, ...[...burst].reverse(), 0.01]);
  assert.deepEqual(Array.from(fitToLength(clip, 3)), burst.map(Math.fround));
  assert.deepEqual(Array.from(fitToLength(new Float32Array(10), 4)), [0, 0, 0, 0]);
});

test('a real-length case: 1.3 s of noise with a loud 0.2 s burst keeps the burst', () => {
  const rate = 16000;
  const clip = new Float32Array(Math.round(1.3 * rate)).fill(0.001);
  clip.fill(0.5, 15000, 15000 + 3200);
  const fitted = fitToLength(clip, rate);
  assert.equal(fitted.length, rate);
  assert.equal(fitted.filter((v) => v === 0.5).length, 3200);
  // Earliest window holding the whole burst starts at 15000 + 3200 - 16000.
  assert.equal(fitted[0], Math.fround(0.001));
  assert.equal(fitted[fitted.length - 1], 0.5);
});

test('bad lengths are RangeErrors', () => {
  assert.throws(() => fitToLength(new Float32Array(2), -1), { name: 'RangeError', message: /length must be a non-negative integer, got -1/ });
  assert.throws(() => fitToLength(new Float32Array(2), 1.5), RangeError);
});
