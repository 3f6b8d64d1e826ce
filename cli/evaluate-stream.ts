/** `kws evaluate-stream`: the command line of evaluation/stream-evaluation.ts. */
import type { Command } from 'commander';
import type { Split } from '../datasets/types.js';
import { TARGET_FALSE_ACCEPTS_PER_HOUR } from '../evaluation/detection-metrics.js';
import { DEFAULT_STREAM_MINUTES, DEFAULT_STREAM_SECONDS, runEvaluateStream, STREAM_SPLITS } from '../evaluation/stream-evaluation.js';
import { DEFAULT_HOP_MS, DEFAULT_SMOOTHING_MS } from '../pipeline/streaming/config.js';
import { addHoldoutOptions, collect, numberIn, oneOf, positiveInt } from './options.js';
import { defaultReportDir } from './report-dir.js';

export { runEvaluateStream, sweepTable, type EvaluateStreamOptions, type StreamReport, type FalseAccept } from '../evaluation/stream-evaluation.js';

interface EvaluateStreamCliOptions {
  data: string;
  split: Split | 'all';
  holdout: boolean;
  holdoutTestPercent?: number;
  minutes: number;
  model?: string;
  seed: number;
  reportDir: string;
  json: boolean;
  noise?: string;
  streamSeconds: number;
  saveThresholds: boolean;
  negatives: string[];
  holdoutData: string[];
  hopMs?: number;
  smoothingMs?: number;
  maxFalseAcceptsPerHour: number;
  oneThreshold: boolean;
}

export function registerEvaluateStreamCommand(program: Command): void {
  addHoldoutOptions(program
    .command('evaluate-stream')
    .description('keyword detection on long noisy streams built from held-out clips: FRR and false accepts/hour per threshold, DET curve, the <= 1 FA/h operating point (or --max-false-accepts-per-hour)')
    .requiredOption('--data <dir>', 'Speech Commands-layout folder to take keyword and other-word clips from')
    .option('--split <split>', 'test, validation, train or all: clips the model was not trained on', oneOf('--split', STREAM_SPLITS), 'test')
  )
    .option('--minutes <n>', 'total stream length', positiveInt('--minutes'), DEFAULT_STREAM_MINUTES)
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--seed <n>', 'seed of clip placement, gaps, noise and SNR', positiveInt('--seed'), 1)
    .option('--noise <dir>', 'background noise: a folder of wavs or a dataset with _background_noise_/ (default: the --data folder\'s)')
    .option('--stream-seconds <n>', 'length of each built stream', positiveInt('--stream-seconds'), DEFAULT_STREAM_SECONDS)
    .option('--report-dir <dir>', 'folder for stream-report.json and det-curve.html', defaultReportDir('evaluate-stream'))
    .option('--json', 'print the report as JSON instead of text', false)
    .option('--hop-ms <n>', `detector evaluation period (default: the model's measured timing, else ${DEFAULT_HOP_MS})`, positiveInt('--hop-ms'))
    .option('--smoothing-ms <n>', `detector moving average of the posteriors over this span (default: the model's measured timing, else ${DEFAULT_SMOOTHING_MS})`, numberIn('--smoothing-ms', 0, 60_000))
    .option('--holdout-data <dir>', 'also take keywords and other words from this folder\'s same split, its speakers split by the hold-out re-split of `kws train --holdout DIR` (at --holdout-test-percent, by default the model\'s own share); repeatable', collect, [])
    .option('--negatives <dir>', 'also take other words (not the model\'s keywords) from this folder\'s same split (repeatable)', collect, [])
    .option('--max-false-accepts-per-hour <n>', 'false-accept budget of the operating point that is reported and saved (a lower budget than the one wanted on other speakers leaves a margin)', numberIn('--max-false-accepts-per-hour', 0, 3600), TARGET_FALSE_ACCEPTS_PER_HOUR)
    .option('--one-threshold', 'the operating point is one threshold for every keyword, even where per-keyword thresholds miss fewer on these streams (per-keyword ones chosen on some speakers may not keep the budget on others)', false)
    .option('--save-thresholds', 'write the operating point (one threshold, or per keyword where that misses fewer) into the model file as the defaults of kws listen and the demo (validation or train split only)', false)
    .action(async (opts: EvaluateStreamCliOptions) => {
      await runEvaluateStream({
        data: opts.data,
        split: opts.split,
        holdout: opts.holdout,
        holdoutTestPercent: opts.holdoutTestPercent,
        minutes: opts.minutes,
        modelPath: opts.model,
        seed: opts.seed,
        noiseDir: opts.noise,
        streamSeconds: opts.streamSeconds,
        reportDir: opts.reportDir,
        json: opts.json,
        saveThresholds: opts.saveThresholds,
        negatives: opts.negatives,
        holdoutData: opts.holdoutData,
        maxFalseAcceptsPerHour: opts.maxFalseAcceptsPerHour,
        oneThreshold: opts.oneThreshold,
        detector: {
          ...(opts.hopMs !== undefined ? { hopMs: opts.hopMs } : {}),
          ...(opts.smoothingMs !== undefined ? { smoothingMs: opts.smoothingMs } : {}),
        },
      });
    });
}
