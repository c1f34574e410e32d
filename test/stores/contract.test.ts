/**
 * The store contract, run against every implementation (memory, SQLite; PostgreSQL
 * and Redis join in the scale-out issue).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import { postgresTestDb } from './postgres-helpers.js';
import { redisTestServer } from './redis-helpers.js';
import { TokenLimitReached, UsernameTaken, type NewTokenRecord, type Stores } from '../../src/stores/types.js';
import { StaleGeneration } from '../../src/stores/generation.js';
import { hashProfileKey } from '../../src/stores/hash-profile.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const backends: Array<[string, () => Stores]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => SqliteStores.open(join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`))],
];
// PostgreSQL: a fresh schema per store, dropped afterwards (skipped with a notice when unreachable).
const postgres = await postgresTestDb('store contract');
if (postgres) {
  backends.push(['postgres', () => postgres.lazy()]);
  after(() => postgres.cleanup());
}
// Redis in front (revocation channel, token cache) of SQLite and, when reachable, PostgreSQL.
const redis = await redisTestServer('store contract with Redis');
if (redis) {
  backends.push(['sqlite+redis', () => redis.lazy(() => SqliteStores.open(join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`)))]);
  if (postgres) backends.push(['postgres+redis', () => redis.lazy(() => postgres.lazy())]);
  after(() => redis.cleanup());
}

const T0 = Date.UTC(2026, 0, 1);
const tok = (userId: number, n: number, over: Partial<NewTokenRecord> = {}): NewTokenRecord => ({
  userId,
  prefix: `p${String(n).padStart(7, '0')}`,
  digest: String(n).padStart(64, 'd'),
  createdAt: T0 + n,
  expiresAt: null,
  lastUsedAt: null,
  label: null,
  ...over,
});

for (const [name, make] of backends) {
  describe(`${name} store`, () => {
    const newUser = (stores: Stores, username: string) => stores.users.create({ username, password: '!x', dateJoined: new Date(T0) });

    test('users: create, get by id and by username (case-sensitive), update, list, unique usernames', async () => {
      const s = make();
      const alice = await newUser(s, 'alice');
      assert.equal(alice.isActive, true);
      assert.equal(alice.isStaff, false);
      assert.equal(alice.lastLogin, null);
      assert.equal(alice.dateJoined.getTime(), T0);
      assert.deepEqual(await s.users.getById(alice.id), alice);
      assert.deepEqual(await s.users.getByUsername('alice'), alice);
      assert.equal(await s.users.getByUsername('Alice'), null);
      await newUser(s, 'Alice');
      await assert.rejects(newUser(s, 'alice'), UsernameTaken);
      const updated = await s.users.update(alice.id, { email: 'a@example.com', isStaff: true, lastLogin: new Date(T0 + 5) });
      assert.equal(updated!.email, 'a@example.com');
      assert.equal(updated!.isStaff, true);
      assert.equal(updated!.lastLogin!.getTime(), T0 + 5);
      assert.equal(await s.users.update(999, { email: 'x' }), null);
      assert.deepEqual((await s.users.list()).map((u) => u.username), ['alice', 'Alice']);
      await s.close();
    });

    test('passwordProfiles: one stored hash per (algorithm, cost parameters), salts and digests ignored, at most `limit`', async () => {
      const s = make();
      const stored = [
        'pbkdf2_sha256$600000$saltA$hashA=',
        'pbkdf2_sha256$600000$saltB$hashB=',
        'pbkdf2_sha256$1000000$saltC$hashC=',
        'pbkdf2_sha1$600000$saltD$hashD=',
        'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdEE$aGFzaEE',
        'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdEI$aGFzaEI',
        'argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdEM$aGFzaEM',
        'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuv0123456789012345678901234567890',
        'bcrypt_sha256$$2b$12$ABCDEFGHIJKLMNOPQRSTUV0123456789012345678901234567890',
        'scrypt$16384$saltE$8$1$hashE=',
        'scrypt$16384$saltF$8$2$hashF=',
        'scrypt$16384$saltG$8$2$hashG=',
      ];
      for (const [i, password] of stored.entries()) await s.users.create({ username: `u${i}`, password, dateJoined: new Date(T0) });
      const profiles = await s.users.passwordProfiles(100);
      const keys = profiles.map(hashProfileKey).sort();
      assert.deepEqual(keys, [
        'argon2$argon2id$v=19$m=102400,t=2,p=8',
        'argon2$argon2id$v=19$m=19456,t=2,p=1',
        'bcrypt_sha256$$2b$12',
        'pbkdf2_sha1$600000',
        'pbkdf2_sha256$1000000',
        'pbkdf2_sha256$600000',
        'scrypt$16384$8$1',
        'scrypt$16384$8$2',
      ]);
      for (const p of profiles) assert.ok(stored.includes(p), `a stored hash: ${p}`);
      assert.equal((await s.users.passwordProfiles(3)).length, 3);
      await s.close();
    });

    test('users: e-mail verified flag (false unless given), findByEmail ignores case as toLowerCase does, ordered by id', async () => {
      const s = make();
      const plain = await newUser(s, 'plain');
      assert.equal(plain.emailVerified, false);
      assert.deepEqual(await s.users.findByEmail(''), []); // users without an address match nothing
      const a = await s.users.create({ username: 'a', email: 'Ann@Example.com', emailVerified: true, password: '!x', dateJoined: new Date(T0) });
      assert.equal(a.emailVerified, true);
      const b = await s.users.create({ username: 'b', email: 'ann@example.com', password: '!x', dateJoined: new Date(T0) });
      await s.users.create({ username: 'c', email: 'other@example.com', password: '!x', dateJoined: new Date(T0) });
      assert.deepEqual((await s.users.findByEmail('ANN@example.COM')).map((u) => u.username), ['a', 'b']);
      assert.deepEqual(await s.users.findByEmail('ann@example.com'), [a, b]);
      assert.deepEqual(await s.users.findByEmail('ann@example.co'), []);
      assert.deepEqual(await s.users.findByEmail('a\u0000@example.com'), []);
      // Beyond ASCII: the key is JavaScript's toLowerCase ('ÉMILE' → 'émile', 'İ' → 'i̇').
      const e = await s.users.create({ username: 'e', email: 'ÉMILE@EXAMPLE.FR', password: '!x', dateJoined: new Date(T0) });
      assert.deepEqual((await s.users.findByEmail('émile@example.fr')).map((u) => u.id), [e.id]);
      await s.users.create({ username: 'i', email: 'İ@example.tr', password: '!x', dateJoined: new Date(T0) });
      assert.deepEqual((await s.users.findByEmail('i̇@example.tr')).map((u) => u.username), ['i']);
      assert.deepEqual(await s.users.findByEmail('i@example.tr'), []);
      // An address changed by update or bumpGeneration is found under its new key only; the flag changes with it.
      const moved = await s.users.update(b.id, { email: 'Bob@Example.com', emailVerified: true });
      assert.equal(moved!.emailVerified, true);
      assert.deepEqual((await s.users.findByEmail('ann@example.com')).map((u) => u.id), [a.id]);
      assert.deepEqual((await s.users.findByEmail('bob@example.com')).map((u) => u.id), [b.id]);
      await s.users.bumpGeneration(b.id, { email: 'carol@example.com', emailVerified: false });
      assert.deepEqual(await s.users.findByEmail('bob@example.com'), []);
      assert.equal((await s.users.findByEmail('CAROL@example.com'))[0]!.emailVerified, false);
      await s.close();
    });

    test('users: rename by update or bumpGeneration; a taken username throws UsernameTaken and writes nothing', async () => {
      const s = make();
      const alice = await newUser(s, 'alice');
      const bob = await newUser(s, 'bob');
      assert.equal((await s.users.update(alice.id, { username: 'alicia' }))!.username, 'alicia');
      assert.equal(await s.users.getByUsername('alice'), null);
      assert.equal((await s.users.getByUsername('alicia'))!.id, alice.id);
      assert.equal((await s.users.update(alice.id, { username: 'alicia' }))!.username, 'alicia'); // its own name is no conflict
      await assert.rejects(s.users.update(alice.id, { username: 'bob', email: 'x@example.com' }), UsernameTaken);
      await assert.rejects(s.users.update(alice.id, { username: 'bob' }, alice.credentialGeneration), UsernameTaken);
      await assert.rejects(s.users.bumpGeneration(alice.id, { username: 'bob' }), UsernameTaken);
      const after = await s.users.getById(alice.id);
      assert.equal(after!.username, 'alicia');
      assert.equal(after!.email, '');
      assert.equal(after!.credentialGeneration, alice.credentialGeneration);
      assert.equal((await s.users.getByUsername('bob'))!.id, bob.id);
      const renamed = await s.users.bumpGeneration(bob.id, { username: 'robert' });
      assert.equal(renamed!.username, 'robert');
      assert.equal(renamed!.credentialGeneration, bob.credentialGeneration! + 1);
      await s.close();
    });

    test('credential generation: a bump with an expected generation writes only while it is current (one of two racing resets)', async () => {
      const s = make();
      const alice = await newUser(s, 'alice');
      const g0 = alice.credentialGeneration!;
      const [a, b] = await Promise.all([s.users.bumpGeneration(alice.id, { password: '!first' }, g0), s.users.bumpGeneration(alice.id, { password: '!second' }, g0)]);
      assert.equal([a, b].filter((u) => u !== null).length, 1, 'exactly one bump wins');
      const winner = (a ?? b)!;
      assert.deepEqual(await s.users.getById(alice.id), winner);
      assert.equal(await s.users.bumpGeneration(alice.id, { password: '!stale' }, g0), null, 'a stale expectation writes nothing');
      assert.equal((await s.users.getById(alice.id))!.password, winner.password);
      assert.notEqual(await s.users.bumpGeneration(alice.id, {}, winner.credentialGeneration), null);
      await s.close();
    });

    test('credential generation: read with the user, moved with a patch in one write, checked by the token insert', async () => {
      const s = make();
      const alice = await newUser(s, 'alice');
      const g0 = alice.credentialGeneration!;
      assert.equal(typeof g0, 'number');
      assert.equal((await s.users.getByUsername('alice'))!.credentialGeneration, g0);
      // A token against the current generation is stored; the bump moves it and applies the patch.
      await s.tokens.create(tok(alice.id, 1), undefined, g0);
      const bumped = await s.users.bumpGeneration(alice.id, { password: '!changed' });
      assert.equal(bumped!.password, '!changed');
      assert.notEqual(bumped!.credentialGeneration, g0);
      assert.deepEqual(await s.users.getById(alice.id), bumped);
      assert.equal(await s.users.bumpGeneration(999_999), null);
      // An insert against the old generation is refused and stores nothing, with or without a limit.
      await assert.rejects(s.tokens.create(tok(alice.id, 2), undefined, g0), StaleGeneration);
      await assert.rejects(s.tokens.create(tok(alice.id, 3), { max: 1, action: 'refuse' }, g0), StaleGeneration);
      await assert.rejects(s.tokens.create(tok(alice.id, 4), { max: 1, action: 'evictOldest' }, g0), StaleGeneration);
      assert.deepEqual((await s.tokens.listForUser(alice.id)).map((t) => t.prefix), [tok(alice.id, 1).prefix]);
      // The current generation passes (the limit still applies after it); no generation is not checked.
      await s.tokens.create(tok(alice.id, 5), { max: 5, action: 'refuse' }, bumped!.credentialGeneration);
      await s.tokens.create(tok(alice.id, 6));
      assert.equal((await s.tokens.listForUser(alice.id)).length, 3);
      // A conditional update (the login's rehash) writes only while the generation is unchanged.
      assert.equal(await s.users.update(alice.id, { password: '!rehashed-old' }, g0), null);
      assert.equal((await s.users.getById(alice.id))!.password, '!changed');
      assert.equal((await s.users.update(alice.id, { password: '!rehashed' }, bumped!.credentialGeneration))!.password, '!rehashed');
      assert.equal((await s.users.getById(alice.id))!.credentialGeneration, bumped!.credentialGeneration, 'update does not move it');
      // A deleted user: every insert that names a generation is refused (not a foreign-key failure).
      const bob = await newUser(s, 'bob');
      assert.equal(await s.users.delete(bob.id), true);
      await assert.rejects(s.tokens.create(tok(bob.id, 7), undefined, bob.credentialGeneration), StaleGeneration);
      await assert.rejects(s.tokens.create(tok(bob.id, 8), { max: 5, action: 'evictOldest' }, bob.credentialGeneration), StaleGeneration);
      await s.close();
    });

    test('tokens: create, find by prefix with user, touch, list, delete, delete for user, delete all', async () => {
      const s = make();
      const a = await newUser(s, 'alice');
      const b = await newUser(s, 'bob');
      const t1 = await s.tokens.create(tok(a.id, 1));
      const t2 = await s.tokens.create(tok(a.id, 2, { label: 'phone' }));
      const t3 = await s.tokens.create(tok(b.id, 3));
      const found = await s.tokens.findByPrefix(t1.prefix);
      assert.equal(found.length, 1);
      assert.deepEqual(found[0]!.token, t1);
      assert.equal(found[0]!.user.username, 'alice');
      assert.deepEqual(await s.tokens.findByPrefix('nope'), []);
      await s.tokens.touch(t1.id, T0 + 100, T0 + 1000);
      assert.deepEqual(await s.tokens.get(t1.id), { ...t1, lastUsedAt: T0 + 100, expiresAt: T0 + 1000 });
      await s.tokens.touch(t1.id, T0 + 200);
      assert.equal((await s.tokens.get(t1.id))!.expiresAt, T0 + 1000);
      assert.deepEqual((await s.tokens.listForUser(a.id)).map((t) => t.id), [t1.id, t2.id]);
      assert.equal(await s.tokens.deleteForUser(b.id, t1.id), false);
      assert.equal(await s.tokens.deleteForUser(a.id, t1.id), true);
      assert.equal(await s.tokens.delete(t1.id), false);
      assert.equal(await s.tokens.deleteAllForUser(a.id), 1);
      assert.deepEqual((await s.tokens.listForUser(b.id)).map((t) => t.id), [t3.id]);
      await s.close();
    });

    test('tokens: limit refuse / evictOldest counts only unexpired tokens', async () => {
      const s = make();
      const a = await newUser(s, 'alice');
      await s.tokens.create(tok(a.id, 1, { expiresAt: T0 + 5 })); // expired at T0+10
      const t2 = await s.tokens.create(tok(a.id, 2));
      const t3 = await s.tokens.create(tok(a.id, 3));
      await assert.rejects(s.tokens.create(tok(a.id, 10), { max: 2, action: 'refuse' }), TokenLimitReached);
      const t4 = await s.tokens.create(tok(a.id, 11), { max: 2, action: 'evictOldest' });
      const left = (await s.tokens.listForUser(a.id)).map((t) => t.id);
      assert.equal(left.includes(t2.id), false);
      assert.equal(left.includes(t3.id) && left.includes(t4.id), true);
      await s.close();
    });

    test('deleting a user deletes their tokens; deleteExpired removes only expired ones', async () => {
      const s = make();
      const a = await newUser(s, 'alice');
      const b = await newUser(s, 'bob');
      await s.tokens.create(tok(a.id, 1));
      const e = await s.tokens.create(tok(b.id, 2, { expiresAt: T0 + 50 }));
      const live = await s.tokens.create(tok(b.id, 3, { expiresAt: T0 + 5000 }));
      assert.equal(await s.users.delete(a.id), true);
      assert.equal(await s.users.getById(a.id), null);
      assert.deepEqual(await s.tokens.findByPrefix(tok(a.id, 1).prefix), []);
      assert.equal(await s.tokens.deleteExpired(T0 + 50), 1);
      assert.equal(await s.tokens.get(e.id), null);
      assert.notEqual(await s.tokens.get(live.id), null);
      await s.close();
    });

    test('change signal moves on revocation and user changes, not on touch or last_login', async () => {
      const s = make();
      const a = await newUser(s, 'alice');
      const t = await s.tokens.create(tok(a.id, 1));
      let g = s.changes.generation();
      await s.tokens.touch(t.id, T0 + 1);
      await s.users.update(a.id, { lastLogin: new Date(T0) });
      assert.equal(s.changes.generation(), g);
      await s.users.update(a.id, { isActive: false });
      assert.notEqual(s.changes.generation(), g);
      g = s.changes.generation();
      await s.tokens.delete(t.id);
      assert.notEqual(s.changes.generation(), g);
      await s.close();
    });

    const device = (userId: number, secret = 'gh1.sealed-a') => ({ userId, secret, algorithm: 'SHA1' as const, digits: 6, period: 30, createdAt: T0 });

    test('mfa: one TOTP device per user; begin replaces an unconfirmed one, never a confirmed one; confirm names the enrolment', async () => {
      const s = make();
      const mfa = s.mfa!;
      const a = await newUser(s, 'alice');
      assert.equal(await mfa.getTotp(a.id), null);
      assert.equal(await mfa.beginTotp(device(a.id)), true);
      assert.deepEqual(await mfa.getTotp(a.id), { ...device(a.id), confirmedAt: null, lastUsedStep: -1 });
      assert.equal(await mfa.beginTotp({ ...device(a.id, 'gh1.sealed-b'), createdAt: T0 + 1 }), true);
      assert.equal((await mfa.getTotp(a.id))!.secret, 'gh1.sealed-b');
      assert.equal(await mfa.confirmTotp(a.id, 'gh1.sealed-a', 100, T0 + 2, ['d1']), false, 'a replaced enrolment is not confirmed');
      assert.equal(await mfa.countRecoveryCodes(a.id), 0, 'nothing written');
      assert.equal(await mfa.useTotpStep(a.id, 100), false, 'an unconfirmed device accepts no step');
      assert.equal(await mfa.confirmTotp(a.id, 'gh1.sealed-b', 100, T0 + 2, ['d1', 'd2']), true);
      assert.equal(await mfa.confirmTotp(a.id, 'gh1.sealed-b', 101, T0 + 3, ['d3']), false, 'confirmed once');
      const confirmed = await mfa.getTotp(a.id);
      assert.equal(confirmed!.confirmedAt, T0 + 2);
      assert.equal(confirmed!.lastUsedStep, 100);
      assert.equal(await mfa.countRecoveryCodes(a.id), 2);
      assert.equal(await mfa.beginTotp(device(a.id, 'gh1.sealed-c')), false, 'a confirmed device is never replaced');
      assert.equal((await mfa.getTotp(a.id))!.secret, 'gh1.sealed-b');
      assert.equal(await mfa.deleteTotp(a.id), true);
      assert.equal(await mfa.deleteTotp(a.id), false);
      assert.equal(await mfa.getTotp(a.id), null);
      await s.close();
    });

    test('mfa: a TOTP step is accepted once, later steps only, exactly one of concurrent uses wins', async () => {
      const s = make();
      const mfa = s.mfa!;
      const a = await newUser(s, 'alice');
      await mfa.beginTotp(device(a.id));
      await mfa.confirmTotp(a.id, 'gh1.sealed-a', 1000, T0, []);
      assert.equal(await mfa.useTotpStep(a.id, 1000), false, 'the confirming step is used');
      assert.equal(await mfa.useTotpStep(a.id, 1001), true);
      assert.equal(await mfa.useTotpStep(a.id, 1001), false, 'replay');
      assert.equal(await mfa.useTotpStep(a.id, 999), false, 'an earlier step');
      const race = await Promise.all(Array.from({ length: 8 }, () => mfa.useTotpStep(a.id, 1002)));
      assert.equal(race.filter(Boolean).length, 1);
      assert.equal((await mfa.getTotp(a.id))!.lastUsedStep, 1002);
      assert.equal(await mfa.useTotpStep(a.id + 1000, 5000), false, 'no device');
      await s.close();
    });

    test('mfa: recovery codes are replaced as a set and consumed once, one winner among concurrent consumers', async () => {
      const s = make();
      const mfa = s.mfa!;
      const a = await newUser(s, 'alice');
      const b = await newUser(s, 'bob');
      await mfa.replaceRecoveryCodes(a.id, ['d1', 'd2', 'd3'], T0);
      await mfa.replaceRecoveryCodes(b.id, ['d1'], T0);
      assert.equal(await mfa.countRecoveryCodes(a.id), 3);
      assert.equal(await mfa.consumeRecoveryCode(a.id, 'd1'), true);
      assert.equal(await mfa.consumeRecoveryCode(a.id, 'd1'), false, 'single use');
      assert.equal(await mfa.consumeRecoveryCode(a.id, 'nope'), false);
      assert.equal(await mfa.countRecoveryCodes(b.id), 1, "another user's code is untouched");
      const race = await Promise.all(Array.from({ length: 8 }, () => mfa.consumeRecoveryCode(a.id, 'd2')));
      assert.equal(race.filter(Boolean).length, 1);
      await mfa.replaceRecoveryCodes(a.id, ['d4', 'd5'], T0 + 1);
      assert.equal(await mfa.consumeRecoveryCode(a.id, 'd3'), false, 'replaced codes are gone');
      assert.equal(await mfa.countRecoveryCodes(a.id), 2);
      assert.equal(await mfa.deleteRecoveryCodes(a.id), 2);
      assert.equal(await mfa.countRecoveryCodes(a.id), 0);
      await s.close();
    });

    test("mfa: deleting a user deletes its device and recovery codes", async () => {
      const s = make();
      const mfa = s.mfa!;
      const a = await newUser(s, 'alice');
      await mfa.beginTotp(device(a.id));
      await mfa.confirmTotp(a.id, 'gh1.sealed-a', 1, T0, ['d1', 'd2']);
      assert.equal(await s.users.delete(a.id), true);
      assert.equal(await mfa.getTotp(a.id), null);
      assert.equal(await mfa.countRecoveryCodes(a.id), 0);
      await s.close();
    });
  });
}

test('sqlite: a write by another connection moves the change signal (CLI revocation seen by the server)', async () => {
  const path = join(dir, 'shared.sqlite3');
  const server = SqliteStores.open(path);
  const cli = SqliteStores.open(path);
  const a = await server.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
  const t = await server.tokens.create(tok(a.id, 1));
  const g = server.changes.generation();
  assert.equal(await cli.tokens.delete(t.id), true);
  await new Promise((r) => setTimeout(r, 5)); // another process's commit is seen within 1 ms
  assert.notEqual(server.changes.generation(), g);
  await cli.close();
  await server.close();
});

test('sqlite: WAL mode, foreign keys, indexes on every lookup, versioned migrations', async () => {
  const s = SqliteStores.open(join(dir, 'schema.sqlite3'));
  assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
  const plan = (sql: string) => (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' ');
  assert.match(plan("SELECT * FROM gatehouse_token WHERE prefix = 'x'"), /USING INDEX gatehouse_token_prefix/);
  assert.match(plan('SELECT * FROM gatehouse_token WHERE user_id = 1'), /USING (COVERING )?INDEX gatehouse_token_user/);
  assert.match(plan('SELECT * FROM gatehouse_token WHERE expires_at <= 5 AND expires_at IS NOT NULL'), /INDEX gatehouse_token_expires/);
  assert.match(plan("SELECT * FROM gatehouse_user WHERE username = 'a'"), /USING INDEX/);
  assert.match(plan("SELECT * FROM gatehouse_user WHERE email_key = 'a' ORDER BY id"), /USING INDEX gatehouse_user_email_key/);
  assert.match(plan("SELECT * FROM gatehouse_apikey WHERE lookup_id = 'x'"), /USING INDEX sqlite_autoindex_gatehouse_apikey/);
  assert.match(plan('SELECT * FROM gatehouse_apikey WHERE user_id = 1 ORDER BY created_at, id'), /USING INDEX gatehouse_apikey_user/);
  assert.match(plan("SELECT * FROM gatehouse_mfa_recovery_code WHERE user_id = 1 AND digest = 'x'"), /USING (COVERING )?INDEX sqlite_autoindex_gatehouse_mfa_recovery_code/);
  assert.match(plan('SELECT count(*) FROM gatehouse_mfa_recovery_code WHERE user_id = 1'), /USING (COVERING )?INDEX sqlite_autoindex_gatehouse_mfa_recovery_code/);
  assert.match(plan('SELECT * FROM gatehouse_mfa_totp WHERE user_id = 1'), /USING (INTEGER PRIMARY KEY|INDEX)/);
  assert.match(plan("SELECT * FROM gatehouse_passkey WHERE credential_id = 'x'"), /USING INDEX sqlite_autoindex_gatehouse_passkey/);
  assert.match(plan('SELECT * FROM gatehouse_passkey WHERE user_id = 1 ORDER BY created_at, id'), /USING INDEX gatehouse_passkey_user/);
  assert.match(plan("DELETE FROM gatehouse_webauthn_challenge WHERE challenge = 'x'"), /USING INDEX sqlite_autoindex_gatehouse_webauthn_challenge/);
  assert.match(plan('DELETE FROM gatehouse_webauthn_challenge WHERE expires_at <= 5'), /USING (COVERING )?INDEX gatehouse_webauthn_challenge_expiry/);
  const versions = s.db.prepare('SELECT version FROM gatehouse_migrations').pluck().all();
  assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.match(plan('SELECT * FROM gatehouse_mfa_ticket WHERE expires_at <= 5'), /INDEX gatehouse_mfa_ticket_expires/);
  assert.match(plan('SELECT * FROM gatehouse_trusted_device WHERE user_id = 1 ORDER BY created_at, id'), /INDEX gatehouse_trusted_device_user/);
  assert.match(plan('SELECT * FROM gatehouse_trusted_device WHERE expires_at <= 5'), /INDEX gatehouse_trusted_device_expires/);
  await s.close();
});

test('sqlite: another connection\'s commit is seen once the 1 ms window ends, also by a busy loop that never yields to timers', async () => {
  const path = join(dir, 'shared-busy.sqlite3');
  const server = SqliteStores.open(path);
  const cli = SqliteStores.open(path);
  const a = await server.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
  const t = await server.tokens.create(tok(a.id, 1));
  const t2 = await server.tokens.create(tok(a.id, 2));
  // Quiet: the timer ends the window; no call in between.
  let g = server.changes.generation();
  assert.equal(server.changes.generation(), g, 'no change, same generation');
  assert.equal(await cli.tokens.delete(t.id), true);
  await new Promise((r) => setTimeout(r, 5));
  assert.notEqual(server.changes.generation(), g, 'seen after the timer');
  // Busy: synchronous calls, no timer can run; the clock is still looked at every few calls.
  g = server.changes.generation();
  assert.equal(await cli.tokens.delete(t2.id), true);
  // Wall time bounds nothing here (a loaded machine may deschedule the loop): the loop
  // must see the commit without ever yielding; 2 s is only a guard against hanging.
  const start = performance.now();
  let seen = false;
  while (!seen && performance.now() - start < 2000) seen = server.changes.generation() !== g;
  assert.ok(seen, 'a busy loop that never yields sees the commit');
  await cli.close();
  await server.close();
});
