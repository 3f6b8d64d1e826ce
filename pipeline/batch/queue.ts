/**
 * Queue mode over BullMQ + Redis: `kws transcribe --queue URL` enqueues chunks of files and collects
 * results; `kws worker --queue URL` (on any number of machines sharing the file paths) runs them.
 *
 * Delivery is at least once: a worker killed mid-job leaves its job's lock to expire, and BullMQ's
 * stalled-job check puts it back for another worker. Writes are idempotent: the job id is a hash of
 * the run's settings and its files' keys, each file's rows are stored in the hash `NAME:results`
 * under `FILEKEY:SETTINGS` (a duplicate run overwrites the same value), and the collector writes
 * each file once. The file key is a hash of the resolved path, size and mtime; SETTINGS is a hash
 * of everything else that changes a result: the SHA-256 of the model file's bytes, --top,
 * --long-tolerance and --threshold. A worker whose model differs from the job's fails the job
 * (its files get error rows naming both models) rather than answer with another model.
 * Workers also push finished fields on the list `NAME:done` so the collector does not have to
 * poll every pending one; a periodic sweep of the hash covers lost notifications, and re-enqueues
 * the jobs of files that have neither a result nor a job any more (Redis restarted or flushed).
 * Results stay in Redis as a cache; `DEL NAME:results` clears it.
 */
import { resolve } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { OutputFormat, ResultRow } from '../output-format.js';
import { expandInputs } from '../files.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { createProgress, type Progress } from '../../util/progress.js';
import { DEFAULT_MODEL_PATH } from '../recognizer.js';
import type { DetectorConfig } from '../streaming/types.js';
import { fileTask, type FileTask } from './file-key.js';
import { checkDetectorSettings } from './detector-settings.js';
import { modelIdentity, shortHash } from './model-identity.js';
import { openBatchSink, resolveBatchOutput, type RowSink, type TextSink } from './output-sink.js';
import { defaultJobs, RecognizerPool } from './pool.js';
import { countDetections, DEFAULT_LONG_TOLERANCE_SECONDS } from './recognize-files.js';
import { boundedOptions, describeTarget, probeRedis, QueueConnectionError, RECONNECT_GIVE_UP_MS, withinMs, type RedisTarget } from './redis-connection.js';

export { QueueConnectionError } from './redis-connection.js';

export const DEFAULT_QUEUE_NAME = 'kws-transcribe';
export const DEFAULT_CHUNK_SIZE = 64;

/** A --queue URL that is not redis://[user:password@]host[:port][/db]. */
export class QueueUrlError extends Error {
  constructor(url: string, problem: string) {
    super(`--queue ${url}: ${problem}`);
    this.name = 'QueueUrlError';
  }
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

/** Everything besides the file that changes its result; jobs carry it and results are cached under it. */
export interface QueueSettings {
  /** SHA-256 of the model file's bytes. */
  modelSha256: string;
  top: number;
  longToleranceSeconds: number;
  detector: Partial<DetectorConfig>;
}

export interface QueueJobData {
  tasks: FileTask[];
  settings: QueueSettings;
}

/** 16 hex digits of SHA-256 over the settings, keys sorted. */
export function settingsId(settings: QueueSettings): string {
  return createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 16);
}

/** The field of one file's rows in the results hash. */
export function resultField(fileKey: string, settings: string): string {
  return `${fileKey}:${settings}`;
}

export function resultsKey(name: string): string {
  return `${name}:results`;
}
export function doneKey(name: string): string {
  return `${name}:done`;
}

/** Job id of a chunk: a hash of the settings and its files' keys, so re-enqueueing the same work is a no-op. */
export function chunkJobId(tasks: readonly FileTask[], settings: string): string {
  const hash = createHash('sha256').update(settings + '\n');
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
  /** One line per job start/finish (for logs and tests). */
  log?: TextSink;
}

