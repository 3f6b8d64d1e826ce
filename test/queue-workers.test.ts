import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseRedisUrl, QueueUrlError, runQueueTranscribe } from '../pipeline/batch/queue.js';
import { toneClip, writeFixtureModel, writeWav } from './recognizer-fixture.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const CLIPS = 240;
let dir = '';
let modelPath = '';
let audio = '';
let fifo = '';
let redis: ChildProcess | null = null;
let url = '';

class Capture {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => res(port));
    });
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface WorkerProc {
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function startWorker(queueName: string, model = modelPath): WorkerProc {
  const script = `
    const { startQueueWorker } = await import(${JSON.stringify(join(repoRoot, 'dist/pipeline/batch/queue.js'))});
    const handle = await startQueueWorker({ url: ${JSON.stringify(url)}, queueName: ${JSON.stringify(queueName)}, modelPath: ${JSON.stringify(model)}, jobs: 1, lockDurationMs: 1500, stalledIntervalMs: 500, log: process.stderr });
    process.stderr.write('ready\\n');
    process.once('SIGTERM', () => handle.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const proc: WorkerProc = { child, log: '', exited: new Promise((res) => child.on('exit', () => res())) };
  child.stderr!.on('data', (d: Buffer) => (proc.log += d.toString()));
  return proc;
}

before(async () => {
  if (!haveRedis) return;
  dir = await mkdtemp(join(tmpdir(), 'kws-queue-'));
  modelPath = join(dir, 'model.onnx');
  await writeFixtureModel(modelPath, { seed: 11 });
  audio = join(dir, 'audio');
  for (let i = 0; i < CLIPS; i++) await writeWav(join(audio, `${String(i).padStart(4, '0')}.wav`), toneClip(1, 200 + 13 * i, i));
  await writeFile(join(audio, 'zz-corrupt.wav'), 'RIFF not really');
  // A long recording keeps its worker busy for a while, so it can be killed mid-job.
  fifo = join(dir, 'blocking.wav');
  await writeWav(fifo, toneClip(600, 660, 99));
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let banner = '';
  redis.stdout!.on('data', (d: Buffer) => (banner += d.toString()));
  await waitFor(() => banner.includes('Ready to accept connections'), 'redis-server to start', 10_000);
  url = `redis://127.0.0.1:${port}`;
});

