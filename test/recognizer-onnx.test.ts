import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LABELS_12 } from '../datasets/types.js';
import { readAudio } from '../features/audio/index.js';
import { FrontEnd, FrontEndMismatchError } from '../pipeline/frontend.js';
import { DEFAULT_MODEL_PATH, ModelLoadError, Recognizer } from '../pipeline/recognizer.js';
import { buildOnnxModel } from '../model/onnx/export.js';
import { onnxClasses } from '../model/onnx/proto.js';
import { fixtureManifest, randomWeights, toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
let dir = '';
let modelPath = '';
let recognizer: Recognizer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-recognizer-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 7 });
  recognizer = await Recognizer.create(modelPath);
});

after(async () => {
  await recognizer?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const clips = [toneClip(1, 300, 1), toneClip(1, 1200, 2), toneClip(0.6, 2500, 3), toneClip(1.4, 700, 4), toneClip(1, 4000, 5)];

test('labels and front-end come from the manifest inside the model', () => {
  assert.deepEqual([...recognizer.labels], [...LABELS_12]);
  assert.equal(recognizer.manifest.name, 'test-random');
  assert.equal(recognizer.frontEnd.frames, 49);
  assert.equal(recognizer.frontEnd.dim, 40);
  assert.equal(recognizer.frontEnd.clipLengthSamples, 16000);
});

test('a recognition has probabilities over all labels that sum to 1 and names the best one', async () => {
  const r = await recognizer.recognizeSamples(clips[0]!);
  assert.deepEqual(Object.keys(r.scores), [...LABELS_12]);
  const values = Object.values(r.scores);
  const sum = values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, `scores sum to ${sum}`);
  assert.equal(r.score, Math.max(...values));
  assert.equal(r.scores[r.label], r.score);
  assert.equal(recognizer.labels[r.index], r.label);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
});

test('different clips get different scores (the model is really run)', async () => {
  const [a, b] = await Promise.all([recognizer.recognizeSamples(clips[0]!), recognizer.recognizeSamples(clips[4]!)]);
  const diff = LABELS_12.reduce((m, l) => Math.max(m, Math.abs(a.scores[l]! - b.scores[l]!)), 0);
  assert.ok(diff > 1e-3, `max score difference ${diff}`);
});

test('a batch gives the same results as single clips, in order', async () => {
  const batch = await recognizer.recognizeBatch(clips);
  assert.equal(batch.length, clips.length);
  for (const [i, clip] of clips.entries()) {
    const single = await recognizer.recognizeSamples(clip);
    assert.equal(batch[i]!.label, single.label);
    for (const label of LABELS_12) assert.ok(Math.abs(batch[i]!.scores[label]! - single.scores[label]!) < 1e-5, `clip ${i} ${label}`);
  }
  assert.deepEqual(await recognizer.recognizeBatch([]), []);
});

test('recognizeFile decodes the wav and matches recognizeSamples on the same samples', async () => {
  const path = join(dir, 'tone.wav');
  await writeWav(path, clips[1]!);
  const fromFile = await recognizer.recognizeFile(path);
  const fromSamples = await recognizer.recognizeSamples((await readAudio(path)).samples);
  assert.deepEqual(fromFile, fromSamples);
  await assert.rejects(recognizer.recognizeFile(join(dir, 'absent.wav')), /absent\.wav/);
});

test('bad arguments are TypeError/RangeError quoting the argument', async () => {
  await assert.rejects(recognizer.recognizeSamples([0.1, 0.2] as unknown as Float32Array), (err: Error) => err instanceof TypeError && /samples16k.*Array/.test(err.message));
  await assert.rejects(recognizer.recognizeSamples(new Float32Array(0)), (err: Error) => err instanceof RangeError && /empty/.test(err.message));
  await assert.rejects(recognizer.recognizeSamples(new Float32Array([0, NaN])), (err: Error) => err instanceof RangeError && /NaN at index 1/.test(err.message));
  await assert.rejects(recognizer.recognizeBatch([clips[0]!, 'x' as unknown as Float32Array]), (err: Error) => err instanceof TypeError && /clips\[1\]/.test(err.message));
  await assert.rejects(recognizer.recognizeFile(42 as unknown as string), (err: Error) => err instanceof TypeError && /42/.test(err.message));
  await assert.rejects(Recognizer.create(modelPath, { intraOpThreads: 0 }), (err: Error) => err instanceof RangeError && /intraOpThreads.*0/.test(err.message));
  await assert.rejects(Recognizer.create(17 as unknown as string), TypeError);
});

test('a missing or non-kws model file is an error naming the file', async () => {
  const missing = join(dir, 'nope', 'model.onnx');
  await assert.rejects(Recognizer.create(missing), (err: Error) => err instanceof ModelLoadError && err.message.includes(missing) && /not found/.test(err.message));
  const junk = join(dir, 'junk.onnx');
  await writeFile(junk, 'this is not an onnx model');
  await assert.rejects(Recognizer.create(junk), (err: Error) => err.message.includes(junk));
});

test('an ONNX file without a kws manifest (or without its features) fails up front, naming the file and what is missing', async () => {
  const manifest = fixtureManifest();
  const model = onnxClasses.ModelProto.decode(buildOnnxModel(randomWeights(manifest.architecture, 3), manifest));
  const write = async (name: string, metadata: { key: string; value: string }[]): Promise<string> => {
    model.metadataProps = metadata.map((entry) => onnxClasses.StringStringEntryProto.create(entry));
    const path = join(dir, name);
    await writeFile(path, onnxClasses.ModelProto.encode(model).finish());
    return path;
  };
  const cases: [string, { key: string; value: string }[], RegExp][] = [
    ['no-manifest.onnx', [], /not a kws model: has no 'kws\.manifest' metadata/],
    ['labels-only.onnx', [{ key: 'kws.labels', value: manifest.labels.join(',') }], /not a kws model: has no 'kws\.manifest' metadata/],
    ['no-features.onnx', [{ key: 'kws.manifest', value: JSON.stringify({ ...manifest, features: undefined }) }], /not a kws model: .*has no features object/],
    ['empty-features.onnx', [{ key: 'kws.manifest', value: JSON.stringify({ ...manifest, features: {} }) }], /not a kws model: .*features lack valid sampleRateHz, frameLengthSamples, hopLengthSamples/],
    ['no-hop.onnx', [{ key: 'kws.manifest', value: JSON.stringify({ ...manifest, features: { ...manifest.features, hopLengthSamples: undefined } }) }], /not a kws model: .*features lack valid hopLengthSamples$/],
  ];
  for (const [name, metadata, expected] of cases) {
    const path = await write(name, metadata);
    await assert.rejects(Recognizer.create(path), (err: Error) => {
      assert.ok(err instanceof ModelLoadError, `${name}: ${err.name}: ${err.message}`);
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.match(err.message, expected);
      assert.doesNotMatch(err.message, /framesFor|undefined/);
      return true;
    });
  }
});

test('a disposed recognizer refuses work', async () => {
  const r = await Recognizer.create(modelPath, { intraOpThreads: 2 });
  await r.dispose();
  await r.dispose();
  await assert.rejects(r.recognizeSamples(clips[0]!), /disposed/);
});

test('the front-end refuses a manifest whose features do not fit the architecture', () => {
  const manifest = fixtureManifest();
  assert.throws(
    () => new FrontEnd({ ...manifest, architecture: { ...manifest.architecture, inputFrames: 50 } }, 'odd.onnx'),
    (err: Error) => err instanceof FrontEndMismatchError && /odd\.onnx.*49x40.*50x40/.test(err.message),
  );
});

test('DEFAULT_MODEL_PATH is models/kws12/model.onnx under the package root', () => {
  assert.equal(DEFAULT_MODEL_PATH, join(repoRoot, 'models', 'kws12', 'model.onnx'));
});
