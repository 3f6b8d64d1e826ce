/**
 * Worker-thread entry of the RecognizerPool: loads its own onnxruntime session (one intra-op
 * thread) and answers { id, tasks } messages with { id, rows } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Recognizer } from '../recognizer.js';
import { recognizeFiles, type RecognizeOptions } from './recognize-files.js';
import type { FileTask } from './file-key.js';

export interface WorkerInit {
  modelPath: string;
  recognize: RecognizeOptions;
}

export type WorkerRequest = { id: number; tasks: FileTask[]; overrides: RecognizeOptions } | { id: -1; stop: true };
export type WorkerReply =
  | { kind: 'ready'; labels: string[] }
  | { kind: 'load-failed'; message: string }
  | { kind: 'rows'; id: number; rows: import('../output-format.js').ResultRow[] }
  | { kind: 'failed'; id: number; message: string };

const port = parentPort;
if (port === null) throw new Error('pipeline/batch/worker-thread.js must run in a worker thread');
const init = workerData as WorkerInit;

let recognizer: Recognizer;
try {
  recognizer = await Recognizer.create(init.modelPath, { intraOpThreads: 1 });
  // One throw-away run so the first real batch does not pay for JIT and onnxruntime's first-run allocations.
  await recognizer.recognizeBatch([new Float32Array(recognizer.frontEnd.clipLengthSamples).fill(1e-3)]);
  port.postMessage({ kind: 'ready', labels: [...recognizer.labels] } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ kind: 'load-failed', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  port.close();
  process.exit(0);
}

port.on('message', (request: WorkerRequest) => {
  if ('stop' in request) {
    void recognizer.dispose().finally(() => port.close());
    return;
  }
  recognizeFiles(recognizer, request.tasks, { ...init.recognize, ...request.overrides }).then(
    (rows) => port.postMessage({ kind: 'rows', id: request.id, rows } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ kind: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
