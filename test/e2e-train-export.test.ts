/**
 * End to end at tiny size, through the real `kws` program: train (and resume), export with the
 * parity proof, evaluate and transcribe, on a generated dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadCheckpoint } from '../model/checkpoint.js';
import { writeToneDataset } from './helpers/tone-dataset.js';

const run = promisify(execFile);
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const kws = join(repoRoot, 'bin', 'kws.js');

async function kwsRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [kws, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
}

test('kws train -> resume -> export -> evaluate -> transcribe on a generated dataset', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-e2e-'));
  try {
    const data = join(dir, 'data');
    await writeToneDataset(data, 24);
    const runDir = join(dir, 'run');
    const env = { KWS_CACHE_DIR: join(dir, 'cache') };
    const common = ['train', '--data', data, '--out', runDir, '--units', '8,8', '--hidden', '0', '--batch-size', '32', '--lr', '0.01', '--patience', '10'];

    const first = await kwsRun([...common, '--epochs', '1'], env);
    assert.match(first.stderr, /TensorFlow\.js backend: (tensorflow|wasm|cpu)/);
    assert.ok(existsSync(join(runDir, 'last.ckpt')) && existsSync(join(runDir, 'best.ckpt')));
    const resumed = await kwsRun([...common, '--epochs', '3', '--resume'], env);
    assert.match(resumed.stderr, /resuming after epoch 1/);
    const last = await loadCheckpoint(join(runDir, 'last.ckpt'));
    assert.deepEqual(last.state?.history.map((r) => r.epoch), [1, 2, 3]);
    const curves = await readFile(join(runDir, 'training-curves.html'), 'utf8');
    assert.match(curves, /<svg/);

    const onnxPath = join(dir, 'model.onnx');
    const exported = await kwsRun(['export', '--checkpoint', runDir, '--out', onnxPath]);
    const diff = /max \|onnxruntime - tfjs\| = ([0-9.e+-]+), max \|onnxruntime - reference\| = ([0-9.e+-]+)/.exec(exported.stdout);
    assert.ok(diff, `export printed no parity line: ${exported.stdout}`);
    assert.ok(Number(diff[1]) <= 1e-4 && Number(diff[2]) <= 1e-4, exported.stdout);
    await assert.rejects(kwsRun(['export', '--checkpoint', runDir, '--out', onnxPath]), /exists; pass --force/);

    const reportDir = join(dir, 'report');
    const evaluated = await kwsRun(['evaluate', '--data', data, '--model', onnxPath, '--split', 'all', '--json', '--report-dir', reportDir]);
    const report = JSON.parse(evaluated.stdout) as { accuracy: number; confusion: number[][]; evaluated: number };
    const counted = report.confusion.flat().reduce((a, b) => a + b, 0);
    assert.equal(counted, report.evaluated);
    assert.ok(counted > 0 && report.accuracy >= 0 && report.accuracy <= 1);
    assert.ok(existsSync(join(reportDir, 'confusion-matrix.html')));

    const transcribed = await kwsRun(['transcribe', join(data, 'yes'), '--model', onnxPath, '--format', 'jsonl']);
    const rows = transcribed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string; score: number });
    assert.equal(rows.length, 24);
    for (const row of rows) assert.ok(row.score > 0 && row.score <= 1 && typeof row.label === 'string');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
