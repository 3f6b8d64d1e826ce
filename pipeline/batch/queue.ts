/**
 * Queue mode over BullMQ + Redis: `kws transcribe --queue URL` enqueues chunks of files and collects
 * results; `kws worker --queue URL` (on any number of machines sharing the file paths) runs them.
 *
 * Delivery is at least once: a worker killed mid-job leaves its job's lock to expire, and BullMQ's
 * stalled-job check puts it back for another worker. Writes are idempotent: the job id is a hash of
 * its files' keys (path, size, mtime), each file's rows are stored in the hash `NAME:results` under
 * the file key (a duplicate run overwrites the same value), and the collector writes each key once.
 * Workers also push finished keys on the list `NAME:done` so the collector does not have to poll
 * every pending key; a periodic sweep of the hash covers notifications lost to a crashed collector.
 * Results stay in Redis as a cache (same file, same key); `DEL NAME:results` clears it.
 */
import { resolve } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { OutputFormat, ResultRow } from '../output-format.js';
import { expandInputs } from '../files.js';
import { createProgress, type Progress } from '../progress.js';
import { DEFAULT_MODEL_PATH } from '../recognizer.js';
import { fileTask, type FileTask } from './file-key.js';
import { openBatchSink, resolveBatchOutput, type RowSink, type TextSink } from './output-sink.js';
import { defaultJobs, RecognizerPool } from './pool.js';
import { countDetections, type RecognizeOptions } from './recognize-files.js';

export const DEFAULT_QUEUE_NAME = 'kws-transcribe';
export const DEFAULT_CHUNK_SIZE = 64;

