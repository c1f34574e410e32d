/**
 * `gatehouse import-django` on a Django-shaped SQLite file built here (Django 3.2's DDL for
 * auth_user, authtoken, knox and simplejwt's token_blacklist): users log in with their
 * Django password and keep their ids, DRF and knox tokens authenticate, a blacklisted
 * simplejwt refresh token stays refused; idempotence, --dry-run, atomicity (a bad row
 * imports nothing), conflicts, the progress bar; and `import-drf-tokens`' atomicity.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { importDjango } from '../../src/cli/import-django/index.js';
import { loadSettings } from '../../src/core/settings.js';
import { startServer, tokenHeader } from '../helpers.js';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import { SECRET, djangoHash, dt, jwt } from './django-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-import-django-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = () => mkdtempSync(join(root, `case${++counter}-`));

const DJANGO_DDL = `
CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL);
CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "knox_authtoken" ("digest" varchar(128) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "expiry" datetime NULL, "token_key" varchar(25) NOT NULL);
CREATE TABLE "token_blacklist_outstandingtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token" text NOT NULL, "created_at" datetime NULL, "expires_at" datetime NOT NULL, "user_id" integer NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "jti" varchar(255) NOT NULL UNIQUE);
CREATE TABLE "token_blacklist_blacklistedtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "blacklisted_at" datetime NOT NULL, "token_id" integer NOT NULL UNIQUE REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED);
`;

/** allauth's table (0.61 DDL on SQLite). */
const ALLAUTH_DDL = `CREATE TABLE "account_emailaddress" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "email" varchar(254) NOT NULL, "verified" bool NOT NULL, "primary" bool NOT NULL, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);`;

interface DjangoFixture {
  path: string;
  drfKey: string;
  knoxToken: string;
  refresh: string;
  blacklistedRefresh: string;
}

/** alice (id 5, active) and bob (id 9, inactive, staff): non-contiguous ids, as after deletions. */
function buildDjango(dir: string, options: { extraUsers?: number } = {}): DjangoFixture {
  const path = join(dir, 'django.sqlite3');
  const db = new Database(path);
  db.exec(DJANGO_DDL);
  const now = Date.now();
  const user = db.prepare(
    'INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  user.run(5, djangoHash('alice-password-1'), dt(now - 60_000), 0, 'alice', 'Liddell', 'alice@example.com', 0, 1, dt(now - 86_400_000), 'Alice');
  user.run(9, djangoHash('bob-password-1'), null, 0, 'bob', '', 'bob@example.com', 1, 0, dt(now - 86_400_000), '');
  db.pragma('synchronous = OFF');
  for (let i = 0; i < (options.extraUsers ?? 0); i++) user.run(100 + i, '!unusable', null, 0, `user${i}`, '', '', 0, 1, dt(now), '');
  const drfKey = randomBytes(20).toString('hex');
  db.prepare('INSERT INTO authtoken_token (key, created, user_id) VALUES (?, ?, ?)').run(drfKey, dt(now), 5);
  const knoxToken = randomBytes(32).toString('hex');
  db.prepare('INSERT INTO knox_authtoken (digest, created, user_id, expiry, token_key) VALUES (?, ?, ?, ?, ?)').run(
    createHash('sha512').update(knoxToken).digest('hex'),
    dt(now),
    5,
    dt(now + 36_000_000),
    knoxToken.slice(0, 15),
  );
  const exp = Math.floor(now / 1000) + 86_400;
  const refreshClaims = (jti: string) => ({ token_type: 'refresh', exp, iat: exp - 86_400, jti, user_id: 5 });
  const refresh = jwt(refreshClaims('a'.repeat(32)));
  const blacklistedRefresh = jwt(refreshClaims('b'.repeat(32)));
  const outstanding = db.prepare('INSERT INTO token_blacklist_outstandingtoken (id, token, created_at, expires_at, user_id, jti) VALUES (?, ?, ?, ?, ?, ?)');
  outstanding.run(1, refresh, dt(now), dt(exp * 1000), 5, 'a'.repeat(32));
  outstanding.run(2, blacklistedRefresh, dt(now), dt(exp * 1000), 5, 'b'.repeat(32));
  db.prepare('INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id) VALUES (?, ?)').run(dt(now), 2);
  db.close();
  return { path, drfKey, knoxToken, refresh, blacklistedRefresh };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => stdin,
    env: { GATEHOUSE_SECRET_KEY: SECRET },
  });
  return { code, stdout, stderr };
}

