/**
 * Worker-thread entry of WorkerEpochSource: holds the augmentation inputs (shared memory, no copy)
 * and answers { epoch } with that epoch's features, whose buffer it transfers back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FeatureExtractor } from '../features/extractor.js';
import { produceEpochFeatures, type AugmentInputs, type ProducerReply, type ProducerRequest } from './augment-producer.js';

const port = parentPort;
if (port === null) throw new Error('datasets/augment-worker.js must run in a worker thread');
const inputs = workerData as AugmentInputs;
const extractor = new FeatureExtractor(inputs.features);

port.on('message', (request: ProducerRequest) => {
  if ('stop' in request) {
    port.close();
    return;
  }
  try {
    const started = performance.now();
    const x = produceEpochFeatures(inputs, request.epoch, extractor);
    const reply: ProducerReply = { kind: 'epoch', epoch: request.epoch, x, seconds: (performance.now() - started) / 1000 };
    port.postMessage(reply, [x.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ kind: 'failed', epoch: request.epoch, message: err instanceof Error ? err.message : String(err) } satisfies ProducerReply);
  }
});
