/**
 * Issue 15 (batch side) and issue 12's CLI conventions, each reproduced with real `kws` processes
 * and real files: FIFOs, unreadable folders, foreign --out files, strict numbers, exit codes,
 * help text, clips that cannot hold speech, chunked decoding of long wavs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAudio } from '../features/audio/index.js';
import { openWavChunks } from '../pipeline/batch/wav-chunks.js';
import { wavBytes } from './helpers/wav-bytes.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const kwsBin = join(repoRoot, 'bin/kws.js');
let dir = '';
let model = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kws ARGS` as a real process, killed after `timeoutMs` (a hang fails the test, not the suite). */
function kws(args: string[], options: { timeoutMs?: number; asNobody?: boolean } = {}): Promise<Run> {
  const [cmd, full] = options.asNobody
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, kwsBin, ...args]]
    : [process.execPath, [kwsBin, ...args]];
  return new Promise((res) => {
    const child = spawn(cmd, full, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kws-issue15-'));
  await chmod(dir, 0o755);
  model = join(dir, 'model.onnx');
  await writeFixtureModel(model, { seed: 5 });
  await writeWav(join(dir, 'a.wav'), toneClip(1, 440, 1));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a FIFO, or a *.wav link to one, gets an error row and never blocks the run (explicit and in a folder walk)', async () => {
  const folder = join(dir, 'fifos');
  await mkdir(folder);
  execFileSync('mkfifo', [join(folder, 'pipe.wav')]);
  await symlink(join(folder, 'pipe.wav'), join(folder, 'link.wav'));
  await writeWav(join(folder, 'ok.wav'), toneClip(1, 500, 2));
  const run = await kws(['transcribe', folder, join(folder, 'pipe.wav'), '--model', model, '--jobs', '1', '--format', 'jsonl'], { timeoutMs: 30_000 });
  assert.equal(run.code, 1, run.stderr);
  const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string | null; error: string | null });
  assert.deepEqual(rows.map((r) => r.file.split('/').pop()), ['link.wav', 'ok.wav', 'pipe.wav']);
  assert.match(rows[0]!.error!, /link\.wav: is a named pipe \(FIFO\); only regular files are read/);
  assert.match(rows[2]!.error!, /pipe\.wav: is a named pipe/);
  assert.ok(rows[1]!.label !== null && rows[1]!.error === null);
});

test('an unreadable sub-folder and an unreadable file become error rows; the rest of the batch goes on', { skip: spawnSync('setpriv', ['--version']).status === 0 ? false : 'needs setpriv to run as an unprivileged user' }, async () => {
  const folder = join(dir, 'perm');
  await mkdir(join(folder, 'locked'), { recursive: true });
  await writeWav(join(folder, 'locked', 'hidden.wav'), toneClip(1, 300, 3));
  await writeWav(join(folder, 'ok.wav'), toneClip(1, 600, 4));
  await writeWav(join(folder, 'secret.wav'), toneClip(1, 700, 5));
  await chmod(folder, 0o755);
  await chmod(join(folder, 'locked'), 0o000);
  await chmod(join(folder, 'secret.wav'), 0o000);
  try {
    const run = await kws(['transcribe', folder, '--model', model, '--jobs', '1', '--format', 'jsonl'], { asNobody: true });
    assert.equal(run.code, 1, run.stderr);
    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string | null; error: string | null });
    assert.equal(rows.length, 3, run.stdout);
    assert.match(rows.find((r) => r.file.endsWith('locked'))!.error!, /locked: cannot read this folder \(EACCES\)/);
    assert.match(rows.find((r) => r.file.endsWith('secret.wav'))!.error!, /secret\.wav: .*EACCES/);
    assert.ok(rows.find((r) => r.file.endsWith('ok.wav'))!.label !== null);
  } finally {
    await chmod(join(folder, 'locked'), 0o755);
  }
});