/** A --queue URL that is not redis://[user:password@]host[:port][/db]. */
export class QueueUrlError extends Error {
  constructor(url: string, problem: string) {
    super(`--queue ${url}: ${problem}`);
    this.name = 'QueueUrlError';
  }
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(url, 'not a URL (expected redis://HOST:PORT)');
  }
  if (parsed.protocol !== 'redis:') throw new QueueUrlError(url, `scheme must be redis:, got ${parsed.protocol}`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(url, `database must be a non-negative integer, got '${dbText}'`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** BullMQ needs maxRetriesPerRequest null on worker connections; the same options serve all. */
function connectionOptions(target: RedisTarget): RedisTarget & { maxRetriesPerRequest: null } {
  return { ...target, maxRetriesPerRequest: null };
}

export interface QueueJobData {
  tasks: FileTask[];
  top: number;
}

export function resultsKey(name: string): string {
  return `${name}:results`;
}
export function doneKey(name: string): string {
  return `${name}:done`;
}

/** Job id of a chunk: a hash of its files' keys, so re-enqueueing the same files is a no-op. */
export function chunkJobId(tasks: readonly FileTask[]): string {
  const hash = createHash('sha256');
  for (const t of tasks) hash.update(t.key + '\n');
  return 'c' + hash.digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------------------------------------
// Worker side

export interface QueueWorkerOptions {
  url: string;
  queueName?: string;
  modelPath?: string;
  /** Worker threads (and concurrent jobs) in this process (default: the number of cores). */
  jobs?: number;
  /** How long a job's lock lasts without renewal before it counts as stalled (default 30000 ms). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (default 30000 ms; BullMQ's default). */
  stalledIntervalMs?: number;
  recognize?: Omit<RecognizeOptions, 'top'>;
  /** One line per job start/finish (for logs and tests). */
  log?: TextSink;
}

export interface QueueWorkerHandle {
  /** Chunks finished by this process. */
  readonly completed: number;
  /** Stops taking jobs, finishes the ones under way, frees the threads. */
  close(): Promise<void>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const target = parseRedisUrl(options.url);
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const jobs = options.jobs ?? defaultJobs();
  const pool = await RecognizerPool.create(options.modelPath ?? DEFAULT_MODEL_PATH, jobs, options.recognize ?? {});
  const redis = new Redis(connectionOptions(target));
  let completed = 0;
  const processor = async (job: Job<QueueJobData>): Promise<{ files: number }> => {
    options.log?.write(`start ${job.id} ${job.data.tasks.length} ${job.data.tasks[0]?.file ?? ''}\n`);
    const rows = await pool.run(job.data.tasks, { top: job.data.top });
    const byKey = new Map<string, ResultRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.key!) ?? [];
      list.push(row);
      byKey.set(row.key!, list);
    }
    const fields: string[] = [];
    for (const [key, list] of byKey) fields.push(key, JSON.stringify(list));
    await redis
      .multi()
      .hset(resultsKey(name), ...fields)
      .rpush(doneKey(name), ...byKey.keys())
      .exec();
    completed++;
    options.log?.write(`done ${job.id}\n`);
    return { files: byKey.size };
  };
  const worker = new Worker<QueueJobData>(name, processor, {
    connection: connectionOptions(target),
    concurrency: pool.capacity,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // A job is only failed for stalling after many lost workers; each loss just re-runs it.
    maxStalledCount: 10,
  });
  worker.on('error', (err) => options.log?.write(`error ${err.message}\n`));
  await worker.waitUntilReady();
  return {
    get completed() {
      return completed;
    },
    async close() {
      await worker.close();
      await pool.close();
      redis.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Producer / collector side

export interface QueueTranscribeOptions {
  url: string;
  queueName?: string;
  inputs: readonly string[];
  stdin?: NodeJS.ReadableStream;
  format?: OutputFormat;
  out?: string;
  top?: number;
  /** Files per job (default 64). */
  chunkSize?: number;
  progress?: boolean;
  /** Aborting stops waiting; results already collected are written, the jobs stay queued. */
  signal?: AbortSignal;
  stdout?: TextSink;
  stderr?: TextSink;
}

export interface QueueTranscribeResult {
  files: number;
  processed: number;
  skipped: number;
  /** Results found in Redis from earlier runs, without enqueueing. */
  cached: number;
  enqueued: number;
  failures: number;
  detections: number;
  seconds: number;
  filesPerSecond: number;
  interrupted: boolean;
  exitCode: 0 | 1 | 130;
}

const SWEEP_MS = 5000;
const HMGET_CHUNK = 500;

function failedFiles(rows: readonly ResultRow[]): number {
  let n = 0;
  for (const row of rows) if (row.error !== null && row.part === 1) n++;
  return n;
}

/** Enqueues the files not yet in --out and writes their results as workers finish them. */
export async function runQueueTranscribe(options: QueueTranscribeOptions): Promise<QueueTranscribeResult> {
  const output = resolveBatchOutput(options);
  const { stderr, top } = output;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${String(chunkSize)}`);
  const target = parseRedisUrl(options.url);
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  // Workers may run elsewhere: they get absolute paths.
  const files = (await expandInputs(options.inputs, { stdin: options.stdin })).map((f) => resolve(f));

  const started = performance.now();
  const redis = new Redis(connectionOptions(target));
  const blocking = redis.duplicate();
  const queue = new Queue<QueueJobData>(name, { connection: connectionOptions(target) });
  const events = new QueueEvents(name, { connection: connectionOptions(target) });
  let sink: RowSink | null = null;
  let progress: Progress | null = null;
  const r: QueueTranscribeResult = {
    files: files.length, processed: 0, skipped: 0, cached: 0, enqueued: 0, failures: 0, detections: 0, seconds: 0, filesPerSecond: 0, interrupted: false, exitCode: 0,
  };
  try {
    sink = await openBatchSink(output);
    const done = sink.resumed.done;
    const pending = new Map<string, FileTask>();
    for (let i = 0; i < files.length; i += 256) {
      for (const task of await Promise.all(files.slice(i, i + 256).map((f) => fileTask(f)))) {
        if (done.has(task.key)) r.skipped++;
        else pending.set(task.key, task);
      }
    }
    if ((options.progress ?? (stderr as { isTTY?: boolean }).isTTY === true) && files.length > 0) {
      progress = createProgress('transcribe (queue)', files.length, stderr as NodeJS.WriteStream);
    }
    const writeKeys = async (keys: readonly string[]): Promise<number> => {
      let written = 0;
      for (let i = 0; i < keys.length; i += HMGET_CHUNK) {
        const chunk = keys.slice(i, i + HMGET_CHUNK).filter((k) => pending.has(k));
        if (chunk.length === 0) continue;
        const values = await redis.hmget(resultsKey(name), ...chunk);
        const rows: ResultRow[] = [];
        values.forEach((value, k) => {
          if (value === null || !pending.has(chunk[k]!)) return;
          const list = JSON.parse(value) as ResultRow[];
          // The listed path may differ in form from the worker's; rows show this run's path.
          for (const row of list) rows.push({ ...row, file: pending.get(chunk[k]!)!.file });
          pending.delete(chunk[k]!);
          written++;
        });
        if (rows.length > 0) {
          await sink!.write(rows);
          r.failures += failedFiles(rows);
          r.detections += countDetections(rows);
        }
      }
      r.processed += written;
      if (progress !== null) {
        const elapsed = (performance.now() - started) / 1000;
        progress.update(r.processed + r.skipped, { 'files/s': elapsed > 0 ? (r.processed / elapsed).toFixed(0) : '0', failed: r.failures });
      }
      return written;
    };

    // Results computed by earlier runs (e.g. this collector was killed) need no job.
    r.cached = await writeKeys([...pending.keys()]);

    // Final job failures (not per-file errors, which are rows) become error rows for their files.
    const chunkKeys = new Map<string, string[]>();
    events.on('failed', ({ jobId, failedReason }) => {
      const keys = chunkKeys.get(jobId) ?? [];
      const rows: ResultRow[] = [];
      for (const key of keys) {
        const task = pending.get(key);
        if (task === undefined) continue;
        pending.delete(key);
        rows.push({ file: task.file, label: null, score: null, start: null, end: null, error: `${task.file}: queue job ${jobId} failed: ${failedReason}`, key, part: 1, parts: 1 });
      }
      if (rows.length > 0) {
        r.processed += rows.length;
        r.failures += rows.length;
        void sink!.write(rows);
      }
    });
    await events.waitUntilReady();

    const remaining = [...pending.values()];
    for (let i = 0; i < remaining.length; i += chunkSize * 50) {
      const jobs = [];
      for (let j = i; j < Math.min(remaining.length, i + chunkSize * 50); j += chunkSize) {
        const tasks = remaining.slice(j, j + chunkSize);
        const jobId = chunkJobId(tasks);
        chunkKeys.set(jobId, tasks.map((t) => t.key));
        jobs.push({ name: 'transcribe', data: { tasks, top }, opts: { jobId, removeOnComplete: true, removeOnFail: true, attempts: 1 } });
      }
      await queue.addBulk(jobs);
      r.enqueued += jobs.length;
    }

    let lastSweep = performance.now();
    while (pending.size > 0) {
      if (options.signal?.aborted) {
        r.interrupted = true;
        break;
      }
      const popped = await blocking.blpop(doneKey(name), 1);
      if (popped !== null) {
        const keys = [popped[1]];
        const more = await redis.lpop(doneKey(name), 1000);
        if (more !== null) keys.push(...more);
        await writeKeys(keys);
      }
      if (performance.now() - lastSweep > SWEEP_MS) {
        lastSweep = performance.now();
        await writeKeys([...pending.keys()]);
      }
    }
  } finally {
    progress?.stop();
    await sink?.close();
    await events.close();
    await queue.close();
    blocking.disconnect();
    redis.disconnect();
  }
  r.seconds = (performance.now() - started) / 1000;
  r.filesPerSecond = r.seconds > 0 ? r.processed / r.seconds : 0;
  r.exitCode = r.interrupted ? 130 : r.failures + sink.resumed.failed > 0 ? 1 : 0;
  stderr.write(
    `${r.processed} files${r.skipped > 0 ? ` (${r.skipped} already done)` : ''}, ${r.failures} failed, ${r.detections} detections, ${r.filesPerSecond.toFixed(1)} files/s, ${r.seconds.toFixed(1)} s` +
      `${options.out !== undefined ? `, results in ${options.out}` : ''}${r.interrupted ? ', interrupted: the jobs stay queued; re-run to collect' : ''}\n`,
  );
  return r;
}
