/** `kws synth`: generate the synthetic (offline TTS) Speech Commands style dataset. */
import type { Command } from 'commander';
import { synthesizeDataset } from '../datasets/synth/generate.js';
import type { EngineName } from '../datasets/synth/engine.js';
import { createProgress } from '../util/progress.js';
import { nonNegativeInt, numberIn, positiveInt } from './options.js';

const wordList = (value: string): string[] => value.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w.length > 0);

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('Write a synthetic keyword dataset (eSpeak NG + Flite voices, generated background noise) in the Speech Commands layout.')
    .requiredOption('--out <dir>', 'output folder (resumable: clips already there are kept)')
    .option('--seed <n>', 'seed of every random choice', nonNegativeInt('--seed'), 0)
    .option('--per-word <n>', 'clips per command word', nonNegativeInt('--per-word'), 80)
    .option('--per-unknown <n>', 'clips per unknown word', nonNegativeInt('--per-unknown'), 12)
    .option('--words <list>', 'comma-separated command words (default: the 10 commands)', wordList)
    .option('--unknown-words <list>', "comma-separated unknown words ('' for none; default: 25 Speech Commands words + ~50 common words)", wordList)
    .option('--speakers <n>', 'size of the synthetic speaker pool (default: max(per-word, 200))', positiveInt('--speakers'))
    .option('--engines <list>', 'comma-separated TTS engines: espeak, flite, gnuspeech (GnuSpeech: articulatory, adult and child voices)', (v) => wordList(v) as EngineName[], ['espeak', 'flite'] as EngineName[])
    .option('--noise-seconds <s>', 'length of each background noise recording (0: none)', numberIn('--noise-seconds', 0, 3600), 60)
    .action(async (opts: {
      out: string; seed: number; perWord: number; perUnknown: number; words?: string[]; unknownWords?: string[];
      speakers?: number; engines: EngineName[]; noiseSeconds: number;
    }) => {
      let progress: ReturnType<typeof createProgress> | undefined;
      const started = Date.now();
      const result = await synthesizeDataset({
        out: opts.out,
        seed: opts.seed,
        perWord: opts.perWord,
        perUnknownWord: opts.perUnknown,
        words: opts.words,
        unknownWords: opts.unknownWords,
        speakers: opts.speakers,
        engines: opts.engines,
        noiseSeconds: opts.noiseSeconds,
        onProgress: (done, total) => {
          progress ??= createProgress('synth', total);
          progress.update(done);
        },
      });
      progress?.stop();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${result.out}: ${result.written} files written, ${result.skipped} already there, ${result.clips} clips from ${result.speakers.length} speakers in ${seconds} s\n`);
    });
}
