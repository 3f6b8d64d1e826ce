/**
 * Learning curve against the amount of real speech: trains the same model on nested shares of the
 * real folders' training speakers (`kws train --train-fraction`), exports each, and evaluates it
 * with `kws evaluate` on held-out real speakers and on unseen synthetic voices. Writes
 * OUT/learning-curve.json and OUT/learning-curve.html. A share already evaluated is not re-run.
 *
 *   node dist/scripts/learning-curve.js --out runs/lc --fractions 0,0.25,0.5,1 --jobs 2 \
 *     --real ../shared/data/speech_commands_v0.02_test_half --real ../shared/data/speech_commands_v0.01_mini \
 *     --eval-holdout ../shared/data/speech_commands_v0.02_test_half --eval-synth data/synth \
 *     -- --data data/synth --holdout ../shared/data/speech_commands_v0.02_test_half \
 *        --data ../shared/data/speech_commands_v0.01_mini --epochs 14 --patience 14
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lineChartHtml } from '../util/charts.js';
import { writeFileAtomic } from '../util/atomic.js';

const KWS_BIN = fileURLToPath(new URL('../../bin/kws.js', import.meta.url));

interface CurvePoint {
  fraction: number;
  /** Real training clips used (sum over the --real folders, before --repeat). */
  realTrainClips: number;
  heldOutRealAccuracy: number;
  heldOutRealClips: number;
  unseenSynthAccuracy: number | null;
  bestEpoch: number | null;
  runDir: string;
}

