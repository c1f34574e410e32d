/**
 * Connecting to Redis (ioredis 5): one URL, bounded timeouts, fail fast while down.
 *
 * Every client made here has `enableOfflineQueue: false` and `maxRetriesPerRequest: 1`:
 * while the connection is down a command fails at once (it is never queued until Redis
 * comes back, which would stall requests), and a command in flight when the connection
 * breaks fails after one retry. Connecting is bounded by `timeoutMs`, every command by
 * `timeoutMs` too, and the client reconnects by itself (50 ms doubling to 2 s).
 *
 * URLs are `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS); the password
 * never appears in a message (`redactRedisUrl`).
 */
import { Redis, type RedisOptions as IoRedisOptions } from 'ioredis';
import { hasUnencodedUserinfo, redactUrl, unencodedUserinfoMessage } from '../url.js';

/** Options shared by every Redis primitive of Gatehouse. */
export interface RedisConnectionOptions {
  /** Prefix of every key and of the change channel (default `gatehouse:`). */
  keyPrefix?: string;
  /** Connect timeout and per-command timeout, ms (default 2000). */
  timeoutMs?: number;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

/** Is this setting a Redis URL? */
export const isRedisUrl = (url: string): boolean => /^rediss?:\/\//i.test(url);

/** The URL without its password, for messages and logs. */
export const redactRedisUrl: (url: string) => string = redactUrl;

/** A Redis URL that cannot be used; the message never contains the password. */
export class RedisUrlError extends Error {}

/** The ioredis options for `url` (validated; throws `RedisUrlError`). */
export function redisClientOptions(url: string, options: RedisConnectionOptions = {}): IoRedisOptions {
  if (!isRedisUrl(url)) throw new RedisUrlError(`not a Redis URL (redis:// or rediss://): ${redactRedisUrl(url)}`);
  if (hasUnencodedUserinfo(url)) throw new RedisUrlError(`invalid Redis URL ${unencodedUserinfoMessage(url)}`);
  try {
    new URL(url);
  } catch {
    throw new RedisUrlError(`invalid Redis URL: ${redactRedisUrl(url)}`);
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`Redis timeoutMs must be a positive integer (got ${timeoutMs})`);
  return {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResubscribe: false,
    lazyConnect: true,
    keepAlive: 10_000,
    retryStrategy: (times: number) => Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(times - 1, 10)),
  };
}

/** Is the client connected and ready for commands? */
export const isReady = (client: Redis): boolean => client.status === 'ready';

/**
 * A client for `url`, connecting in the background. Never rejects or crashes on an
 * unreachable server: `'error'` events go to `onError` (or nowhere), and the client keeps
 * retrying until `quit()`/`disconnect()`.
 */
export function createRedisClient(url: string, options: RedisConnectionOptions = {}, onError?: (error: Error) => void): Redis {
  const client = new Redis(url, redisClientOptions(url, options));
  client.on('error', (e: Error) => {
    try {
      onError?.(e);
    } catch {
      // a reporting callback must not turn a connection error into a crash
    }
  });
  client.connect().catch(() => {}); // failures are 'error' events; retries go on
  return client;
}

/** Resolve once `client` is ready, or after `timeoutMs` (whichever first): whether it is ready. */
export function whenReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (isReady(client)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(isReady(client)), timeoutMs);
    client.on('ready', onReady);
  });
}

/** Close a client: QUIT when connected (bounded), else drop it at once. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (!isReady(client)) {
    client.disconnect(false);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.quit().catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, 1000);
    }),
  ]);
  clearTimeout(timer);
  client.disconnect(false);
}
