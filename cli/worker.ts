import type { Command } from 'commander';
import { DEFAULT_QUEUE_NAME, startQueueWorker, type QueueWorkerHandle } from '../pipeline/batch/queue.js';
import { shortHash } from '../pipeline/batch/model-identity.js';
import { defaultJobs } from '../pipeline/batch/pool.js';
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from './exit-codes.js';
import { jobCount, positiveInt } from './options.js';

interface WorkerCliOptions {
  queue: string;
  queueName: string;
  model?: string;
  jobs?: number;
  lockDuration: number;
  stalledInterval: number;
  verbose?: boolean;
}

/** How long a stop waits for the jobs under way (and for Redis) before the process exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'consume `kws transcribe --queue` jobs from Redis until stopped (Ctrl-C / SIGTERM finish the jobs under way, for at most 10 s). ' +
        'Recognition settings (--top, --threshold, --long-tolerance) come with each job; the model must be the one the job names.',
    )
    .requiredOption('--queue <url>', 'Redis holding the queue (redis://HOST:PORT)')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx); jobs of another model fail with a message naming both')
    .option('-j, --jobs <n>', `worker threads and concurrent jobs (default: the number of cores, ${defaultJobs()} here)`, jobCount('--jobs'))
    .option('--lock-duration <ms>', 'a job whose worker stops renewing its lock for this long is given to another worker', positiveInt('--lock-duration'), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for such stalled jobs', positiveInt('--stalled-interval'), 30_000)
    .option('--verbose', 'print a line when each job starts and ends')
    .action(async (opts: WorkerCliOptions) => {
      const jobs = opts.jobs ?? defaultJobs();
      // Signals are taken from the start: a worker still connecting (Redis down) must stop too.
      let handle: QueueWorkerHandle | null = null;
      const stopped = new Promise<number>((resolve) => {
        process.once('SIGINT', () => resolve(EXIT_INTERRUPTED));
        process.once('SIGTERM', () => resolve(EXIT_TERMINATED));
      });
      const stop = async (code: number): Promise<void> => {
        const force = setTimeout(() => {
          process.stderr.write(`kws worker: jobs did not finish within ${STOP_TIMEOUT_MS / 1000} s of the stop; exiting (their locks expire and another worker redoes them)\n`);
          process.exit(code);
        }, STOP_TIMEOUT_MS + 2000);
        force.unref();
        await handle?.close(STOP_TIMEOUT_MS);
        process.stderr.write(`kws worker: stopped after ${handle?.completed ?? 0} job(s)\n`);
        process.exitCode = code;
      };
      const started = startQueueWorker({
        url: opts.queue,
        queueName: opts.queueName,
        modelPath: opts.model,
        jobs,
        lockDurationMs: opts.lockDuration,
        stalledIntervalMs: opts.stalledInterval,
        log: opts.verbose ? process.stderr : undefined,
      });
      const first = await Promise.race([started.then((h) => ({ handle: h })), stopped.then((code) => ({ code }))]);
      if ('code' in first) {
        process.stderr.write('kws worker: stopped before it was ready\n');
        process.exit(first.code);
      }
      handle = first.handle;
      process.stderr.write(`kws worker: ${jobs} thread(s) on ${opts.queue} queue ${opts.queueName}, model sha256 ${shortHash(handle.modelSha256)}\n`);
      await stop(await stopped);
    });
}
