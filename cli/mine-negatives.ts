/** `kws mine-negatives`: the command line of evaluation/hard-negatives.ts. */
import type { Command } from 'commander';
import type { Split } from '../datasets/types.js';
import { DEFAULT_MINING_THRESHOLD, MINED_FOLDER, runMineNegatives } from '../evaluation/hard-negatives.js';
import { DEFAULT_STREAM_SECONDS, STREAM_SPLITS } from '../evaluation/stream-evaluation.js';
import { collect, numberIn, oneOf, positiveInt } from './options.js';

interface MineNegativesCliOptions {
  data: string;
  split: Split | 'all';
  holdout: boolean;
  minutes: number;
  model?: string;
  seed: number;
  noise?: string;
  out: string;
  threshold: number;
  streamSeconds: number;
  negatives: string[];
}

export function registerMineNegativesCommand(program: Command): void {
  program
    .command('mine-negatives')
    .description(`hard negatives for stream training: run the detector over long streams of training speakers and write every window where it fired on no keyword (other words, parts of words, noise) into OUT/${MINED_FOLDER}/, an other-word folder for \`kws train --data OUT --train-only OUT\``)
    .requiredOption('--data <dir>', 'Speech Commands-layout folder to build the streams from (use the speakers the model trains on)')
    .requiredOption('--out <dir>', `dataset folder to write the mined clips into (OUT/${MINED_FOLDER}/)`)
    .option('--split <split>', 'test, validation, train or all', oneOf('--split', STREAM_SPLITS), 'train')
    .option('--holdout', 'split the folder by the hold-out speaker re-split used by `kws train --holdout`', false)
    .option('--minutes <n>', 'total stream length', positiveInt('--minutes'), 60)
    .option('--model <file>', 'ONNX model (default: the shipped models/kws12/model.onnx)')
    .option('--seed <n>', 'seed of the streams (clips mined with other seeds add up in OUT)', positiveInt('--seed'), 1)
    .option('--threshold <p>', 'detector threshold for every keyword while mining', numberIn('--threshold', 0.01, 0.99), DEFAULT_MINING_THRESHOLD)
    .option('--noise <dir>', 'background noise: a folder of wavs or a dataset with _background_noise_/ (default: the --data folder\'s)')
    .option('--stream-seconds <n>', 'length of each built stream', positiveInt('--stream-seconds'), DEFAULT_STREAM_SECONDS)
    .option('--negatives <dir>', 'also take other words from this folder\'s same split (repeatable)', collect, [])
    .action(async (opts: MineNegativesCliOptions) => {
      const report = await runMineNegatives({
        data: opts.data, split: opts.split, holdout: opts.holdout, minutes: opts.minutes, modelPath: opts.model, seed: opts.seed,
        noiseDir: opts.noise, out: opts.out, threshold: opts.threshold, streamSeconds: opts.streamSeconds, negatives: opts.negatives,
      });
      const top = (m: Record<string, number>): string => Object.entries(m).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ');
      process.stdout.write(
        `${report.keywords} keywords in ${(report.totalSeconds / 60).toFixed(1)} min of streams: ${report.falseAccepts} false accepts at ${report.threshold}, ` +
          `${report.keywordWindows} of them on most of a keyword (left out); ${report.written} windows written to ${report.folder}\n` +
          (report.written > 0 ? `fired as: ${top(report.byLabel)}\nsaid there: ${top(report.byUnder)}\n` : ''),
      );
    });
}
