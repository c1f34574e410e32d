/**
 * Redis for the tests: the server named by `GATEHOUSE_TEST_REDIS` (default
 * `redis://127.0.0.1:6379`), a fresh key prefix per store or instance (`gh_test_<random>:`,
 * its keys deleted afterwards) so that runs and parallel test files never collide. When
 * the server cannot be reached the Redis cases are skipped with a notice — unless
 * `GATEHOUSE_REQUIRE_SERVICES=1`, where they fail.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBackend, redactRedisUrl } from '../../src/stores/redis/index.js';
import type { Stores } from '../../src/stores/types.js';
import { lazyStores, skipUnlessRequired } from './postgres-helpers.js';

export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export interface RedisTestServer {
  url: string;
  /** A plain client (offline queue on) for the tests' own commands. */
  client: Redis;
  /** A new key prefix (its keys are deleted by `cleanup`). */
  newPrefix(): string;
  /**
   * `make()`'s stores with Redis in front (revocation channel and token cache, on a fresh
   * prefix), usable synchronously as the contract suites' factories are: opens on first use.
   */
  lazy(make: () => Stores): Stores;
  /** Delete every key under the prefixes made here and close the client. */
  cleanup(): Promise<void>;
}

async function reachable(url: string): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    client.disconnect();
  }
}

/**
 * The test Redis for one test file, or null (after registering a skipped test and
 * printing why) when Redis is not reachable and not required.
 */
export async function redisTestServer(label: string): Promise<RedisTestServer | null> {
  const problem = await reachable(REDIS_URL);
  if (problem !== null && skipUnlessRequired(label, 'Redis', `${redactRedisUrl(REDIS_URL)} (${problem}); set GATEHOUSE_TEST_REDIS`)) return null;
  const client = new Redis(REDIS_URL, { connectTimeout: 2000, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const prefixes = new Set<string>();
  const drop = async (prefix: string) => {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  };
  const server: RedisTestServer = {
    url: REDIS_URL,
    client,
    newPrefix() {
      const prefix = `gh_test_${randomBytes(6).toString('hex')}:`;
      prefixes.add(prefix);
      return prefix;
    },
    lazy(make) {
      const backend = RedisBackend.open(REDIS_URL, { keyPrefix: server.newPrefix() });
      const opening = backend.then((b) => b.wrap(make(), { tokenCache: { ttlMs: 30_000, secret: randomBytes(32) } }));
      opening.catch(() => {}); // reported by the first use
      return lazyStores(opening, async () => {
        await (await backend).close();
      });
    },
    async cleanup() {
      for (const prefix of prefixes) await drop(prefix).catch(() => {});
      prefixes.clear();
      client.disconnect();
    },
  };
  return server;
}