/** Runs `kws ARGS`, its output appended to LOG; rejects naming the log on a non-zero exit. */
function kws(args: string[], log: string): Promise<void> {
  return new Promise((done, fail) => {
    const out = createWriteStream(log, { flags: 'a' });
    out.write(`$ kws ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [KWS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', fail);
    child.on('close', (code) => {
      out.end();
      if (code === 0) done();
      else fail(new Error(`kws ${args[0]} exited with ${code}: see ${log}`));
    });
  });
}

async function accuracyOf(reportDir: string): Promise<{ accuracy: number; evaluated: number }> {
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as { accuracy: number; evaluated: number };
  return { accuracy: report.accuracy, evaluated: report.evaluated };
}

async function runPoint(fraction: number, o: { out: string; real: string[]; evalHoldout: string; evalSynth?: string; trainArgs: string[] }): Promise<CurvePoint> {
  const runDir = join(o.out, `fraction-${fraction}`);
  const pointFile = join(runDir, 'point.json');
  if (existsSync(pointFile)) return JSON.parse(await readFile(pointFile, 'utf8')) as CurvePoint;
  await mkdir(runDir, { recursive: true });
  const log = join(runDir, 'log.txt');
  const fractionArgs = o.real.flatMap((dir) => ['--train-fraction', `${dir}=${fraction}`]);
  const resume = existsSync(join(runDir, 'last.ckpt')) ? ['--resume'] : [];
  await kws(['train', ...o.trainArgs, ...fractionArgs, ...resume, '--out', runDir], log);
  const model = join(runDir, 'model.onnx');
  await kws(['export', '--checkpoint', runDir, '--out', model, '--force'], log);
  await kws(['evaluate', '--model', model, '--data', o.evalHoldout, '--holdout', '--split', 'test', '--report-dir', join(runDir, 'report-real')], log);
  const real = await accuracyOf(join(runDir, 'report-real'));
  let synth: number | null = null;
  if (o.evalSynth) {
    await kws(['evaluate', '--model', model, '--data', o.evalSynth, '--split', 'test', '--report-dir', join(runDir, 'report-synth')], log);
    synth = (await accuracyOf(join(runDir, 'report-synth'))).accuracy;
  }
  const text = await readFile(log, 'utf8');
  const realDirs = new Set(o.real.map((d) => resolve(d)));
  // A resumed run logs its data lines again: the last line per folder counts.
  const trainClips = new Map<string, number>();
  for (const m of text.matchAll(/^data (.+?): (\d+) train/gm)) if (realDirs.has(m[1]!)) trainClips.set(m[1]!, Number(m[2]));
  const realTrainClips = [...trainClips.values()].reduce((a, b) => a + b, 0);
  const best = /best checkpoint, epoch (\d+)/.exec(text);
  const point: CurvePoint = {
    fraction,
    realTrainClips,
    heldOutRealAccuracy: real.accuracy,
    heldOutRealClips: real.evaluated,
    unseenSynthAccuracy: synth,
    bestEpoch: best ? Number(best[1]) : null,
    runDir,
  };
  await writeFileAtomic(pointFile, JSON.stringify(point, null, 2) + '\n');
  return point;
}

async function main(): Promise<void> {
  const separator = process.argv.indexOf('--');
  const own = separator < 0 ? process.argv.slice(2) : process.argv.slice(2, separator);
  const trainArgs = separator < 0 ? [] : process.argv.slice(separator + 1);
  const { values } = parseArgs({
    args: own,
    options: {
      out: { type: 'string' },
      fractions: { type: 'string', default: '0,0.25,0.5,1' },
      jobs: { type: 'string', default: '1' },
      real: { type: 'string', multiple: true, default: [] },
      'eval-holdout': { type: 'string' },
      'eval-synth': { type: 'string' },
    },
  });
  if (!values.out || !values['eval-holdout'] || values.real.length === 0 || trainArgs.length === 0) {
    throw new Error('usage: learning-curve --out DIR --real DIR... --eval-holdout DIR [--eval-synth DIR] [--fractions 0,0.25,0.5,1] [--jobs N] -- TRAIN_ARGS');
  }
  const fractions = values.fractions.split(',').map(Number);
  if (fractions.some((f) => !(f >= 0 && f <= 1))) throw new Error(`--fractions must be numbers in [0, 1], got ${values.fractions}`);
  const jobs = Math.max(1, Number(values.jobs) | 0);
  const options = { out: values.out, real: values.real, evalHoldout: values['eval-holdout'], evalSynth: values['eval-synth'], trainArgs };
  await mkdir(values.out, { recursive: true });

  const points: CurvePoint[] = [];
  const queue = [...fractions];
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
        const point = await runPoint(f, options);
        points.push(point);
        process.stdout.write(
          `fraction ${f}: ${point.realTrainClips} real training clips -> held-out real ${(100 * point.heldOutRealAccuracy).toFixed(2)}%` +
            `${point.unseenSynthAccuracy === null ? '' : `, unseen synthetic ${(100 * point.unseenSynthAccuracy).toFixed(2)}%`}\n`,
        );
      }
    }),
  );
  points.sort((a, b) => a.fraction - b.fraction);
  await writeFileAtomic(join(values.out, 'learning-curve.json'), JSON.stringify({ trainArgs, real: values.real, points }, null, 2) + '\n');
  const series = [{ name: 'held-out real speakers', points: points.map((p) => [p.realTrainClips, 100 * p.heldOutRealAccuracy] as const) }];
  if (points.every((p) => p.unseenSynthAccuracy !== null)) {
    series.push({ name: 'unseen synthetic voices', points: points.map((p) => [p.realTrainClips, 100 * p.unseenSynthAccuracy!] as const) });
  }
  const most = Math.max(...points.map((p) => p.realTrainClips));
  series.push({ name: 'goal on real speakers (93%)', points: [[0, 93], [most, 93]] as const });
  await writeFileAtomic(
    join(values.out, 'learning-curve.html'),
    lineChartHtml('Accuracy against real training clips', series, { x: 'real training clips (before --repeat)', y: 'top-1 accuracy (%)' }),
  );
  process.stdout.write(`wrote ${join(values.out, 'learning-curve.json')} and learning-curve.html\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`learning-curve: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
