/**
 * A trainable sequence LSTM for TensorFlow.js with a hand-written backward pass (BPTT) through
 * `tf.customGrad`. tfjs-wasm spends most of an LSTM's time in per-op overhead, so this op:
 *  - projects the inputs of all frames (and all directions) with ONE matMul before the recurrence;
 *  - steps D directions together as one "wide" cell of D*U units whose recurrent matrix is
 *    block-diagonal, so each time step costs one matMul and a dozen element-wise ops for all
 *    directions;
 *  - saves the per-step gates and states stacked once, and in the backward pass runs only what
 *    truly depends on the recurrence per step; every weight gradient is one large matMul over all
 *    steps (dKernel = X^T dZ, dRecurrent = Hprev^T dZ, dBias = sum dZ, dX = dZ kernel^T).
 * The wasm backend sends matMuls to XNNPACK only without transpose flags, so transposes are
 * materialised explicitly (a cheap copy) instead of passing transposeA/transposeB.
 *
 * Cell (gate order i, f, c, o; tfjs weight layout kernel [F,4U], recurrentKernel [U,4U], bias [4U]):
 *   i = σ(x Wi + h Ui + bi), f = σ(..f), g = tanh(..c), o = σ(..o), c' = f c + i g, h' = o tanh(c').
 *
 * Internal layout: time-major, gate columns ordered [gate][direction][unit] so that the four gate
 * blocks of the wide cell each hold all directions side by side.
 */
import * as tf from '@tensorflow/tfjs';

/** One direction's weights as tensors (variables in training), tfjs layout. */
export interface LstmParams {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export interface LstmDirection extends LstmParams {
  /**
   * Process frames from last to first. The output of every frame stays at that frame's position
   * (unlike keras `goBackwards`, which returns the sequence in processing order).
   */
  reverse: boolean;
}

/** 'fused': both directions stepped together (one recurrence); 'separate': two recurrences. */
export type BidirectionalMode = 'fused' | 'separate';

export class LstmShapeError extends RangeError {
  constructor(message: string) {
    super(`fast-lstm: ${message}`);
    this.name = 'LstmShapeError';
  }
}

function checkShapes(x: tf.Tensor, dirs: readonly LstmDirection[]): { batch: number; frames: number; inputDim: number; units: number } {
  if (x.rank !== 3) throw new LstmShapeError(`input must be [batch, frames, features], got shape [${x.shape}]`);
  const [batch, frames, inputDim] = x.shape as [number, number, number];
  if (frames < 1) throw new LstmShapeError('input has no frames');
  if (dirs.length < 1) throw new LstmShapeError('at least one direction is needed');
  const units = dirs[0]!.recurrentKernel.shape[0];
  dirs.forEach((d, n) => {
    const expect = (name: string, got: readonly number[], want: number[]): void => {
      if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
        throw new LstmShapeError(`direction ${n} ${name} must have shape [${want}], got [${got}]`);
      }
    };
    expect('kernel', d.kernel.shape, [inputDim, 4 * units]);
    expect('recurrentKernel', d.recurrentKernel.shape, [units, 4 * units]);
    expect('bias', d.bias.shape, [4 * units]);
  });
  return { batch, frames, inputDim, units };
}

/** [rows, 4U] per direction -> [rows, 4*D*U] with columns [gate][direction][unit]. */
function interleaveGateColumns(perDirection: tf.Tensor2D[], units: number): tf.Tensor2D {
  const rows = perDirection[0]!.shape[0];
  if (perDirection.length === 1) return perDirection[0]!;
  const parts = perDirection.map((w) => tf.reshape(w, [rows, 4, 1, units]));
  return tf.reshape(tf.concat(parts, 2), [rows, 4 * perDirection.length * units]);
}

/**
 * interleaveGateColumns for biases. Built with a rank-1 concat on purpose: the wasm fused matMul
 * checks the rank of the bias's underlying buffer, which a reshape does not change.
 */
function interleaveBias(perDirection: tf.Tensor1D[]): tf.Tensor1D {
  if (perDirection.length === 1) return perDirection[0]!;
  const gates = perDirection.map((b) => tf.split(b, 4) as tf.Tensor1D[]);
  const parts: tf.Tensor1D[] = [];
  for (let k = 0; k < 4; k++) for (const g of gates) parts.push(g[k]!);
  return tf.concat(parts);
}

