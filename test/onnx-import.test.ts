/**
 * Reading weights back out of a kws ONNX file (model/onnx/import.ts): the plain reference forward
 * pass on the imported weights gives onnxruntime's outputs of the file, and exporting the imported
 * weights again gives the same graph values (so transfer learning starts from the model shipped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { buildOnnxModel } from '../model/onnx/export.js';
import { OnnxImportError, weightsFromOnnx } from '../model/onnx/import.js';
import { quantizeWeightsInt8 } from '../model/onnx/quantize.js';
import { maxAbsDiff, runOnnx, runReference } from '../model/onnx/verify.js';
import { DEFAULT_MODEL_PATH } from '../pipeline/recognizer.js';
import { SeededRandom } from '../util/random.js';
import { fixtureManifest, randomWeights } from './recognizer-fixture.js';

function randomClips(count: number, size: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => 2 * rng.next() - 1));
}

test('the shipped model imported: the reference forward pass equals onnxruntime on the file', async () => {
  const bytes = new Uint8Array(await readFile(DEFAULT_MODEL_PATH));
  const { manifest, weights } = weightsFromOnnx(bytes, DEFAULT_MODEL_PATH);
  const clips = randomClips(4, manifest.architecture.inputFrames * manifest.architecture.inputDim, 11);
  const onnx = await runOnnx(bytes, weights, clips);
  const reference = runReference(weights, clips, manifest.temperature);
  assert.ok(maxAbsDiff(onnx, reference) < 1e-4, `imported weights differ from the file's by ${maxAbsDiff(onnx, reference)}`);
});

test('export -> import -> export keeps every weight (gate order and bias folded back exactly)', () => {
  const manifest = fixtureManifest({ seed: 4 });
  const weights = randomWeights(manifest.architecture, 4);
  const imported = weightsFromOnnx(buildOnnxModel(weights, manifest), 'fixture.onnx').weights;
  weights.lstm.forEach((layer, l) => {
    for (const side of ['forward', 'backward'] as const) {
      assert.deepEqual(imported.lstm[l]![side].kernel, layer[side].kernel, `lstm${l} ${side} kernel`);
      assert.deepEqual(imported.lstm[l]![side].recurrentKernel, layer[side].recurrentKernel, `lstm${l} ${side} recurrent kernel`);
      assert.deepEqual(imported.lstm[l]![side].bias, layer[side].bias, `lstm${l} ${side} bias`);
    }
  });
  assert.deepEqual(imported.output.kernel, weights.output.kernel);
  assert.deepEqual(imported.hidden?.bias, weights.hidden?.bias);
});

test('an int8 file is refused with the reason and what to use instead', () => {
  const manifest = fixtureManifest({ seed: 5 });
  const bytes = quantizeWeightsInt8(buildOnnxModel(randomWeights(manifest.architecture, 5), manifest));
  assert.throws(() => weightsFromOnnx(bytes, 'small.int8.onnx'), (err: unknown) => err instanceof OnnxImportError && /small\.int8\.onnx: .*int8.*model\.onnx/.test(err.message));
});
