/**
 * The classifier architecture built from standard `tf.layers` (Bidirectional(LSTM) with sigmoid
 * recurrent activation, concat merge): the baseline for parity tests and the training benchmark.
 * Same dropout placement as BiLstmClassifier: between stacked LSTM layers and after pooling.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelArchitecture, ModelWeights } from './types.js';
import { frameStackOf } from './frame-stacking.js';

/** 'last' pooling: concat(forward h at the last frame, backward h at the first frame). */
class LastFramePooling extends tf.layers.Layer {
  static className = 'LastFramePooling';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape;
    return [shape[0]!, shape[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const [batch, frames, width] = h.shape;
      const half = width / 2;
      const forwardLast = tf.reshape(tf.slice(h, [0, frames - 1, 0], [batch, 1, half]), [batch, half]);
      const backwardFirst = tf.reshape(tf.slice(h, [0, 0, half], [batch, 1, half]), [batch, half]);
      return tf.concat([forwardLast, backwardFirst], 1);
    });
  }
}

/** A LayersModel [batch, inputFrames, inputDim] -> logits [batch, numClasses] (no softmax). */
export function buildLayersModel(arch: ModelArchitecture): tf.LayersModel {
  // Attention pooling is checked against the float64 reference instead (test/attention-pooling).
  if (arch.pooling === 'attention') throw new RangeError('buildLayersModel: no tf.layers baseline for attention pooling');
  if (frameStackOf(arch) > 1) throw new RangeError('buildLayersModel: no tf.layers baseline for frame stacking');
  const model = tf.sequential();
  arch.lstmUnits.forEach((units, n) => {
    model.add(
      tf.layers.bidirectional({
        // Glorot rather than the default orthogonal recurrent init: callers overwrite the weights with
        // setLayersWeights, and tfjs's orthogonal init is slow (and warns) for 64x256 matrices.
        layer: tf.layers.lstm({ units, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }) as tf.RNN,
        mergeMode: 'concat',
        ...(n === 0 ? { inputShape: [arch.inputFrames, arch.inputDim] } : {}),
      }),
    );
    if (arch.dropout > 0 && n < arch.lstmUnits.length - 1) model.add(tf.layers.dropout({ rate: arch.dropout }));
  });
  model.add(arch.pooling === 'mean' ? tf.layers.globalAveragePooling1d() : new LastFramePooling({}));
  if (arch.dropout > 0) model.add(tf.layers.dropout({ rate: arch.dropout }));
  if (arch.hiddenUnits > 0) model.add(tf.layers.dense({ units: arch.hiddenUnits, activation: 'relu' }));
  model.add(tf.layers.dense({ units: arch.numClasses }));
  return model;
}

/** Loads ModelWeights into a model from buildLayersModel (keras weight order per layer). */
export function setLayersWeights(model: tf.LayersModel, w: ModelWeights): void {
  const arrays: tf.Tensor[] = [];
  for (const layer of w.lstm) {
    for (const d of [layer.forward, layer.backward]) {
      arrays.push(
        tf.tensor2d(d.kernel, [layer.inputDim, 4 * layer.units]),
        tf.tensor2d(d.recurrentKernel, [layer.units, 4 * layer.units]),
        tf.tensor1d(d.bias),
      );
    }
  }
  for (const d of w.hidden ? [w.hidden, w.output] : [w.output]) arrays.push(tf.tensor2d(d.kernel, [d.inDim, d.outDim]), tf.tensor1d(d.bias));
  const expected = model.getWeights().length;
  if (arrays.length !== expected) {
    tf.dispose(arrays);
    throw new TypeError(`setLayersWeights: weights hold ${arrays.length} arrays, the LayersModel has ${expected}`);
  }
  model.setWeights(arrays);
  tf.dispose(arrays);
}