/** Inverse of interleaveGateColumns: [rows, 4*D*U] -> D tensors [rows, 4U]. */
function splitGateColumns(joined: tf.Tensor2D, directions: number, units: number): tf.Tensor2D[] {
  if (directions === 1) return [joined];
  const rows = joined.shape[0];
  const parts = tf.split(tf.reshape(joined, [rows, 4, directions, units]), directions, 2);
  return parts.map((p) => tf.reshape(p, [rows, 4 * units]));
}

/** Block-diagonal recurrent matrix [D*U, 4*D*U]: direction d's hidden units feed only its own gates. */
function blockDiagonalRecurrent(perDirection: tf.Tensor2D[], units: number): tf.Tensor2D {
  const D = perDirection.length;
  if (D === 1) return perDirection[0]!;
  const zeros = tf.zeros([units, 4, 1, units]);
  const rowBlocks = perDirection.map((w, d) => {
    const own = tf.reshape(w, [units, 4, 1, units]);
    const blocks = Array.from({ length: D }, (_, e) => (e === d ? own : zeros));
    return tf.reshape(tf.concat(blocks, 2), [units, 4 * D * units]);
  });
  return tf.concat(rowBlocks, 0) as tf.Tensor2D;
}

/**
 * [T, B, D, U]-like per-direction time series in natural time order <-> processing-step order:
 * reversed directions are flipped along time. `axis` is the direction axis of `t`.
 */
function toggleStepOrder(t: tf.Tensor, dirs: readonly LstmDirection[], axis: number): tf.Tensor {
  if (!dirs.some((d) => d.reverse)) return t;
  if (dirs.length === 1) return tf.reverse(t, 0);
  const parts = tf.split(t, dirs.length, axis).map((p, d) => (dirs[d]!.reverse ? tf.reverse(p, 0) : p));
  return tf.concat(parts, axis);
}

interface Recurrence {
  /** Per step, stacked [T, B, *]: sigmoid of all gate pre-activations, tanh candidate, cell, hidden. */
  sig: tf.Tensor3D;
  cand: tf.Tensor3D;
  cell: tf.Tensor3D;
  hidden: tf.Tensor3D;
}

/** The forward recurrence of a wide cell of V units over pre-projected inputs `xp[s]` [B, 4V]. */
function runRecurrence(xp: tf.Tensor2D[], wRec: tf.Tensor2D, V: number): Recurrence {
  const sigs: tf.Tensor2D[] = [];
  const cands: tf.Tensor2D[] = [];
  const cells: tf.Tensor2D[] = [];
  const hiddens: tf.Tensor2D[] = [];
  let h: tf.Tensor2D | null = null;
  let c: tf.Tensor2D | null = null;
  const batch = xp[0]!.shape[0];
  for (let s = 0; s < xp.length; s++) {
    const z: tf.Tensor2D = h === null ? xp[s]! : tf.add(xp[s]!, tf.matMul(h, wRec));
    // One sigmoid over all four gates (the c block is unused), one tanh on the candidate block.
    const sig = tf.sigmoid(z);
    const [i, f, , o] = tf.split(sig, 4, 1) as tf.Tensor2D[];
    const g = tf.tanh(tf.slice(z, [0, 2 * V], [batch, V])) as tf.Tensor2D;
    const ig = tf.mul(i!, g) as tf.Tensor2D;
    const cNew: tf.Tensor2D = c === null ? ig : tf.add(tf.mul(f!, c), ig);
    const hNew = tf.mul(o!, tf.tanh(cNew)) as tf.Tensor2D;
    sigs.push(sig);
    cands.push(g);
    cells.push(cNew);
    hiddens.push(hNew);
    c = cNew;
    h = hNew;
  }
  return { sig: tf.stack(sigs) as tf.Tensor3D, cand: tf.stack(cands) as tf.Tensor3D, cell: tf.stack(cells) as tf.Tensor3D, hidden: tf.stack(hiddens) as tf.Tensor3D };
}

