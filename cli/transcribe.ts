import type { Command } from 'commander';
import { DEFAULT_CHUNK_SIZE, DEFAULT_QUEUE_NAME, runQueueTranscribe } from '../pipeline/batch/queue.js';
import { DEFAULT_LONG_TOLERANCE_SECONDS } from '../pipeline/batch/recognize-files.js';
import { STDIN_INPUT } from '../pipeline/files.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../pipeline/output-format.js';
import { DEFAULT_BATCH_SIZE, runTranscribe } from '../pipeline/transcribe.js';
import { defaultJobs } from '../pipeline/batch/pool.js';
import { EXIT_INTERRUPTED, UsageError } from './exit-codes.js';
import { jobCount, nonNegativeInt, numberIn, oneOf, positiveInt, THRESHOLD_SYNTAX, thresholdConfig, thresholdSetting, type ThresholdSetting } from './options.js';

interface TranscribeCliOptions {
  model?: string;
  format?: OutputFormat;
  out?: string;
  top: number;
  batchSize: number;
  jobs?: number;
  stdin?: boolean;
  progress?: boolean;
  longTolerance: number;
  threshold?: ThresholdSetting;
  queue?: string;
  queueName: string;
  chunkSize: number;
}

/** First Ctrl-C: stop taking new work and write what is under way; second: exit at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: finishing the batches under way (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
  });
  return controller.signal;
}

/** Options of in-process transcription that mean nothing to a queue collector are refused, not ignored. */
const NOT_WITH_QUEUE: readonly [key: string, flag: string, instead: string][] = [
  ['jobs', '--jobs', 'give each `kws worker` its own --jobs'],
  ['batchSize', '--batch-size', 'use --chunk-size, the files per queue job'],
];

function checkQueueOptions(command: Command): void {
  for (const [key, flag, instead] of NOT_WITH_QUEUE) {
    if (command.getOptionValueSource(key) === 'cli') throw new UsageError(`${flag} has no effect with --queue: ${instead}`);
  }
}

export function registerTranscribeCommand(program: Command): void {
  const command = program
    .command('transcribe')
    .description(
      'recognise the keyword in each wav file; folders are searched recursively for *.wav, globs are expanded, ' +
        "'-' reads paths from stdin. Recordings longer than the model window are scanned and give one row per detection. " +
        'With --out the results are appended and a re-run skips files already there (resumable).',
    )
    .argument('[inputs...]', 'wav files, folders, glob patterns, or - for a list of paths on stdin')
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx); with --queue, workers must load the same file')
    .option('--format <format>', 'table, jsonl or csv (default: from the --out extension, else table on a terminal, jsonl when piped)', oneOf('--format', OUTPUT_FORMATS))
    .option('--out <file>', 'append the results to this file (resumable: files already in it are skipped)')
    .option('--stdin', `read paths from stdin, one per line (same as the input ${STDIN_INPUT})`)
    .option('--top <n>', 'also list the best N labels with their scores', nonNegativeInt('--top'), 0)
    .option('--batch-size <n>', 'files per model run', positiveInt('--batch-size'), DEFAULT_BATCH_SIZE)
    .option('-j, --jobs <n>', `worker threads, each with its own model session (default: the number of cores, ${defaultJobs()} here)`, jobCount('--jobs'))
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal anyway)')
    .option('--long-tolerance <seconds>', 'a file longer than the model window by more than this is scanned for detections', numberIn('--long-tolerance', 0, 3600), DEFAULT_LONG_TOLERANCE_SECONDS)
    .option('--threshold <p>', `detection threshold for long recordings: ${THRESHOLD_SYNTAX} (default: the model's own, else 0.9)`, thresholdSetting('--threshold'))
    .option('--queue <url>', 'queue mode: enqueue the files on this Redis (redis://HOST:PORT) for `kws worker`s and collect their results')
    .option('--queue-name <name>', 'queue mode: BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--chunk-size <n>', 'queue mode: files per job', positiveInt('--chunk-size'), DEFAULT_CHUNK_SIZE)
    .action(async (inputs: string[], opts: TranscribeCliOptions) => {
      const all = opts.stdin ? [...inputs, STDIN_INPUT] : inputs;
      if (all.length === 0) command.error('error: give at least one input (file, folder, glob, or - / --stdin for a list on stdin)', { exitCode: 2 });
      // commander sets progress true unless --no-progress; only a terminal gets a bar either way.
      const progress = opts.progress === false ? false : undefined;
      const detector = opts.threshold !== undefined ? thresholdConfig(opts.threshold) : undefined;
      if (opts.queue !== undefined) {
        checkQueueOptions(command);
        const result = await runQueueTranscribe({
          url: opts.queue, queueName: opts.queueName, inputs: all, modelPath: opts.model, format: opts.format, out: opts.out, top: opts.top,
          longToleranceSeconds: opts.longTolerance, detector, chunkSize: opts.chunkSize, progress, signal: interruptSignal(),
        });
        if (result.exitCode !== 0) process.exitCode = result.exitCode;
        return;
      }
      const result = await runTranscribe({
        inputs: all,
        modelPath: opts.model,
        format: opts.format,
        out: opts.out,
        top: opts.top,
        batchSize: opts.batchSize,
        jobs: opts.jobs ?? defaultJobs(),
        progress,
        longToleranceSeconds: opts.longTolerance,
        detector,
        signal: interruptSignal(),
      });
      if (result.exitCode !== 0) process.exitCode = result.exitCode;
    });
}
