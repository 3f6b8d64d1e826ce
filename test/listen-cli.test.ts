import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { detectionJsonLine, detectionsTable, runListen } from '../cli/listen.js';
import { thresholdConfig, thresholdSetting } from '../cli/options.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';
import { burstStream } from './streaming-fixtures.js';

const run = promisify(execFile);
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
let dir = '';
let modelPath = '';
let wavPath = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-listen-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 3 });
  const samples = burstStream(12, [1, 3.3, 6.1, 9.4], 4);
  const tone = toneClip(0.8, 900, 9);
  for (let at = 0.4; at + 0.8 < 12; at += 2.3) samples.set(tone, Math.round(at * 16000));
  wavPath = join(dir, 'stream.wav');
  await writeWav(wavPath, samples);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function collect(): { write(text: string): void; text: string } {
  return { text: '', write(t: string) { this.text += t; } };
}

// The random-weights model sits near uniform (~0.08-0.1): a threshold just above uniform fires sometimes.
const FIRING = { threshold: 0.095 };

test('runListen --json prints one object per detection with label, score, start, end', async () => {
  const out = collect();
  const detections = await runListen(wavPath, { model: modelPath, json: true, ...FIRING }, out);
  assert.ok(detections.length > 0);
  const lines = out.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, detections.length);
  lines.forEach((l, i) => {
    assert.deepEqual(Object.keys(l), ['label', 'score', 'start', 'end', 'fired']);
    assert.equal(l.label, detections[i]!.label);
    assert.ok(Math.abs((l.end as number) - detections[i]!.endSeconds) < 1e-3);
  });
});

test('runListen prints a table, or a line saying nothing was found', async () => {
  const out = collect();
  const detections = await runListen(wavPath, { model: modelPath, ...FIRING, refractoryMs: 2000 }, out);
  const lines = out.text.trimEnd().split('\n');
  assert.match(lines[0]!, /^\s*time\s+label\s+score\s+start\s+end$/);
  assert.equal(lines.length, detections.length + 1);
  for (let i = 1; i < detections.length; i++) assert.ok(detections[i]!.firedAtSeconds - detections[i - 1]!.firedAtSeconds >= 2 - 1e-9);
  const quiet = collect();
  assert.deepEqual(await runListen(wavPath, { model: modelPath, threshold: 1 }, quiet), []);
  assert.match(quiet.text, /no keywords detected in 12\.00 s/);
});

test('formatting helpers', () => {
  const d = { label: 'yes', score: 0.91234567, startSeconds: 1.2, endSeconds: 2.2, firedAtSeconds: 2.4 };
  assert.equal(detectionJsonLine(d), '{"label":"yes","score":0.9123,"start":1.2,"end":2.2,"fired":2.4}');
  assert.equal(detectionsTable([d]), 'time  label  score  start   end\n2.40  yes    0.912   1.20  2.20\n');
});