export interface QueueWorkerHandle {
  /** Chunks finished by this process. */
  readonly completed: number;
  /** The model this worker serves. */
  readonly modelSha256: string;
  /** Stops taking jobs, finishes the ones under way, frees the threads; gives up on Redis after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** Recognition settings come with each job (see QueueSettings); the worker only checks the model. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const target = parseRedisUrl(options.url);
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const jobs = options.jobs ?? defaultJobs();
  const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
  const model = await modelIdentity(modelPath);
  await probeRedis(target, options.url);
  const pool = await RecognizerPool.create(modelPath, jobs);
  const redis = new Redis({ ...target, maxRetriesPerRequest: null });
  redis.on('error', (err: Error) => options.log?.write(`error ${err.message}\n`));
  let completed = 0;
  const processor = async (job: Job<QueueJobData>): Promise<{ files: number }> => {
    const { tasks, settings } = job.data;
    options.log?.write(`start ${job.id} ${tasks.length} ${tasks[0]?.file ?? ''}\n`);
    if (settings?.modelSha256 !== model.sha256) {
      throw new Error(
        `this worker serves ${modelPath} (sha256 ${shortHash(model.sha256)}) but the job asks for the model with sha256 ${shortHash(String(settings?.modelSha256))}: ` +
          'start `kws worker` with the same --model as `kws transcribe --queue`',
      );
    }
    const rows = await pool.run(tasks, { top: settings.top, longToleranceSeconds: settings.longToleranceSeconds, detector: settings.detector });
    const id = settingsId(settings);
    const byField = new Map<string, ResultRow[]>();
    for (const row of rows) {
      const field = resultField(row.key!, id);
      const list = byField.get(field) ?? [];
      list.push(row);
      byField.set(field, list);
    }
    const fields: string[] = [];
    for (const [field, list] of byField) fields.push(field, JSON.stringify(list));
    await redis
      .multi()
      .hset(resultsKey(name), ...fields)
      .rpush(doneKey(name), ...byField.keys())
      .exec();
    completed++;
    options.log?.write(`done ${job.id}\n`);
    return { files: byField.size };
  };
  const worker = new Worker<QueueJobData>(name, processor, {
    connection: { ...target, maxRetriesPerRequest: null },
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
    modelSha256: model.sha256,
    async close(timeoutMs = 10_000) {
      // With Redis gone, BullMQ's close waits for it forever; the jobs under way are then lost to
      // this worker anyway, and their locks expire so another worker redoes them.
      const closed = await withinMs(worker.close().then(() => true), timeoutMs);
      if (closed !== true) void worker.close(true);
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
  /** The model the workers must serve (default: the shipped model); its bytes are hashed here. */
  modelPath?: string;
  longToleranceSeconds?: number;
  detector?: Partial<DetectorConfig>;
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
  /** Jobs enqueued again because Redis had lost them (restarted or flushed). */
  requeued: number;
  /** The model the rows are from. */
  modelSha256: string;
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
  const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
  const model = await modelIdentity(modelPath);
  await checkDetectorSettings(modelPath, options.detector);
  const settings: QueueSettings = {
    modelSha256: model.sha256,
    top,
    longToleranceSeconds: options.longToleranceSeconds ?? DEFAULT_LONG_TOLERANCE_SECONDS,
    detector: options.detector ?? {},
  };
  const sid = settingsId(settings);
  // Workers may run elsewhere: they get absolute paths.
  const files = (await expandInputs(options.inputs, { stdin: options.stdin })).map((f) => resolve(f));
  await probeRedis(target, options.url);
  stderr.write(`queue ${name} on ${describeTarget(target)}: rows from model ${modelPath} (sha256 ${shortHash(model.sha256)})\n`);

