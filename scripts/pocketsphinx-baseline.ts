/**
 * The comparison a fixed-grammar recogniser gives: CMU PocketSphinx (Debian's `pocketsphinx` and
 * `pocketsphinx-en-us`: its generic US-English acoustic model, never trained for this task) with a
 * JSGF grammar of exactly the ten commands, on the command clips of one split — the figure to put
 * beside `kws evaluate`'s closed-set accuracy on the same clips. A measurement tool, not a kws
 * dependency: PocketSphinx is a separate install.
 *
 *   node dist/scripts/pocketsphinx-baseline.js --data ../shared/data/speech_commands_v0.02_test_half --holdout --split test \
 *     --out runs/pocketsphinx-half.json
 *
 * `--source synth:gnuspeech` keeps one source's clips, `--per-word N` the first N clips of each
 * command in path order (a subset fixed before any result; PocketSphinx takes ~0.6 s a clip here).
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { holdoutSplitOptions, readSpeechCommands } from '../datasets/speech-commands.js';
import { HOLDOUT_SPLIT } from '../datasets/split.js';
import { COMMANDS_12 } from '../datasets/types.js';
import { AudioCache, itemSamples } from '../evaluation/evaluate.js';
import { writeWavPcm16 } from '../features/audio/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { createProgress } from '../util/progress.js';

const run = promisify(execFile);

export const POCKETSPHINX_PROGRAM = 'pocketsphinx_continuous';
export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface GrammarRecognizer {
  /** The grammar's word for 16 kHz `samples`, or '' when PocketSphinx hears none. */
  recognize(samples: Float32Array): Promise<string>;
  close(): Promise<void>;
}

/** A JSGF grammar accepting exactly one of `words`. */
export function commandGrammar(words: readonly string[]): string {
  for (const w of words) if (!/^[a-z]+$/.test(w)) throw new RangeError(`grammar words must be lower-case letters, got '${w}'`);
  return `#JSGF V1.0;\ngrammar commands;\npublic <command> = ${words.join(' | ')};\n`;
}

