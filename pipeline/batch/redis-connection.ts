/**
 * Redis connections of queue mode that fail in bounded time with one clear line, instead of
 * retrying forever and printing ioredis's "Unhandled error event" traces.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Redis could not be reached, or the connection was lost and did not come back in time. */
export class QueueConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConnectionError';
  }
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export const CONNECT_TIMEOUT_MS = 5000;
/** How long a lost connection is retried before the collector gives up. */
export const RECONNECT_GIVE_UP_MS = 10_000;

export function describeTarget(target: RedisTarget): string {
  return `${target.host}:${target.port}${target.db !== 0 ? `/${target.db}` : ''}`;
}

/**
 * Options for a connection that retries a lost connection for about RECONNECT_GIVE_UP_MS, then
 * fails its commands. Every connection made with them still needs an 'error' listener.
 */
export function boundedOptions(target: RedisTarget): RedisOptions {
  const started = { at: 0 };
  return {
    ...target,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    retryStrategy(times: number) {
      if (times === 1) started.at = Date.now();
      return Date.now() - started.at > RECONNECT_GIVE_UP_MS ? null : Math.min(200 * times, 1000);
    },
  };
}

/** Connects and PINGs within CONNECT_TIMEOUT_MS, or throws a QueueConnectionError naming the address. */
export async function probeRedis(target: RedisTarget, url: string): Promise<void> {
  const client = new Redis({ ...target, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let last: Error | null = null;
  client.on('error', (err: Error) => (last = err));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS).unref());
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (err) {
    const reason = (last as Error | null)?.message ?? (err instanceof Error ? err.message : String(err));
    throw new QueueConnectionError(`--queue ${url}: cannot reach Redis at ${describeTarget(target)} (${reason}); is redis-server running there?`);
  } finally {
    client.disconnect();
  }
}

/** Resolves with `promise`, or after `ms` with undefined (for closing connections to a dead Redis). */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
