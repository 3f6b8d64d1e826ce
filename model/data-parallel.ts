/**
 * Data-parallel training over worker threads: each step's batch is split into shards; this thread
 * computes the gradients of the first shard, every peer (a worker thread with its own TensorFlow.js
 * backend and the current weights, sent every step) those of one of the others, and the batch
 * gradient is their average weighted by shard size — the gradient of the whole batch's mean loss —
 * applied by this thread's single optimizer. Peers hold no state between steps, so checkpoints, the
 * optimizer's moments and an exact resume are those of one trainer.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './backend.js';
import type { BiLstmClassifier } from './network.js';
import type { ModelWeights } from './types.js';

export interface GradientPeerInit {
  weights: ModelWeights;
  backend: BackendName;
}

/** One shard of a batch: features [count, frames, dim] flattened, labels [count], soft targets [count, numClasses] or null (one-hot labels). */
export interface ShardRequest {
  weights: Float32Array[];
  x: Float32Array;
  labels: Int32Array;
  targets: Float32Array | null;
  frames: number;
  dim: number;
  numClasses: number;
  dropoutSeed: number;
  labelSmoothing: number;
  /** Loss weight per label (model/class-weights.ts), or null: every clip weighs 1. */
  classWeights: Float32Array | null;
}

export type PeerReply =
  | { kind: 'ready' }
  | { kind: 'gradients'; gradients: Float32Array[]; loss: number; correct: number }
  | { kind: 'error'; message: string };

export class DataParallelError extends Error {
  constructor(message: string) {
    super(`data-parallel training: ${message}`);
    this.name = 'DataParallelError';
  }
}

/** A shard as tensors: features, targets (one-hot labels or soft targets) and the labels themselves. */
export interface ShardTensors {
  x: tf.Tensor3D;
  y: tf.Tensor2D;
  label: tf.Tensor1D;
}

/**
 * Gradients of the shard's mean loss (label-smoothed softmax cross-entropy against `y`, each clip's
 * weighed by `classWeights[label]` where given, dropout seeded by `dropoutSeed`) for every trainable
 * variable, in `model.trainableVariables` order; `correct` counts argmax = label.
 */
export function shardGradients(
  model: BiLstmClassifier,
  { x, y, label }: ShardTensors,
  dropoutSeed: number,
  labelSmoothing: number,
  classWeights: Float32Array | null = null,
): { gradients: tf.Tensor[]; loss: number; correct: number } {
  const variables = model.trainableVariables;
  let correct = 0;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.logits(x, true, dropoutSeed);
    correct = tf.tidy(() => logits.argMax(-1).equal(label).sum().dataSync()[0]!);
    // Weights are all positive, so the default reduction (sum of weighted losses / clips) is their mean.
    const weights = classWeights ? tf.gather(tf.tensor1d(classWeights), label) : undefined;
    return tf.losses.softmaxCrossEntropy(y, logits, weights, labelSmoothing) as tf.Scalar;
  }, variables);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return { gradients: variables.map((v) => grads[v.name]!), loss, correct };
}

export function shardTensors(x: Float32Array, labels: Int32Array, frames: number, dim: number, numClasses: number, targets: Float32Array | null = null): ShardTensors {
  return tf.tidy(() => {
    const label = tf.tensor1d(labels, 'int32');
    return {
      x: tf.tensor3d(x, [labels.length, frames, dim]),
      y: targets ? tf.tensor2d(targets, [labels.length, numClasses]) : (tf.oneHot(label, numClasses).toFloat() as tf.Tensor2D),
      label,
    };
  });
}