/** Row counts of the Gatehouse database. */
function counts(dbPath: string): Record<string, number> {
  if (!existsSync(dbPath)) return { users: 0, tokens: 0, outstanding: 0 };
  const db = new Database(dbPath, { readonly: true });
  try {
    const n = (t: string) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
    return { users: n('gatehouse_user'), tokens: n('gatehouse_token'), outstanding: n('gatehouse_jwt_outstanding') };
  } catch {
    return { users: 0, tokens: 0, outstanding: 0 };
  } finally {
    db.close();
  }
}

describe('gatehouse import-django (Django-shaped SQLite)', () => {
  test('passwords, ids, flags, DRF and knox tokens, simplejwt tokens and blacklist carry over', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 2 users, 2 tokens \(1 DRF authtoken, 1 knox\), 2 simplejwt refresh\/sliding tokens \(1 blacklisted\)/);
    assert.match(r.stdout, /Note: not in the Django database \(app not installed\): account_emailaddress\.\nNote: without allauth the project never verified e-mail addresses/);

    const server = await startServer({ dir, settings: { secretKey: SECRET } });
    try {
      const alice = await server.app.users.getByUsername('alice');
      assert.equal(alice?.id, 5, 'Django ids are kept (simplejwt tokens name users by id)');
      assert.equal(alice?.firstName, 'Alice');
      assert.equal(alice?.email, 'alice@example.com');
      assert.equal(alice?.emailVerified, true, 'without allauth every address counts as verified');
      assert.notEqual(alice?.lastLogin, null);
      const bob = await server.app.users.getByUsername('bob');
      assert.deepEqual([bob?.id, bob?.isActive, bob?.isStaff], [9, false, true]);

      const login = await server.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(login.status, 200, login.text);
      const wrong = await server.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'nope' } });
      assert.equal(wrong.status, 400);

      for (const key of [django.drfKey, django.knoxToken]) {
        const me = await server.send('GET', '/api/me/', { headers: tokenHeader(key) });
        assert.equal(me.status, 200, me.text);
      }
      const refreshed = await server.send('POST', '/api/token/refresh/', { body: { refresh: django.refresh } });
      assert.equal(refreshed.status, 200, refreshed.text);
      const access = (refreshed.json as { access: string }).access;
      assert.equal((await server.send('GET', '/api/me/', { headers: { Authorization: `Bearer ${access}` } })).status, 200);
      const refused = await server.send('POST', '/api/token/refresh/', { body: { refresh: django.blacklistedRefresh } });
      assert.equal(refused.status, 401);
      assert.equal((refused.json as { detail: string }).detail, 'Token is blacklisted');
    } finally {
      await server.stop();
    }
  });

  test('#190 without allauth: an inactive user who never logged in is imported pending (may activate); one disabled after logging in is not', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const db = new Database(django.path);
    const now = Date.now();
    db.prepare(
      'INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(12, djangoHash('erin-password-1'), dt(now - 3_600_000), 0, 'erin', '', 'erin@example.com', 0, 0, dt(now - 86_400_000), '');
    db.close();
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /except those of inactive users who never logged in/);
    const outbox = new MemoryEmailBackend();
    const server = await startServer({ dir, settings: { secretKey: SECRET, accounts: { djoser: '/auth', domain: 'app.example.com' } }, email: outbox });
    try {
      const flags = async (u: string) => {
        const user = await server.app.users.getByUsername(u);
        return [user?.isActive, user?.emailVerified];
      };
      assert.deepEqual(await flags('alice'), [true, true]);
      assert.deepEqual(await flags('bob'), [false, false], 'never logged in: a sign-up never activated');
      assert.deepEqual(await flags('erin'), [false, true], 'logged in before: disabled, not pending');
      for (const email of ['bob@example.com', 'erin@example.com']) {
        assert.equal((await server.send('POST', '/auth/users/resend_activation/', { body: { email } })).status, 204);
      }
      await server.app.accounts.settled();
      assert.deepEqual(outbox.messages.map((m) => m.to), [['bob@example.com']], 'only the pending account gets an activation link');
      const [uid, token] = /#\/activate\/([^/\s]+)\/([^/\s]+)/.exec(outbox.messages[0]!.text)!.slice(1);
      assert.equal((await server.send('POST', '/auth/users/activation/', { body: { uid, token } })).status, 204);
      assert.deepEqual(await flags('bob'), [true, true]);
    } finally {
      await server.close();
    }
  });

  test("with allauth: a user's e-mail is verified when allauth's row for that address (any case) is", async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const db = new Database(django.path);
    db.exec(ALLAUTH_DDL);
    const now = dt(Date.now());
    db.prepare('INSERT INTO auth_user (id, password, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, 0, ?, ?, ?, 0, 1, ?, ?)').run(12, '!', 'carol', '', 'carol@example.com', now, '');
    db.prepare('INSERT INTO auth_user (id, password, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name) VALUES (?, ?, 0, ?, ?, ?, 0, 1, ?, ?)').run(13, '!', 'dave', '', '', now, '');
    const address = db.prepare('INSERT INTO account_emailaddress (email, verified, "primary", user_id) VALUES (?, ?, ?, ?)');
    address.run('ALICE@example.com', 1, 1, 5); // allauth's row may differ in case from auth_user.email
    address.run('bob@example.com', 0, 1, 9);
    address.run('carol@example.com', 0, 1, 12);
    address.run('carol.old@example.com', 1, 0, 12); // another verified address of hers is not her own
    address.run('dave@example.com', 1, 1, 13); // dave has no address in auth_user
    db.close();
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /account_emailaddress|never verified/);
    const g = new Database(target, { readonly: true });
    try {
      const rows = g.prepare('SELECT username, email_verified FROM gatehouse_user ORDER BY id').all();
      assert.deepEqual(rows, [
        { username: 'alice', email_verified: 1 },
        { username: 'bob', email_verified: 0 },
        { username: 'carol', email_verified: 0 },
        { username: 'dave', email_verified: 0 },
      ]);
      // Imported addresses are found by e-mail like any other (the store's key is written too).
      assert.deepEqual(g.prepare("SELECT username FROM gatehouse_user WHERE email_key = 'alice@example.com'").pluck().all(), ['alice']);
    } finally {
      g.close();
    }
    const again = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.match(again.stdout, /Nothing to import/, 'the flag is compared like the other fields');
  });

  test("allauth rows with a verified flag that is not a boolean import nothing", async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const db = new Database(django.path);
    db.exec(ALLAUTH_DDL);
    db.prepare('INSERT INTO account_emailaddress (id, email, verified, "primary", user_id) VALUES (7, ?, ?, 1, 5)').run('alice@example.com', 'yes');
    db.close();
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /account_emailaddress id=7: verified is not a boolean/);
    assert.equal(counts(target).users, 0);
  });

  test('a second run changes nothing and says so', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    assert.equal((await cli(['import-django', '--from', django.path, '--db', target])).code, 0);
    const before = counts(target);
    const again = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to import: everything is already in Gatehouse \(2 users, 2 tokens, 2 simplejwt tokens\)/);
    assert.deepEqual(counts(target), before);
  });

  test("a later run keeps a password changed in Gatehouse and does not bring back the tokens it revoked", async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    assert.equal((await cli(['import-django', '--from', django.path, '--db', target])).code, 0);
    const changed = await cli(['changepassword', 'alice', '--db', target, '--password-stdin'], 'a-new-password-2\n');
    assert.equal(changed.code, 0, changed.stderr);
    const hash = () => {
      const db = new Database(target, { readonly: true });
      try {
        return db.prepare("SELECT password FROM gatehouse_user WHERE username = 'alice'").pluck().get();
      } finally {
        db.close();
      }
    };
    const before = { hash: hash(), counts: counts(target) };
    assert.equal(before.counts.tokens, 0, 'changepassword revoked the imported tokens');
    const again = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to import/);
    assert.match(again.stdout, /Kept Gatehouse's data for 1 user already imported .*: alice\./);
    assert.match(again.stdout, /Their Django tokens not in Gatehouse \(2\) were left out/);
    assert.deepEqual({ hash: hash(), counts: counts(target) }, before);
  });

  test('--dry-run reports the plan and writes nothing', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Dry run: would import 2 users, 2 tokens \(1 DRF authtoken, 1 knox\)/);
    assert.match(r.stdout, /Users to import: alice, bob\./);
    assert.match(r.stdout, /Nothing was written/);
    assert.deepEqual(counts(target), { users: 0, tokens: 0, outstanding: 0 });
  });

  test('one bad row anywhere imports nothing, and every problem is listed', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const db = new Database(django.path);
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO knox_authtoken (digest, created, user_id, expiry, token_key) VALUES ('not-a-sha512', ?, 5, NULL, 'abcdefgh')").run(dt(Date.now()));
    db.prepare("INSERT INTO authtoken_token (key, created, user_id) VALUES (?, ?, 77)").run('c'.repeat(40), dt(Date.now()));
    db.close();
    const target = join(dir, 'db.sqlite3');
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /2 rows cannot be imported; nothing was imported/);
    assert.match(r.stderr, /knox_authtoken digest=not-a-sha512…: digest is not 128 lowercase hex/);
    assert.match(r.stderr, /authtoken_token row 2: user_id 77 is not a user of auth_user/);
    assert.equal(r.stderr.includes('c'.repeat(40)), false, 'a DRF key is never printed');
    assert.deepEqual(counts(target), { users: 0, tokens: 0, outstanding: 0 });
  });

  test('a failure while writing rolls everything back', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    assert.equal((await cli(['migrate', '--db', target])).code, 0);
    // A trigger makes the last write (the blacklisted outstanding token) fail after users and tokens were inserted.
    const db = new Database(target);
    db.exec(`CREATE TRIGGER fail_import BEFORE INSERT ON gatehouse_jwt_outstanding WHEN NEW.blacklisted_at IS NOT NULL
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    db.close();
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /disk on fire/);
    assert.deepEqual(counts(target), { users: 0, tokens: 0, outstanding: 0 });
  });

  test('a Gatehouse user with the same username and another id refuses the whole import; --skip-conflicts leaves that user out', async () => {
    const dir = fresh();
    const django = buildDjango(dir);
    const target = join(dir, 'db.sqlite3');
    assert.equal((await cli(['migrate', '--db', target])).code, 0);
    const created = await cli(['createuser', 'alice', '--db', target, '--password-stdin'], 'another-password\n');
    assert.equal(created.code, 0, created.stderr);
    const r = await cli(['import-django', '--from', django.path, '--db', target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /1 conflict with the Gatehouse database; nothing was imported/);
    assert.match(r.stderr, /user "alice" already exists in Gatehouse with id 1, not Django's id 5/);
    assert.deepEqual(counts(target), { users: 1, tokens: 0, outstanding: 0 });

    const dry = await cli(['import-django', '--from', django.path, '--db', target, '--dry-run']);
    assert.equal(dry.code, 1, 'a dry run reports the conflicts the same way');

    const skip = await cli(['import-django', '--from', django.path, '--db', target, '--skip-conflicts']);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stdout, /Imported 1 user, 0 tokens/);
    assert.match(skip.stdout, /Left out because of conflicts \(--skip-conflicts\): 1 user \(alice\), 2 tokens, 2 simplejwt tokens/);
    assert.deepEqual(counts(target), { users: 2, tokens: 0, outstanding: 0 });
  });

  test('a progress bar with rows/s on a terminal only', async () => {
    const dir = fresh();
    const django = buildDjango(dir, { extraUsers: 1200 });
    const settingsFor = (opts: { db?: string }) => loadSettings({ env: {}, overrides: { database: opts.db, secretKey: SECRET } });
    const base = { io: { stdout: () => {}, stderr: () => {} }, settingsFor, common: <T,>(c: T) => c, fail: (m: string) => new Error(m) };
    let drawn = '';
    await importDjango({ from: django.path, db: join(dir, 'a.sqlite3') }, { ...base, progress: { isTTY: true, write: (t) => (drawn += t), columns: 100 } });
    assert.match(drawn, /\rimporting \[#+\] 1206\/1206 \d+ rows\/s\x1b\[K\n/);
    let piped = '';
    await importDjango({ from: django.path, db: join(dir, 'b.sqlite3') }, { ...base, progress: { isTTY: false, write: (t) => (piped += t) } });
    assert.equal(piped, '');
  });

  test('--from a missing file or a database without auth_user: a clear error', async () => {
    const dir = fresh();
    const missing = await cli(['import-django', '--from', join(dir, 'nope.sqlite3'), '--db', join(dir, 'db.sqlite3')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file/);
    const empty = join(dir, 'empty.sqlite3');
    new Database(empty).close();
    const r = await cli(['import-django', '--from', empty, '--db', join(dir, 'db.sqlite3')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /auth_user: no such table/);
  });
});

describe('gatehouse import-drf-tokens is atomic', () => {
  test('a bad row after good ones imports nothing', async () => {
    const dir = fresh();
    const target = join(dir, 'db.sqlite3');
    assert.equal((await cli(['migrate', '--db', target])).code, 0);
    assert.equal((await cli(['createuser', 'alice', '--db', target, '--no-password'])).code, 0);
    const good = 'd'.repeat(40);
    const r = await cli(['import-drf-tokens', '--db', target], `key,user\n${good},alice\n${'e'.repeat(40)},nobody\n`);
    assert.equal(r.code, 1);
    assert.equal(counts(target).tokens, 0, "alice's token, before the bad line, was not imported");
    assert.match(r.stderr, /nothing was imported:\n {2}line 3: user "nobody" does not exist/);
    const ok = await cli(['import-drf-tokens', '--db', target], `${good},alice\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(counts(target).tokens, 1);
  });
});
