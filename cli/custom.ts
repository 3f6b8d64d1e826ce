/** `kws custom`: a keyword model for the user's own words (custom/custom-job.ts). */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { KeywordError, normaliseKeywords } from '../custom/plan.js';
import { UsageError } from './exit-codes.js';
import { collect, nonNegativeInt, numberIn, positiveInt } from './options.js';
import { checkRunFolder } from './run-folder.js';

interface CustomCliOptions {
  words: string;
  out: string;
  recordings?: string;
  negatives: string[];
  noiseDir: string[];
  base?: string;
  perKeyword: number;
  nearMisses: number;
  epochs: number;
  pitch: number;
  calibrationMinutes: number;
  seed: number;
  force: boolean;
  cacheDir?: string;
}

function keywordsFrom(text: string): string[] {
  try {
    return normaliseKeywords(text);
  } catch (err) {
    if (err instanceof KeywordError) throw new UsageError(err.message);
    throw err;
  }
}

function checkFolder(option: string, dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${option} ${dir}: no such folder`);
}

export function registerCustomCommand(program: Command): void {
  program
    .command('custom')
    .description('train a keyword model for your own words: offline TTS voices (and a few recordings of yours), transfer learning from the shipped model, ONNX export with thresholds at <= 1 false accept/hour')
    .requiredOption('--words <list>', 'comma-separated keywords; a keyword may be a phrase, e.g. "lights on,lights off"')
    .requiredOption('--out <runDir>', 'run folder: model.onnx, custom.json, the synthetic clips, checkpoints, calibration report')
    .option('--recordings <dir>', 'your own recordings: one sub-folder per keyword (a phrase\'s words joined by _), 5-20 audio files each; trained on, weighed up, never used to set thresholds')
    .option('--negatives <dir>', 'real recordings of other words (Speech Commands layout); clips of your keywords in it are left out (repeatable)', collect, [])
    .option('--noise-dir <dir>', 'noise recordings to mix in (a folder of audio files or a dataset with _background_noise_/; repeatable; default: generated noise)', collect, [])
    .option('--base <file>', 'float ONNX model to start from (default: the shipped models/kws12/model.onnx)')
    .option('--per-keyword <n>', 'synthetic clips per keyword', positiveInt('--per-keyword'), 1000)
    .option('--near-misses <n>', 'words that sound like each keyword, synthesised as negatives', nonNegativeInt('--near-misses'), 8)
    .option('--epochs <n>', 'maximum fine-tuning epochs', positiveInt('--epochs'), 12)
    .option('--pitch <semitones>', 'shift the pitch of half the training clips by up to ±N semitones, keeping their duration (0 = off)', numberIn('--pitch', 0, 12), 0)
    .option('--calibration-minutes <n>', 'minutes of streams the thresholds are chosen on', positiveInt('--calibration-minutes'), 60)
    .option('--seed <n>', 'seed of every random choice', nonNegativeInt('--seed'), 1)
    .option('--force', 'replace the run already in --out')
    .option('--cache-dir <dir>', 'feature cache folder (default ~/.cache/kws/features)')
    .action(async (opts: CustomCliOptions) => {
      const keywords = keywordsFrom(opts.words);
      if (opts.recordings) checkFolder('--recordings', opts.recordings);
      for (const dir of opts.negatives) checkFolder('--negatives', dir);
      for (const dir of opts.noiseDir) checkFolder('--noise-dir', dir);
      if (opts.base && !existsSync(opts.base)) throw new UsageError(`--base ${opts.base}: no such file`);
      await checkRunFolder({ out: opts.out, resume: false, force: opts.force === true, lstmUnits: [], hiddenUnits: 0, pooling: 'mean', command: 'kws custom' });
      const { runCustomJob, describeCustomRun } = await import('../custom/custom-job.js');
      const summary = await runCustomJob({
        keywords,
        runDir: opts.out,
        recordings: opts.recordings,
        negatives: opts.negatives,
        noiseDirs: opts.noiseDir,
        baseModel: opts.base,
        perKeyword: opts.perKeyword,
        nearMisses: opts.nearMisses,
        epochs: opts.epochs,
        pitchSemitones: opts.pitch,
        calibrationMinutes: opts.calibrationMinutes,
        seed: opts.seed,
        cacheDir: opts.cacheDir,
        command: process.argv.slice(1).join(' '),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${describeCustomRun(summary).join('\n')}\n`);
    });
}