test('listen command in a child process (registered on a commander program)', async () => {
  const entry = [
    "import { Command } from 'commander';",
    "import { registerListenCommand } from './dist/cli/listen.js';",
    'const program = new Command(); registerListenCommand(program);',
    'await program.parseAsync(process.argv);',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', entry, 'kws', 'listen', wavPath, '--model', modelPath, '--json', '--threshold', '0.095'], { cwd: repoRoot });
  const direct = collect();
  await runListen(wavPath, { model: modelPath, json: true, ...FIRING }, direct);
  assert.equal(stdout, direct.text);
  // --smoothing-ms reaches the detector: the child's detections equal the direct call's with the same span,
  // and differ from the default span's (the random model's near-uniform peaks are short).
  const quick = { threshold: 0.09, refractoryMs: 0 };
  const smoothed = await run(process.execPath, ['--input-type=module', '-e', entry, 'kws', 'listen', wavPath, '--model', modelPath, '--json', '--threshold', '0.09', '--refractory-ms', '0', '--smoothing-ms', '1000'], { cwd: repoRoot });
  const directSmoothed = collect();
  await runListen(wavPath, { model: modelPath, json: true, ...quick, smoothingMs: 1000 }, directSmoothed);
  assert.equal(smoothed.stdout, directSmoothed.text);
  const directDefault = collect();
  await runListen(wavPath, { model: modelPath, json: true, ...quick }, directDefault);
  assert.ok(smoothed.stdout.split('\n').length < directDefault.text.split('\n').length, 'a 1 s moving average fires less often than the default 300 ms');
  await assert.rejects(
    run(process.execPath, ['--input-type=module', '-e', entry, 'kws', 'listen', wavPath, '--smoothing-ms', '-5'], { cwd: repoRoot }),
    (err: { stderr: string }) => /--smoothing-ms must be a number in \[0, 60000\]/.test(err.stderr),
  );
  await assert.rejects(
    run(process.execPath, ['--input-type=module', '-e', entry, 'kws', 'listen', wavPath, '--threshold', '2'], { cwd: repoRoot }),
    (err: { stderr: string }) => /--threshold must be a number in \[0, 1\]/.test(err.stderr),
  );
});

test('kws listen via bin/kws.js', async (t) => {
  const help = await run(process.execPath, [join(repoRoot, 'bin/kws.js'), '--help'], { cwd: repoRoot });
  if (!/\blisten\b/.test(help.stdout)) {
    t.skip('listen is not wired into cli/commands.ts yet');
    return;
  }
  const { stdout } = await run(process.execPath, [join(repoRoot, 'bin/kws.js'), 'listen', wavPath, '--model', modelPath, '--json', '--threshold', '0.095'], { cwd: repoRoot });
  const direct = collect();
  await runListen(wavPath, { model: modelPath, json: true, ...FIRING }, direct);
  assert.equal(stdout, direct.text);
});

test('--threshold LABEL=P sets one keyword over the model\'s thresholds; bad settings are refused by name', async () => {
  const setting = thresholdSetting('--threshold');
  assert.deepEqual(setting('0.9'), { all: 0.9, perKeyword: {} });
  assert.deepEqual(setting('off=0.95'), { perKeyword: { off: 0.95 } });
  assert.deepEqual(setting(' 0.97, off=0.9 ,on = 0.95'), { all: 0.97, perKeyword: { off: 0.9, on: 0.95 } });
  assert.deepEqual(thresholdConfig(setting('0.97,off=0.9')), { defaultThreshold: 0.97, thresholds: { off: 0.9 } });
  assert.deepEqual(thresholdConfig(setting('off=0.9')), { thresholds: { off: 0.9 } });
  assert.deepEqual(thresholdConfig(undefined), {});
  assert.throws(() => setting('off=2'), /--threshold off must be a number in \[0, 1\], got '2'/);
  assert.throws(() => setting('0.9,0.8'), /one threshold for every keyword, got two/);
  assert.throws(() => setting('off=0.9,off=0.8'), /gives off two thresholds/);
  assert.throws(() => setting('=0.9'), /names no keyword/);

  // On the random-weights model: every keyword at the firing threshold, then only one of them.
  const all = await runListen(wavPath, { model: modelPath, ...FIRING, refractoryMs: 0 }, collect());
  assert.ok(all.length > 0);
  const label = all[0]!.label;
  const one = await runListen(wavPath, { model: modelPath, threshold: 1, thresholds: { [label]: FIRING.threshold }, refractoryMs: 0 }, collect());
  assert.ok(one.length > 0);
  assert.ok(one.every((d) => d.label === label), `only ${label} fires: ${one.map((d) => d.label).join(' ')}`);
  assert.deepEqual(one, all.filter((d) => d.label === label));

  const cli = await run(process.execPath, [join(repoRoot, 'bin/kws.js'), 'listen', wavPath, '--model', modelPath, '--json', '--refractory-ms', '0', '--threshold', `1,${label}=${FIRING.threshold}`], { cwd: repoRoot });
  assert.deepEqual(cli.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { label: string }).label), one.map((d) => d.label));
  await assert.rejects(
    run(process.execPath, [join(repoRoot, 'bin/kws.js'), 'listen', wavPath, '--model', modelPath, '--threshold', 'nosuch=0.5'], { cwd: repoRoot }),
    (err: { stderr: string }) => /no label "nosuch"/.test(err.stderr),
  );
});
