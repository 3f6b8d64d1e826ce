/**
 * A trainable sequence LSTM for TensorFlow.js with a hand-written backward pass (BPTT) through
 * `tf.customGrad`, built around what is cheap and what is not on tfjs-backend-wasm 4.22 (measured):
 *  - cheap: matMul without transpose flags (XNNPACK; with a flag a naive loop runs, so transposes
 *    are materialised), Concat/Stack, Transpose, Reverse, Reshape, element-wise ops;
 *  - expensive: Slice/SplitV/Unpack (JavaScript kernels that copy the WHOLE source tensor out of
 *    the wasm heap for every slice) and Gather (~30 ns per element).
 * So nothing is ever sliced per step: each gate has its own weight matrix [F+U+1, U] (bias as the
 * last row) and is one matMul of concat(x_t, h, 1) per step; on wasm, frame t of a time-major
 * tensor is taken out with a one-hot matMul (on cpu, where slices are cheap, by one Unpack); the backward pass precomputes every step's gate factors in bulk, runs only the true
 * recurrence per step, and gets every weight gradient as ONE matMul over all steps
 * (d[kernel; recurrentKernel; bias] = concat(X, Hprev, 1)^T dZ, dX = dZ kernel^T).
 *
 * Cell (gate order i, f, c, o; tfjs layout kernel [F,4U], recurrentKernel [U,4U], bias [4U]):
 *   i = σ(x Wi + h Ui + bi), f = σ(..f), g = tanh(..c), o = σ(..o), c' = f c + i g, h' = o tanh(c').
 */
import * as tf from '@tensorflow/tfjs';

/** One direction's weights as tensors (variables in training), tfjs layout. */
export interface LstmParams {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export interface LstmOptions {
  /**
   * Process frames from last to first. The output of every frame stays at that frame's position
   * (unlike keras `goBackwards`, which returns the sequence in processing order).
   */
  reverse?: boolean;
}

export class LstmShapeError extends RangeError {
  constructor(message: string) {
    super(`fast-lstm: ${message}`);
    this.name = 'LstmShapeError';
  }
}

function checkShapes(x: tf.Tensor, p: LstmParams): { batch: number; frames: number; inputDim: number; units: number } {
  if (x.rank !== 3) throw new LstmShapeError(`input must be [batch, frames, features], got shape [${x.shape}]`);
  const [batch, frames, inputDim] = x.shape as [number, number, number];
  if (frames < 1) throw new LstmShapeError('input has no frames');
  const units = p.recurrentKernel.shape[0];
  const expect = (name: string, got: readonly number[], want: number[]): void => {
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
      throw new LstmShapeError(`${name} must have shape [${want}], got [${got}]`);
    }
  };
  expect('kernel', p.kernel.shape, [inputDim, 4 * units]);
  expect('recurrentKernel', p.recurrentKernel.shape, [units, 4 * units]);
  expect('bias', p.bias.shape, [4 * units]);
  return { batch, frames, inputDim, units };
}

/**
 * Row access to a time-major [T, N] tensor: on wasm a one-hot matMul per row (no Slice, see the
 * header); on the other backends, whose contiguous slices are cheap views, one Unpack.
 */
function rowAccess(rows: tf.Tensor2D, oneHot: tf.Tensor2D[] | null): (t: number) => tf.Tensor2D {
  if (oneHot) return (t) => tf.matMul(oneHot[t]!, rows);
  const unpacked = tf.unstack(rows).map((r) => tf.reshape(r, [1, r.shape[0]!]) as tf.Tensor2D);
  return (t) => unpacked[t]!;
}

/** The T one-hot rows [1, T] on wasm (split of a small identity: slicing small tensors is cheap), else null. */
function oneHotRows(T: number): tf.Tensor2D[] | null {
  if (tf.getBackend() !== 'wasm') return null;
  return T === 1 ? [tf.ones([1, 1])] : (tf.split(tf.eye(T), T, 0) as tf.Tensor2D[]);
}

