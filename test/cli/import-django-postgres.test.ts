/**
 * `gatehouse import-django --from postgres://…`: a Django database on PostgreSQL (Django
 * 3.2's table shapes, in a fresh schema of the local server), imported into a SQLite and
 * into a PostgreSQL Gatehouse database: passwords, ids, DRF and knox tokens, simplejwt's
 * blacklist; on PostgreSQL also the identity moved past the imported ids, idempotence and
 * a failed write rolling everything back. Skipped without PostgreSQL unless
 * GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { postgresTestDb, POSTGRES_URL } from '../stores/postgres-helpers.js';
import { SECRET, djangoHash, jwt } from './django-fixture.js';

const postgres = await postgresTestDb('import-django from PostgreSQL');
const pgDescribe = postgres ? describe : describe.skip;

const DJANGO_DDL = `
CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz NULL, is_superuser boolean NOT NULL, username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff boolean NOT NULL, is_active boolean NOT NULL, date_joined timestamptz NOT NULL);
CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id integer NOT NULL UNIQUE REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE knox_authtoken (digest varchar(128) PRIMARY KEY, created timestamptz NOT NULL, user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED, expiry timestamptz NULL, token_key varchar(25) NOT NULL);
CREATE TABLE token_blacklist_outstandingtoken (id bigserial PRIMARY KEY, token text NOT NULL, created_at timestamptz NULL, expires_at timestamptz NOT NULL, user_id integer NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED, jti varchar(255) NOT NULL UNIQUE);
CREATE TABLE account_emailaddress (id serial PRIMARY KEY, email varchar(254) NOT NULL, verified boolean NOT NULL, "primary" boolean NOT NULL, user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE token_blacklist_blacklistedtoken (id bigserial PRIMARY KEY, blacklisted_at timestamptz NOT NULL, token_id bigint NOT NULL UNIQUE REFERENCES token_blacklist_outstandingtoken (id) DEFERRABLE INITIALLY DEFERRED);
`;

const withSchema = (schema: string) => {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
};

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: async () => '', env: { GATEHOUSE_SECRET_KEY: SECRET } });
  return { code, stdout, stderr };
}

pgDescribe('gatehouse import-django --from postgres://', () => {
  const djangoSchema = postgres?.newSchema() ?? '';
  const from = withSchema(djangoSchema);
  const issued = { drf: randomBytes(20).toString('hex'), knox: randomBytes(32).toString('hex'), refresh: '', blacklisted: '' };
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-import-pg-'));

  before(async () => {
    const admin = postgres!.admin;
    await admin.query(`CREATE SCHEMA "${djangoSchema}"`);
    await admin.query(`SET search_path TO "${djangoSchema}"; ${DJANGO_DDL}`);
    const q = (text: string, values: unknown[]) => admin.query(text.replace(/\b(auth_user|authtoken_token|knox_authtoken|account_emailaddress|token_blacklist_\w+)\b/g, `"${djangoSchema}".$1`), values);
    const now = new Date();
    const user = `INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ($1, $2, NULL, $3, $4, '', '', $5, $3, $6, $7)`;
    await q(user, [3, djangoHash('alice-password-1'), false, 'alice', 'alice@example.com', true, now]);
    await q(user, [8, djangoHash('admin-password-1'), true, 'admin', 'admin@example.com', true, now]);
    await q('INSERT INTO account_emailaddress (email, verified, "primary", user_id) VALUES ($1, $2, true, $3)', ['Alice@Example.com', true, 3]);
    await q('INSERT INTO account_emailaddress (email, verified, "primary", user_id) VALUES ($1, $2, true, $3)', ['admin@example.com', false, 8]);
    await q('INSERT INTO authtoken_token (key, created, user_id) VALUES ($1, $2, 3)', [issued.drf, now]);
    await q('INSERT INTO knox_authtoken (digest, created, user_id, expiry, token_key) VALUES ($1, $2, 3, NULL, $3)', [
      createHash('sha512').update(issued.knox).digest('hex'),
      now,
      issued.knox.slice(0, 15),
    ]);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    issued.refresh = jwt({ token_type: 'refresh', exp, iat: exp - 3600, jti: 'r'.repeat(32), user_id: 3 });
    issued.blacklisted = jwt({ token_type: 'refresh', exp, iat: exp - 3600, jti: 'x'.repeat(32), user_id: 8 });
    const outstanding = 'INSERT INTO token_blacklist_outstandingtoken (id, token, created_at, expires_at, user_id, jti) VALUES ($1, $2, $3, $4, $5, $6)';
    await q(outstanding, [1, issued.refresh, now, new Date(exp * 1000), 3, 'r'.repeat(32)]);
    await q(outstanding, [2, issued.blacklisted, now, new Date(exp * 1000), 8, 'x'.repeat(32)]);
    await q('INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id) VALUES ($1, 2)', [now]);
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await postgres?.cleanup();
  });

  async function checkCredentials(server: TestServer): Promise<void> {
    assert.equal((await server.app.users.getByUsername('admin'))?.id, 8);
    // allauth's verified flags of the users' own addresses.
    assert.equal((await server.app.users.getByUsername('alice'))?.emailVerified, true);
    assert.equal((await server.app.users.getByUsername('admin'))?.emailVerified, false);
    const login = await server.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(login.status, 200, login.text);
    for (const key of [issued.drf, issued.knox]) assert.equal((await server.send('GET', '/api/me/', { headers: tokenHeader(key) })).status, 200);
    assert.equal((await server.send('POST', '/api/token/refresh/', { body: { refresh: issued.refresh } })).status, 200);
    const refused = await server.send('POST', '/api/token/refresh/', { body: { refresh: issued.blacklisted } });
    assert.equal(refused.status, 401);
  }

  test('into a SQLite Gatehouse database', async () => {
    const r = await cli(['import-django', '--from', from, '--db', join(dir, 'db.sqlite3')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 2 users, 2 tokens \(1 DRF authtoken, 1 knox\), 2 simplejwt refresh\/sliding tokens \(1 blacklisted\)/);
    const server = await startServer({ dir, settings: { secretKey: SECRET } });
    try {
      await checkCredentials(server);
    } finally {
      await server.stop();
    }
  });

  test('into a PostgreSQL Gatehouse database: one transaction, idempotent, identity moved past the imported ids', async () => {
    const target = withSchema(postgres!.newSchema());
    assert.equal((await cli(['migrate', '--db', target])).code, 0);
    const targetSchema = new URL(target).searchParams.get('schema');
    // A failing last write (the blacklisted token) rolls back the users and tokens written before it.
    await postgres!.admin.query(`
      CREATE FUNCTION "${targetSchema}".fail_import() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER fail_import BEFORE INSERT ON "${targetSchema}".gatehouse_jwt_outstanding
        FOR EACH ROW WHEN (NEW.blacklisted_at IS NOT NULL) EXECUTE FUNCTION "${targetSchema}".fail_import();`);
    const failed = await cli(['import-django', '--from', from, '--db', target]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /disk on fire/);
    const count = async () => Number((await postgres!.admin.query(`SELECT COUNT(*) AS n FROM "${targetSchema}".gatehouse_user`)).rows[0].n);
    assert.equal(await count(), 0);
    await postgres!.admin.query(`DROP TRIGGER fail_import ON "${targetSchema}".gatehouse_jwt_outstanding`);

    const r = await cli(['import-django', '--from', from, '--db', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 2 users/);
    const again = await cli(['import-django', '--from', from, '--db', target]);
    assert.match(again.stdout, /Nothing to import/);
    const created = await cli(['createuser', 'carol', '--db', target, '--no-password']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /id 9\)/, 'the next id follows the highest imported one');

    const server = await startServer({ dir: mkdtempSync(join(dir, 'pg-')), settings: { database: target, secretKey: SECRET } });
    try {
      await checkCredentials(server);
    } finally {
      await server.close();
    }
  });

  test('--from is read as Gatehouse reads its own PostgreSQL URLs: ?options= joins ?schema=, a raw "/" in the password is refused', async () => {
    const url = new URL(from);
    url.searchParams.set('options', '-c statement_timeout=60000');
    const r = await cli(['import-django', '--from', url.toString(), '--db', join(dir, 'options.sqlite3'), '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 users/);
    const raw = await cli(['import-django', '--from', 'postgres://user:pa/ss@127.0.0.1:5432/test', '--db', join(dir, 'raw.sqlite3')]);
    assert.equal(raw.code, 1);
    assert.match(raw.stderr, /must be percent-encoded/);
    assert.doesNotMatch(raw.stderr, /ss@/);
  });
});
