/**
 * Worker-thread entry of data-parallel training (data-parallel.ts): sets the weights it is sent,
 * computes one shard's gradients, and sends them back. Nothing is kept between requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { shardGradients, shardTensors, type GradientPeerInit, type PeerReply, type ShardRequest } from './data-parallel.js';
import { BiLstmClassifier } from './network.js';

const port = parentPort;
if (!port) throw new Error('gradient-worker runs as a worker thread');
const init = workerData as GradientPeerInit;
await initBackend(init.backend);
const model = BiLstmClassifier.fromWeights(init.weights);
const variables = model.trainableVariables;

port.on('message', (request: ShardRequest) => {
  let reply: PeerReply;
  try {
    tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(request.weights[i]!, v.shape))));
    const shard = shardTensors(request.x, request.labels, request.frames, request.dim, request.numClasses, request.targets);
    const result = shardGradients(model, shard, request.dropoutSeed, request.labelSmoothing, request.classWeights);
    const gradients = result.gradients.map((g) => Float32Array.from(g.dataSync() as Float32Array));
    tf.dispose([shard.x, shard.y, shard.label, ...result.gradients]);
    reply = { kind: 'gradients', gradients, loss: result.loss, correct: result.correct };
    port.postMessage(reply, gradients.map((g) => g.buffer as ArrayBuffer));
  } catch (err) {
    reply = { kind: 'error', message: (err as Error).message };
    port.postMessage(reply);
  }
});
port.postMessage({ kind: 'ready' } satisfies PeerReply);
