/**
 * Opening the SQLite file: WAL mode, foreign keys, a busy timeout for the CLI and the
 * server sharing one file, and the versioned migrations.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { emailKey } from '../email-key.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** Run pending migrations (default true). */
  migrate?: boolean;
}

/**
 * Create the database file owner-only (0600) before SQLite opens it, and take group and
 * other access away from an existing one and its `-wal`/`-shm`: the file holds password
 * hashes and token digests. SQLite creates the `-wal` and `-shm` files with the mode of
 * the database file, so they are 0600 too.
 */
export function ownerOnlyDatabaseFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    closeSync(openSync(path, 'wx', 0o600)); // only when it does not exist yet
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) restrictToOwner(file);
}

/** chmod 0600 when group or others have any access; a file that is gone (another process closed the database) is fine. */
function restrictToOwner(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Open (creating if needed) a SQLite database file, or `:memory:`.
 *
 * `synchronous = FULL`: in WAL mode every commit is fsynced before it returns, so a
 * revocation the client saw acknowledged survives a power cut (NORMAL may lose the last
 * commits). The cost is measured by `bench/sqlite-durability.ts` (docs/deployment.md).
 */
export function openDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  if (path !== ':memory:' && path !== '') ownerOnlyDatabaseFile(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (options.migrate !== false) migrate(db);
  return db;
}

/** The applied schema version (0 for a fresh file). */
export function schemaVersion(db: SqliteDatabase): number {
  db.exec(`CREATE TABLE IF NOT EXISTS gatehouse_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM gatehouse_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Apply every pending migration, each in its own transaction; returns the ones applied. */
export function migrate(db: SqliteDatabase): string[] {
  const applied: string[] = [];
  // Migration 4 fills `email_key` with the same function every store writes it with.
  db.function('gatehouse_email_key', { deterministic: true }, (email: unknown) => emailKey(String(email)));
  const current = schemaVersion(db);
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this Gatehouse (${latest}); upgrade Gatehouse`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO gatehouse_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
    applied.push(`${m.version} ${m.name}`);
  }
  return applied;
}
