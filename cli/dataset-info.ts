/** `kws dataset info`: what a dataset folder holds, per label, split, speaker and source. */
import type { Command } from 'commander';
import { datasetSummary, describeDataset } from '../datasets/info.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import type { Task } from '../datasets/types.js';
import { oneOf } from './options.js';

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
        if (opts.json) summaries.push(datasetSummary(ds));
        else process.stdout.write(`${describeDataset(ds)}\n\n`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
    });
}
