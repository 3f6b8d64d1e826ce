/** scripts/cascade-probe.ts: how two models' stream posteriors are combined (cascade = min, ensemble = mean). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine } from '../scripts/cascade-probe.js';
import type { PosteriorFrame } from '../pipeline/streaming/types.js';

const frame = (timeSeconds: number, probabilities: number[], smoothed: number[]): PosteriorFrame => ({
  timeSeconds,
  probabilities: Float32Array.from(probabilities),
  smoothed: Float32Array.from(smoothed),
});

test('min keeps a score only as high as both models give it; mean averages them', () => {
  const a = [frame(1, [0.1, 0.9], [0.2, 0.8]), frame(1.1, [0.6, 0.4], [0.5, 0.5])];
  const b = [frame(1, [0.3, 0.7], [0.4, 0.6]), frame(1.1, [0.2, 0.8], [0.25, 0.75])];
  const min = combine(a, b, 'min');
  assert.deepEqual(min.map((f) => f.timeSeconds), [1, 1.1]);
  assert.deepEqual(Array.from(min[0]!.smoothed), [Math.fround(0.2), Math.fround(0.6)]);
  assert.deepEqual(Array.from(min[1]!.probabilities), [Math.fround(0.2), Math.fround(0.4)]);
  const mean = combine(a, b, 'mean');
  assert.ok(Math.abs(mean[0]!.smoothed[1]! - 0.7) < 1e-6);
  assert.ok(Math.abs(mean[1]!.probabilities[0]! - 0.4) < 1e-6);
});

test('streams evaluated at other times or counts are refused, not silently misaligned', () => {
  const a = [frame(1, [0.5, 0.5], [0.5, 0.5])];
  assert.throws(() => combine(a, [...a, ...a], 'min'), /evaluated 1 and 2 windows/);
  assert.throws(() => combine(a, [frame(1.05, [0.5, 0.5], [0.5, 0.5])], 'mean'), /window 0 ends at 1 s for one model and 1.05 s/);
});
