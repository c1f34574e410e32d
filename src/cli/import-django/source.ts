/**
 * Reading a Django project's database: a SQLite file (better-sqlite3, read-only) or a
 * `postgres://` URL (the `pg` driver, imported only when needed). Both answer plain row
 * objects keyed by Django's column names; `django.ts` turns them into typed records.
 * Every table is read in one read-only transaction: one snapshot, even while Django runs
 * and writes.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { isPostgresUrl, parsePostgresUrl, redactUrl, type PostgresUrl } from '../../stores/url.js';

export type Row = Record<string, unknown>;

export interface DjangoSource {
  /** What was opened, without credentials. */
  readonly description: string;
  /** The table's column names, or null when the table does not exist. */
  columns(table: string): Promise<Set<string> | null>;
  /** Every row of the table, these columns only, in primary-key order. */
  rows(table: string, columns: readonly string[], orderBy: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** Thrown when the source cannot be opened or read; the message is for the user. */
export class SourceError extends Error {}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A table or column name as SQL (only plain identifiers are ever used). */
function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new SourceError(`not a plain SQL identifier: "${name}"`);
  return `"${name}"`;
}

function selectSql(table: string, columns: readonly string[], orderBy: string): string {
  return `SELECT ${columns.map(ident).join(', ')} FROM ${ident(table)} ORDER BY ${ident(orderBy)}`;
}

class SqliteSource implements DjangoSource {
  readonly description: string;
  private readonly db: Database.Database;
  constructor(path: string) {
    if (!existsSync(path)) throw new SourceError(`--from: no such file: ${path}`);
    this.description = path;
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
      this.db.exec('BEGIN');
      this.db.prepare('SELECT name FROM sqlite_master LIMIT 1').get();
    } catch (e) {
      throw new SourceError(`--from: cannot read ${path} as a SQLite database: ${(e as Error).message}`);
    }
  }
  async columns(table: string): Promise<Set<string> | null> {
    const rows = this.db.prepare(`PRAGMA table_info(${ident(table)})`).all() as Array<{ name: string }>;
    return rows.length === 0 ? null : new Set(rows.map((r) => r.name));
  }
  async rows(table: string, columns: readonly string[], orderBy: string): Promise<Row[]> {
    return this.db.prepare(selectSql(table, columns, orderBy)).all() as Row[];
  }
  async close(): Promise<void> {
    if (this.db.open && this.db.inTransaction) this.db.exec('COMMIT');
    if (this.db.open) this.db.close();
  }
}

interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
}

class PostgresSource implements DjangoSource {
  constructor(readonly description: string, private readonly client: PgClient) {}
  async columns(table: string): Promise<Set<string> | null> {
    const { rows } = await this.client.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    return rows.length === 0 ? null : new Set(rows.map((r) => String(r.column_name)));
  }
  async rows(table: string, columns: readonly string[], orderBy: string): Promise<Row[]> {
    return (await this.client.query(selectSql(table, columns, orderBy))).rows;
  }
  async close(): Promise<void> {
    await this.client.query('COMMIT').catch(() => {});
    await this.client.end().catch(() => {});
  }
}

async function openPostgres(url: string): Promise<DjangoSource> {
  const description = redactUrl(url);
  let pg: (typeof import('pg'))['default'];
  try {
    pg = (await import('pg')).default;
  } catch {
    throw new SourceError('--from postgres://…: the "pg" package is not installed (npm install pg)');
  }
  // Read as Gatehouse reads its own URLs: `?schema=name` is where Django's tables live.
  let target: PostgresUrl;
  try {
    target = parsePostgresUrl(url);
  } catch (e) {
    throw new SourceError(`--from: ${(e as Error).message}`);
  }
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: 10_000,
    ...(target.startup !== null ? { options: target.startup } : {}),
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  } catch (e) {
    await client.end().catch(() => {});
    throw new SourceError(`--from ${description}: cannot connect: ${(e as Error).message}`);
  }
  return new PostgresSource(description, client as unknown as PgClient);
}

/** Open the Django database named by `--from`: a postgres:// URL or a SQLite file path. */
export async function openSource(from: string): Promise<DjangoSource> {
  return isPostgresUrl(from) ? openPostgres(from) : new SqliteSource(from);
}