test('--out refuses a file it did not write, untouched; --out DIR names the problem; its own file still resumes', async () => {
  const conf = join(dir, 'conf.json');
  await writeFile(conf, '{"setting": 1}\n');
  const run = await kws(['transcribe', 'a.wav', '--model', model, '--jobs', '1', '--out', conf]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /conf\.json: is not a kws results file .* left untouched/);
  assert.equal(await readFile(conf, 'utf8'), '{"setting": 1}\n');

  const asDir = await kws(['transcribe', 'a.wav', '--model', model, '--jobs', '1', '--out', dir]);
  assert.equal(asDir.code, 2);
  assert.match(asDir.stderr, /is a directory; --out needs a file name/);
  assert.doesNotMatch(asDir.stderr, /EISDIR/);

  const out = join(dir, 'own.jsonl');
  assert.equal((await kws(['transcribe', 'a.wav', '--model', model, '--jobs', '1', '--out', out])).code, 0);
  const first = (await readFile(out, 'utf8')).split('\n')[0]!;
  assert.equal((JSON.parse(first) as { kws: string }).kws, 'transcribe results');
  await writeFile(out, (await readFile(out, 'utf8')) + '{"file":"torn');
  const again = await kws(['transcribe', 'a.wav', '--model', model, '--jobs', '1', '--out', out]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /cut 13 bytes of an interrupted write/);
});

test('numbers are parsed strictly, --jobs is bounded, usage errors exit 2 with the sub-command help', async () => {
  for (const args of [['--jobs', '1e3'], ['--jobs', '1000'], ['--threshold', ''], ['--top', '0x2'], ['--batch-size', ' 4']]) {
    const run = await kws(['transcribe', 'a.wav', '--model', model, ...args]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`${args[0]} must be`));
    assert.match(run.stderr, /Usage: kws transcribe/);
    assert.doesNotMatch(run.stderr, /Usage: kws \[options\] \[command\]/);
  }
  const none = await kws(['transcribe']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give at least one input[\s\S]*Usage: kws transcribe/);
  const queueJobs = await kws(['transcribe', 'a.wav', '--queue', 'redis://127.0.0.1:1', '--jobs', '2']);
  assert.equal(queueJobs.code, 2);
  assert.match(queueJobs.stderr, /--jobs has no effect with --queue/);
});

test('empty inputs, unmatched globs and folders without datasets all exit 2 with a named problem', async () => {
  await mkdir(join(dir, 'empty'));
  const empty = await kws(['transcribe', 'empty', '--model', model]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /empty: no audio files/);
  const glob = await kws(['transcribe', 'nothing-*.wav', '--model', model]);
  assert.equal(glob.code, 2);
  assert.match(glob.stderr, /nothing-\*\.wav: no files match/);
  await mkdir(join(dir, 'above', 'speech_commands', 'yes'), { recursive: true });
  await writeWav(join(dir, 'above', 'speech_commands', 'yes', 'abc_nohash_0.wav'), toneClip(1, 300, 9));
  const info = await kws(['dataset', 'info', join(dir, 'above')]);
  assert.equal(info.code, 2, info.stdout);
  assert.match(info.stderr, /no Speech Commands-layout dataset found.*speech_commands/);
});

