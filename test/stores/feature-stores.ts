/**
 * The stores a feature's contract suite runs on (API keys, passkeys): memory, SQLite,
 * PostgreSQL (a fresh schema each; skipped with a notice when unreachable and not
 * required) and SQLite behind the Redis wrapper (when Redis is reachable). Registers its
 * own cleanup with `after`.
 */
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import { RedisBackend } from '../../src/stores/redis/index.js';
import type { Stores } from '../../src/stores/types.js';
import { postgresTestDb } from './postgres-helpers.js';
import { REDIS_URL, redisTestServer } from './redis-helpers.js';

export type StoreFactory = [name: string, make: () => Stores | Promise<Stores>];

/** `label` names the suite in skip notices; `keyPrefix` starts each Redis wrapper's keys. */
export async function featureStores(label: string, keyPrefix: string): Promise<StoreFactory[]> {
  const factories: StoreFactory[] = [
    ['memory', () => new MemoryStores()],
    ['sqlite', () => SqliteStores.open(':memory:')],
  ];
  const postgres = await postgresTestDb(label);
  if (postgres) {
    factories.push(['postgres', () => postgres.open()]);
    after(() => postgres.cleanup());
  }
  const redis = await redisTestServer(`${label} with Redis`);
  if (redis) {
    const backends: RedisBackend[] = [];
    factories.push([
      'sqlite+redis',
      async () => {
        const backend = await RedisBackend.open(REDIS_URL, { keyPrefix: `${keyPrefix}${randomBytes(4).toString('hex')}:` });
        backends.push(backend);
        return backend.wrap(SqliteStores.open(':memory:'), { tokenCache: { ttlMs: 30_000, secret: randomBytes(32) } });
      },
    ]);
    after(async () => {
      for (const b of backends) await b.close();
      await redis.cleanup();
    });
  }
  return factories;
}
