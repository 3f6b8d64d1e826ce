/** `kws dataset info`: what a dataset folder holds, per label, split, speaker and source. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { datasetSummary, describeDataset } from '../datasets/info.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import type { Task } from '../datasets/types.js';
import { UsageError } from './exit-codes.js';
import { oneOf } from './options.js';

/** Sub-folders of `dir` (for the hint when `dir` is a folder above the datasets). */
function subFolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

export function registerDatasetInfoCommand(program: Command): void {
  const dataset = program.commands.find((c) => c.name() === 'dataset') ?? program.command('dataset').description('Inspect datasets.');
  dataset
    .command('info')
    .description('Counts per label and split, speakers, sources and noise files of Speech Commands style folders.')
    .argument('<dirs...>', 'dataset folders')
    .option('--task <task>', "label set: '12' or '35'", oneOf('--task', ['12', '35'] as const), '12')
    .option('--json', 'print the summaries as JSON')
    .action(async (dirs: string[], opts: { task: Task; json?: boolean }) => {
      const summaries = [];
      for (const dir of dirs) {
        const ds = await readSpeechCommands(dir, { task: opts.task });
        if (ds.items.length === 0) {
          const subs = subFolders(dir);
          const hint = subs.length > 0 ? `; if the datasets are in its sub-folders, name them: ${subs.slice(0, 5).map((s) => join(dir, s)).join(' ')}${subs.length > 5 ? ' …' : ''}` : '';
          throw new UsageError(`${dir}: no Speech Commands-layout dataset found (no word folders holding audio clips)${hint}`);
        }
        if (opts.json) summaries.push(datasetSummary(ds));
        else process.stdout.write(`${describeDataset(ds)}\n\n`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    });
}
