/**
 * Attention pooling added to a trained mean-pooled model without changing what it computes: the
 * scorer's tanh layer gets the usual seeded initialisation and its score layer zero weights, so
 * every frame scores the same and the softmax weights are 1/T — mean pooling exactly. Training then
 * learns which frames to weigh up from the trained model's function, not from scratch.
 */
import { SeededRandom } from '../util/random.js';
import { glorotUniform } from './init.js';
import type { ModelWeights } from './types.js';

export class AttentionInitError extends RangeError {
  constructor(message: string) {
    super(`attention pooling: ${message}`);
    this.name = 'AttentionInitError';
  }
}

/** `weights` (pooling 'mean') with attention pooling of `attentionUnits` tanh units; deterministic in `seed`. */
export function withAttentionPooling(weights: ModelWeights, attentionUnits: number, seed: number): ModelWeights {
  const a = weights.architecture;
  if (a.pooling !== 'mean') throw new AttentionInitError(`only a mean-pooled model keeps its function when attention is added; this one pools '${a.pooling}'`);
  if (!Number.isInteger(attentionUnits) || attentionUnits < 1) throw new AttentionInitError(`attentionUnits must be a positive integer, got ${attentionUnits}`);
  const pooledDim = 2 * a.lstmUnits[a.lstmUnits.length - 1]!;
  const rng = new SeededRandom(seed);
  return {
    ...weights,
    architecture: { ...a, lstmUnits: [...a.lstmUnits], pooling: 'attention', attentionUnits },
    attention: {
      projection: { inDim: pooledDim, outDim: attentionUnits, kernel: glorotUniform(rng, pooledDim, attentionUnits), bias: new Float32Array(attentionUnits) },
      score: { inDim: attentionUnits, outDim: 1, kernel: new Float32Array(attentionUnits), bias: new Float32Array(1) },
    },
  };
}
