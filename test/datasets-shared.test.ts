/** The reader on the real datasets in ../shared/data (skipped when absent). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSpeechCommands } from '../datasets/speech-commands.js';
import { datasetSummary } from '../datasets/info.js';
import { COMMANDS_12 } from '../datasets/types.js';

// Compiled to dist/test/: the repository root is two levels up.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared = resolve(repoRoot, '../shared/data');
const haveShared = existsSync(join(shared, 'speech_commands_v0.01_mini'));
const skip = haveShared ? false : 'needs ../shared/data (absent)';
const wavCount = (dir: string): number => readdirSync(dir).filter((n) => n.endsWith('.wav') && !n.startsWith('.')).length;

test('speech_commands_v0.01_mini: counts per word, lists followed, noise slices', { skip }, async () => {
  const root = join(shared, 'speech_commands_v0.01_mini');
  const ds = await readSpeechCommands(root, { task: '35', onWarning: (m) => assert.fail(m) });
  assert.equal(ds.splitMethod, 'lists');
  assert.equal(ds.noiseFiles.length, 6);
  const words = ds.items.filter((i) => !i.slice);
  for (const folder of readdirSync(root, { withFileTypes: true })) {
    if (!folder.isDirectory() || folder.name.startsWith('_')) continue;
    assert.equal(words.filter((i) => i.word === folder.name).length, wavCount(join(root, folder.name)), folder.name);
  }
  const relOf = (p: string): string => p.slice(root.length + 1);
  for (const [list, split] of [['validation_list.txt', 'validation'], ['testing_list.txt', 'test']] as const) {
    const listed = readFileSync(join(root, list), 'utf8').split('\n').filter(Boolean);
    for (const rel of listed) assert.equal(words.find((i) => relOf(i.path) === rel)?.split, split, rel);
    assert.equal(words.filter((i) => i.split === split).length, listed.length);
  }
  for (const item of words) assert.match(item.speaker ?? '', /^[0-9a-f]{8}$/);
  const silence = ds.items.filter((i) => i.label === '_silence_');
  assert.ok(silence.length > 0 && silence.every((i) => i.slice && ds.noiseFiles.includes(i.path)));
  assert.ok(silence.some((i) => i.split === 'validation') && silence.some((i) => i.split === 'test'));
});

test('speech_commands_v0.02_test_half: 12-class layout, speakers disjoint, all in the canonical test split', { skip }, async () => {
  const root = join(shared, 'speech_commands_v0.02_test_half');
  const ds = await readSpeechCommands(root, { task: '12' });
  assert.equal(ds.splitMethod, 'speaker-hash');
  const summary = datasetSummary(ds);
  for (const word of [...COMMANDS_12, '_silence_', '_unknown_']) {
    assert.equal(summary.labels.find((l) => l.label === word)!.total, wavCount(join(root, word)), word);
  }
  const unknown = ds.items.filter((i) => i.label === '_unknown_');
  assert.ok(unknown.every((i) => i.word !== '_unknown_' && i.speaker !== null));
  assert.ok(unknown.some((i) => i.word === 'backward'));
  assert.equal(summary.speakersInSeveralSplits, 0);
  // This is (half of) the canonical v0.02 test set, chosen by the README hash: every speaker must
  // hash to 'test', which checks the split implementation against Google's own.
  const speakerItems = ds.items.filter((i) => i.speaker !== null);
  assert.equal(summary.speakers.total, 104);
  assert.ok(speakerItems.every((i) => i.split === 'test'));
  const silence = ds.items.filter((i) => i.label === '_silence_');
  assert.equal(silence.length, 189);
  assert.ok(silence.every((i) => i.speaker === null && !i.slice));
});

test('free_spoken_digits: digit words, speakers from names, speaker-disjoint', { skip }, async () => {
  const root = join(shared, 'free_spoken_digits');
  const ds = await readSpeechCommands(root, { task: '35' });
  assert.equal(ds.items.length, 3000);
  assert.equal(ds.noiseFiles.length, 0);
  const summary = datasetSummary(ds);
  for (const digit of ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']) {
    assert.equal(summary.labels.find((l) => l.label === digit)!.total, 300, digit);
  }
  assert.equal(summary.speakers.total, 6);
  assert.equal(summary.speakersInSeveralSplits, 0);
  assert.ok(ds.items.some((i) => i.speaker === 'george'));
  assert.ok(ds.items.every((i) => i.source === 'free_spoken_digits'));
});
