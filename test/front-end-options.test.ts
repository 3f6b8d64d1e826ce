/**
 * `kws train`'s front-end options (cli/front-end-options.ts): the configuration they build and refuse,
 * and a real run with another front-end — trained, exported with its parity proof, evaluated, and
 * fine-tuned with `--init-from`, which keeps the model's own front-end; another front-end is refused
 * with `--init-from` and on `--resume`, naming the difference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, framesFor } from '../features/config.js';
import { frontEndConfigFrom, frontEndDifferences } from '../cli/front-end-options.js';
import { UsageError } from '../cli/exit-codes.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { runKws } from './helpers/kws-process.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

test('the front-end options change only the fields given, and a configuration Meyda cannot compute is refused naming the options', () => {
  assert.deepEqual(frontEndConfigFrom({ deltas: true }), DEFAULT_FEATURE_CONFIG);
  const wide = frontEndConfigFrom({ deltas: true, melBands: 80, mfcc: 40 });
  assert.deepEqual(wide, { ...DEFAULT_FEATURE_CONFIG, melBands: 80, mfccCoefficients: 40 });
  const small = frontEndConfigFrom({ deltas: false, mfcc: 13, hop: 160, frameLength: 256, window: 'hamming' });
  assert.deepEqual(small, { ...DEFAULT_FEATURE_CONFIG, mfccCoefficients: 13, deltas: false, hopLengthSamples: 160, frameLengthSamples: 256, windowingFunction: 'hamming' });

  assert.throws(() => frontEndConfigFrom({ deltas: true, mfcc: 40, melBands: 32 }), (err: Error) => err instanceof UsageError && /^--mel-bands 32 --mfcc 40: .*mfccCoefficients must not exceed melBands \(32\), got 40/.test(err.message));
  assert.throws(() => frontEndConfigFrom({ deltas: true, frameLength: 500 }), /--frame-length 500: .*must be a power of two/);
  assert.throws(() => frontEndConfigFrom({ deltas: true, mfcc: 41, melBands: 64 }), /at most 40 \(Meyda's limit\), got 41/);

  assert.deepEqual(frontEndDifferences(DEFAULT_FEATURE_CONFIG, DEFAULT_FEATURE_CONFIG), []);
  // A manifest read back from disk may hold the same configuration with its keys in another order.
  const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(DEFAULT_FEATURE_CONFIG).reverse())));
  assert.deepEqual(frontEndDifferences(reordered, DEFAULT_FEATURE_CONFIG), []);
  assert.deepEqual(frontEndDifferences({ ...DEFAULT_FEATURE_CONFIG, normalization: { kind: 'none' } }, DEFAULT_FEATURE_CONFIG), ['front-end normalization {"kind":"none"} (asked: {"kind":"utterance"})']);
  assert.deepEqual(frontEndDifferences(DEFAULT_FEATURE_CONFIG, small), ['--mfcc 20 (asked: 13)', 'deltas (asked: --no-deltas)', '--frame-length 512 (asked: 256)', '--hop 320 (asked: 160)', '--window hanning (asked: hamming)']);
});

test('a model trained with another front-end carries it through export, evaluation and fine-tuning; another one is refused on --init-from and --resume', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-front-end-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 8);
    const small = ['--mel-bands', '26', '--mfcc', '13', '--no-deltas', '--hop', '160', '--window', 'hamming'];
    const common = ['--data', data, '--epochs', '1', '--units', '6', '--hidden', '0', '--no-augment'];
    const run = join(dir, 'small');
    const trained = await runKws(['train', ...common, ...small, '--out', run], dir);
    assert.equal(trained.code, 0, trained.stderr);
    const { manifest } = await loadCheckpoint(join(run, 'best.ckpt'));
    const expected = { ...DEFAULT_FEATURE_CONFIG, melBands: 26, mfccCoefficients: 13, deltas: false, hopLengthSamples: 160, windowingFunction: 'hamming' as const };
    assert.deepEqual(manifest.features, expected);
    assert.equal(manifest.architecture.inputDim, 13);
    assert.equal(manifest.architecture.inputFrames, framesFor(expected, 16000));
    assert.equal(manifest.architecture.inputFrames, 97);

    const model = join(run, 'model.onnx');
    const exported = await runKws(['export', '--checkpoint', run, '--out', model], dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout + exported.stderr, /parity over \d+ clips: max \|onnxruntime - tfjs\| = /);
    const evaluated = await runKws(['evaluate', '--model', model, '--data', data, '--split', 'all', '--report-dir', join(dir, 'report')], dir);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /accuracy: [0-9.]+% \(\d+\/\d+\)/);

    // A fine-tune reads the data with its starting model's front-end, with no option repeated.
    const tuned = await runKws(['train', ...common, '--init-from', model, '--lr', '0.0005', '--out', join(dir, 'tuned')], dir);
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.deepEqual((await loadCheckpoint(join(dir, 'tuned', 'best.ckpt'))).manifest.features, expected);

    const withInit = await runKws(['train', ...common, '--init-from', model, '--mfcc', '20', '--out', join(dir, 'refused')], dir);
    assert.equal(withInit.code, 2, withInit.stderr);
    assert.match(withInit.stderr, /--mfcc 20 set up the front-end of a model trained from scratch; the model given by --init-from keeps its own/);
    const resumed = await runKws(['train', ...common, ...small.slice(0, 4), '--out', run, '--resume'], dir);
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.match(resumed.stderr, /--resume: .*last\.ckpt was trained with --no-deltas \(asked: deltas\)/);
    assert.match(resumed.stderr, /--hop 160 \(asked: 320\), --window hamming \(asked: hanning\)/);
    const impossible = await runKws(['train', ...common, '--mfcc', '40', '--mel-bands', '32', '--out', join(dir, 'impossible')], dir);
    assert.equal(impossible.code, 2, impossible.stderr);
    assert.match(impossible.stderr, /--mel-bands 32 --mfcc 40: front-end\.mfccCoefficients must not exceed melBands \(32\), got 40/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