/** A worker thread that computes the gradients of one shard per request. */
class GradientPeer {
  #pending: { resolve: (reply: PeerReply) => void; reject: (error: Error) => void } | null = null;
  #failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: PeerReply) => {
      const pending = this.#pending;
      this.#pending = null;
      pending?.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.#failure = error;
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(error);
    };
    worker.on('error', (err) => fail(new DataParallelError(`a gradient worker failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new DataParallelError(`a gradient worker exited (code ${code})`)));
  }

  static async start(init: GradientPeerInit): Promise<GradientPeer> {
    const peer = new GradientPeer(new Worker(new URL('./gradient-worker.js', import.meta.url), { workerData: init }));
    const reply = await peer.#next();
    if (reply.kind !== 'ready') throw new DataParallelError(`a gradient worker did not start: ${reply.kind === 'error' ? reply.message : reply.kind}`);
    return peer;
  }

  #next(): Promise<PeerReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
  }

  async compute(request: ShardRequest): Promise<{ gradients: Float32Array[]; loss: number; correct: number }> {
    const reply = this.#next();
    const transfer = [request.x.buffer, request.labels.buffer, ...(request.targets ? [request.targets.buffer] : []), ...request.weights.map((w) => w.buffer)];
    this.worker.postMessage(request, transfer as ArrayBuffer[]);
    const result = await reply;
    if (result.kind === 'error') throw new DataParallelError(result.message);
    if (result.kind !== 'gradients') throw new DataParallelError(`unexpected reply '${result.kind}' from a gradient worker`);
    return result;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Shard boundaries of a batch of `count` clips over `shards` trainers: sizes differ by at most one. */
export function shardBounds(count: number, shards: number): number[] {
  const bounds = [0];
  for (let k = 1; k <= shards; k++) bounds.push(Math.round((k * count) / shards));
  return bounds;
}

/**
 * Runs the optimizer steps of a training loop on `trainers` threads (this one and trainers - 1
 * worker threads). With one trainer it is the plain single-threaded step.
 */
export class ParallelStepper {
  private constructor(
    private readonly model: BiLstmClassifier,
    private readonly optimizer: tf.Optimizer,
    private readonly peers: GradientPeer[],
    private readonly labelSmoothing: number,
    private readonly classWeights: Float32Array | null,
  ) {}

  static async create(model: BiLstmClassifier, optimizer: tf.Optimizer, trainers: number, backend: BackendName, labelSmoothing: number, classWeights: Float32Array | null = null): Promise<ParallelStepper> {
    if (!Number.isInteger(trainers) || trainers < 1) throw new DataParallelError(`trainers must be a positive integer, got ${trainers}`);
    const weights = model.toWeights();
    const peers: GradientPeer[] = [];
    try {
      for (let k = 1; k < trainers; k++) peers.push(await GradientPeer.start({ weights, backend }));
    } catch (err) {
      await Promise.all(peers.map((p) => p.close()));
      throw err;
    }
    return new ParallelStepper(model, optimizer, peers, labelSmoothing, classWeights);
  }

  get trainers(): number {
    return this.peers.length + 1;
  }

  /**
   * One optimizer step on the batch `x` [labels.length, frames, dim], towards one-hot labels or
   * `targets` [labels.length, numClasses] (distillation); returns its mean loss and correct count.
   */
  async step(x: Float32Array, labels: Int32Array, frames: number, dim: number, numClasses: number, dropoutSeed: number, targets: Float32Array | null = null): Promise<{ loss: number; correct: number }> {
    const count = labels.length;
    const clip = frames * dim;
    const bounds = shardBounds(count, this.trainers);
    const variables = this.model.trainableVariables;
    // Peers get the weights before this step's update; every shard has a seed of its own.
    const current = this.peers.length > 0 ? variables.map((v) => v.dataSync() as Float32Array) : [];
    // A batch smaller than the number of trainers leaves some shards empty: those peers sit out.
    const remote = this.peers.map((peer, p) => {
      const [start, end] = [bounds[p + 1]!, bounds[p + 2]!];
      if (start === end) return Promise.resolve(null);
      return peer.compute({
        weights: current.map((w) => w.slice()),
        x: x.slice(start * clip, end * clip),
        labels: labels.slice(start, end),
        targets: targets ? targets.slice(start * numClasses, end * numClasses) : null,
        frames,
        dim,
        numClasses,
        dropoutSeed: dropoutSeed + 104729 * (p + 1),
        labelSmoothing: this.labelSmoothing,
        classWeights: this.classWeights,
      });
    });
    const ownCount = bounds[1]!;
    const own = tf.tidy(() => {
      const shard = shardTensors(x.subarray(0, ownCount * clip), labels.subarray(0, ownCount), frames, dim, numClasses, targets?.subarray(0, ownCount * numClasses) ?? null);
      const result = shardGradients(this.model, shard, dropoutSeed, this.labelSmoothing, this.classWeights);
      return { gradients: result.gradients.map((g) => tf.keep(g)), loss: result.loss, correct: result.correct };
    });
    const others = await Promise.all(remote);
    if (this.peers.length === 0) {
      this.optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, own.gradients[i]!])));
      tf.dispose(own.gradients);
      return { loss: own.loss, correct: own.correct };
    }
    let loss = (own.loss * ownCount) / count;
    let correct = own.correct;
    const combined: tf.NamedTensorMap = {};
    tf.tidy(() => {
      variables.forEach((v, i) => {
        let sum = tf.mul(own.gradients[i]!, ownCount / count);
        others.forEach((o, p) => {
          if (o !== null) sum = tf.add(sum, tf.mul(tf.tensor(o.gradients[i]!, v.shape), (bounds[p + 2]! - bounds[p + 1]!) / count));
        });
        combined[v.name] = tf.keep(sum);
      });
    });
    others.forEach((o, p) => {
      if (o === null) return;
      loss += (o.loss * (bounds[p + 2]! - bounds[p + 1]!)) / count;
      correct += o.correct;
    });
    this.optimizer.applyGradients(combined);
    tf.dispose([...own.gradients, ...Object.values(combined)]);
    return { loss, correct };
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.close()));
  }
}
