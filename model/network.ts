/**
 * The classifier network in TensorFlow.js: stacked bidirectional LSTM layers (fast-lstm.ts),
 * mean, last or attention pooling, an optional ReLU hidden dense layer and the output dense layer, exactly
 * the forward pass documented on `ModelWeights` (model/types.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../util/random.js';
import { checkFrameStack, frameStackOf, lstmInputDim, lstmSteps } from './frame-stacking.js';
import { glorotUniform, lstmBias, orthogonal } from './init.js';
import { bidirectionalLstm, type LstmParams } from './lstm/fast-lstm.js';
import { POOLING_KINDS, type AttentionWeights, type BiLstmLayerWeights, type DenseWeights, type LstmDirectionWeights, type ModelArchitecture, type ModelWeights } from './types.js';

export class ModelWeightsError extends TypeError {
  constructor(message: string) {
    super(`model weights: ${message}`);
    this.name = 'ModelWeightsError';
  }
}

interface LstmVariables {
  kernel: tf.Variable<tf.Rank.R2>;
  recurrentKernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

interface DenseVariables {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

function checkArchitecture(a: ModelArchitecture): void {
  const positive = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`architecture.${name} must be a positive integer, got ${v}`);
  };
  positive('inputFrames', a.inputFrames);
  positive('inputDim', a.inputDim);
  checkFrameStack(a);
  positive('numClasses', a.numClasses);
  if (!Array.isArray(a.lstmUnits) || a.lstmUnits.length < 1) throw new RangeError('architecture.lstmUnits must list at least one layer');
  a.lstmUnits.forEach((u, i) => positive(`lstmUnits[${i}]`, u));
  if (!Number.isInteger(a.hiddenUnits) || a.hiddenUnits < 0) throw new RangeError(`architecture.hiddenUnits must be an integer >= 0, got ${a.hiddenUnits}`);
  if (!POOLING_KINDS.includes(a.pooling)) throw new RangeError(`architecture.pooling must be one of ${POOLING_KINDS.join(', ')}, got '${String(a.pooling)}'`);
  if (a.pooling === 'attention') positive('attentionUnits', a.attentionUnits ?? 0);
  if (!(a.dropout >= 0 && a.dropout < 1)) throw new RangeError(`architecture.dropout must be in [0, 1), got ${a.dropout}`);
}

function checkLength(field: string, got: number, want: number): void {
  if (got !== want) throw new ModelWeightsError(`${field} has ${got} values, expected ${want}`);
}

function variable2d(data: Float32Array, rows: number, cols: number, name: string): tf.Variable<tf.Rank.R2> {
  return tf.variable(tf.tensor2d(data, [rows, cols]), true, name) as tf.Variable<tf.Rank.R2>;
}

function variable1d(data: Float32Array, name: string): tf.Variable<tf.Rank.R1> {
  return tf.variable(tf.tensor1d(data), true, name) as tf.Variable<tf.Rank.R1>;
}

let instanceCount = 0;

export class BiLstmClassifier {
  readonly architecture: ModelArchitecture;
  private readonly lstm: { forward: LstmVariables; backward: LstmVariables }[];
  private readonly attention: { projection: DenseVariables; score: DenseVariables } | null;
  private readonly hidden: DenseVariables | null;
  private readonly output: DenseVariables;

  private constructor(w: ModelWeights) {
    const a = w.architecture;
    checkArchitecture(a);
    if (w.lstm.length !== a.lstmUnits.length) throw new ModelWeightsError(`lstm has ${w.lstm.length} layers, architecture.lstmUnits has ${a.lstmUnits.length}`);
    this.architecture = { ...a, lstmUnits: [...a.lstmUnits] };
    // Variable names are global in tfjs; a per-instance prefix keeps several models side by side.
    const prefix = `bilstm${instanceCount++}`;
    let inputDim = lstmInputDim(a);
    this.lstm = w.lstm.map((layer, n) => {
      const units = a.lstmUnits[n]!;
      if (layer.units !== units || layer.inputDim !== inputDim) {
        throw new ModelWeightsError(`lstm[${n}] is ${layer.inputDim}->${layer.units}, architecture needs ${inputDim}->${units}`);
      }
      const direction = (d: LstmDirectionWeights, side: string): LstmVariables => {
        const field = `lstm[${n}].${side}`;
        checkLength(`${field}.kernel`, d.kernel.length, inputDim * 4 * units);
        checkLength(`${field}.recurrentKernel`, d.recurrentKernel.length, units * 4 * units);
        checkLength(`${field}.bias`, d.bias.length, 4 * units);
        return {
          kernel: variable2d(d.kernel, inputDim, 4 * units, `${prefix}/lstm${n}/${side}/kernel`),
          recurrentKernel: variable2d(d.recurrentKernel, units, 4 * units, `${prefix}/lstm${n}/${side}/recurrent_kernel`),
          bias: variable1d(d.bias, `${prefix}/lstm${n}/${side}/bias`),
        };
      };
      const vars = { forward: direction(layer.forward, 'forward'), backward: direction(layer.backward, 'backward') };
      inputDim = 2 * units;
      return vars;
    });
    const dense = (d: DenseWeights, field: string, inDim: number, outDim: number): DenseVariables => {
      if (d.inDim !== inDim || d.outDim !== outDim) throw new ModelWeightsError(`${field} is ${d.inDim}->${d.outDim}, architecture needs ${inDim}->${outDim}`);
      checkLength(`${field}.kernel`, d.kernel.length, inDim * outDim);
      checkLength(`${field}.bias`, d.bias.length, outDim);
      return { kernel: variable2d(d.kernel, inDim, outDim, `${prefix}/${field}/kernel`), bias: variable1d(d.bias, `${prefix}/${field}/bias`) };
    };
    const pooledDim = 2 * a.lstmUnits[a.lstmUnits.length - 1]!;
    if ((a.pooling === 'attention') !== Boolean(w.attention)) throw new ModelWeightsError(`attention is ${w.attention ? 'present' : 'absent'} but architecture.pooling is '${a.pooling}'`);
    this.attention = w.attention
      ? { projection: dense(w.attention.projection, 'attention/projection', pooledDim, a.attentionUnits!), score: dense(w.attention.score, 'attention/score', a.attentionUnits!, 1) }
      : null;
    if ((a.hiddenUnits > 0) !== (w.hidden !== null)) throw new ModelWeightsError(`hidden is ${w.hidden ? 'present' : 'null'} but architecture.hiddenUnits is ${a.hiddenUnits}`);
    this.hidden = w.hidden ? dense(w.hidden, 'hidden', pooledDim, a.hiddenUnits) : null;
    this.output = dense(w.output, 'output', a.hiddenUnits > 0 ? a.hiddenUnits : pooledDim, a.numClasses);
  }

  /** Seeded initialisation: glorot-uniform kernels, orthogonal recurrent kernels, forget bias 1. */
  static create(arch: ModelArchitecture, seed: number): BiLstmClassifier {
    checkArchitecture(arch);
    const rng = new SeededRandom(seed);
    const lstm: BiLstmLayerWeights[] = [];
    let inputDim = lstmInputDim(arch);
    for (const units of arch.lstmUnits) {
      const direction = (): LstmDirectionWeights => ({
        kernel: glorotUniform(rng, inputDim, 4 * units),
        recurrentKernel: orthogonal(rng, units, 4 * units),
        bias: lstmBias(units),
      });
      lstm.push({ inputDim, units, forward: direction(), backward: direction() });
      inputDim = 2 * units;
    }
    const dense = (inDim: number, outDim: number): DenseWeights => ({ inDim, outDim, kernel: glorotUniform(rng, inDim, outDim), bias: new Float32Array(outDim) });
    const attention: AttentionWeights | null = arch.pooling === 'attention' ? { projection: dense(inputDim, arch.attentionUnits!), score: dense(arch.attentionUnits!, 1) } : null;
    const hidden = arch.hiddenUnits > 0 ? dense(inputDim, arch.hiddenUnits) : null;
    const output = dense(arch.hiddenUnits > 0 ? arch.hiddenUnits : inputDim, arch.numClasses);
    return new BiLstmClassifier({ architecture: arch, lstm, hidden, output, attention });
  }

  static fromWeights(w: ModelWeights): BiLstmClassifier {
    return new BiLstmClassifier(w);
  }

  get trainableVariables(): tf.Variable[] {
    const vars: tf.Variable[] = [];
    for (const layer of this.lstm) {
      for (const d of [layer.forward, layer.backward]) vars.push(d.kernel, d.recurrentKernel, d.bias);
    }
    if (this.attention) vars.push(this.attention.projection.kernel, this.attention.projection.bias, this.attention.score.kernel, this.attention.score.bias);
    if (this.hidden) vars.push(this.hidden.kernel, this.hidden.bias);
    vars.push(this.output.kernel, this.output.bias);
    return vars;
  }

  toWeights(): ModelWeights {
    const read = (v: tf.Variable): Float32Array => Float32Array.from(v.dataSync() as Float32Array);
    const a = this.architecture;
    const direction = (d: LstmVariables): LstmDirectionWeights => ({ kernel: read(d.kernel), recurrentKernel: read(d.recurrentKernel), bias: read(d.bias) });
    const dense = (d: DenseVariables): DenseWeights => ({ inDim: d.kernel.shape[0], outDim: d.kernel.shape[1], kernel: read(d.kernel), bias: read(d.bias) });
    return {
      architecture: { ...a, lstmUnits: [...a.lstmUnits] },
      lstm: this.lstm.map((layer, n) => ({
        inputDim: layer.forward.kernel.shape[0],
        units: a.lstmUnits[n]!,
        forward: direction(layer.forward),
        backward: direction(layer.backward),
      })),
      hidden: this.hidden ? dense(this.hidden) : null,
      output: dense(this.output),
      ...(this.attention ? { attention: { projection: dense(this.attention.projection), score: dense(this.attention.score) } } : {}),
    };
  }

  /** Overwrites every weight in place (same architecture), e.g. to restore a checkpoint. */
  setWeights(w: ModelWeights): void {
    const incoming = new BiLstmClassifier(w);
    try {
      const mine = this.trainableVariables;
      const theirs = incoming.trainableVariables;
      if (mine.length !== theirs.length || mine.some((v, i) => v.shape.join() !== theirs[i]!.shape.join())) {
        throw new ModelWeightsError('setWeights: the weights are for a different architecture');
      }
      mine.forEach((v, i) => v.assign(theirs[i]!));
    } finally {
      incoming.dispose();
    }
  }

  /**
   * Logits [batch, numClasses] for `x` [batch, inputFrames, inputDim]. With `training`, dropout
   * (architecture.dropout) is applied between stacked LSTM layers and to the pooled vector,
   * seeded from `dropoutSeed`.
   */
  logits(x: tf.Tensor3D, training: boolean, dropoutSeed?: number): tf.Tensor2D {
    const a = this.architecture;
    if (x.rank !== 3 || x.shape[1] !== a.inputFrames || x.shape[2] !== a.inputDim) {
      throw new RangeError(`logits: input must be [batch, ${a.inputFrames}, ${a.inputDim}], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      const rate = training ? a.dropout : 0;
      let dropoutCount = 0;
      const dropout = <T extends tf.Tensor>(t: T): T => {
        if (rate <= 0) return t;
        const seed = dropoutSeed === undefined ? undefined : dropoutSeed + 7919 * dropoutCount++;
        return tf.dropout(t, rate, undefined, seed) as T;
      };
      let h = this.stackFrames(x);
      this.lstm.forEach((layer, n) => {
        h = bidirectionalLstm(h, layer.forward as LstmParams, layer.backward as LstmParams);
        // Between stacked layers; the last layer's output is dropped after pooling instead.
        if (n < this.lstm.length - 1) h = dropout(h);
      });
      const [batch, frames, width] = h.shape;
      let pooled: tf.Tensor2D;
      if (a.pooling === 'mean') {
        pooled = tf.mean(h, 1) as tf.Tensor2D;
      } else if (this.attention) {
        const { projection, score } = this.attention;
        const frameVectors = tf.reshape(h, [batch * frames, width]) as tf.Tensor2D;
        const projected = tf.tanh(tf.add(tf.matMul(frameVectors, projection.kernel), projection.bias)) as tf.Tensor2D;
        const scores = tf.reshape(tf.add(tf.matMul(projected, score.kernel), score.bias), [batch, frames]);
        const frameWeights = tf.expandDims(tf.softmax(scores), 2);
        pooled = tf.sum(tf.mul(h, frameWeights), 1) as tf.Tensor2D;
      } else {
        const half = width / 2;
        const forwardLast = tf.reshape(tf.slice(h, [0, frames - 1, 0], [batch, 1, half]), [batch, half]);
        const backwardFirst = tf.reshape(tf.slice(h, [0, 0, half], [batch, 1, half]), [batch, half]);
        pooled = tf.concat([forwardLast, backwardFirst], 1) as tf.Tensor2D;
      }
      pooled = dropout(pooled);
      if (this.hidden) pooled = tf.relu(tf.add(tf.matMul(pooled, this.hidden.kernel), this.hidden.bias)) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, this.output.kernel), this.output.bias) as tf.Tensor2D;
    });
  }

  /** [batch, T, F] -> [batch, floor(T/k), k*F]: the first floor(T/k)*k frames, k at a time (model/frame-stacking.ts). */
  private stackFrames(x: tf.Tensor3D): tf.Tensor3D {
    const a = this.architecture;
    const k = frameStackOf(a);
    if (k === 1) return x;
    const [batch] = x.shape;
    const steps = lstmSteps(a);
    return tf.reshape(tf.slice(x, [0, 0, 0], [batch, steps * k, a.inputDim]), [batch, steps, k * a.inputDim]);
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