  const started = performance.now();
  let connectionLost: Error | null = null;
  const onError = (err: Error): void => {
    connectionLost ??= err;
  };
  const redis = new Redis(boundedOptions(target));
  redis.on('error', onError);
  const blocking = redis.duplicate();
  blocking.on('error', onError);
  const queue = new Queue<QueueJobData>(name, { connection: boundedOptions(target) });
  queue.on('error', onError);
  const events = new QueueEvents(name, { connection: boundedOptions(target) });
  events.on('error', onError);
  let sink: RowSink | null = null;
  let progress: Progress | null = null;
  const r: QueueTranscribeResult = {
    files: files.length, processed: 0, skipped: 0, cached: 0, enqueued: 0, requeued: 0, modelSha256: model.sha256, failures: 0, detections: 0, seconds: 0, filesPerSecond: 0,
    interrupted: false, exitCode: 0,
  };
  const pending = new Map<string, FileTask>();
  try {
    sink = await openBatchSink(output);
    const done = sink.resumed.done;
    for (let i = 0; i < files.length; i += 256) {
      for (const task of await Promise.all(files.slice(i, i + 256).map((f) => fileTask(f)))) {
        if (done.has(task.key)) r.skipped++;
        else pending.set(task.key, task);
      }
    }
    if ((options.progress ?? (stderr as { isTTY?: boolean }).isTTY === true) && files.length > 0) {
      progress = createProgress('transcribe (queue)', files.length, stderr as NodeJS.WriteStream);
    }
    const writeRows = async (rows: ResultRow[]): Promise<void> => {
      if (rows.length === 0) return;
      await sink!.write(rows);
      r.failures += failedFiles(rows);
      r.detections += countDetections(rows);
    };
    /** Writes the rows of these file keys that Redis holds for this run's settings. */
    const writeKeys = async (keys: readonly string[]): Promise<number> => {
      let written = 0;
      for (let i = 0; i < keys.length; i += HMGET_CHUNK) {
        const chunk = keys.slice(i, i + HMGET_CHUNK).filter((k) => pending.has(k));
        if (chunk.length === 0) continue;
        const values = await redis.hmget(resultsKey(name), ...chunk.map((k) => resultField(k, sid)));
        const rows: ResultRow[] = [];
        values.forEach((value, k) => {
          if (value === null || !pending.has(chunk[k]!)) return;
          const list = JSON.parse(value) as ResultRow[];
          // The listed path may differ in form from the worker's; rows show this run's path.
          for (const row of list) rows.push({ ...row, file: pending.get(chunk[k]!)!.file });
          pending.delete(chunk[k]!);
          written++;
        });
        await writeRows(rows);
      }
      r.processed += written;
      if (progress !== null) {
        const elapsed = (performance.now() - started) / 1000;
        progress.update(r.processed + r.skipped, { 'files/s': elapsed > 0 ? (r.processed / elapsed).toFixed(0) : '0', failed: r.failures });
      }
      return written;
    };

    // Results computed by earlier runs with the same settings (e.g. this collector was killed) need no job.
    r.cached = await writeKeys([...pending.keys()]);

    // Final job failures (not per-file errors, which are rows) become error rows for their files.
    const chunks = new Map<string, FileTask[]>();
    events.on('failed', ({ jobId, failedReason }) => {
      const rows: ResultRow[] = [];
      for (const task of chunks.get(jobId) ?? []) {
        if (!pending.has(task.key)) continue;
        pending.delete(task.key);
        rows.push({ file: task.file, label: null, score: null, start: null, end: null, error: `${task.file}: queue job ${jobId} failed: ${failedReason}`, key: task.key, part: 1, parts: 1 });
      }
      if (rows.length > 0) {
        r.processed += rows.length;
        void writeRows(rows);
      }
    });
    await events.waitUntilReady();

    const enqueue = async (jobIds: readonly string[]): Promise<void> => {
      const jobs = jobIds.map((jobId) => ({
        name: 'transcribe',
        data: { tasks: chunks.get(jobId)!, settings },
        opts: { jobId, removeOnComplete: true, removeOnFail: true, attempts: 1 },
      }));
      for (let i = 0; i < jobs.length; i += 50) await queue.addBulk(jobs.slice(i, i + 50));
    };
    const remaining = [...pending.values()];
    for (let i = 0; i < remaining.length; i += chunkSize) {
      const tasks = remaining.slice(i, i + chunkSize);
      chunks.set(chunkJobId(tasks, sid), tasks);
    }
    await enqueue([...chunks.keys()]);
    r.enqueued = chunks.size;

    /** Jobs whose files have no result yet and that Redis no longer holds: lost with its data. */
    const lostJobs = async (): Promise<string[]> => {
      const open = [...chunks].filter(([, tasks]) => tasks.some((t) => pending.has(t.key))).map(([id]) => id);
      const lost: string[] = [];
      for (let i = 0; i < open.length; i += HMGET_CHUNK) {
        const ids = open.slice(i, i + HMGET_CHUNK);
        const pipeline = redis.pipeline();
        for (const id of ids) pipeline.exists(queue.toKey(id));
        const answers = (await pipeline.exec()) ?? [];
        ids.forEach((id, k) => {
          if (answers[k]?.[1] === 0) lost.push(id);
        });
      }
      return lost;
    };

    let lastSweep = performance.now();
    while (pending.size > 0) {
      if (options.signal?.aborted) {
        r.interrupted = true;
        break;
      }
      const popped = await blocking.blpop(doneKey(name), 1);
      if (popped !== null) {
        const fields = [popped[1]];
        const more = await redis.lpop(doneKey(name), 1000);
        if (more !== null) fields.push(...more);
        const suffix = `:${sid}`;
        await writeKeys(fields.filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length)));
      }
      if (performance.now() - lastSweep > SWEEP_MS) {
        lastSweep = performance.now();
        await writeKeys([...pending.keys()]);
        const lost = await lostJobs();
        if (lost.length > 0) {
          stderr.write(`queue ${name}: ${lost.length} job(s) of files without results are gone from Redis (restarted or flushed?); enqueued them again\n`);
          await enqueue(lost);
          r.requeued += lost.length;
        }
      }
    }
  } catch (err) {
    if (connectionLost === null) throw err;
    const lostWhy = (connectionLost as Error).message;
    throw new QueueConnectionError(
      `--queue ${options.url}: lost the connection to Redis at ${describeTarget(target)} and it did not come back within ${RECONNECT_GIVE_UP_MS / 1000} s (${lostWhy}); ` +
        `${r.processed + r.skipped} of ${files.length} files are done${options.out !== undefined ? ` in ${options.out}` : ''}: re-run the same command when Redis is back`,
    );
  } finally {
    progress?.stop();
    await sink?.close();
    await withinMs(events.close(), 2000);
    await withinMs(queue.close(), 2000);
    blocking.disconnect();
    redis.disconnect();
  }
  r.seconds = (performance.now() - started) / 1000;
  r.filesPerSecond = r.seconds > 0 ? r.processed / r.seconds : 0;
  r.exitCode = r.interrupted ? 130 : r.failures + sink.resumed.failed > 0 ? 1 : 0;
  const interrupted = r.interrupted
    ? `, interrupted: ${pending.size} files not collected; their jobs stay queued while Redis keeps them, and re-running the same command collects them (enqueueing again any Redis lost)`
    : '';
  stderr.write(
    `${r.processed} files${r.skipped > 0 ? ` (${r.skipped} already done)` : ''}, ${r.failures} failed, ${r.detections} detections, ${r.filesPerSecond.toFixed(1)} files/s, ${r.seconds.toFixed(1)} s` +
      `${options.out !== undefined ? `, results in ${options.out}` : ''}, model sha256 ${shortHash(model.sha256)}${interrupted}\n`,
  );
  return r;
}
