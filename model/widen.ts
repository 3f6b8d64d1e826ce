/**
 * Function-preserving widening of a trained classifier (Net2Net-style, Chen et al. 2016): more
 * LSTM units per direction and a wider hidden layer, with the trained units' weights kept and every
 * weight that carries a new unit's output into a trained unit set to zero, so the widened network
 * computes exactly what the trained one did. The new units get the usual seeded initialisation for
 * their incoming weights; training then moves their outgoing weights off zero.
 */
import { SeededRandom } from '../util/random.js';
import { lstmInputDim } from './frame-stacking.js';
import { glorotUniform, lstmBias, orthogonal } from './init.js';
import type { BiLstmLayerWeights, DenseWeights, LstmDirectionWeights, ModelWeights } from './types.js';

export class WidenError extends RangeError {
  constructor(message: string) {
    super(`widening: ${message}`);
    this.name = 'WidenError';
  }
}

export interface WiderShape {
  lstmUnits: number[];
  hiddenUnits: number;
}

/**
 * Where each input of a layer moves: identity for the features; for a bidirectional layer's output
 * [forward U | backward U] widened to [forward U' | backward U'], backward unit k moves to U' + k.
 */
function inputIndexMap(oldDim: number, previousUnits: { from: number; to: number } | null): Int32Array {
  const map = new Int32Array(oldDim);
  for (let k = 0; k < oldDim; k++) {
    map[k] = previousUnits === null || k < previousUnits.from ? k : k - previousUnits.from + previousUnits.to;
  }
  return map;
}

/**
 * A [newRows, newCols] matrix: `fresh` (already the new shape), with every column that belongs to a
 * trained output replaced by the trained column (rows moved by `rowMap`, rows of new inputs zero).
 */
function keepTrainedColumns(
  fresh: Float32Array,
  newCols: number,
  trained: Float32Array,
  oldRows: number,
  oldCols: number,
  rowMap: Int32Array,
  colMap: (oldCol: number) => number,
): Float32Array {
  const out = fresh;
  const newRows = out.length / newCols;
  for (let c = 0; c < oldCols; c++) {
    const nc = colMap(c);
    for (let r = 0; r < newRows; r++) out[r * newCols + nc] = 0;
    for (let r = 0; r < oldRows; r++) out[rowMap[r]! * newCols + nc] = trained[r * oldCols + c]!;
  }
  return out;
}

function widenDirection(
  rng: SeededRandom,
  d: LstmDirectionWeights,
  oldIn: number,
  newIn: number,
  inputMap: Int32Array,
  oldUnits: number,
  newUnits: number,
): LstmDirectionWeights {
  // Gate g of unit j sits in column g*U + j (gate order i, f, c, o).
  const gateColumn = (c: number): number => Math.floor(c / oldUnits) * newUnits + (c % oldUnits);
  const identity = Int32Array.from({ length: oldUnits }, (_, k) => k);
  const kernel = keepTrainedColumns(glorotUniform(rng, newIn, 4 * newUnits), 4 * newUnits, d.kernel, oldIn, 4 * oldUnits, inputMap, gateColumn);
  const recurrentKernel = keepTrainedColumns(orthogonal(rng, newUnits, 4 * newUnits), 4 * newUnits, d.recurrentKernel, oldUnits, 4 * oldUnits, identity, gateColumn);
  const bias = lstmBias(newUnits);
  for (let c = 0; c < 4 * oldUnits; c++) bias[gateColumn(c)] = d.bias[c]!;
  return { kernel, recurrentKernel, bias };
}

/**
 * `weights` widened to `shape` (each layer at least as wide as before, the same number of layers,
 * a hidden layer only where there was one). Deterministic in `seed`.
 */
export function widenWeights(weights: ModelWeights, shape: WiderShape, seed: number): ModelWeights {
  const a = weights.architecture;
  if (a.pooling === 'attention') throw new WidenError('an attention-pooled model cannot be widened: widen the mean-pooled model, then add attention (--pooling attention)');
  if (shape.lstmUnits.length !== a.lstmUnits.length) {
    throw new WidenError(`the model has ${a.lstmUnits.length} LSTM layers, asked for ${shape.lstmUnits.length} (--units ${shape.lstmUnits.join(',')})`);
  }
  shape.lstmUnits.forEach((u, n) => {
    if (!Number.isInteger(u) || u < a.lstmUnits[n]!) throw new WidenError(`LSTM layer ${n + 1} has ${a.lstmUnits[n]} units; it can only grow (asked ${u})`);
  });
  if ((a.hiddenUnits > 0) !== (shape.hiddenUnits > 0)) {
    throw new WidenError(`the model has ${a.hiddenUnits > 0 ? `a ${a.hiddenUnits}-unit hidden layer` : 'no hidden layer'}; asked for --hidden ${shape.hiddenUnits}`);
  }
  if (shape.hiddenUnits < a.hiddenUnits) throw new WidenError(`the hidden layer has ${a.hiddenUnits} units; it can only grow (asked ${shape.hiddenUnits})`);

  const rng = new SeededRandom(seed);
  let oldIn = lstmInputDim(a);
  let newIn = lstmInputDim(a);
  let previous: { from: number; to: number } | null = null;
  const lstm: BiLstmLayerWeights[] = weights.lstm.map((layer, n) => {
    const oldUnits = a.lstmUnits[n]!;
    const newUnits = shape.lstmUnits[n]!;
    const inputMap = inputIndexMap(oldIn, previous);
    const widened: BiLstmLayerWeights = {
      inputDim: newIn,
      units: newUnits,
      forward: widenDirection(rng, layer.forward, oldIn, newIn, inputMap, oldUnits, newUnits),
      backward: widenDirection(rng, layer.backward, oldIn, newIn, inputMap, oldUnits, newUnits),
    };
    previous = { from: oldUnits, to: newUnits };
    oldIn = 2 * oldUnits;
    newIn = 2 * newUnits;
    return widened;
  });

  // The pooled vector has the last layer's [forward | backward] layout, moved like a layer input.
  const pooledMap = inputIndexMap(oldIn, previous);
  const identityColumn = (c: number): number => c;
  let hidden: DenseWeights | null = null;
  let outputRowMap = pooledMap;
  let outputIn = newIn;
  if (weights.hidden !== null) {
    const h = weights.hidden;
    hidden = {
      inDim: newIn,
      outDim: shape.hiddenUnits,
      kernel: keepTrainedColumns(glorotUniform(rng, newIn, shape.hiddenUnits), shape.hiddenUnits, h.kernel, h.inDim, h.outDim, pooledMap, identityColumn),
      bias: new Float32Array(shape.hiddenUnits),
    };
    hidden.bias.set(h.bias);
    outputRowMap = Int32Array.from({ length: h.outDim }, (_, k) => k);
    outputIn = shape.hiddenUnits;
  }
  const o = weights.output;
  // Every output column is a trained one: rows from new units are zero.
  const output: DenseWeights = {
    inDim: outputIn,
    outDim: o.outDim,
    kernel: keepTrainedColumns(new Float32Array(outputIn * o.outDim), o.outDim, o.kernel, o.inDim, o.outDim, outputRowMap, identityColumn),
    bias: Float32Array.from(o.bias),
  };
  return {
    architecture: { ...a, lstmUnits: [...shape.lstmUnits], hiddenUnits: shape.hiddenUnits },
    lstm,
    hidden,
    output,
  };
}
