/**
 * A `kws custom --recordings` folder of real clips of some words from a Speech Commands-layout
 * dataset, for measuring custom keywords on real speech. Only train-split clips are taken (the
 * dataset's validation and testing lists stay for measuring), linked, never copied.
 *
 *   node dist/scripts/real-recordings.js --data DIR --words happy,bird --out DIR --speakers 2 --per-speaker 5
 *   node dist/scripts/real-recordings.js --data DIR --words happy,bird --out DIR --all
 *
 * Rule (fixed before any result): for each word, the `speakers` train-split speakers with the most
 * clips of it (ties by speaker id), each giving its first `per-speaker` clips of it (by file name).
 * (In the Opus set no speaker says two words five times each, so the speakers differ per word.)
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { keywordFolderName } from '../datasets/labels.js';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import type { DatasetItem } from '../datasets/types.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    words: { type: 'string' },
    out: { type: 'string' },
    speakers: { type: 'string', default: '2' },
    'per-speaker': { type: 'string', default: '5' },
    all: { type: 'boolean', default: false },
  },
});
if (!values.data || !values.words || !values.out) throw new Error('usage: --data DIR --words a,b --out DIR [--speakers N --per-speaker K | --all]');
const words = values.words.split(',').map((w) => w.trim()).filter((w) => w.length > 0);
const dataset = await readSpeechCommands(values.data, { task: '12', labels: ['_silence_', '_unknown_', ...words], silenceFraction: 0 });
const train = dataset.items.filter((it) => it.split === 'train' && words.includes(it.word) && it.speaker !== null);

let chosen: DatasetItem[];
if (values.all) {
  chosen = train;
} else {
  const perSpeaker = Number(values['per-speaker']);
  const speakerCount = Number(values.speakers);
  chosen = [];
  for (const word of words) {
    const bySpeaker = new Map<string, DatasetItem[]>();
    for (const item of train.filter((it) => it.word === word)) bySpeaker.set(item.speaker!, [...(bySpeaker.get(item.speaker!) ?? []), item]);
    const ranked = [...bySpeaker].sort(([a, pa], [b, pb]) => pb.length - pa.length || (a < b ? -1 : a > b ? 1 : 0)).slice(0, speakerCount);
    for (const [, clips] of ranked) chosen.push(...clips.sort((x, y) => (x.path < y.path ? -1 : 1)).slice(0, perSpeaker));
    process.stdout.write(`${word}: speakers ${ranked.map(([s, c]) => `${s} (${Math.min(c.length, perSpeaker)} of ${c.length})`).join(', ')}\n`);
  }
}

const out = resolve(values.out);
await rm(out, { recursive: true, force: true });
for (const w of words) await mkdir(join(out, keywordFolderName(w)), { recursive: true });
for (const item of chosen) await symlink(item.path, join(out, keywordFolderName(item.word), item.path.split('/').pop()!));
process.stdout.write(`${out}: ${words.map((w) => `${w} ${chosen.filter((c) => c.word === w).length}`).join(', ')} (train split of ${dataset.root})\n`);
