/**
 * Redis for several Gatehouse instances (ioredis 5): shared throttle counters, a
 * revocation channel in front of every instance's caches, and an optional shared cache of
 * opaque-token lookups. The database stays the source of truth; nothing in Redis is
 * needed to decide that a credential is valid, only to decide faster, and only while
 * Redis can vouch that nothing changed.
 *
 *     const redis = await RedisBackend.open('redis://127.0.0.1:6379', { keyPrefix: 'gatehouse:' });
 *     const stores = redis.wrap(await PostgresStores.open(url), { tokenCache: { ttlMs: 30_000, secret } });
 *     const throttleStore = redis.throttleStore();
 *     // … on shutdown: await stores.close(); await redis.close();
 *
 * The pieces, one primitive per module: `connection.ts` (clients, timeouts, URLs),
 * `throttle.ts` (`RedisThrottleStore`, Lua), `changes.ts` (`RedisChanges`, pub/sub),
 * `token-cache.ts` (`RedisTokenCache`), `stores.ts` (`withRedis`). What happens while
 * Redis is down is described in docs/redis.md.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Stores } from '../types.js';
import { RedisChanges } from './changes.js';
import { closeRedisClient, createRedisClient, isReady, redactRedisUrl, whenReady, type RedisConnectionOptions } from './connection.js';
import { withRedis } from './stores.js';
import { RedisThrottleStore } from './throttle.js';
import { RedisTokenCache } from './token-cache.js';

export { RedisChanges, combineSignals, type RedisChangesOptions } from './changes.js';
export {
  RedisUrlError,
  closeRedisClient,
  createRedisClient,
  isRedisUrl,
  redactRedisUrl,
  redisClientOptions,
  type RedisConnectionOptions,
} from './connection.js';
export { withRedis, type RedisLayer } from './stores.js';
export { RedisThrottleStore, type RedisThrottleStoreOptions } from './throttle.js';
export { RedisTokenCache, type RedisTokenCacheOptions } from './token-cache.js';

export interface RedisBackendOptions extends RedisConnectionOptions {
  /** Probe interval of the subscriber connection, ms (default 5000; 0: none). */
  heartbeatMs?: number;
  /** Called with connection errors no method can report (never thrown); messages carry no password. */
  onError?: (error: Error, where: 'client' | 'subscriber') => void;
  /** Called when the command connection goes down / comes back (once each, not per retry). */
  onConnectionChange?: (up: boolean) => void;
}

/** The Redis connections of one instance and what is built on them. */
export class RedisBackend {
  /** This instance's id on the revocation channel. */
  readonly instanceId = randomUUID();
  /** The revocation channel (its generation fails closed while unsubscribed). */
  readonly changes: RedisChanges;
  readonly keyPrefix: string;
  private closing: Promise<void> | null = null;
  private wasUp: boolean | null = null;
  private readonly onConnectionChange: ((up: boolean) => void) | undefined;

  private constructor(
    /** The command connection (throttles, publishing, the token cache). */
    readonly client: Redis,
    subscriber: Redis,
    /** The URL without its password. */
    readonly url: string,
    options: RedisBackendOptions,
  ) {
    this.keyPrefix = options.keyPrefix ?? 'gatehouse:';
    this.changes = new RedisChanges(client, subscriber, {
      channel: `${this.keyPrefix}changes`,
      instanceId: this.instanceId,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      onError: options.onError && ((e: Error) => options.onError?.(e, 'subscriber')),
    });
    this.onConnectionChange = options.onConnectionChange;
    client.on('ready', () => this.report(true));
    client.on('close', () => this.report(false));
  }

  /** Tell `onConnectionChange` about a new state (once per change, not per retry). */
  private report(up: boolean): void {
    if (up === this.wasUp || this.closing) return;
    this.wasUp = up;
    try {
      this.onConnectionChange?.(up);
    } catch {
      // reporting must not break the connection handling
    }
  }

  /**
   * Connect (command and subscriber connections). Resolves when both are up or after
   * the connect timeout, whichever is first: an unreachable Redis is not an error here —
   * the instance starts degraded and reconnects by itself (see `connected`). Throws
   * `RedisUrlError` for a URL that is not `redis://` / `rediss://`.
   */
  static async open(url: string, options: RedisBackendOptions = {}): Promise<RedisBackend> {
    const onError = options.onError;
    const client = createRedisClient(url, options, onError && ((e) => onError(e, 'client')));
    const subscriber = createRedisClient(url, options);
    const backend = new RedisBackend(client, subscriber, redactRedisUrl(url), options);
    const timeoutMs = options.timeoutMs ?? 2000;
    await Promise.all([whenReady(client, timeoutMs), backend.changes.whenSubscribed(timeoutMs)]);
    backend.report(isReady(client));
    return backend;
  }

  /** Is the command connection up? */
  get connected(): boolean {
    return isReady(this.client);
  }

  /** A throttle store on this connection (keys under the same prefix). */
  throttleStore(): RedisThrottleStore {
    return new RedisThrottleStore(this.client, { keyPrefix: this.keyPrefix });
  }

  /**
   * `stores` with the revocation channel (and the token cache when `tokenCache` is given:
   * entry lifetime and HMAC key) in front; see `withRedis`. Returns the wrapped stores and the cache.
   */
  wrap(
    stores: Stores,
    options: { tokenCache?: { ttlMs: number; secret: string | Buffer } | null; clock?: Clock } = {},
  ): Stores & { tokenCache: RedisTokenCache | null } {
    const tokenCache = options.tokenCache
      ? new RedisTokenCache(this.client, {
          keyPrefix: this.keyPrefix,
          ttlMs: options.tokenCache.ttlMs,
          secret: options.tokenCache.secret,
          signal: stores.changes,
          clock: options.clock ?? systemClock,
        })
      : null;
    return { ...withRedis(stores, { changes: this.changes, tokenCache }), tokenCache };
  }

  /** Close both connections (idempotent). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.changes.close();
      await closeRedisClient(this.client);
    })();
    return this.closing;
  }
}