/** [rows, 4U] -> four [rows, U] gate blocks, via one transpose and a split along the leading axis. */
function gateBlocks(w: tf.Tensor2D, units: number): tf.Tensor2D[] {
  const rows = w.shape[0];
  const gateMajor = tf.transpose(tf.reshape(w, [rows, 4, units]), [1, 0, 2]);
  return (tf.split(gateMajor, 4, 0) as tf.Tensor3D[]).map((g) => tf.reshape(g, [rows, units]) as tf.Tensor2D);
}

/** [T, B, U] -> the previous step's value at every step, zeros first (one Slice: one copy). */
function previousStep(t: tf.Tensor3D): tf.Tensor3D {
  const [T, B, U] = t.shape;
  if (T === 1) return tf.zerosLike(t);
  return tf.concat([tf.zeros([1, B, U]), tf.slice(t, [0, 0, 0], [T - 1, B, U])], 0) as tf.Tensor3D;
}

const sigmoidGrad = (a: tf.Tensor): tf.Tensor => tf.mul(a, tf.sub(1, a));

/**
 * One LSTM direction over `x` [B, T, F] from zero state; returns every frame's hidden state
 * [B, T, U]. Differentiable with respect to x and all three weights.
 */
export function fastLstm(x: tf.Tensor3D, params: LstmParams, options: LstmOptions = {}): tf.Tensor3D {
  const { batch: B, frames: T, inputDim: F, units: U } = checkShapes(x, params);
  const reverse = options.reverse ?? false;
  const op = tf.customGrad((xIn, kernelIn, recurrentIn, biasIn, saveArg) => {
    const save = saveArg as tf.GradSaveFunc;
    const kernel = kernelIn as tf.Tensor2D;
    const recurrent = recurrentIn as tf.Tensor2D;
    // Time-major in processing order.
    let xSteps = tf.transpose(xIn as tf.Tensor3D, [1, 0, 2]);
    if (reverse) xSteps = tf.reverse(xSteps, 0);
    const xRows = tf.reshape(xSteps, [T, B * F]) as tf.Tensor2D;
    const xFrame = rowAccess(xRows, oneHotRows(T));
    // The bias is the last weight row, fed by a constant-1 input column: plain matMuls only
    // (tf.fused.matMul wraps every call in a customGrad, which costs more than the kernel here).
    const weights = gateBlocks(tf.concat([kernel, recurrent, tf.reshape(biasIn as tf.Tensor1D, [1, 4 * U])], 0) as tf.Tensor2D, U);
    const ones = tf.ones([B, 1]);
    const gates: tf.Tensor2D[][] = [[], [], [], []];
    const cells: tf.Tensor2D[] = [];
    const tanhCells: tf.Tensor2D[] = [];
    const hiddens: tf.Tensor2D[] = [];
    const inputs: tf.Tensor2D[] = [];
    let h: tf.Tensor2D = tf.zeros([B, U]);
    let c: tf.Tensor2D | null = null;
    for (let s = 0; s < T; s++) {
      const input = tf.concat([tf.reshape(xFrame(s), [B, F]), h, ones], 1) as tf.Tensor2D;
      const z = weights.map((w) => tf.matMul(input, w));
      const i = tf.sigmoid(z[0]!);
      const f = tf.sigmoid(z[1]!);
      const g = tf.tanh(z[2]!);
      const o = tf.sigmoid(z[3]!);
      const ig = tf.mul(i, g) as tf.Tensor2D;
      c = c === null ? ig : (tf.add(tf.mul(f, c), ig) as tf.Tensor2D);
      const tc = tf.tanh(c);
      h = tf.mul(o, tc) as tf.Tensor2D;
      ([i, f, g, o] as tf.Tensor2D[]).forEach((t, k) => gates[k]!.push(t));
      cells.push(c);
      tanhCells.push(tc);
      hiddens.push(h);
      inputs.push(input);
    }
    // Stacked once; saved for the backward pass (save is a no-op when no gradient is recorded).
    const stacked = [...gates.map((g) => tf.stack(g)), tf.stack(cells), tf.stack(tanhCells), tf.stack(inputs)];
    save([...stacked, kernel, recurrent, ...gates[1]!]);
    let out = tf.stack(hiddens, 1) as tf.Tensor3D;
    if (reverse) out = tf.reverse(out, 1);

    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [iAll, fAll, gAll, oAll, cAll, tcAll, inAll, sKernel, sRecurrent] = saved as tf.Tensor3D[];
      const fSteps = saved.slice(9) as tf.Tensor2D[];
      // Bulk: the factors that turn dC / dH into each gate's pre-activation gradient, all steps.
      const dCdH = tf.mul(oAll!, tf.sub(1, tf.square(tcAll!)));
      const cPrev = previousStep(cAll!);
      const gateFactor = tf.concat(
        [tf.mul(gAll!, sigmoidGrad(iAll!)), tf.mul(cPrev, sigmoidGrad(fAll!)), tf.mul(iAll!, tf.sub(1, tf.square(gAll!))), tf.mul(tcAll!, sigmoidGrad(oAll!))],
        2,
      );
      const factorRows = tf.reshape(gateFactor, [T, B * 4 * U]) as tf.Tensor2D;
      const dCdHRows = tf.reshape(dCdH, [T, B * U]) as tf.Tensor2D;
      let dySteps = tf.transpose(dy, [1, 0, 2]);
      if (reverse) dySteps = tf.reverse(dySteps, 0);
      const dyRows = tf.reshape(dySteps, [T, B * U]) as tf.Tensor2D;
      const oneHotB = oneHotRows(T);
      const dyFrame = rowAccess(dyRows, oneHotB);
      const dCdHFrame = rowAccess(dCdHRows, oneHotB);
      const factorFrame = rowAccess(factorRows, oneHotB);
      const recurrentT = tf.transpose(sRecurrent as unknown as tf.Tensor2D);
      const dZ: tf.Tensor2D[] = new Array(T);
      let dhRec: tf.Tensor2D | null = null;
      let dcCarry: tf.Tensor2D | null = null;
      for (let s = T - 1; s >= 0; s--) {
        const dyS = tf.reshape(dyFrame(s), [B, U]) as tf.Tensor2D;
        const dh: tf.Tensor2D = dhRec === null ? dyS : tf.add(dyS, dhRec);
        const dcLocal = tf.mul(dh, tf.reshape(dCdHFrame(s), [B, U])) as tf.Tensor2D;
        const dc: tf.Tensor2D = dcCarry === null ? dcLocal : tf.add(dcLocal, dcCarry);
        const dz = tf.mul(tf.concat([dc, dc, dc, dh], 1), tf.reshape(factorFrame(s), [B, 4 * U])) as tf.Tensor2D;
        dZ[s] = dz;
        if (s > 0) {
          dhRec = tf.matMul(dz, recurrentT) as tf.Tensor2D;
          dcCarry = tf.mul(dc, fSteps[s]!) as tf.Tensor2D;
        }
      }
      // Weight gradients over all steps at once.
      const dZAll = tf.reshape(tf.stack(dZ), [T * B, 4 * U]) as tf.Tensor2D;
      const inRows = tf.reshape(inAll!, [T * B, F + U + 1]) as tf.Tensor2D;
      const dW = tf.matMul(tf.transpose(inRows), dZAll);
      const [dKernel, dRecurrent, dBiasRow] = tf.split(dW, [F, U, 1], 0);
      const dBias = tf.reshape(dBiasRow!, [4 * U]);
      let dx = tf.reshape(tf.matMul(dZAll, tf.transpose(sKernel as unknown as tf.Tensor2D)), [T, B, F]);
      if (reverse) dx = tf.reverse(dx, 0);
      return [tf.transpose(dx, [1, 0, 2]), dKernel!, dRecurrent!, dBias];
    };
    return { value: out, gradFunc };
  });
  return op(x, params.kernel, params.recurrentKernel, params.bias) as tf.Tensor3D;
}

/**
 * A bidirectional layer: concat(forward(x), reverse(backward(reverse(x)))) on the feature axis,
 * [B, T, 2U].
 */
export function bidirectionalLstm(x: tf.Tensor3D, forward: LstmParams, backward: LstmParams): tf.Tensor3D {
  return tf.concat([fastLstm(x, forward), fastLstm(x, backward, { reverse: true })], 2) as tf.Tensor3D;
}
