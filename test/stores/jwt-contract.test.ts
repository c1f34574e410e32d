/**
 * The JWT store contract (outstanding tokens, families, rotation, denylist, epochs,
 * key ring), run against every implementation.
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
import type { Stores } from '../../src/stores/types.js';
import { StaleGeneration } from '../../src/stores/generation.js';
import { T0, rot, tok } from './jwt-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-jwt-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const backends: Array<[string, () => Stores]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => SqliteStores.open(join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`))],
];
// PostgreSQL: a fresh schema per store, dropped afterwards (skipped with a notice when unreachable).
const postgres = await postgresTestDb('JWT store contract');
if (postgres) {
  backends.push(['postgres', () => postgres.lazy()]);
  after(() => postgres.cleanup());
}
// Redis in front (revocation channel, token cache) of SQLite and, when reachable, PostgreSQL.
const redis = await redisTestServer('JWT store contract with Redis');
if (redis) {
  backends.push(['sqlite+redis', () => redis.lazy(() => SqliteStores.open(join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`)))]);
  if (postgres) backends.push(['postgres+redis', () => redis.lazy(() => postgres.lazy())]);
  after(() => redis.cleanup());
}


for (const [name, make] of backends) {
  describe(`${name} JWT store`, () => {
    const user = async (s: Stores, username = 'alice') => (await s.users.create({ username, password: '!x', dateJoined: new Date(T0) })).id;

    test('record, get, blacklist (idempotent false), unknown tokens recorded on blacklist, unknown users stored as null', async () => {
      const s = make();
      const a = await user(s);
      await s.jwt.recordOutstanding(tok('j1', a, { familyId: 'f1' }), T0 + 7 * 86_400_000);
      const row = await s.jwt.getOutstanding('j1');
      assert.equal(row!.userId, a);
      assert.equal(row!.familyId, 'f1');
      assert.equal(row!.blacklistedAt, null);
      assert.equal((await s.jwt.getFamily('f1'))!.notAfter, T0 + 7 * 86_400_000);
      assert.equal(await s.jwt.blacklist(tok('j1', a), T0 + 5), true);
      assert.equal(await s.jwt.blacklist(tok('j1', a), T0 + 6), false);
      assert.equal((await s.jwt.getOutstanding('j1'))!.blacklistedAt, T0 + 5);
      assert.equal(await s.jwt.blacklist(tok('never-issued', 999), T0), true);
      assert.equal((await s.jwt.getOutstanding('never-issued'))!.userId, null);
      await s.close();
    });

    test('recordOutstanding with a credential generation: refused, nothing recorded, once it moved or the user is gone', async () => {
      const s = make();
      const alice = await s.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      const g0 = alice.credentialGeneration!;
      await s.jwt.recordOutstanding(tok('ok', alice.id, { familyId: 'f-ok' }), null, g0);
      assert.equal((await s.jwt.getOutstanding('ok'))!.userId, alice.id);
      await s.users.bumpGeneration(alice.id, { password: '!y' });
      await assert.rejects(s.jwt.recordOutstanding(tok('stale', alice.id, { familyId: 'f-stale' }), T0 + 1, g0), StaleGeneration);
      await assert.rejects(s.jwt.recordOutstanding(tok('stale-sliding', alice.id, { tokenType: 'sliding' }), null, g0), StaleGeneration);
      assert.equal(await s.jwt.getOutstanding('stale'), null);
      assert.equal(await s.jwt.getOutstanding('stale-sliding'), null);
      assert.equal(await s.jwt.getFamily('f-stale'), null);
      const g1 = (await s.users.getById(alice.id))!.credentialGeneration!;
      await s.jwt.recordOutstanding(tok('fresh', alice.id), null, g1);
      assert.notEqual(await s.jwt.getOutstanding('fresh'), null);
      // Without a generation nothing is checked (unknown users are recorded as null, as before).
      await s.jwt.recordOutstanding(tok('unchecked', alice.id), null);
      assert.notEqual(await s.jwt.getOutstanding('unchecked'), null);
      await s.users.delete(alice.id);
      await assert.rejects(s.jwt.recordOutstanding(tok('gone', alice.id), null, g1), StaleGeneration);
      await assert.rejects(s.jwt.recordOutstanding(tok('nobody', null), null, 0), StaleGeneration);
      assert.equal(await s.jwt.getOutstanding('gone'), null);
      await s.close();
    });

    test('rotation: rotated once; reuse revokes the family and blacklists its members', async () => {
      const s = make();
      const a = await user(s);
      await s.jwt.recordOutstanding(tok('r1', a, { familyId: 'fam' }));
      const first = await s.jwt.rotate(rot(tok('r1', a), 'r2'));
      assert.deepEqual(first, { kind: 'rotated', familyId: 'fam' });
      const r1 = await s.jwt.getOutstanding('r1');
      assert.equal(r1!.replacedBy, 'r2');
      assert.equal((await s.jwt.getOutstanding('r2'))!.familyId, 'fam');
      const reuse = await s.jwt.rotate(rot(tok('r1', a), 'r3'));
      assert.deepEqual(reuse, { kind: 'reused', familyId: 'fam' });
      assert.notEqual((await s.jwt.getFamily('fam'))!.revokedAt, null);
      assert.notEqual((await s.jwt.getOutstanding('r2'))!.blacklistedAt, null);
      assert.deepEqual(await s.jwt.rotate(rot(tok('r2', a), 'r4')), { kind: 'family_revoked' });
      assert.equal(await s.jwt.getOutstanding('r3'), null);
      await s.close();
    });

    test('rotation: grace returns the recorded replacement; unknown tokens start a family', async () => {
      const s = make();
      const a = await user(s);
      const first = await s.jwt.rotate(rot(tok('x1', a), 'x2', { reuseGrace: 5000, familyNotAfter: T0 + 1 }));
      assert.equal(first.kind, 'rotated');
      const family = await s.jwt.getFamily((first as { familyId: string }).familyId);
      assert.equal(family!.notAfter, T0 + 1);
      const retry = await s.jwt.rotate(rot(tok('x1', a), 'x9', { reuseGrace: 5000, now: T0 + 3000 }));
      assert.deepEqual(retry, { kind: 'grace', familyId: family!.id, replacement: { jti: 'x2', iat: T0 / 1000, exp: T0 / 1000 + 86400 } });
      const late = await s.jwt.rotate(rot(tok('x1', a), 'x9', { reuseGrace: 5000, now: T0 + 7000 }));
      assert.equal(late.kind, 'reused');
      await s.close();
    });

    test('rotation without reuse detection: blacklistCurrent blacklists; neither keeps the old token usable', async () => {
      const s = make();
      const a = await user(s);
      assert.equal((await s.jwt.rotate(rot(tok('b1', a), 'b2', { reuseDetection: false, blacklistAfterRotation: true }))).kind, 'rotated');
      assert.deepEqual(await s.jwt.rotate(rot(tok('b1', a), 'b3', { reuseDetection: false, blacklistAfterRotation: true })), { kind: 'blacklisted' });
      assert.equal((await s.jwt.rotate(rot(tok('b2', a), 'b4', { reuseDetection: false, blacklistAfterRotation: true }))).kind, 'rotated');
      assert.equal((await s.jwt.rotate(rot(tok('c1', a), 'c2', { reuseDetection: false }))).kind, 'rotated');
      assert.equal((await s.jwt.rotate(rot(tok('c1', a), 'c3', { reuseDetection: false }))).kind, 'rotated');
      await s.close();
    });

    test('blacklist after rotation does not hide reuse: the predecessor or an older token revokes the family', async () => {
      const s = make();
      const a = await user(s);
      const opts = { blacklistAfterRotation: true };
      await s.jwt.recordOutstanding(tok('p1', a, { familyId: 'fp' }));
      assert.equal((await s.jwt.rotate(rot(tok('p1', a), 'p2', opts))).kind, 'rotated');
      assert.notEqual((await s.jwt.getOutstanding('p1'))!.blacklistedAt, null, 'blacklisted by the rotation');
      assert.equal((await s.jwt.rotate(rot(tok('p2', a), 'p3', opts))).kind, 'rotated');
      assert.deepEqual(await s.jwt.rotate(rot(tok('p1', a), 'p9', opts)), { kind: 'reused', familyId: 'fp' }, 'two rotations back');
      assert.notEqual((await s.jwt.getFamily('fp'))!.revokedAt, null);
      assert.notEqual((await s.jwt.getOutstanding('p3'))!.blacklistedAt, null, 'the newest token dies with its family');
      assert.deepEqual(await s.jwt.rotate(rot(tok('p3', a), 'p4', opts)), { kind: 'family_revoked' });
      assert.equal(await s.jwt.getOutstanding('p9'), null);
      await s.close();
    });

    test('grace replays only the latest rotation: once the replacement rotated, the older token is reuse', async () => {
      const s = make();
      const a = await user(s);
      const opts = { blacklistAfterRotation: true, reuseGrace: 60_000 };
      await s.jwt.recordOutstanding(tok('g1', a, { familyId: 'fg' }));
      await s.jwt.rotate(rot(tok('g1', a), 'g2', opts));
      assert.deepEqual(await s.jwt.rotate(rot(tok('g1', a), 'gx', { ...opts, now: T0 + 2000 })), {
        kind: 'grace',
        familyId: 'fg',
        replacement: { jti: 'g2', iat: T0 / 1000, exp: T0 / 1000 + 86400 },
      });
      await s.jwt.rotate(rot(tok('g2', a), 'g3', { ...opts, now: T0 + 3000 }));
      assert.equal((await s.jwt.rotate(rot(tok('g1', a), 'gy', { ...opts, now: T0 + 4000 }))).kind, 'reused');
      await s.close();
    });

    test('concurrent rotations within grace: one rotated, the others replay its replacement', async () => {
      const s = make();
      const a = await user(s);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.jwt.rotate(rot(tok('q1', a), `q${i + 2}`, { reuseGrace: 60_000 }))));
      const winner = results.filter((r) => r.kind === 'rotated');
      assert.equal(winner.length, 1);
      const replayed = new Set(results.flatMap((r) => (r.kind === 'grace' ? [r.replacement.jti] : [])));
      assert.equal(replayed.size, 1);
      assert.equal(results.filter((r) => r.kind === 'grace').length, 7);
      await s.close();
    });

    test('concurrent rotations of one token: exactly one rotated', async () => {
      const s = make();
      const a = await user(s);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.jwt.rotate(rot(tok('c1', a), `n${i}`))));
      assert.equal(results.filter((r) => r.kind === 'rotated').length, 1);
      await s.close();
    });

    test('revokeAllForUser blacklists the user’s tokens and families only', async () => {
      const s = make();
      const a = await user(s);
      const b = await user(s, 'bob');
      await s.jwt.recordOutstanding(tok('a1', a, { familyId: 'fa' }));
      await s.jwt.recordOutstanding(tok('a2', a, { tokenType: 'sliding' }));
      await s.jwt.recordOutstanding(tok('b1', b, { familyId: 'fb' }));
      assert.equal(await s.jwt.revokeAllForUser(a, T0 + 9, 'logout_all'), 2);
      assert.notEqual((await s.jwt.getOutstanding('a2'))!.blacklistedAt, null);
      assert.notEqual((await s.jwt.getFamily('fa'))!.revokedAt, null);
      assert.equal((await s.jwt.getOutstanding('b1'))!.blacklistedAt, null);
      assert.equal((await s.jwt.getFamily('fb'))!.revokedAt, null);
      await s.close();
    });

    test('denylist, epochs (moving the change signal), deleteExpired', async () => {
      const s = make();
      const a = await user(s);
      const g = s.changes.generation();
      await s.jwt.denyAccessToken('acc1', T0 + 100);
      assert.equal(await s.jwt.isAccessTokenDenied('acc1'), true);
      assert.equal(await s.jwt.isAccessTokenDenied('acc2'), false);
      assert.notEqual(s.changes.generation(), g);
      assert.equal(await s.jwt.userEpoch(a), 0);
      assert.equal(await s.jwt.bumpUserEpoch(a), 1);
      assert.equal(await s.jwt.bumpUserEpoch(a), 2);
      assert.equal(await s.jwt.userEpoch(a), 2);
      assert.equal(await s.jwt.bumpUserEpoch(999), 0);
      await s.jwt.recordOutstanding(tok('old', a, { familyId: 'fo', expiresAt: T0 + 50 }));
      await s.jwt.recordOutstanding(tok('new', a, { familyId: 'fn', expiresAt: T0 + 5000 }));
      assert.equal(await s.jwt.deleteExpired(T0 + 100), 2);
      assert.equal(await s.jwt.getOutstanding('old'), null);
      assert.equal(await s.jwt.getFamily('fo'), null);
      assert.notEqual(await s.jwt.getOutstanding('new'), null);
      assert.equal(await s.jwt.isAccessTokenDenied('acc1'), false);
      await s.close();
    });

    test('deleting a user keeps its outstanding rows (user null) but drops epochs', async () => {
      const s = make();
      const a = await user(s);
      await s.jwt.recordOutstanding(tok('d1', a));
      await s.jwt.bumpUserEpoch(a);
      await s.users.delete(a);
      assert.equal((await s.jwt.getOutstanding('d1'))!.userId, null);
      assert.equal(await s.jwt.userEpoch(a), 0);
      await s.close();
    });

    test('key ring: insert active demotes the previous, activate, retire', async () => {
      const s = make();
      const key = (kid: string, status: 'active' | 'verify') => ({ kid, alg: 'HS256', status, createdAt: T0, retiredAt: null, publicJwk: null, encryptedKey: `enc-${kid}` });
      await s.keys.insertKey(key('k1', 'active'));
      await s.keys.insertKey(key('k2', 'active'));
      assert.deepEqual((await s.keys.listKeys()).map((k) => [k.kid, k.status]), [['k1', 'verify'], ['k2', 'active']]);
      assert.equal(await s.keys.activateKey('k1'), true);
      assert.deepEqual((await s.keys.listKeys()).map((k) => k.status), ['active', 'verify']);
      assert.equal(await s.keys.retireKey('k2', T0 + 1), true);
      assert.equal(await s.keys.retireKey('k2', T0 + 2), false);
      assert.equal(await s.keys.activateKey('k2'), false, 'a retired key cannot sign again');
      assert.equal(await s.keys.activateKey('nope'), false);
      assert.equal((await s.keys.listKeys())[1]!.retiredAt, T0 + 1);
      await s.close();
    });

    test('key ring: keys listed by creation time, then kid in byte order (the same order in every store)', async () => {
      const s = make();
      const key = (kid: string, createdAt: number) => ({ kid, alg: 'HS256', status: 'verify' as const, createdAt, retiredAt: null, publicJwk: null, encryptedKey: `enc-${kid}` });
      for (const kid of ['b', 'B', 'a', '_', 'A']) await s.keys.insertKey(key(kid, T0));
      await s.keys.insertKey(key('z', T0 - 1));
      assert.deepEqual((await s.keys.listKeys()).map((k) => k.kid), ['z', 'A', 'B', '_', 'a', 'b']);
      await s.close();
    });
  });
}
