/**
 * Which database a command uses, and whether it may use it — checked before anything is
 * written (no database file, no directory, no secret file):
 *
 * - `serve` and `migrate` may create a SQLite file, but only in a directory that exists
 *   (a typo in `--db` must not leave a new tree behind);
 * - every other command needs a database that is already there: a SQLite file, or a
 *   PostgreSQL schema that `migrate` (or `serve`) created. Otherwise it is refused with
 *   "no database at …", instead of creating an empty one in the current directory.
 *
 * Every command names the database it uses (`describeDatabase`): the SQLite file's
 * absolute path, or the PostgreSQL URL with its password replaced by `***`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pg from 'pg';
import { isPostgresUrl, redactUrl } from '../stores/postgres/index.js';
import { resolveConfig, resolveSchema, schemaVersion } from '../stores/postgres/database.js';
import { CliError } from './errors.js';

const isServerUrl = (database: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(database);

/** `SQLite /abs/path.sqlite3` or `PostgreSQL postgres://user:***@host/db`. */
export function describeDatabase(database: string): string {
  if (isPostgresUrl(database)) return `PostgreSQL ${redactUrl(database)}`;
  if (isServerUrl(database)) return redactUrl(database);
  if (database === ':memory:') return 'SQLite :memory: (in this process only)';
  return `SQLite ${resolve(database)}`;
}

/** `serve` / `migrate`: a SQLite file may be created, in a directory that exists. */
export function checkCreatable(database: string): void {
  if (isServerUrl(database) || database === ':memory:') return;
  const file = resolve(database);
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CliError(`no directory ${dir} for the database ${file}: create it first (gatehouse does not create directories)`);
  }
  if (existsSync(file) && !statSync(file).isFile()) throw new CliError(`${file} is not a file: pass --db with a SQLite file path`);
}

const runMigrate = (database: string) => `run \`gatehouse migrate --db ${isServerUrl(database) ? "'…'" : database}\` first, or pass --db`;

/** Every other command: the SQLite file, or the PostgreSQL schema, must exist already. */
export async function requireDatabase(database: string): Promise<void> {
  if (isPostgresUrl(database)) {
    if ((await postgresSchemaVersion(database)) === 0) throw new CliError(`no Gatehouse schema in ${describeDatabase(database)}; ${runMigrate(database)}`);
    return;
  }
  if (isServerUrl(database)) return; // refused by the application with its own message
  if (database === ':memory:') throw new CliError('--db :memory: keeps nothing between commands: pass the database file (or postgres:// URL) the server uses');
  const file = resolve(database);
  if (!existsSync(file)) throw new CliError(`no database at ${file}; ${runMigrate(database)}`);
  if (!statSync(file).isFile()) throw new CliError(`${file} is not a file: pass --db with a SQLite file path`);
}

/** The schema version of a PostgreSQL database (0: no Gatehouse tables), read without creating anything. */
async function postgresSchemaVersion(url: string): Promise<number> {
  const config = resolveConfig(url);
  const pool = new pg.Pool({ ...config.pool, max: 1 });
  pool.on('error', () => {});
  try {
    return await schemaVersion(pool, await resolveSchema(pool, config.schema));
  } catch (e) {
    throw new CliError(`cannot read ${describeDatabase(url)}: ${(e as Error).message}`);
  } finally {
    await pool.end().catch(() => {});
  }
}
