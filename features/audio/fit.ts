/** Fixing a clip to the model's input length. */

/**
 * Returns exactly `length` samples. A shorter clip is centred in zeros (the extra zero, if the
 * padding is odd, goes after it); a longer one is cropped to the `length`-sample window with the
 * most energy (sum of squares), the earliest such window on ties. Returns `samples` itself when it
 * already has `length` samples, a new array otherwise.
 */
export function fitToLength(samples: Float32Array, length: number): Float32Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`fitToLength: length must be a non-negative integer, got ${length}`);
  }
  if (samples.length === length) return samples;
  if (samples.length < length) {
    const padded = new Float32Array(length);
    padded.set(samples, Math.floor((length - samples.length) / 2));
    return padded;
  }
  const start = loudestWindowStart(samples, length);
  return samples.slice(start, start + length);
}

function loudestWindowStart(samples: Float32Array, length: number): number {
  // Prefix sums in float64; window energies computed from them differ by rounding even when the
  // windows hold identical values, so energies within a tiny fraction of the total count as ties.
  const prefix = new Float64Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) prefix[i + 1] = prefix[i]! + samples[i]! * samples[i]!;
  const tolerance = prefix[samples.length]! * 1e-9;
  let bestStart = 0;
  let bestEnergy = prefix[length]!;
  for (let start = 1; start + length <= samples.length; start++) {
    const energy = prefix[start + length]! - prefix[start]!;
    if (energy > bestEnergy + tolerance) {
      bestEnergy = energy;
      bestStart = start;
    }
  }
  return bestStart;
}