/** PocketSphinx restricted to `words`; fails with what to install when it is missing. */
export async function createGrammarRecognizer(words: readonly string[], modelDir = POCKETSPHINX_MODEL_DIR): Promise<GrammarRecognizer> {
  try {
    await run(POCKETSPHINX_PROGRAM, ['-help', 'yes'], { maxBuffer: 1 << 22 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${POCKETSPHINX_PROGRAM} not found: install Debian's pocketsphinx and pocketsphinx-en-us`);
  }
  const hmm = join(modelDir, 'en-us');
  const dict = join(modelDir, 'cmudict-en-us.dict');
  for (const path of [hmm, dict]) {
    await access(path).catch(() => {
      throw new Error(`PocketSphinx model file ${path} is missing: install Debian's pocketsphinx-en-us`);
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'kws-pocketsphinx-'));
  const grammar = join(dir, 'commands.gram');
  await writeFile(grammar, commandGrammar(words));
  let counter = 0;
  return {
    async recognize(samples: Float32Array): Promise<string> {
      const wav = join(dir, `clip${counter++}.wav`);
      await writeWavPcm16(wav, samples, 16000);
      try {
        const { stdout } = await run(POCKETSPHINX_PROGRAM, ['-infile', wav, '-jsgf', grammar, '-hmm', hmm, '-dict', dict, '-logfn', '/dev/null'], { maxBuffer: 1 << 20 });
        const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
        return lines.at(-1) ?? '';
      } finally {
        await rm(wav, { force: true });
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface BaselineReport {
  recogniser: string;
  data: string;
  split: string;
  clips: number;
  correct: number;
  closedSetAccuracy: number;
  /** Per command: recall over its clips. */
  recall: Record<string, number>;
  /** confusion[true][heard] counts; '' is nothing heard. */
  confusion: Record<string, Record<string, number>>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      split: { type: 'string', default: 'test' },
      holdout: { type: 'boolean', default: false },
      'holdout-test-percent': { type: 'string', default: String(HOLDOUT_SPLIT.testPercent) },
      jobs: { type: 'string', default: '2' },
      source: { type: 'string' },
      'per-word': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.data) throw new Error('usage: pocketsphinx-baseline --data DIR [--split train|validation|test|all] [--holdout [--holdout-test-percent N]] [--source NAME] [--per-word N] [--jobs N] [--out report.json]');
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, got '${values.jobs}'`);
  const commands: readonly string[] = COMMANDS_12;
  const readOptions = { task: '12' as const };
  const dataset = await readSpeechCommands(resolve(values.data), values.holdout ? { ...readOptions, ...holdoutSplitOptions(Number(values['holdout-test-percent'])) } : readOptions);
  const perWord = values['per-word'] === undefined ? Infinity : Number(values['per-word']);
  if (!(perWord === Infinity || (Number.isInteger(perWord) && perWord > 0))) throw new Error(`--per-word must be a positive integer, got '${values['per-word']}'`);
  const taken = new Map<string, number>();
  // --per-word keeps the first N clips of each command in path order: a subset fixed before any result.
  const items = dataset.items
    .filter((i) => (values.split === 'all' || i.split === values.split) && commands.includes(i.label))
    .filter((i) => values.source === undefined || i.source === values.source)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .filter((i) => {
      const n = taken.get(i.label) ?? 0;
      taken.set(i.label, n + 1);
      return n < perWord;
    });
  if (items.length === 0) throw new Error(`${dataset.root}: no command clips in split '${values.split}'${values.source ? ` from source '${values.source}'` : ''}`);
  const recognizer = await createGrammarRecognizer(commands);
  const heard: string[] = new Array(items.length);
  const cache = new AudioCache(4);
  const progress = createProgress('pocketsphinx', items.length);
  let next = 0;
  let done = 0;
  try {
    await Promise.all(Array.from({ length: jobs }, async () => {
      while (next < items.length) {
        const k = next++;
        heard[k] = await recognizer.recognize(await itemSamples(items[k]!, cache));
        progress.update(++done);
      }
    }));
  } finally {
    progress.stop();
    await recognizer.close();
  }
  const confusion: Record<string, Record<string, number>> = Object.fromEntries(commands.map((c) => [c, {}]));
  items.forEach((item, k) => {
    const row = confusion[item.label]!;
    row[heard[k]!] = (row[heard[k]!] ?? 0) + 1;
  });
  const correct = items.filter((item, k) => heard[k] === item.label).length;
  const recall = Object.fromEntries(commands.map((c) => {
    const row = confusion[c]!;
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    return [c, total === 0 ? NaN : (row[c] ?? 0) / total];
  }));
  const report: BaselineReport = {
    recogniser: `PocketSphinx (${POCKETSPHINX_PROGRAM}, ${POCKETSPHINX_MODEL_DIR}), JSGF grammar of the ten commands`,
    data: dataset.root,
    split: `${values.split}${values.holdout ? ' (holdout re-split)' : ''}${values.source ? `, source ${values.source}` : ''}${values['per-word'] ? `, first ${perWord} per command` : ''}`,
    clips: items.length,
    correct,
    closedSetAccuracy: correct / items.length,
    recall,
    confusion,
  };
  console.log(`${report.data}, split ${report.split}: ${items.length} command clips`);
  console.log(`PocketSphinx closed-set accuracy over the 10 commands: ${(100 * report.closedSetAccuracy).toFixed(2)}% (${correct}/${items.length})`);
  console.log(`recall: ${commands.map((c) => `${c} ${(100 * recall[c]!).toFixed(0)}%`).join(', ')}`);
  if (values.out) await writeFileAtomic(resolve(values.out), `${JSON.stringify(report, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`pocketsphinx-baseline: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