after(async () => {
  if (redis !== null) {
    const done = new Promise((r) => redis!.on('exit', r));
    redis.kill('SIGTERM');
    await done;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('parseRedisUrl reads host, port and db; other schemes are refused', () => {
  assert.deepEqual(parseRedisUrl('redis://10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, db: 2 });
  assert.deepEqual(parseRedisUrl('redis://:secret@localhost'), { host: 'localhost', port: 6379, db: 0, password: 'secret' });
  assert.throws(() => parseRedisUrl('http://x:1'), (err: Error) => err instanceof QueueUrlError && err.message.includes('http:'));
});

test('three worker processes, one SIGKILLed mid-job: every file gets exactly one result', { skip: haveRedis ? false : 'needs redis-server (apt-get install redis-server)' }, async () => {
  const queueName = 'kws-test-kill';
  const out = join(dir, 'queue.jsonl');
  const workers = [startWorker(queueName), startWorker(queueName), startWorker(queueName)];
  try {
    await waitFor(() => workers.every((w) => w.log.includes('ready')), 'workers to load the model');
    const stderr = new Capture();
    // The pipe is listed first, so it opens the first chunk.
    const collecting = runQueueTranscribe({ url, queueName, modelPath, inputs: [fifo, audio], out, chunkSize: 8, stdout: new Capture(), stderr, progress: false });
    await waitFor(() => workers.some((w) => w.log.includes(`${fifo}\n`)), 'a worker to take the job holding the pipe');
    const victim = workers.find((w) => w.log.includes(`${fifo}\n`))!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Another worker must take the stalled job over; then the pipe gets its audio.
    await waitFor(() => workers.some((w) => w !== victim && w.log.includes(`${fifo}\n`)), 'the stalled job to be given to another worker');
    const result = await collecting;
    assert.equal(result.processed, CLIPS + 2);
    assert.match(stderr.text, /rows from model .*model\.onnx \(sha256 [0-9a-f]{16}\)/);
    assert.equal(result.exitCode, 1); // the corrupt file

    const rows = (await readFile(out, 'utf8')).trimEnd().split('\n').slice(1).map((l) => JSON.parse(l) as { file: string; label: string | null; error: string | null; key: string });
    assert.equal(rows.length, CLIPS + 2);
    assert.equal(new Set(rows.map((r) => r.file)).size, CLIPS + 2);
    assert.equal(new Set(rows.map((r) => r.key)).size, CLIPS + 2);
    const piped = rows.find((r) => r.file === fifo)!;
    assert.equal(piped.error, null);
    assert.match(rows.find((r) => r.file.endsWith('zz-corrupt.wav'))!.error!, /zz-corrupt\.wav/);
    // Work was shared: the surviving workers both finished jobs.
    const survivors = workers.filter((w) => w !== victim);
    assert.ok(survivors.every((w) => /^done /m.test(w.log)), survivors.map((w) => w.log).join('\n---\n'));

    // Re-running against the same --out has nothing to do; a new --out is served from the results in Redis.
    const again = await runQueueTranscribe({ url, queueName, modelPath, inputs: [audio], out, stdout: new Capture(), stderr: new Capture() });
    assert.equal(again.processed, 0);
    assert.equal(again.skipped, CLIPS + 1);
    const fresh = join(dir, 'fresh.csv');
    const cached = await runQueueTranscribe({ url, queueName, modelPath, inputs: [audio], out: fresh, stdout: new Capture(), stderr: new Capture() });
    assert.equal(cached.cached, CLIPS + 1);
    assert.equal(cached.enqueued, 0);
    assert.equal((await readFile(fresh, 'utf8')).trimEnd().split('\r\n').length, CLIPS + 2);
  } finally {
    for (const w of workers) {
      w.child.kill('SIGTERM');
      // A worker stuck on the pipe (a failed assertion above) cannot finish its job: force it.
      setTimeout(() => w.child.kill('SIGKILL'), 3000).unref();
    }
    await Promise.all(workers.map((w) => w.exited));
  }
});

const needRedis = { skip: haveRedis ? false : 'needs redis-server (apt-get install redis-server)' };

function kwsProcess(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; ms: number }> } {
  const started = Date.now();
  const child = spawn(process.execPath, [join(repoRoot, 'bin/kws.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<{ code: number | null; ms: number }>((res) => child.on('exit', (code) => res({ code, ms: Date.now() - started })));
  return { child, output: () => text, exited };
}

test('results are cached per model and options: a new model or --top is recomputed, and a worker of another model fails the job naming both', needRedis, async () => {
  const queueName = 'kws-test-models';
  const other = join(dir, 'other.onnx');
  await writeFixtureModel(other, { seed: 99 });
  const inputs = [join(audio, '0000.wav'), join(audio, '0001.wav'), join(audio, '0002.wav')];
  const first = startWorker(queueName);
  try {
    await waitFor(() => first.log.includes('ready'), 'worker to load the model');
    const stderr = new Capture();
    const plain = await runQueueTranscribe({ url, queueName, modelPath, inputs, stdout: new Capture(), stderr, progress: false });
    assert.equal(plain.enqueued, 1);
    const top = new Capture();
    const withTop = await runQueueTranscribe({ url, queueName, modelPath, inputs, top: 3, stdout: top, stderr: new Capture(), progress: false });
    assert.equal(withTop.cached, 0, 'rows without top are not served for --top 3');
    for (const line of top.text.trim().split('\n')) assert.equal((JSON.parse(line) as { top: unknown[] }).top.length, 3);
    // The collector asks for another model: the worker of the first refuses its job.
    const wrong = new Capture();
    const mismatch = await runQueueTranscribe({ url, queueName, modelPath: other, inputs, stdout: wrong, stderr: new Capture(), progress: false });
    assert.equal(mismatch.cached, 0);
    assert.equal(mismatch.exitCode, 1);
    assert.match(wrong.text, /this worker serves .*model\.onnx \(sha256 [0-9a-f]{16}\) but the job asks for the model with sha256 [0-9a-f]{16}/);
  } finally {
    first.child.kill('SIGTERM');
    await first.exited;
  }
  const second = startWorker(queueName, other);
  try {
    await waitFor(() => second.log.includes('ready'), 'worker of the other model');
    const rows = new Capture();
    const fresh = await runQueueTranscribe({ url, queueName, modelPath: other, inputs: [...inputs, join(audio, '0003.wav')], stdout: rows, stderr: new Capture(), progress: false });
    // The three failed rows were not cached; every file is computed by the new model.
    assert.equal(fresh.cached, 0);
    assert.equal(fresh.exitCode, 0, rows.text);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  await assert.rejects(runQueueTranscribe({ url, queueName, modelPath: join(dir, 'nonexistent.onnx'), inputs, stdout: new Capture(), stderr: new Capture() }), /nonexistent\.onnx: model file not found/);
});

test('jobs lost with Redis data (FLUSHALL mid-run) are enqueued again and every file is collected', needRedis, async () => {
  const queueName = 'kws-test-flush';
  const inputs = [join(audio, '0010.wav'), join(audio, '0011.wav'), join(audio, '0012.wav')];
  const stderr = new Capture();
  const collecting = runQueueTranscribe({ url, queueName, modelPath, inputs, chunkSize: 1, stdout: new Capture(), stderr, progress: false });
  await new Promise((r) => setTimeout(r, 1500));
  const client = new Redis(url);
  await client.flushall();
  client.disconnect();
  const worker = startWorker(queueName);
  try {
    const result = await collecting;
    assert.equal(result.processed, 3);
    assert.equal(result.requeued, 3);
    assert.match(stderr.text, /gone from Redis .*enqueued them again/);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
});

test('unreachable Redis: transcribe --queue and kws worker fail within seconds with one clear line', async () => {
  const port = await freePort();
  const collector = kwsProcess(['transcribe', join(repoRoot, 'models/kws12/samples'), '--queue', `redis://127.0.0.1:${port}`]);
  const worker = kwsProcess(['worker', '--queue', `redis://127.0.0.1:${port}`, '--jobs', '1']);
  for (const proc of [collector, worker]) {
    const { code, ms } = await proc.exited;
    assert.equal(code, 1, proc.output());
    assert.ok(ms < 20_000, `took ${ms} ms`);
    assert.match(proc.output(), new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(proc.output(), /Unhandled error event/);
  }
});

test('kws worker stops on SIGTERM while its Redis is down', needRedis, async () => {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const serverExit = new Promise((r) => server.on('exit', r));
  await new Promise((r) => setTimeout(r, 500));
  const worker = kwsProcess(['worker', '--queue', `redis://127.0.0.1:${port}`, '--jobs', '1', '--model', modelPath]);
  try {
    await waitFor(() => worker.output().includes('thread(s) on'), 'the worker to start');
    server.kill('SIGKILL');
    await serverExit;
    await new Promise((r) => setTimeout(r, 1000));
    worker.child.kill('SIGTERM');
    const { code } = await Promise.race([worker.exited, new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), 20_000))]);
    assert.equal(code, 143, worker.output());
  } finally {
    worker.child.kill('SIGKILL');
    server.kill('SIGKILL');
  }
});
