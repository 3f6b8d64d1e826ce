/**
 * The PocketSphinx comparison script (scripts/pocketsphinx-baseline.ts) on clips made here by Flite.
 * It needs Debian's pocketsphinx and pocketsphinx-en-us (CI installs them); without them it skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { synthesizeDataset } from '../datasets/synth/generate.js';
import { commandGrammar, createGrammarRecognizer, POCKETSPHINX_MODEL_DIR, type BaselineReport } from '../scripts/pocketsphinx-baseline.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../scripts/pocketsphinx-baseline.js', import.meta.url));
const installed = await run('pocketsphinx_continuous', ['-help', 'yes']).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT')
  && (await access(join(POCKETSPHINX_MODEL_DIR, 'cmudict-en-us.dict')).then(() => true, () => false));
const skip = installed ? false : 'PocketSphinx is not installed (apt install pocketsphinx pocketsphinx-en-us)';

test('the grammar holds exactly the words and refuses anything else', () => {
  assert.equal(commandGrammar(['yes', 'no']), '#JSGF V1.0;\ngrammar commands;\npublic <command> = yes | no;\n');
  assert.throws(() => commandGrammar(['yes', 'no;']), /no;/);
});

test('PocketSphinx with the command grammar on Flite clips: a report over every clip, answers from the grammar', { skip }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'kws-pocketsphinx-'));
  try {
    await synthesizeDataset({ out, seed: 4, engines: ['flite'], words: ['yes', 'stop', 'left', 'down'], unknownWords: [], perWord: 2, speakers: 2, noiseSeconds: 0 });
    const report = join(out, 'report.json');
    const { stdout } = await run(process.execPath, [script, '--data', out, '--split', 'all', '--out', report]);
    assert.match(stdout, /PocketSphinx closed-set accuracy over the 10 commands: [\d.]+% \(\d+\/8\)/);
    const parsed = JSON.parse(await readFile(report, 'utf8')) as BaselineReport;
    assert.equal(parsed.clips, 8);
    const answers = Object.values(parsed.confusion).flatMap((row) => Object.entries(row));
    assert.equal(answers.reduce((n, [, count]) => n + count, 0), 8);
    const grammar = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', ''];
    for (const [heard] of answers) assert.ok(grammar.includes(heard), `'${heard}' is not in the grammar`);
    // Flite's clean voices are what this recogniser hears best (93% of 200 clips here): most are right.
    assert.ok(parsed.correct >= 6, `${parsed.correct}/8 right`);
    assert.equal(parsed.correct, Object.entries(parsed.confusion).reduce((n, [word, row]) => n + (row[word] ?? 0), 0));

    const subset = await run(process.execPath, [script, '--data', out, '--split', 'all', '--source', 'synth:flite', '--per-word', '1']);
    assert.match(subset.stdout, /first 1 per command: 4 command clips/);
    await assert.rejects(run(process.execPath, [script, '--data', out, '--split', 'all', '--source', 'synth:espeak']), /no command clips in split 'all' from source 'synth:espeak'/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('a silent clip is heard as nothing or as a grammar word, never as anything else', { skip }, async () => {
  const recognizer = await createGrammarRecognizer(['yes', 'no']);
  try {
    const heard = await recognizer.recognize(new Float32Array(16000));
    assert.ok(['', 'yes', 'no'].includes(heard), heard);
  } finally {
    await recognizer.close();
  }
});
