import assert from 'node:assert/strict';

/** Largest |a[k] - b[k]| of two equally long arrays (asserts the lengths match). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'the arrays compared must be equally long');
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]! - b[k]!));
  return max;
}
