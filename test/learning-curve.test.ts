/**
 * scripts/learning-curve.ts end to end at tiny size: real `kws train/export/evaluate` processes for
 * two shares of a "real" generated dataset, results cached per share, JSON and chart written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeToneDataset } from './helpers/tone-dataset.js';

const run = promisify(execFile);
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const script = join(repoRoot, 'dist', 'scripts', 'learning-curve.js');

interface Point {
  fraction: number;
  realTrainClips: number;
  heldOutRealAccuracy: number;
  heldOutRealClips: number;
  unseenSynthAccuracy: number | null;
}

test('learning-curve trains, exports and evaluates each share of the real speakers', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kws-curve-'));
  try {
    const real = join(dir, 'real');
    const synth = join(dir, 'synth');
    await writeToneDataset(real, 24, 5);
    await writeToneDataset(synth, 12, 9);
    const out = join(dir, 'curve');
    const args = [
      script, '--out', out, '--fractions', '0,1', '--jobs', '2', '--real', real, '--eval-holdout', real, '--eval-synth', synth,
      '--', '--data', synth, '--holdout', real, '--epochs', '1', '--units', '4', '--hidden', '0', '--no-augment', '--batch-size', '32',
    ];
    const env = { ...process.env, KWS_CACHE_DIR: join(dir, 'cache') };
    const first = await run(process.execPath, args, { cwd: repoRoot, env });
    assert.match(first.stdout, /fraction 0: 0 real training clips -> held-out real/);
    const curve = JSON.parse(await readFile(join(out, 'learning-curve.json'), 'utf8')) as { points: Point[] };
    assert.deepEqual(curve.points.map((p) => p.fraction), [0, 1]);
    const [none, all] = curve.points as [Point, Point];
    assert.equal(none.realTrainClips, 0);
    assert.ok(all.realTrainClips > 0);
    for (const p of curve.points) {
      assert.ok(p.heldOutRealAccuracy >= 0 && p.heldOutRealAccuracy <= 1);
      assert.ok(p.heldOutRealClips > 0);
      assert.ok(p.unseenSynthAccuracy !== null && p.unseenSynthAccuracy >= 0 && p.unseenSynthAccuracy <= 1);
      // The accuracy recorded is the one `kws evaluate` wrote for that share's model.
      const report = JSON.parse(await readFile(join(out, `fraction-${p.fraction}`, 'report-real', 'report.json'), 'utf8')) as { accuracy: number };
      assert.equal(report.accuracy, p.heldOutRealAccuracy);
    }
    const html = await readFile(join(out, 'learning-curve.html'), 'utf8');
    assert.match(html, /held-out real speakers/);
    assert.equal((html.match(/<circle/g) ?? []).length, 2 + 2 + 2, 'two measured points per series (and the goal line ends)');

    // A second run reuses every evaluated share instead of training again.
    const again = await run(process.execPath, args, { cwd: repoRoot, env });
    const sortedLines = (text: string): string[] => text.trim().split('\n').sort();
    assert.deepEqual(sortedLines(again.stdout), sortedLines(first.stdout));
    for (const f of [0, 1]) {
      const log = await readFile(join(out, `fraction-${f}`, 'log.txt'), 'utf8');
      assert.equal((log.match(/^\$ kws train/gm) ?? []).length, 1, `fraction ${f} trained once`);
    }
    assert.deepEqual(JSON.parse(await readFile(join(out, 'learning-curve.json'), 'utf8')), curve);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
