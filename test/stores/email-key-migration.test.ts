/**
 * Migration 4 on a database made before it: every existing user is verified and found by
 * e-mail under JavaScript's lower-casing (SQLite and PostgreSQL alike).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/stores/postgres/index.js';
import { postgresTestDb } from './postgres-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-email-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const EMAILS = ['ÉMILE@Example.FR', 'bob@example.com', ''];

test('sqlite: migration 4 backfills email_key with toLowerCase and marks existing users verified', async () => {
  const path = join(dir, 'v3.sqlite3');
  const old = new Database(path);
  old.exec('CREATE TABLE gatehouse_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 3)) {
    old.exec(m.sql);
    old.prepare('INSERT INTO gatehouse_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  EMAILS.forEach((email, i) => old.prepare("INSERT INTO gatehouse_user (username, email, date_joined, password) VALUES (?, ?, 0, '!')").run(`u${i}`, email));
  old.close();
  const s = SqliteStores.open(path);
  try {
    assert.deepEqual((await s.users.findByEmail('émile@example.fr')).map((u) => u.username), ['u0']);
    assert.deepEqual((await s.users.findByEmail('BOB@example.com')).map((u) => u.username), ['u1']);
    assert.deepEqual((await s.users.list()).map((u) => u.emailVerified), [true, true, true]);
  } finally {
    await s.close();
  }
});

const postgres = await postgresTestDb('email key migration');
if (postgres) {
  after(() => postgres.cleanup());
  test('postgres: migration 4 backfills email_key with toLowerCase (not lower()) and marks existing users verified', async () => {
    const schema = postgres.newSchema();
    const q = (sql: string, values: unknown[] = []) => postgres.admin.query(sql, values);
    await q(`CREATE SCHEMA "${schema}"`);
    const client = await postgres.admin.connect();
    try {
      await client.query(`SET search_path = "${schema}"`);
      await client.query('CREATE TABLE gatehouse_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of PG_MIGRATIONS.filter((m) => m.version <= 3)) {
        await client.query(m.sql);
        await client.query('INSERT INTO gatehouse_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
      }
      for (const [i, email] of EMAILS.entries()) {
        await client.query("INSERT INTO gatehouse_user (username, email, date_joined, password) VALUES ($1, $2, 0, '!')", [`u${i}`, email]);
      }
    } finally {
      client.release();
    }
    const s = await postgres.open({ schema });
    try {
      assert.deepEqual(s.appliedMigrations, PG_MIGRATIONS.filter((m) => m.version > 3).map((m) => `${m.version} ${m.name}`));
      assert.equal(s.appliedMigrations[0], '4 verified e-mail flag and case-insensitive e-mail key');
      assert.deepEqual((await s.users.findByEmail('émile@example.fr')).map((u) => u.username), ['u0']);
      assert.deepEqual((await s.users.findByEmail('BOB@example.com')).map((u) => u.username), ['u1']);
      assert.deepEqual((await s.users.list()).map((u) => u.emailVerified), [true, true, true]);
      const { rows } = await q(`SELECT email_key FROM "${schema}".gatehouse_user ORDER BY id`);
      assert.deepEqual(rows.map((r: { email_key: string }) => r.email_key), EMAILS.map((e) => e.toLowerCase()));
    } finally {
      await s.close();
    }
  });
}
