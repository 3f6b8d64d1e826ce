/** cli/unfinished.ts: a command whose work never completes ends with a message and exit code 1, not in silence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const moduleUrl = pathToFileURL(resolve(fileURLToPath(import.meta.url), '../../cli/unfinished.js')).href;

function runScript(body: string): { status: number | null; stderr: string } {
  const script = `import { guardUnfinished } from ${JSON.stringify(moduleUrl)};\nconst g = guardUnfinished(() => 'kws demo-step');\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('a promise that never settles: the name, the exit code set before, and exit code 1', () => {
  const r = runScript('process.exitCode = 7;\nawait new Promise(() => {}).finally(g.done);');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^kws demo-step: stopped before finishing: a step never completed and nothing was left to wait for \(exit code 7 when it stopped\)$/m);
});

test('a command that finishes says nothing more and keeps its exit code', () => {
  const r = runScript('await new Promise((res) => setTimeout(res, 10)).finally(g.done);\nprocess.exitCode = 0;');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
