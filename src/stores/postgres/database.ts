/**
 * Connecting to PostgreSQL: the pool configuration (timeouts, search path, BIGINT as
 * number), transactions with retry, and the versioned migrations run under an advisory
 * lock so that several instances starting at once migrate exactly once.
 */
import pg from 'pg';
import type { ClientConfig, PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { MIGRATIONS } from './migrations.js';
import { isPostgresUrl, parsePostgresUrl, redactUrl } from '../url.js';
import type { ChangeKind } from '../types.js';

/** The channel every invalidating write notifies (see `changes.ts`). */
export const CHANGES_CHANNEL = 'gatehouse_changes';

export type { ChangeKind } from '../types.js';

export interface PostgresOptions {
  /** Maximum connections of the pool (default 10). */
  poolSize?: number;
  /**
   * Schema holding Gatehouse's tables (created if missing). Default: the `schema` query
   * parameter of the URL, else the connection's current schema (usually `public`).
   * Lower-case letters, digits and `_`.
   */
  schema?: string;
  /** Server-side `statement_timeout` of every pooled connection, ms (default 5000). */
  statementTimeoutMs?: number;
  /** How long opening a connection may take before the store method fails, ms (default 2000). */
  connectTimeoutMs?: number;
  /** Run pending migrations on open (default true). */
  migrate?: boolean;
  /**
   * How often the listening connection is probed with `SELECT 1`, ms (default 5000); a
   * probe unanswered within `connectTimeoutMs` counts as a lost connection (a silently
   * dropped network path would otherwise look connected forever). 0 disables.
   */
  heartbeatMs?: number;
  /** Called with errors that no store method can report: idle pool clients, the listener. */
  onError?: (error: Error, where: 'pool' | 'listener') => void;
}

export interface ResolvedConfig {
  /** Pool configuration (connection string, timeouts, search path, types). */
  pool: PoolConfig;
  /** Configuration of the dedicated listening connection. */
  listener: ClientConfig;
  /** The schema named by the options or the URL, if any. */
  schema: string | null;
  connectTimeoutMs: number;
  heartbeatMs: number;
}

export { isPostgresUrl, redactUrl };

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

/** BIGINT → number: ids and epoch-ms timestamps are far below 2^53; refuse anything that is not. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT value ${value} is outside JavaScript's safe integer range`);
  return n;
}

const defaultParser = pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown;
const parseTextArray = defaultParser(1009, 'text') as (value: string) => Array<string | null>; // text[]

/** Per-pool type parsers, so the process-wide `pg.types` stay untouched for other users of `pg`. */
const TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (format !== 'binary') {
      if (oid === INT8_OID) return parseInt8;
      if (oid === INT8_ARRAY_OID) return (v: string) => parseTextArray(v).map((x) => (x === null ? null : parseInt8(x)));
    }
    return defaultParser(oid, format);
  },
} as unknown as NonNullable<PoolConfig['types']>;

/** Build the pool and listener configuration from a URL and the options. */
export function resolveConfig(url: string, options: PostgresOptions = {}): ResolvedConfig {
  const { connectionString, schema, startup } = parsePostgresUrl(url, options.schema);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
  const poolSize = options.poolSize ?? 10;
  for (const [name, v, min] of [
    ['connectTimeoutMs', connectTimeoutMs, 1],
    ['statementTimeoutMs', statementTimeoutMs, 1],
    ['poolSize', poolSize, 1],
    ['heartbeatMs', options.heartbeatMs ?? 5000, 0],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`PostgreSQL option ${name} must be an integer ≥ ${min} (got ${v})`);
  }
  const common: ClientConfig = {
    connectionString,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: TYPES,
    ...(startup ? { options: startup } : {}),
  };
  return {
    pool: {
      ...common,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      application_name: 'gatehouse',
      statement_timeout: statementTimeoutMs,
      // A transaction left open (a bug, a stalled client) must not hold row locks for long.
      idle_in_transaction_session_timeout: Math.max(10_000, 2 * statementTimeoutMs),
      // Client side: a server or network that stopped answering fails the query (and the
      // connection is discarded) instead of hanging the request.
      query_timeout: statementTimeoutMs + connectTimeoutMs,
    },
    listener: { ...common, application_name: 'gatehouse-listener' },
    schema,
    connectTimeoutMs,
    heartbeatMs: options.heartbeatMs ?? 5000,
  };
}

