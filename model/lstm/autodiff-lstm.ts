/**
 * The same LSTM as fast-lstm.ts written with plain tf ops, one step at a time, and no custom
 * gradient: tfjs autodiff differentiates it. Slow; it exists so tests can check the hand-written
 * backward pass against autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmParams } from './fast-lstm.js';

/** Hidden state of every frame [B, T, U]; with `reverse`, frames are processed last to first and each output stays at its frame. */
export function autodiffLstm(x: tf.Tensor3D, params: LstmParams, options: { reverse?: boolean } = {}): tf.Tensor3D {
  const [batch, frames] = x.shape;
  const units = params.recurrentKernel.shape[0];
  const inputs = tf.unstack(x, 1) as tf.Tensor2D[];
  let h: tf.Tensor2D = tf.zeros([batch, units]);
  let c: tf.Tensor2D = tf.zeros([batch, units]);
  const outputs: tf.Tensor2D[] = new Array(frames);
  for (let n = 0; n < frames; n++) {
    const t = options.reverse ? frames - 1 - n : n;
    const z = tf.add(tf.add(tf.matMul(inputs[t]!, params.kernel), tf.matMul(h, params.recurrentKernel)), params.bias);
    const [zi, zf, zc, zo] = tf.split(z, 4, 1);
    const i = tf.sigmoid(zi!);
    const f = tf.sigmoid(zf!);
    const g = tf.tanh(zc!);
    const o = tf.sigmoid(zo!);
    c = tf.add(tf.mul(f, c), tf.mul(i, g));
    h = tf.mul(o, tf.tanh(c));
    outputs[t] = h;
  }
  return tf.stack(outputs, 1) as tf.Tensor3D;
}
