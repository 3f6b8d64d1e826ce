/** scripts/ensemble-probe.ts: the time-shifted copies of a clip its test-time augmentation averages over. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShifts, shiftedClip } from '../scripts/ensemble-probe.js';

test('a clip shifted later or earlier keeps its length, zeros where nothing was', () => {
  const clip = Float32Array.from([1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(shiftedClip(clip, 2)), [0, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(shiftedClip(clip, -2)), [3, 4, 5, 0, 0]);
  assert.deepEqual(Array.from(shiftedClip(clip, 0)), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(shiftedClip(clip, 9)), [0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(shiftedClip(clip, -9)), [0, 0, 0, 0, 0]);
  assert.throws(() => shiftedClip(clip, 1.5), /whole number of samples, got 1.5/);
});

test('shifts are comma-separated milliseconds', () => {
  assert.deepEqual(parseShifts('-80, 0,80'), [-80, 0, 80]);
  assert.throws(() => parseShifts('-80,x'), /--shift-ms -80,x: give comma-separated milliseconds/);
});