/** [T, B, V] shifted one step later along time with zeros first: the previous step's value. */
function previousStep(t: tf.Tensor3D): tf.Tensor3D {
  const [T, B, V] = t.shape;
  if (T === 1) return tf.zerosLike(t);
  return tf.concat([tf.zeros([1, B, V]), tf.slice(t, [0, 0, 0], [T - 1, B, V])], 0);
}

/**
 * BPTT through the wide cell. `dHidden` [T, B, V] is the loss gradient of each step's hidden
 * output (step order). Returns dZ [T, B, 4V]: the gradient of every gate pre-activation.
 */
function backRecurrence(r: Recurrence, dHidden: tf.Tensor3D, wRecT: tf.Tensor2D): tf.Tensor3D {
  const T = r.hidden.shape[0];
  // Everything that does not depend on the recurrence is computed once for all steps.
  const [i, f, , o] = tf.split(r.sig, 4, 2) as tf.Tensor3D[];
  const g = r.cand;
  const tc = tf.tanh(r.cell);
  const one = tf.scalar(1);
  const dCelldH = tf.mul(o!, tf.sub(one, tf.square(tc)));
  const cellPrev = previousStep(r.cell);
  // dZ = [dC, dC, dC, dH] * gateFactor, per gate block.
  const gateFactor = tf.concat(
    [
      tf.mul(g, tf.mul(i!, tf.sub(one, i!))),
      tf.mul(cellPrev, tf.mul(f!, tf.sub(one, f!))),
      tf.mul(i!, tf.sub(one, tf.square(g))),
      tf.mul(tc, tf.mul(o!, tf.sub(one, o!))),
    ],
    2,
  );
  const dyS = tf.unstack(dHidden) as tf.Tensor2D[];
  const kS = tf.unstack(dCelldH) as tf.Tensor2D[];
  const mS = tf.unstack(gateFactor) as tf.Tensor2D[];
  const fS = tf.unstack(f!) as tf.Tensor2D[];
  const dZ: tf.Tensor2D[] = new Array(T);
  let dhRec: tf.Tensor2D | null = null;
  let dcCarry: tf.Tensor2D | null = null;
  for (let s = T - 1; s >= 0; s--) {
    const dh: tf.Tensor2D = dhRec === null ? dyS[s]! : tf.add(dyS[s]!, dhRec);
    const dcLocal = tf.mul(dh, kS[s]!) as tf.Tensor2D;
    const dc: tf.Tensor2D = dcCarry === null ? dcLocal : tf.add(dcLocal, dcCarry);
    const dz = tf.mul(tf.concat([dc, dc, dc, dh], 1), mS[s]!) as tf.Tensor2D;
    dZ[s] = dz;
    if (s > 0) {
      dhRec = tf.matMul(dz, wRecT) as tf.Tensor2D;
      dcCarry = tf.mul(dc, fS[s]!) as tf.Tensor2D;
    }
  }
  return tf.stack(dZ) as tf.Tensor3D;
}

/**
 * Runs D LSTM directions over the same input `x` [B, T, F] stepped together as one recurrence.
 * Returns [B, T, D*U]: direction d's hidden states in feature block d, each at its frame's position.
 */
