/**
 * Runners of batches of keyed files. RecognizerPool spreads batches over worker threads, each with
 * its own onnxruntime session (one intra-op thread), so N threads keep N cores busy; InlineRunner
 * uses a Recognizer the caller already holds, on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResultRow } from '../output-format.js';
import type { Recognizer } from '../recognizer.js';
import type { FileTask } from './file-key.js';
import { recognizeFiles, type RecognizeOptions } from './recognize-files.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-thread.js';

export interface BatchRunner {
  /** How many batches it can work on at once. */
  readonly capacity: number;
  /** `overrides` replace the runner's recognition options for this batch. */
  run(tasks: FileTask[], overrides?: RecognizeOptions): Promise<ResultRow[]>;
  close(): Promise<void>;
}

/** A worker thread died or its model failed to load; the message names the model file. */
export class WorkerPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerPoolError';
  }
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** The most worker threads one process starts: each holds a model session and its buffers (~40 MB). */
export function maxJobs(): number {
  return 4 * defaultJobs();
}

export class InlineRunner implements BatchRunner {
  readonly capacity = 1;
  readonly #recognizer: Recognizer;
  readonly #options: RecognizeOptions;
  constructor(recognizer: Recognizer, options: RecognizeOptions = {}) {
    this.#recognizer = recognizer;
    this.#options = options;
  }
  run(tasks: FileTask[], overrides: RecognizeOptions = {}): Promise<ResultRow[]> {
    return recognizeFiles(this.#recognizer, tasks, { ...this.#options, ...overrides });
  }
  async close(): Promise<void> {}
}

interface Pending {
  tasks: FileTask[];
  overrides: RecognizeOptions;
  resolve: (rows: ResultRow[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  id: number;
}

export class RecognizerPool implements BatchRunner {
  readonly capacity: number;
  readonly labels: readonly string[];
  readonly #slots: Slot[];
  readonly #queue: Pending[] = [];
  #nextId = 0;
  #failure: Error | null = null;

  private constructor(slots: Slot[], labels: readonly string[]) {
    this.#slots = slots;
    this.capacity = slots.length;
    this.labels = labels;
    for (const slot of slots) this.#listen(slot);
  }

  /** Starts `threads` workers and waits until each has loaded `modelPath`. */
  static async create(modelPath: string, threads: number = defaultJobs(), recognize: RecognizeOptions = {}): Promise<RecognizerPool> {
    if (!Number.isInteger(threads) || threads < 1 || threads > maxJobs()) {
      throw new RangeError(`jobs must be an integer from 1 to ${maxJobs()} (4 per core), got ${String(threads)}`);
    }
    const url = new URL('./worker-thread.js', import.meta.url);
    const workers: Worker[] = [];
    try {
      const labels = await Promise.all(
        Array.from({ length: threads }, async () => {
          // Flags that only make sense for the main script (node --input-type=module -e ...) would stop the worker.
          const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
          const worker = new Worker(url, { workerData: { modelPath, recognize } satisfies WorkerInit, execArgv });
          workers.push(worker);
          return await new Promise<string[]>((resolve, reject) => {
            worker.once('message', (reply: WorkerReply) => {
              if (reply.kind === 'ready') resolve(reply.labels);
              else reject(new WorkerPoolError(reply.kind === 'load-failed' ? reply.message : `${modelPath}: worker sent ${reply.kind} before ready`));
            });
            worker.once('error', (err) => reject(new WorkerPoolError(`${modelPath}: worker thread failed to start: ${err.message}`)));
          });
        }),
      );
      return new RecognizerPool(workers.map((worker) => ({ worker, busy: null, id: -1 })), labels[0]!);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  #listen(slot: Slot): void {
    slot.worker.on('message', (reply: WorkerReply) => {
      const pending = slot.busy;
      if (pending === null || (reply.kind !== 'rows' && reply.kind !== 'failed') || reply.id !== slot.id) return;
      slot.busy = null;
      if (reply.kind === 'rows') pending.resolve(reply.rows);
      else pending.reject(new WorkerPoolError(`batch of ${pending.tasks.length} files failed in a worker: ${reply.message}`));
      this.#dispatch();
    });
    const fail = (why: string): void => {
      this.#failure ??= new WorkerPoolError(why);
      slot.busy?.reject(this.#failure);
      slot.busy = null;
      for (const p of this.#queue.splice(0)) p.reject(this.#failure);
    };
    slot.worker.on('error', (err) => fail(`a worker thread crashed: ${err.message}`));
    slot.worker.on('exit', (code) => {
      if (slot.busy !== null || code !== 0) fail(`a worker thread exited with code ${code}`);
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy !== null) continue;
      const next = this.#queue.shift();
      if (next === undefined) return;
      slot.busy = next;
      slot.id = this.#nextId++;
      slot.worker.postMessage({ id: slot.id, tasks: next.tasks, overrides: next.overrides } satisfies WorkerRequest);
    }
  }

  run(tasks: FileTask[], overrides: RecognizeOptions = {}): Promise<ResultRow[]> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ tasks, overrides, resolve, reject });
      this.#dispatch();
    });
  }

  /** Lets in-flight batches finish is the caller's job; this stops every worker. */
  async close(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.worker.once('exit', () => resolve());
            slot.worker.postMessage({ id: -1, stop: true } satisfies WorkerRequest);
            // A worker that does not exit promptly is terminated.
            setTimeout(() => void slot.worker.terminate(), 2000).unref();
          }),
      ),
    );
  }
}
