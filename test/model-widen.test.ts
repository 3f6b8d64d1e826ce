import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../model/backend.js';
import { BiLstmClassifier } from '../model/network.js';
import { referenceForward } from '../model/reference-lstm.js';
import type { ModelArchitecture } from '../model/types.js';
import { widenWeights, WidenError } from '../model/widen.js';
import { randomClips, randomModelWeights } from './helpers/random-weights.js';
import { maxAbsDiff } from './helpers/max-diff.js';

await initBackend();

const small: ModelArchitecture = { inputFrames: 7, inputDim: 5, lstmUnits: [4, 3], pooling: 'mean', hiddenUnits: 5, numClasses: 4, dropout: 0 };

for (const arch of [small, { ...small, pooling: 'last' as const, hiddenUnits: 0 }]) {
  test(`widening keeps the function exactly and keeps every trained weight (pooling ${arch.pooling}, hidden ${arch.hiddenUnits})`, () => {
    const trained = randomModelWeights(arch, 11, { outputGain: 3 });
    const wider = widenWeights(trained, { lstmUnits: [9, 6], hiddenUnits: arch.hiddenUnits > 0 ? 8 : 0 }, 2);
    assert.deepEqual(wider.architecture.lstmUnits, [9, 6]);
    assert.equal(wider.lstm[1]!.inputDim, 18);
    // The new units are live (random incoming weights), not dead copies.
    const newGateBlock = wider.lstm[0]!.forward.kernel.subarray(0, 9).slice(4);
    assert.ok(newGateBlock.some((v) => v !== 0), 'new units of layer 1 have incoming weights');
    // A trained weight in place: layer 2 backward, input = layer-1 backward unit 2 (moved from 4+2 to 9+2), gate o of unit 1.
    const oldIndex = (4 + 2) * (4 * 3) + 3 * 3 + 1;
    const newIndex = (9 + 2) * (4 * 6) + 3 * 6 + 1;
    assert.equal(wider.lstm[1]!.backward.kernel[newIndex], trained.lstm[1]!.backward.kernel[oldIndex]);
    for (const [i, clip] of randomClips(arch, 5, 3).entries()) {
      const before = referenceForward(trained, clip).logits;
      const after = referenceForward(wider, clip).logits;
      const diff = maxAbsDiff(before, after);
      assert.ok(diff <= 1e-9, `clip ${i}: max |logits before - after| = ${diff}`);
    }
    const again = widenWeights(trained, { lstmUnits: [9, 6], hiddenUnits: arch.hiddenUnits > 0 ? 8 : 0 }, 2);
    assert.deepEqual(again, wider, 'deterministic in the seed');
  });
}

test('a widened network trains its new units: their outgoing weights get gradient', () => {
  const trained = randomModelWeights(small, 5);
  const net = BiLstmClassifier.fromWeights(widenWeights(trained, { lstmUnits: [6, 5], hiddenUnits: 7 }, 1));
  const x = tf.tensor3d(randomClips(small, 3, 8).flatMap((c) => [...c]), [3, small.inputFrames, small.inputDim]);
  const y = tf.oneHot(tf.tensor1d([0, 2, 3], 'int32'), small.numClasses);
  const outputKernel = net.trainableVariables.at(-2)!;
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.logits(x, false)) as tf.Scalar, [outputKernel]);
  const g = grads[outputKernel.name]!.arraySync() as number[][];
  // Rows 5 and 6 of the output kernel come from the two new hidden units.
  assert.ok(g.slice(5).flat().some((v) => Math.abs(v) > 1e-8), 'gradient reaches the new hidden units\' outgoing weights');
  tf.dispose([x, y, ...Object.values(grads)]);
  net.dispose();
});

test('widening refuses to shrink, to change the depth or to add a hidden layer', () => {
  const trained = randomModelWeights(small, 1);
  assert.throws(() => widenWeights(trained, { lstmUnits: [3, 3], hiddenUnits: 5 }, 1), (e: Error) => e instanceof WidenError && /layer 1 has 4 units; it can only grow/.test(e.message));
  assert.throws(() => widenWeights(trained, { lstmUnits: [4, 3, 3], hiddenUnits: 5 }, 1), (e: Error) => e instanceof WidenError && /2 LSTM layers, asked for 3/.test(e.message));
  assert.throws(() => widenWeights(trained, { lstmUnits: [4, 3], hiddenUnits: 4 }, 1), (e: Error) => e instanceof WidenError && /can only grow/.test(e.message));
  const flat = randomModelWeights({ ...small, hiddenUnits: 0 }, 1);
  assert.throws(() => widenWeights(flat, { lstmUnits: [4, 3], hiddenUnits: 8 }, 1), (e: Error) => e instanceof WidenError && /no hidden layer/.test(e.message));
});
