import type { Command } from 'commander';
import { EVALUATE_SPLITS, runEvaluate, type EvaluateSplit } from '../evaluation/evaluate.js';
import { addHoldoutOptions, oneOf, positiveInt } from './options.js';
import { defaultReportDir } from './report-dir.js';

interface EvaluateCliOptions {
  data: string;
  model?: string;
  split: EvaluateSplit;
  holdout: boolean;
  holdoutTestPercent?: number;
  source?: string;
  json: boolean;
  reportDir: string;
  batchSize: number;
  worst: number;
}

export function registerEvaluateCommand(program: Command): void {
  addHoldoutOptions(program
    .command('evaluate')
    .description('accuracy, per-class precision/recall/F1 and confusion matrix of a model on a Speech Commands-layout dataset')
    .requiredOption('--data <dir>', 'dataset folder')
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--split <split>', 'test, validation, train or all', oneOf('--split', EVALUATE_SPLITS), 'test')
  )
    .option('--source <name>', 'only clips of this source, e.g. synth:flite or synth:espeak (see `kws dataset info`)')
    .option('--json', 'print the report as JSON instead of text', false)
    .option('--report-dir <dir>', 'folder for report.json, confusion-matrix.html and worst-clips.csv', defaultReportDir('evaluate'))
    .option('--batch-size <n>', 'clips per model run', positiveInt('--batch-size'), 64)
    .option('--worst <n>', 'misclassified clips to list', positiveInt('--worst'), 50)
    .action(async (opts: EvaluateCliOptions) => {
      await runEvaluate({
        data: opts.data,
        modelPath: opts.model,
        split: opts.split,
        holdout: opts.holdout,
        holdoutTestPercent: opts.holdoutTestPercent,
        source: opts.source,
        json: opts.json,
        reportDir: opts.reportDir,
        batchSize: opts.batchSize,
        worst: opts.worst,
      });
    });
}
