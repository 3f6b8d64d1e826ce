/**
 * A test folder of the clips whose speakers a model never heard: the test split of --from, less
 * every speaker that is in a train or validation split of any --trained folder (read with the same
 * split rules as `kws train`: --trained-holdout folders re-split by the salted speaker hash, holding out
 * --holdout-test-percent of their speakers as the run did).
 * Written as symbolic links in the Speech Commands layout, so `kws evaluate --data OUT --split all`
 * reads it. The rule is fixed before any result is looked at: speaker ids only.
 *
 *   node dist/scripts/unseen-speakers.js --out runs/unseen-opus-test --from ../shared/data/speech_commands_opus \
 *     --trained ../shared/data/speech_commands_opus --trained-holdout ../shared/data/speech_commands_v0.02_test_half [--holdout-test-percent 30]
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { holdoutSplitOptions, readSpeechCommands } from '../datasets/speech-commands.js';
import { HOLDOUT_SPLIT } from '../datasets/split.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      from: { type: 'string' },
      trained: { type: 'string', multiple: true, default: [] },
      'trained-holdout': { type: 'string', multiple: true, default: [] },
      'holdout-test-percent': { type: 'string', default: String(HOLDOUT_SPLIT.testPercent) },
    },
  });
  if (!values.out || !values.from) throw new Error('usage: unseen-speakers --out DIR --from DATASET [--trained DIR...] [--trained-holdout DIR...] [--holdout-test-percent N]');
  const heard = new Set<string>();
  const folders = [...values.trained.map((d) => [d, false] as const), ...values['trained-holdout'].map((d) => [d, true] as const)];
  for (const [dir, holdout] of folders) {
    const ds = await readSpeechCommands(dir, holdout ? { task: '12', ...holdoutSplitOptions(Number(values['holdout-test-percent'])) } : { task: '12' });
    for (const item of ds.items) if (item.speaker !== null && item.split !== 'test') heard.add(item.speaker);
  }
  const source = await readSpeechCommands(values.from, { task: '12' });
  const unseen = source.items.filter((i) => i.split === 'test' && !i.slice && i.speaker !== null && !heard.has(i.speaker));
  const out = resolve(values.out);
  await rm(out, { recursive: true, force: true });
  for (const item of unseen) {
    const folder = join(out, basename(dirname(item.path)));
    await mkdir(folder, { recursive: true });
    await symlink(item.path, join(folder, basename(item.path)));
  }
  const speakers = new Set(unseen.map((i) => i.speaker));
  const dropped = source.items.filter((i) => i.split === 'test' && !i.slice).length - unseen.length;
  process.stdout.write(`${out}: ${unseen.length} test clips of ${speakers.size} speakers never in a train or validation split (${dropped} test clips of heard speakers left out)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`unseen-speakers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