test('kws --version, and help text with one default per option and no JSON or flag defaults', async () => {
  const version = await kws(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version);
  for (const command of ['transcribe', 'worker', 'train', 'synth', 'evaluate', 'evaluate-stream', 'listen', 'demo', 'export']) {
    const help = await kws([command, '--help']);
    assert.equal(help.code, 0, command);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const option of text.split(/ (?=--?[a-z])/)) assert.ok((option.match(/\(default/g) ?? []).length <= 1, `${command}: ${option}`);
    assert.doesNotMatch(text, /\(default: (\[|\{|true|false)/, command);
  }
  const train = (await kws(['train', '--help'])).stdout;
  assert.match(train, /--no-augment/);
  assert.doesNotMatch(train, /--augment /);
});

test('kws train --out refuses an existing run without --resume/--force, and a file, before loading any data', async () => {
  const run = join(dir, 'run');
  await mkdir(run);
  await writeFile(join(run, 'best.ckpt'), 'a good model');
  const refused = await kws(['train', '--data', join(dir, 'no-such-data'), '--out', run]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /already holds a training run \(best\.ckpt\); pass --resume to continue it, --force to replace it/);
  assert.equal(await readFile(join(run, 'best.ckpt'), 'utf8'), 'a good model');
  const file = await kws(['train', '--data', join(dir, 'no-such-data'), '--out', join(dir, 'a.wav')]);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /a\.wav: is a file/);
});

test('stale temporaries of killed writers are removed, live ones and other files kept', async () => {
  const { removeStaleTemporaries } = await import('../util/atomic.js');
  const folder = join(dir, 'tmps');
  await mkdir(folder);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(join(folder, `.best.ckpt.${dead}.m1abc.tmp`), 'x');
  await writeFile(join(folder, `.last.ckpt.${process.pid}.m1abd.tmp`), 'x');
  await writeFile(join(folder, 'notes.tmp'), 'x');
  assert.deepEqual(await removeStaleTemporaries(folder), [`.best.ckpt.${dead}.m1abc.tmp`]);
});

test('clips that cannot hold speech are labelled with a warning: one sample, samples of 1e30', async () => {
  await writeFile(join(dir, 'one-sample.wav'), wavBytes({ bitsPerSample: 16, samples: [1000] }));
  await writeFile(join(dir, 'huge.wav'), wavBytes({ bitsPerSample: 32, float: true, samples: Array.from({ length: 16000 }, (_, i) => (i % 2 ? 1e30 : -1e30)) }));
  const run = await kws(['transcribe', 'one-sample.wav', 'huge.wav', 'a.wav', '--model', model, '--jobs', '1', '--format', 'jsonl']);
  assert.equal(run.code, 0, run.stderr);
  const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string | null; warning: string | null });
  assert.match(rows[0]!.warning!, /one-sample\.wav: too short to hold speech \(1 sample/);
  assert.match(rows[1]!.warning!, /huge\.wav: samples reach 1\.00e\+30, beyond full scale/);
  assert.equal(rows[2]!.warning, null);
  assert.ok(rows.every((r) => r.label !== null));
});

test('a long wav is decoded in chunks equal to reading it whole (16 kHz and 48 kHz stereo 24-bit)', async () => {
  const long16 = join(dir, 'long16.wav');
  await writeWav(long16, toneClip(70, 330, 7));
  const rate = 48000;
  const frames = rate * 25;
  const stereo = new Int32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    stereo[2 * i] = Math.round(Math.sin(i / 7) * 4e6);
    stereo[2 * i + 1] = Math.round(Math.cos(i / 11) * 3e6);
  }
  const long48 = join(dir, 'long48.wav');
  await writeFile(long48, wavBytes({ bitsPerSample: 24, channels: 2, sampleRateHz: rate, samples: stereo }));
  for (const file of [long16, long48]) {
    const whole = (await readAudio(file)).samples;
    const stream = (await openWavChunks(file))!;
    assert.equal(stream.length16k, whole.length);
    const parts: Float32Array[] = [];
    let largest = 0;
    for await (const chunk of stream.chunks()) {
      parts.push(chunk);
      largest = Math.max(largest, chunk.length);
    }
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    assert.equal(joined.length, whole.length, file);
    assert.ok(largest <= 500_000, `${file}: chunks stay small (${largest})`);
    let firstDiff = -1;
    for (let i = 0; i < whole.length && firstDiff < 0; i++) if (joined[i] !== whole[i]) firstDiff = i;
    assert.equal(firstDiff, -1, `${file}: first differing sample`);
  }
});