/** A double-quoted identifier (the names we build are already restricted to [a-z0-9_]). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A PostgreSQL error (has a SQLSTATE), as opposed to a connection or client-side failure. */
export const isDatabaseError = (e: unknown): e is pg.DatabaseError => e instanceof pg.DatabaseError;

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** Something that moves the local change counter. */
export interface Bump {
  bump(): void;
}

/** A transaction in progress. */
export interface Tx {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Notify the other instances (delivered at commit) and bump this one's counter after the transaction. */
  notify(what: ChangeKind): Promise<void>;
}

/** The pool, the notification payloads and the local change counter, shared by the stores. */
export class Db {
  private readonly payloads: Record<ChangeKind, string>;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    readonly instanceId: string,
    private readonly changes: Bump,
  ) {
    const payload = (what: ChangeKind) => JSON.stringify({ schema, from: instanceId, what });
    this.payloads = {
      user: payload('user'),
      token: payload('token'),
      family: payload('family'),
      denylist: payload('denylist'),
      epoch: payload('epoch'),
      key: payload('key'),
    };
  }

  /** The payload of a notification about `what`. */
  payload(what: ChangeKind): string {
    return this.payloads[what];
  }

  /** One statement on any pooled connection (`name`: a prepared statement, for hot queries). */
  query<R extends QueryResultRow = QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<QueryResult<R>> {
    return name === undefined ? this.pool.query<R>(text, values) : this.pool.query<R>({ name, text, values });
  }

  /**
   * One statement that notifies by itself when it changed something: its last
   * parameter (`$n` where n = values.length + 1) is the payload for
   * `pg_notify('gatehouse_changes', $n)`. The local counter moves when `changed` says
   * so — and when the outcome is unknown (an error), to be safe.
   */
  async write<R extends QueryResultRow = QueryResultRow>(
    what: ChangeKind,
    text: string,
    values: unknown[],
    changed: (result: QueryResult<R>) => boolean,
  ): Promise<QueryResult<R>> {
    let result: QueryResult<R>;
    try {
      result = await this.pool.query<R>(text, [...values, this.payloads[what]]);
    } catch (e) {
      this.changes.bump();
      throw e;
    }
    if (changed(result)) this.changes.bump();
    return result;
  }

  /**
   * Run `fn` in a READ COMMITTED transaction (row locks where it matters), retried on
   * serialization failures and deadlocks. `fn` must not throw for expected outcomes:
   * return them, and throw after.
   */
  async tx<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
    let notified = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.once(fn, () => {
            notified = true;
          });
        } catch (e) {
          if (attempt < 4 && isDatabaseError(e) && e.code !== undefined && RETRYABLE.has(e.code)) {
            await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (attempt + 1)));
            continue;
          }
          throw e;
        }
      }
    } finally {
      if (notified) this.changes.bump();
    }
  }

  private once<T>(fn: (t: Tx) => Promise<T>, onNotify: () => void): Promise<T> {
    return inTransaction(this.pool, (query) =>
      fn({
        query: <R extends QueryResultRow>(text: string, values: unknown[] = []) => query<R>(text, values),
        notify: async (what) => {
          onNotify();
          await query(`SELECT pg_notify('${CHANGES_CHANNEL}', $1)`, [this.payloads[what]]);
        },
      }),
    );
  }
}

type ClientQuery = <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>;

/**
 * `BEGIN`, `run`, `COMMIT` on one checked-out client; on any failure `ROLLBACK` and the
 * client released — destroyed when its state is unknown (`rollback`). `query` defaults to
 * the client's own.
 */
