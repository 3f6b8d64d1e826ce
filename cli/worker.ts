import type { Command } from 'commander';
import { DEFAULT_QUEUE_NAME, startQueueWorker } from '../pipeline/batch/queue.js';
import { DEFAULT_LONG_TOLERANCE_SECONDS } from '../pipeline/batch/recognize-files.js';
import { defaultJobs } from '../pipeline/batch/pool.js';
import { numberIn, positiveInt } from './options.js';

interface WorkerCliOptions {
  queue: string;
  queueName: string;
  model?: string;
  jobs: number;
  lockDuration: number;
  stalledInterval: number;
  longTolerance: number;
  threshold?: number;
  verbose?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('consume `kws transcribe --queue` jobs from Redis until stopped (Ctrl-C / SIGTERM finish the jobs under way)')
    .requiredOption('--queue <url>', 'Redis holding the queue (redis://HOST:PORT)')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx); use the same model on every worker')
    .option('-j, --jobs <n>', 'worker threads and concurrent jobs (default: the number of cores)', positiveInt('--jobs'), defaultJobs())
    .option('--lock-duration <ms>', 'a job whose worker stops renewing its lock for this long is given to another worker', positiveInt('--lock-duration'), 30_000)
    .option('--stalled-interval <ms>', 'how often to look for such stalled jobs', positiveInt('--stalled-interval'), 30_000)
    .option('--long-tolerance <seconds>', 'a file longer than the model window by more than this is scanned for detections', numberIn('--long-tolerance', 0, 3600), DEFAULT_LONG_TOLERANCE_SECONDS)
    .option('--threshold <p>', 'detection threshold for long recordings (default 0.9)', numberIn('--threshold', 0, 1))
    .option('--verbose', 'print a line when each job starts and ends')
    .action(async (opts: WorkerCliOptions) => {
      const handle = await startQueueWorker({
        url: opts.queue,
        queueName: opts.queueName,
        modelPath: opts.model,
        jobs: opts.jobs,
        lockDurationMs: opts.lockDuration,
        stalledIntervalMs: opts.stalledInterval,
        recognize: { longToleranceSeconds: opts.longTolerance, detector: opts.threshold !== undefined ? { defaultThreshold: opts.threshold } : undefined },
        log: opts.verbose ? process.stderr : undefined,
      });
      process.stderr.write(`kws worker: ${opts.jobs} thread(s) on ${opts.queue} queue ${opts.queueName}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await handle.close();
      process.stderr.write(`kws worker: stopped after ${handle.completed} job(s)\n`);
    });
}
