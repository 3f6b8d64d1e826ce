import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_MODEL_PATH } from '../pipeline/recognizer.js';
import { UsageError } from './exit-codes.js';
import { collect, oneOf } from './options.js';

interface CalibrateCliOptions {
  model?: string;
  out: string;
  force: boolean;
  data: string[];
  holdout: string[];
  noiseDir: string[];
  validationFrom: string[];
  excludeSource: string[];
  excludeWord: string[];
  weighting?: 'class-balanced' | 'as-given';
  priorStrength?: number[];
  cacheDir?: string;
}

function strengthList(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (value.trim() === '' || list.some((v) => !Number.isFinite(v) || v < 0 || v > 2)) {
    throw new UsageError(`--prior-strength takes strengths in [0, 2], comma-separated (e.g. 1 or 0.5,1,1.5), got '${value}'`);
  }
  return list;
}

export function registerCalibrateCommand(program: Command): void {
  program
    .command('calibrate')
    .description("re-fit a model's softmax temperature on the validation clips of its data folders (the data options of kws train, read as training read them) and write it again with the parity proof")
    .option('--model <file>', 'ONNX model to calibrate (default: the shipped models/kws12/model.onnx)')
    .requiredOption('--out <model.onnx>', 'ONNX file to write (the weights are kept; thresholds measured at the old temperature are dropped)')
    .option('--force', 'overwrite an existing output file', false)
    .option('--data <dir>', 'dataset folder (repeatable)', collect, [])
    .option('--holdout <dir>', 'dataset folder re-split by speaker as kws train --holdout does (repeatable)', collect, [])
    .option('--noise-dir <dir>', 'noise recordings that folders without their own cut _silence_ clips from, as in training (repeatable)', collect, [])
    .option('--validation-from <dir>', "only this folder's validation split (repeatable; default: every folder's)", collect, [])
    .option('--exclude-source <name>', 'leave out every clip of this source (repeatable)', collect, [])
    .option('--exclude-word <word>', 'leave out every clip of this word (repeatable)', collect, [])
    .option('--weighting <how>', "class-balanced (every class weighed equally: right for a uniform label prior, the default for a prior-corrected model) or as-given", oneOf('--weighting', ['class-balanced', 'as-given'] as const))
    .option('--prior-strength <list>', 'set the strength of the prior correction first (0 none, 1 full correction to a uniform label prior): one value, or several of which the one with the best class-balanced validation accuracy is kept', strengthList)
    .option('--cache-dir <dir>', 'feature cache folder (default ~/.cache/kws/features)')
    .action(async (opts: CalibrateCliOptions) => {
      if (opts.data.length + opts.holdout.length === 0) throw new UsageError('give at least one --data or --holdout folder with validation clips');
      if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists; pass --force to overwrite it`);
      const { runCalibrateJob } = await import('../model/calibrate-job.js');
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      const result = await runCalibrateJob({
        modelPath: opts.model ?? DEFAULT_MODEL_PATH,
        outPath: opts.out,
        data: opts.data,
        holdout: opts.holdout,
        noiseDirs: opts.noiseDir,
        validationFrom: opts.validationFrom,
        excludeSources: opts.excludeSource,
        excludeWords: opts.excludeWord.map((w) => w.trim().toLowerCase()),
        limitPerSplit: 0,
        ...(opts.weighting ? { weighting: opts.weighting } : {}),
        ...(opts.priorStrength ? { priorStrengths: opts.priorStrength } : {}),
        ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
        log,
      });
      if (result.strength) {
        for (const s of result.strength.candidates) {
          process.stdout.write(`prior strength ${s.strength}: class-balanced accuracy ${(100 * s.balancedAccuracy).toFixed(2)}%, top-1 ${(100 * s.accuracy).toFixed(2)}%\n`);
        }
        process.stdout.write(`prior strength ${result.strength.previous} -> ${result.strength.chosen} (the best class-balanced accuracy on the validation clips)\n`);
      }
      const c = result.calibration;
      process.stdout.write(
        `temperature ${result.previousTemperature.toFixed(3)} -> ${c.temperature.toFixed(3)} fitted on ${result.validationClips} validation clips (${c.weighting}); ` +
          `their top-1 accuracy ${(100 * result.validationAccuracy).toFixed(2)}%, calibration error ${(100 * c.eceBefore).toFixed(2)}% at temperature 1, ${(100 * c.eceAfter).toFixed(2)}% now\n`,
      );
      for (const line of result.lines) process.stdout.write(`${line}\n`);
      if (result.droppedDetection) {
        process.stdout.write(`the model's detection thresholds were measured at the old temperature and are not carried over: measure them again with kws evaluate-stream --model ${opts.out} --split validation --save-thresholds\n`);
      }
      if (!result.ok) process.exitCode = 1;
    });
}
