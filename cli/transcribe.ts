import type { Command } from 'commander';
import { OUTPUT_FORMATS, type OutputFormat } from '../pipeline/output-format.js';
import { DEFAULT_BATCH_SIZE, runTranscribe } from '../pipeline/transcribe.js';
import { nonNegativeInt, oneOf, positiveInt } from './options.js';

interface TranscribeCliOptions {
  model?: string;
  format: OutputFormat;
  out?: string;
  top: number;
  batchSize: number;
}

export function registerTranscribeCommand(program: Command): void {
  program
    .command('transcribe')
    .description('recognise the keyword in each wav file (folders are searched recursively for *.wav)')
    .argument('<inputs...>', 'wav files and folders')
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--format <format>', 'table, jsonl or csv', oneOf('--format', OUTPUT_FORMATS), 'table')
    .option('--out <file>', 'write the results to this file instead of stdout')
    .option('--top <n>', 'also list the best N labels with their scores', nonNegativeInt('--top'), 0)
    .option('--batch-size <n>', 'files per model run', positiveInt('--batch-size'), DEFAULT_BATCH_SIZE)
    .action(async (inputs: string[], opts: TranscribeCliOptions) => {
      const result = await runTranscribe({
        inputs,
        modelPath: opts.model,
        format: opts.format,
        out: opts.out,
        top: opts.top,
        batchSize: opts.batchSize,
      });
      if (result.exitCode !== 0) process.exitCode = result.exitCode;
    });
}
