import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FEATURE_CONFIG, framesFor } from '../features/config.js';
import { extractFeatures, FeatureExtractor } from '../features/extractor.js';
import { appendDeltas, computeGlobalStats, normalize, STD_FLOOR } from '../features/postprocess.js';
import type { FeatureMatrix } from '../features/types.js';

function matrix(rows: number[][]): FeatureMatrix {
  return { data: Float32Array.from(rows.flat()), frames: rows.length, dim: rows[0]?.length ?? 0 };
}

function rows(m: FeatureMatrix): number[][] {
  return Array.from({ length: m.frames }, (_, t) => Array.from(m.data.subarray(t * m.dim, (t + 1) * m.dim)));
}

function assertClose(actual: number[], expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance, `[${i}] ${v} != ${expected[i]}`));
}

test('deltas of a ramp: the slope inside, smaller at the replicated edges', () => {
  // Dimension 0 rises by 2 per frame, dimension 1 is constant.
  const ramp = matrix(Array.from({ length: 6 }, (_, t) => [2 * t, 5]));
  const out = appendDeltas(ramp, 2);
  assert.equal(out.dim, 4);
  assert.equal(out.frames, 6);
  // N = 2, denominator 2 * (1 + 4) = 10. t=0: (1*2 + 2*4) / 10 = 1; t=1: (1*4 + 2*6) / 10 = 1.6.
  const expectedDeltas = [1, 1.6, 2, 2, 1.6, 1];
  rows(out).forEach((row, t) => {
    assertClose(row.slice(0, 2), [2 * t, 5]);
    assertClose(row.slice(2), [expectedDeltas[t], 0]);
  });
  assertClose(rows(appendDeltas(ramp, 1)).map((r) => r[2]), [1, 2, 2, 2, 2, 1]);
  assert.equal(appendDeltas(matrix([[1, 2]]), 2).data.join(','), '1,2,0,0');
  assert.throws(() => appendDeltas(ramp, 0), RangeError);
});

test('utterance normalisation gives zero mean and unit std per dimension; constant dims become 0', () => {
  const m = matrix([
    [1, 10, 3],
    [2, 20, 3],
    [3, 30, 3],
    [6, 40, 3],
  ]);
  const out = normalize(m, { kind: 'utterance' });
  for (let d = 0; d < 3; d++) {
    const column = rows(out).map((r) => r[d]);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
    assert.ok(Math.abs(mean) < 1e-6, `dim ${d} mean ${mean}`);
    assert.ok(Math.abs(variance - (d === 2 ? 0 : 1)) < 1e-5, `dim ${d} variance ${variance}`);
  }
  // Dimension 0: mean 3, population std sqrt(3.5).
  assertClose(rows(out).map((r) => r[0]), [-2, -1, 0, 3].map((v) => v / Math.sqrt(3.5)));
  assert.deepEqual(normalize(m, { kind: 'none' }).data, m.data);
  assert.equal(normalize({ data: new Float32Array(0), frames: 0, dim: 3 }, { kind: 'utterance' }).frames, 0);
});

test('computeGlobalStats pools frames of all matrices; global normalisation applies them', () => {
  const a = matrix([
    [0, 7],
    [2, 7],
  ]);
  const b = matrix([[4, 7]]);
  const stats = computeGlobalStats([a, b]);
  assertClose(stats.mean, [2, 7]);
  assertClose(stats.std, [Math.sqrt(8 / 3), STD_FLOOR]);
  const out = normalize(a, { kind: 'global', ...stats });
  assertClose(rows(out).flat(), [-2 / Math.sqrt(8 / 3), 0, 0, 0], 1e-5);
  assert.throws(() => normalize(a, { kind: 'global', mean: [0], std: [1] }), /global mean\/std have 1\/1 values, the features have 2/);
  assert.throws(() => computeGlobalStats([a, matrix([[1, 2, 3]])]), /matrix 1 has dimension 3/);
  assert.throws(() => computeGlobalStats([]), RangeError);
});

test('the full front-end: 49 x 40 normalised features; FeatureExtractor agrees with extractFeatures', () => {
  const samples = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin(i * 0.06) + 0.2 * Math.sin(i * 0.31) * Math.sin(i * 0.001));
  const features = extractFeatures(samples, DEFAULT_FEATURE_CONFIG);
  assert.equal(features.frames, framesFor(DEFAULT_FEATURE_CONFIG, 16000));
  assert.equal(features.dim, 40);
  const column0 = rows(features).map((r) => r[0]);
  assert.ok(Math.abs(column0.reduce((x, y) => x + y, 0) / column0.length) < 1e-5);
  const extractor = new FeatureExtractor(DEFAULT_FEATURE_CONFIG);
  assert.deepEqual(extractor.extract(samples), features);

  const plain = extractFeatures(samples, { ...DEFAULT_FEATURE_CONFIG, deltas: false, normalization: { kind: 'none' } });
  assert.equal(plain.dim, 20);
  assert.throws(() => new FeatureExtractor({ ...DEFAULT_FEATURE_CONFIG, hopLengthSamples: 0 }), RangeError);
});
