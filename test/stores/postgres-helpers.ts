/**
 * PostgreSQL for the store tests: the server named by `GATEHOUSE_TEST_POSTGRES`
 * (default `postgres://postgres@127.0.0.1:5432/test`), a fresh schema per store
 * (`gh_test_<random>`, dropped afterwards) so that runs and parallel test files never
 * collide. When the server cannot be reached the PostgreSQL cases are skipped with a
 * notice — unless `GATEHOUSE_REQUIRE_SERVICES=1`, where they fail.
 */
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStores, redactUrl, type PostgresOptions } from '../../src/stores/postgres/index.js';
import type { Stores } from '../../src/stores/types.js';

export const POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REQUIRE_SERVICES = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';

export interface PostgresTestDb {
  url: string;
  /** A new schema name (dropped by `cleanup`). */
  newSchema(): string;
  /** Open stores on a fresh schema (or on `options.schema`, to share one between instances). */
  open(options?: PostgresOptions): Promise<PostgresStores>;
  /** A `Stores` usable synchronously (as the contract suites' factories are): opens on first use. */
  lazy(): Stores;
  /** An admin connection pool (not in any test schema). */
  admin: pg.Pool;
  /** Drop every schema made here and end the admin pool. */
  cleanup(): Promise<void>;
}

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A service the tests need is unreachable (`where`: its redacted address, why, and the
 * variable naming it): register a skipped test and print why, returning true — or, with
 * `GATEHOUSE_REQUIRE_SERVICES=1`, register a failing test and return false (the cases run
 * and fail too).
 */
export function skipUnlessRequired(label: string, service: string, where: string): boolean {
  const notice = `${service} not reachable at ${where}`;
  if (!REQUIRE_SERVICES) {
    console.log(`# ${label}: SKIPPING the ${service} cases: ${notice}`);
    test(`${label}: ${service}`, { skip: notice }, () => {});
    return true;
  }
  console.log(`# ${label}: ${notice}, and GATEHOUSE_REQUIRE_SERVICES=1: the ${service} cases fail`);
  test(`${label}: ${service} is reachable (GATEHOUSE_REQUIRE_SERVICES=1)`, () => {
    throw new Error(notice);
  });
  return false;
}

/**
 * The test database for one test file, or null (after registering a skipped test and
 * printing why) when PostgreSQL is not reachable and not required.
 */
export async function postgresTestDb(label: string): Promise<PostgresTestDb | null> {
  const problem = await reachable(POSTGRES_URL);
  if (problem !== null && skipUnlessRequired(label, 'PostgreSQL', `${redactUrl(POSTGRES_URL)} (${problem}); set GATEHOUSE_TEST_POSTGRES`)) return null;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, connectionTimeoutMillis: 2000 });
  admin.on('error', () => {});
  const schemas = new Set<string>();
  const open: PostgresTestDb['open'] = (options = {}) => {
    const schema = options.schema ?? db.newSchema();
    schemas.add(schema);
    return PostgresStores.open(POSTGRES_URL, { ...options, schema });
  };
  const drop = (schema: string) => admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const db: PostgresTestDb = {
    url: POSTGRES_URL,
    admin,
    newSchema() {
      const schema = `gh_test_${randomBytes(6).toString('hex')}`;
      schemas.add(schema);
      return schema;
    },
    open,
    lazy() {
      const schema = db.newSchema();
      const opening = open({ schema });
      opening.catch(() => {}); // reported by the first use
      return lazyStores(opening, async () => {
        await drop(schema);
        schemas.delete(schema);
      });
    },
    async cleanup() {
      for (const schema of schemas) await drop(schema).catch(() => {});
      schemas.clear();
      await admin.end();
    },
  };
  return db;
}

/** Forward every store method to the stores once opened; `close` also runs `dispose`. */
export function lazyStores(opening: Promise<Stores>, dispose: () => Promise<void>): Stores {
  let opened: Stores | null = null;
  void opening.then((s) => (opened = s), () => {});
  let fallback = 0;
  const forward = <K extends 'users' | 'tokens' | 'jwt' | 'keys' | 'mfa' | 'mfaTickets' | 'trustedDevices'>(part: K): NonNullable<Stores[K]> =>
    new Proxy({} as NonNullable<Stores[K]>, {
      get: (_target, method: string | symbol) =>
        async (...args: unknown[]) => {
          const store = (await opening)[part] as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
          return store[method]!.apply(store, args);
        },
    });
  return {
    users: forward('users'),
    tokens: forward('tokens'),
    jwt: forward('jwt'),
    keys: forward('keys'),
    mfa: forward('mfa'),
    mfaTickets: forward('mfaTickets'),
    trustedDevices: forward('trustedDevices'),
    // Not open yet: a new value every time, as the real signal while not listening.
    changes: { generation: () => (opened ? opened.changes.generation() : --fallback) },
    async close() {
      try {
        await (await opening).close();
      } finally {
        await dispose();
      }
    },
  };
}