export function multiDirectionLstm(x: tf.Tensor3D, dirs: readonly LstmDirection[]): tf.Tensor3D {
  const { batch: B, frames: T, inputDim: F, units: U } = checkShapes(x, dirs);
  const D = dirs.length;
  const V = D * U;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xIn = args[0] as tf.Tensor3D;
    const params = dirs.map((_, d) => ({
      kernel: args[1 + 3 * d] as tf.Tensor2D,
      recurrentKernel: args[2 + 3 * d] as tf.Tensor2D,
      bias: args[3 + 3 * d] as tf.Tensor1D,
    }));
    const kernel = interleaveGateColumns(params.map((p) => p.kernel), U);
    const bias = interleaveBias(params.map((p) => p.bias));
    const wRec = blockDiagonalRecurrent(params.map((p) => p.recurrentKernel), U);
    const xTime = tf.reshape(tf.transpose(xIn, [1, 0, 2]), [T * B, F]) as tf.Tensor2D;
    // All frames, all directions, one matMul (bias fused).
    const projected = tf.reshape(tf.fused.matMul({ a: xTime, b: kernel, bias }), [T, B, 4, D, U]);
    const xp = tf.unstack(tf.reshape(toggleStepOrder(projected, dirs, 3), [T, B, 4 * V])) as tf.Tensor2D[];
    const rec = runRecurrence(xp, wRec, V);
    save([xTime, kernel, wRec, rec.sig, rec.cand, rec.cell, rec.hidden]);
    const natural = toggleStepOrder(tf.reshape(rec.hidden, [T, B, D, U]), dirs, 2);
    const value = tf.transpose(tf.reshape(natural, [T, B, V]), [1, 0, 2]) as tf.Tensor3D;
    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sxTime, sKernel, sRec, sig, cand, cell, hidden] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const dyTime = tf.reshape(tf.transpose(dy, [1, 0, 2]), [T, B, D, U]);
      const dHidden = tf.reshape(toggleStepOrder(dyTime, dirs, 2), [T, B, V]) as tf.Tensor3D;
      const dZ = backRecurrence({ sig, cand, cell, hidden }, dHidden, tf.transpose(sRec));
      // Recurrent weights: Hprev^T dZ per direction (only the diagonal blocks are weights).
      const hPrev = tf.reshape(previousStep(hidden), [T * B, D, U]);
      const dZSteps = tf.reshape(dZ, [T * B, 4, D, U]);
      const dRec = dirs.map((_, d) => {
        const h = D === 1 ? tf.reshape(hPrev, [T * B, U]) : tf.reshape(tf.slice(hPrev, [0, d, 0], [T * B, 1, U]), [T * B, U]);
        const z = D === 1 ? tf.reshape(dZSteps, [T * B, 4 * U]) : tf.reshape(tf.slice(dZSteps, [0, 0, d, 0], [T * B, 4, 1, U]), [T * B, 4 * U]);
        return tf.matMul(tf.transpose(h), z);
      });
      // Input side in natural time order: one matMul each for dKernel and dX over all directions.
      const dZNatural = tf.reshape(toggleStepOrder(tf.reshape(dZ, [T, B, 4, D, U]), dirs, 3), [T * B, 4 * V]) as tf.Tensor2D;
      const dKernel = splitGateColumns(tf.matMul(tf.transpose(sxTime), dZNatural), D, U);
      const dBias = splitGateColumns(tf.reshape(tf.sum(dZNatural, 0), [1, 4 * V]) as tf.Tensor2D, D, U).map((b) => tf.reshape(b, [4 * U]));
      const dx = tf.transpose(tf.reshape(tf.matMul(dZNatural, tf.transpose(sKernel)), [T, B, F]), [1, 0, 2]);
      const grads: tf.Tensor[] = [dx];
      dirs.forEach((_, d) => grads.push(dKernel[d]!, dRec[d]!, dBias[d]!));
      return grads;
    };
    return { value, gradFunc };
  });
  const inputs: tf.Tensor[] = [x];
  for (const d of dirs) inputs.push(d.kernel, d.recurrentKernel, d.bias);
  return op(...inputs) as tf.Tensor3D;
}

/** One LSTM direction over `x` [B, T, F] from zero state; returns every frame's hidden state [B, T, U]. */
export function fastLstm(x: tf.Tensor3D, params: LstmParams, options: { reverse?: boolean } = {}): tf.Tensor3D {
  return multiDirectionLstm(x, [{ ...params, reverse: options.reverse ?? false }]);
}

/**
 * A bidirectional layer: concat(forward(x), reverse(backward(reverse(x)))) on the feature axis,
 * [B, T, 2U]. `mode` picks one fused recurrence or two separate ones (see the benchmark).
 */
export function bidirectionalLstm(x: tf.Tensor3D, forward: LstmParams, backward: LstmParams, mode: BidirectionalMode = 'fused'): tf.Tensor3D {
  const fw: LstmDirection = { ...forward, reverse: false };
  const bw: LstmDirection = { ...backward, reverse: true };
  if (mode === 'fused') return multiDirectionLstm(x, [fw, bw]);
  return tf.concat([multiDirectionLstm(x, [fw]), multiDirectionLstm(x, [bw])], 2) as tf.Tensor3D;
}
