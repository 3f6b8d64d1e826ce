import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FEATURE_CONFIG, featureDim, framesFor, validateFeatureConfig } from '../features/config.js';

test('the default config: 49 frames of 40 features per 1 s clip', () => {
  const config = validateFeatureConfig(DEFAULT_FEATURE_CONFIG);
  assert.deepEqual(config, DEFAULT_FEATURE_CONFIG);
  assert.notEqual(config, DEFAULT_FEATURE_CONFIG);
  assert.equal(framesFor(config, config.clipLengthSamples), 49);
  assert.equal(featureDim(config), 40);
  assert.equal(featureDim({ ...config, deltas: false }), 20);
});

test('framesFor counts only frames that fit entirely (no end padding)', () => {
  const config = { frameLengthSamples: 512, hopLengthSamples: 320 };
  assert.equal(framesFor(config, 0), 0);
  assert.equal(framesFor(config, 511), 0);
  assert.equal(framesFor(config, 512), 1);
  assert.equal(framesFor(config, 831), 1);
  assert.equal(framesFor(config, 832), 2);
  assert.equal(framesFor(config, 16000), 49);
  assert.equal(framesFor(config, 16192), 50);
  assert.throws(() => framesFor({ frameLengthSamples: 512, hopLengthSamples: 0 }, 16000), RangeError);
});

test('a global normalization with one mean/std per feature is accepted and copied', () => {
  const mean = Array.from({ length: 40 }, (_, i) => i);
  const std = Array.from({ length: 40 }, () => 2);
  const config = validateFeatureConfig({ ...DEFAULT_FEATURE_CONFIG, normalization: { kind: 'global', mean, std } });
  assert.deepEqual(config.normalization, { kind: 'global', mean, std });
  mean[0] = 99;
  assert.equal((config.normalization as { mean: number[] }).mean[0], 0);
});

function rejects(patch: Record<string, unknown>, kind: typeof TypeError | typeof RangeError, message: string): void {
  assert.throws(
    () => validateFeatureConfig({ ...DEFAULT_FEATURE_CONFIG, ...patch }),
    (error: unknown) => {
      assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
      assert.equal((error as Error).message, message);
      return true;
    },
  );
}

test('wrong types are TypeErrors naming the field', () => {
  assert.throws(() => validateFeatureConfig(null), { name: 'TypeError', message: 'feature config must be an object, got null' });
  assert.throws(() => validateFeatureConfig([], 'model.json featureConfig'), {
    name: 'TypeError',
    message: 'model.json featureConfig must be an object, got an array',
  });
  rejects({ hopLengthSamples: '320' }, TypeError, 'feature config.hopLengthSamples must be a number, got "320"');
  rejects({ melBands: undefined }, TypeError, 'feature config.melBands must be a number, got undefined');
  rejects({ deltas: 1 }, TypeError, 'feature config.deltas must be a boolean, got 1');
  rejects({ windowingFunction: 3 }, TypeError, 'feature config.windowingFunction must be a string, got 3');
  rejects({ normalization: 'utterance' }, TypeError, 'feature config.normalization must be an object with a "kind", got "utterance"');
  rejects(
    { normalization: { kind: 'global', mean: 'x', std: [] } },
    TypeError,
    'feature config.normalization.mean must be an array of numbers, got "x"',
  );
});

test('bad values are RangeErrors naming the field and the value', () => {
  rejects({ hopLengthSamples: -3 }, RangeError, 'feature config.hopLengthSamples must be a positive integer, got -3');
  rejects({ hopLengthSamples: 1.5 }, RangeError, 'feature config.hopLengthSamples must be a positive integer, got 1.5');
  rejects({ sampleRateHz: 8000 }, RangeError, 'feature config.sampleRateHz must be 16000, got 8000');
  rejects({ frameLengthSamples: 400 }, RangeError, 'feature config.frameLengthSamples must be a power of two >= 4 (Meyda bufferSize), got 400');
  rejects(
    { windowingFunction: 'kaiser' },
    RangeError,
    'feature config.windowingFunction must be one of hanning, hamming, blackman, sine, rect, got "kaiser"',
  );
  rejects({ mfccCoefficients: 41, melBands: 64 }, RangeError, "feature config.mfccCoefficients must be at most 40 (Meyda's limit), got 41");
  rejects({ mfccCoefficients: 30, melBands: 26 }, RangeError, 'feature config.mfccCoefficients must not exceed melBands (26), got 30');
  rejects({ deltaWindow: 0 }, RangeError, 'feature config.deltaWindow must be a positive integer, got 0');
  rejects({ clipLengthSamples: 256 }, RangeError, 'feature config.clipLengthSamples must be at least frameLengthSamples (512), got 256');
  rejects({ normalization: { kind: 'cepstral' } }, RangeError, 'feature config.normalization.kind must be "none", "utterance" or "global", got "cepstral"');
  rejects(
    { normalization: { kind: 'global', mean: [0, 1], std: [1, 1] } },
    RangeError,
    'feature config.normalization.mean must have 40 values (the feature dimension), got 2',
  );
  rejects(
    { normalization: { kind: 'global', mean: new Array(40).fill(0), std: new Array(40).fill(0) } },
    RangeError,
    'feature config.normalization.std[0] must be a finite number > 0, got 0',
  );
  rejects({ hopLength: 320 }, RangeError, 'feature config has an unknown field "hopLength"');
});