async function inTransaction<T>(pool: pg.Pool, run: (query: ClientQuery) => Promise<T>, wrap?: (client: PoolClient) => ClientQuery): Promise<T> {
  const client: PoolClient = await pool.connect();
  const query: ClientQuery = wrap ? wrap(client) : (text, values = []) => client.query(text, values);
  // A checked-out client whose connection dies between two statements emits 'error';
  // the next query reports it, so only keep the process from crashing here.
  const ignore = () => {};
  client.on('error', ignore);
  let discard: Error | undefined;
  try {
    await query('BEGIN');
    const result = await run(query);
    await query('COMMIT');
    return result;
  } catch (e) {
    discard = await rollback(client, e);
    throw e;
  } finally {
    client.off('error', ignore);
    client.release(discard ?? false);
  }
}

/** Migrations may wait for another instance's (and run DDL): a minute, not a request's timeout. */
const MIGRATION_TIMEOUT_MS = 65_000;

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * After a failed transaction: roll back, and tell whether the connection must be
 * discarded. Anything but a PostgreSQL error (a timeout, a lost connection) — or a
 * ROLLBACK that fails — leaves it in an unknown state. Returns the error to release the
 * client with (it is then destroyed), or undefined (it goes back to the pool).
 */
async function rollback(client: PoolClient, error: unknown): Promise<Error | undefined> {
  let discard = isDatabaseError(error) ? undefined : asError(error);
  try {
    await client.query('ROLLBACK');
  } catch (rollbackError) {
    discard = asError(rollbackError);
  }
  return discard;
}

/** Lock class of `pg_advisory_xact_lock(class, hashtext(schema))` for migrations ("gate"). */
const MIGRATION_LOCK_CLASS = 0x67617465;

/** The schema the tables live in: the named one, or the connection's current schema. */
export async function resolveSchema(pool: pg.Pool, named: string | null): Promise<string> {
  if (named !== null) return named;
  const { rows } = await pool.query<{ s: string | null }>('SELECT current_schema() AS s');
  const s = rows[0]?.s ?? null;
  if (s === null) throw new Error('PostgreSQL: no current schema (empty search_path); set the schema option or ?schema= in the URL');
  return s;
}

/**
 * Apply every pending migration in one transaction holding an advisory lock on the
 * schema: concurrent starts wait for the first one and then find nothing to do.
 * Creates the schema if missing. Returns the migrations applied by this call.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<string[]> {
  // Waiting for another instance's migration is expected: allow more than a request
  // (server side and client side).
  const withTimeout = (client: PoolClient): ClientQuery => (text, values = []) =>
    client.query({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as QueryConfig);
  return inTransaction(pool, async (q) => {
    await q(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS - 5000}`);
    await q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
    const exists = await q('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await q(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await q(`SET LOCAL search_path = ${quoteIdent(schema)}`);
    await q(`CREATE TABLE IF NOT EXISTS gatehouse_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await q<{ v: number | null }>('SELECT MAX(version) AS v FROM gatehouse_migrations');
    const current = rows[0]?.v ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new Error(`database schema version ${current} is newer than this Gatehouse (${latest}); upgrade Gatehouse`);
    }
    const applied: string[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await q(m.sql);
      if (m.after) await m.after(q);
      await q('INSERT INTO gatehouse_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(`${m.version} ${m.name}`);
    }
    return applied;
  }, withTimeout);
}

/** The applied schema version (0 when the schema has no Gatehouse tables yet). */
export async function schemaVersion(pool: pg.Pool, schema: string): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>(
    `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 END AS v`,
    [`${quoteIdent(schema)}.gatehouse_migrations`],
  );
  if (rows[0]?.v === 0) return 0;
  const r = await pool.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${quoteIdent(schema)}.gatehouse_migrations`);
  return r.rows[0]?.v ?? 0;
}
