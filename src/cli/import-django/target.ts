/**
 * The Gatehouse side of `import-django`: the database named by the settings (SQLite file
 * or PostgreSQL URL), migrated, and ONE transaction in which the plan is made against
 * what is there and then written — so a failure anywhere leaves the database as it was.
 *
 * It writes the tables directly rather than through the stores: the stores' methods each
 * commit on their own (and, on PostgreSQL, on any pooled connection), and users must keep
 * their Django primary keys, which `UserStore.create` does not take — simplejwt tokens
 * already handed out name the user by that id (`user_id`). The rows written are the ones
 * the stores write: a user, a token (prefix + digest), an outstanding JWT with its
 * blacklist time (what `JwtStore.blacklist` records).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { migrate as migrateSqlite, openDatabase, type SqliteDatabase } from '../../stores/sqlite/index.js';
import { isPostgresUrl } from '../../stores/url.js';

/** Statements with `?` placeholders; booleans are passed as booleans. */
export interface Sql {
  all<R>(text: string, params?: unknown[]): Promise<R[]>;
  /** Returns the number of rows changed. */
  run(text: string, params?: unknown[]): Promise<number>;
}

export interface Target {
  readonly dialect: 'sqlite' | 'postgres';
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const sqliteValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

class SqliteTarget implements Target {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  constructor(private readonly db: SqliteDatabase) {}
  private statement(text: string): BetterSqlite3.Statement<unknown[]> {
    let s = this.statements.get(text);
    if (!s) this.statements.set(text, (s = this.db.prepare<unknown[]>(text)));
    return s;
  }
  private readonly sql: Sql = {
    all: async <R>(text: string, params: unknown[] = []) => this.statement(text).all(...params.map(sqliteValue)) as R[],
    run: async (text, params = []) => this.statement(text).run(...params.map(sqliteValue)).changes,
  };
  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    // IMMEDIATE: the write lock from the start, so the plan cannot go stale before the writes.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(this.sql);
      this.db.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** `?` → `$1, $2, …` (the statements here hold no `?` in literals). */
const numbered = (text: string): string => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

interface PgPoolLike {
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>; release(e?: Error | boolean): void }>;
  end(): Promise<void>;
}

class PostgresTarget implements Target {
  readonly dialect = 'postgres';
  constructor(private readonly pool: PgPoolLike, private readonly schema: string, private readonly channel: string) {}
  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      let wrote = false;
      const sql: Sql = {
        all: async <R>(text: string, params: unknown[] = []) => (await client.query(numbered(text), params)).rows as R[],
        run: async (text, params = []) => {
          const changed = (await client.query(numbered(text), params)).rowCount ?? 0;
          if (changed > 0) wrote = true;
          return changed;
        },
      };
      const result = await fn(sql);
      if (wrote) {
        // Running servers drop their caches at commit, as after any store write.
        const payload = JSON.stringify({ schema: this.schema, from: `import-django-${randomUUID()}`, what: 'user' });
        await client.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
      }
      await client.query('COMMIT');
      return result;
    } catch (e) {
      failed = e instanceof Error ? e : new Error(String(e));
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release(failed);
    }
  }
  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** Open (creating and migrating as `serve` would) the Gatehouse database. */
export async function openTarget(database: string): Promise<Target> {
  if (!isPostgresUrl(database)) {
    const db = openDatabase(database, { migrate: false });
    migrateSqlite(db);
    return new SqliteTarget(db);
  }
  const { resolveConfig, migrate, resolveSchemaOf, channel } = await postgresHelpers();
  const config = resolveConfig(database, { statementTimeoutMs: 600_000 });
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ ...config.pool, max: 1 });
  pool.on('error', () => {});
  try {
    const schema = await resolveSchemaOf(pool, config.schema);
    await migrate(pool, schema);
    return new PostgresTarget(pool as unknown as PgPoolLike, schema, channel);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
}

async function postgresHelpers() {
  const m = await import('../../stores/postgres/database.js');
  return { resolveConfig: m.resolveConfig, migrate: m.migrate, resolveSchemaOf: m.resolveSchema, channel: m.CHANGES_CHANNEL };
}
