/**
 * What only the PostgreSQL store has: several instances (as several stateless servers)
 * on one database — change notifications across instances and their latency, row
 * locks under concurrency from two pools, migrations racing, the listener failing
 * closed, and a database that is down or stalled. The contract itself runs in
 * contract.test.ts / jwt-contract.test.ts.
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { createGatehouse } from '../../src/server/app.js';
import { listen } from '../../src/server/serve.js';
import { PostgresStores, isPostgresUrl, migratePostgres, redactUrl } from '../../src/stores/postgres/index.js';
import { TokenLimitReached, type NewTokenRecord } from '../../src/stores/types.js';
import { StaleGeneration } from '../../src/stores/generation.js';
import { send, tokenHeader } from '../helpers.js';
import { postgresTestDb } from './postgres-helpers.js';
import { FlakyProxy, waitFor } from './flaky-proxy.js';
import { T0, rot, tok as jwtTok } from './jwt-fixtures.js';

const postgres = await postgresTestDb('postgres store');
if (postgres) after(() => postgres.cleanup());
const pgTest = postgres ? describe : describe.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Two instances on one fresh schema, as two servers would be. */
async function twoInstances(): Promise<[PostgresStores, PostgresStores]> {
  const schema = postgres!.newSchema();
  const a = await postgres!.open({ schema });
  const b = await postgres!.open({ schema });
  return [a, b];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

pgTest('postgres store: several instances on one database', () => {
  test('a revocation on A moves B’s generation (every invalidating write; none of the others); latency', async (t: TestContext) => {
    const [a, b] = await twoInstances();
    try {
      assert.equal(a.connected && b.connected, true);
      const alice = await a.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      const bob = await a.users.create({ username: 'bob', password: '!x', dateJoined: new Date(T0) });

      // Latency: A commits a denylist entry; how long until B's generation moves.
      const fromStart: number[] = [];
      const afterCommit: number[] = [];
      for (let i = 0; i < 60; i++) {
        const g = b.changes.generation();
        const start = performance.now();
        await a.jwt.denyAccessToken(`lat-${i}`, T0 + 60_000);
        const committed = performance.now();
        await waitFor('B to see the denylist entry', () => b.changes.generation() !== g);
        const seen = performance.now();
        fromStart.push(seen - start);
        afterCommit.push(seen - committed);
      }
      fromStart.sort((x, y) => x - y);
      afterCommit.sort((x, y) => x - y);
      const fmt = (xs: number[]) => `median ${percentile(xs, 50).toFixed(3)} ms, p95 ${percentile(xs, 95).toFixed(3)} ms, max ${xs[xs.length - 1]!.toFixed(3)} ms`;
      const line1 = `cross-instance invalidation, A's write call → B's generation moved (${fromStart.length} runs): ${fmt(fromStart)}`;
      const line2 = `cross-instance invalidation, A's write resolved (committed) → B's generation moved: ${fmt(afterCommit)}`;
      t.diagnostic(line1);
      t.diagnostic(line2);
      console.log(`# ${line1}\n# ${line2}`);
      assert.ok(percentile(afterCommit, 50) < 100, 'notifications arrive within milliseconds');

      // Every write that can change whether a credential is accepted moves B exactly once.
      const t1 = await a.tokens.create(tok(alice.id, 1));
      const t2 = await a.tokens.create(tok(alice.id, 2));
      await a.tokens.create(tok(alice.id, 3, { expiresAt: T0 + 10 }));
      await a.tokens.create(tok(bob.id, 4));
      const key = (kid: string) => ({ kid, alg: 'HS256', status: 'active' as const, createdAt: T0, retiredAt: null, publicJwk: null, encryptedKey: `enc-${kid}` });
      const invalidating: Array<[string, () => Promise<unknown>]> = [
        ['users.update (is_active)', () => a.users.update(alice.id, { isActive: false })],
        ['users.update (password)', () => a.users.update(alice.id, { password: '!y' })],
        ['tokens.delete', () => a.tokens.delete(t1.id)],
        ['tokens.deleteForUser', () => a.tokens.deleteForUser(alice.id, t2.id)],
        ['tokens.deleteExpired', () => a.tokens.deleteExpired(T0 + 10)],
        ['tokens.create evicting the oldest', () => a.tokens.create(tok(bob.id, 5), { max: 1, action: 'evictOldest' })],
        ['tokens.deleteAllForUser', () => a.tokens.deleteAllForUser(bob.id)],
        ['jwt.denyAccessToken', () => a.jwt.denyAccessToken('acc', T0 + 1000)],
        ['jwt.bumpUserEpoch', () => a.jwt.bumpUserEpoch(alice.id)],
        ['keys.insertKey', () => a.keys.insertKey(key('k1'))],
        ['keys.insertKey (demoting k1)', () => a.keys.insertKey(key('k2'))],
        ['keys.activateKey', () => a.keys.activateKey('k1')],
        ['keys.retireKey', () => a.keys.retireKey('k2', T0 + 5)],
        ['users.create (negative answers may be cached)', () => a.users.create({ username: 'carol', password: '!x', dateJoined: new Date(T0) })],
        ['jwt.revokeFamily', () => a.jwt.revokeFamily('fam-a', T0 + 6, 'blacklist')],
        ['jwt.rotate detecting reuse (revokes the family)', () => a.jwt.rotate(rot(jwtTok('ra1', alice.id), 'ra3'))],
        ['jwt.revokeAllForUser', () => a.jwt.revokeAllForUser(bob.id, T0 + 7, 'logout_all')],
        ['users.delete', () => a.users.delete(bob.id)],
      ];
      await a.jwt.recordOutstanding(jwtTok('fa1', alice.id, { familyId: 'fam-a' }));
      await a.jwt.recordOutstanding(jwtTok('ra1', alice.id, { familyId: 'fam-r' }));
      assert.equal((await a.jwt.rotate(rot(jwtTok('ra1', alice.id), 'ra2'))).kind, 'rotated');
      await a.jwt.recordOutstanding(jwtTok('fb1', bob.id, { familyId: 'fam-b' }));
      for (const [name, write] of invalidating) {
        const gb = b.changes.generation();
        const ga = a.changes.generation();
        await write();
        assert.equal(a.changes.generation(), ga + 1, `${name}: A moves at once, by one`);
        await waitFor(`B to see ${name}`, () => b.changes.generation() !== gb);
        assert.equal(b.changes.generation(), gb + 1, `${name}: B moves by exactly one notification`);
      }
      assert.equal(a.changes.generation(), a.changes.generation(), 'A’s own notifications do not move A again');

      // Writes that cannot change acceptance send nothing: after them, one marker write moves B by exactly one.
      const t9 = await a.tokens.create(tok(alice.id, 9));
      await a.jwt.recordOutstanding(jwtTok('r1', alice.id, { familyId: 'fam' }));
      const gb = b.changes.generation();
      const ga = a.changes.generation();
      await a.tokens.touch(t9.id, T0 + 1, T0 + 9999);
      await a.users.update(alice.id, { lastLogin: new Date(T0 + 2) });
      assert.equal((await a.jwt.rotate(rot(jwtTok('r1', alice.id), 'r2'))).kind, 'rotated');
      await a.tokens.delete(999_999); // deleted nothing
      await a.users.update(999_999, { isActive: false }); // no such user
      assert.equal(await a.jwt.bumpUserEpoch(999_999), 0);
      assert.equal(await a.jwt.blacklist(jwtTok('r2', alice.id), T0 + 3), true); // one refresh token: always read from the database
      await a.jwt.recordOutstanding(jwtTok('r5', alice.id, { familyId: 'fam-5' }));
      await a.jwt.revokeFamily('fam-a', T0 + 8, 'again'); // already revoked: nothing changes
      assert.equal(await a.jwt.revokeAllForUser(999_999, T0 + 9, 'nobody'), 0);
      assert.equal(a.changes.generation(), ga, 'A did not move either');
      await b.jwt.denyAccessToken('marker', T0 + 1000); // B → A
      await waitFor('A to see the marker', () => a.changes.generation() !== ga);
      assert.equal(a.changes.generation(), ga + 1);
      assert.equal(b.changes.generation(), gb + 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('instances on another schema (another deployment) do not move the signal', async () => {
    const [a, b] = await twoInstances();
    const other = await postgres!.open();
    try {
      const g = b.changes.generation();
      await other.jwt.denyAccessToken('elsewhere', T0 + 1000);
      await a.jwt.denyAccessToken('here', T0 + 1000);
      await waitFor('B to see A', () => b.changes.generation() !== g);
      await sleep(20);
      assert.equal(b.changes.generation(), g + 1, 'only A’s notification counted');
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  test('over HTTP: a token cached by server B is refused by B once server A logs it out', async () => {
    const [a, b] = await twoInstances();
    const settings = parseSettings(
      mergeSettings({ database: 'postgres://unused', secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'silent', host: '127.0.0.1', port: 0 }, {}),
    );
    const appA = await createGatehouse(settings, { stores: a });
    const appB = await createGatehouse(settings, { stores: b });
    const serverA = await listen(appA, '127.0.0.1', 0);
    const serverB = await listen(appB, '127.0.0.1', 0);
    try {
      await appA.users.create({ username: 'alice', password: 'alice-password-1' });
      const login = await send(serverA.url, 'POST', '/api/auth/login/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(login.status, 200, login.text);
      const key = (login.json as { token: string }).token;
      for (let i = 0; i < 3; i++) assert.equal((await send(serverB.url, 'GET', '/api/me/', { headers: tokenHeader(key) })).status, 200);
      const g = b.changes.generation();
      assert.equal((await send(serverA.url, 'POST', '/api/auth/logout/', { headers: tokenHeader(key) })).status, 204);
      await waitFor('B to hear of the logout', () => b.changes.generation() !== g);
      assert.equal((await send(serverB.url, 'GET', '/api/me/', { headers: tokenHeader(key) })).status, 401);

      // Deactivating the user on B is honoured by A (whose cache holds a fresh login's token).
      const again = await send(serverB.url, 'POST', '/api/auth/login/', { body: { username: 'alice', password: 'alice-password-1' } });
      const key2 = (again.json as { token: string }).token;
      assert.equal((await send(serverA.url, 'GET', '/api/me/', { headers: tokenHeader(key2) })).status, 200);
      const ga = a.changes.generation();
      const alice = (await b.users.getByUsername('alice'))!;
      await b.users.update(alice.id, { isActive: false });
      await waitFor('A to hear of the deactivation', () => a.changes.generation() !== ga);
      assert.equal((await send(serverA.url, 'GET', '/api/me/', { headers: tokenHeader(key2) })).status, 401);
    } finally {
      await serverA.stop(100); // closes the stores too
      await serverB.stop(100);
    }
  });

  test('concurrent rotations of one token from A and B: exactly one rotated', async () => {
    const [a, b] = await twoInstances();
    try {
      const alice = (await a.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) })).id;
      for (let round = 0; round < 10; round++) {
        // Recorded token, reuse detection: one winner, the others see reuse (or the family it revoked).
        const jti = `known-${round}`;
        await a.jwt.recordOutstanding(jwtTok(jti, alice, { familyId: `fam-${round}` }));
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).jwt.rotate(rot(jwtTok(jti, alice), `${jti}-next-${i}`))),
        );
        assert.equal(results.filter((r) => r.kind === 'rotated').length, 1, JSON.stringify(results));
        assert.ok(results.every((r) => ['rotated', 'reused', 'family_revoked'].includes(r.kind)));

        // A token never seen (both instances record it at once), with a grace window: one
        // winner, every other caller gets the winner's replacement.
        const fresh = `unknown-${round}`;
        const graced = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).jwt.rotate(rot(jwtTok(fresh, alice), `${fresh}-next-${i}`, { reuseGrace: 60_000 }))),
        );
        const winners = graced.filter((r) => r.kind === 'rotated');
        assert.equal(winners.length, 1, JSON.stringify(graced));
        const replacement = (await a.jwt.getOutstanding(fresh))!.replacedBy;
        for (const r of graced) {
          if (r.kind === 'grace') assert.equal(r.replacement.jti, replacement);
          else assert.equal(r.kind, 'rotated');
        }
        assert.equal(new Set(graced.map((r) => ('familyId' in r ? r.familyId : null))).size, 1, 'one family');
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a family revocation racing a rotation (A rotates, B revokes): never a live token left in a revoked family', async (t: TestContext) => {
    const [a, b] = await twoInstances();
    try {
      const alice = (await a.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) })).id;
      const kinds = new Map<string, number>();
      for (let round = 0; round < 40; round++) {
        const family = `race-${round}`;
        const jti = `race-tok-${round}`;
        await a.jwt.recordOutstanding(jwtTok(jti, alice, { familyId: family }));
        const revoke = round % 2 ? b.jwt.revokeFamily(family, T0 + 2000, 'logout') : b.jwt.revokeAllForUser(alice, T0 + 2000, 'logout-all');
        const [rotated] = await Promise.all([a.jwt.rotate(rot(jwtTok(jti, alice), `${jti}-next`)), revoke]);
        kinds.set(rotated.kind, (kinds.get(rotated.kind) ?? 0) + 1);
        assert.ok(['rotated', 'family_revoked'].includes(rotated.kind), rotated.kind);
        assert.equal((await a.jwt.getFamily(family))?.revokedAt !== null, true, 'the family is revoked');
        for (const id of [jti, `${jti}-next`]) {
          const row = await b.jwt.getOutstanding(id);
          if (row) assert.notEqual(row.blacklistedAt, null, `${id} (rotation: ${rotated.kind}) is blacklisted with its family`);
        }
      }
      // Both orders happen; neither leaves a live row behind.
      t.diagnostic(`rotation outcomes racing a revocation: ${JSON.stringify(Object.fromEntries(kinds))}`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('concurrent logins across A and B never exceed the token limit', async () => {
    const [a, b] = await twoInstances();
    try {
      const alice = (await a.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) })).id;
      const bob = (await a.users.create({ username: 'bob', password: '!x', dateJoined: new Date(T0) })).id;
      const refused = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).tokens.create(tok(alice, i + 1), { max: 3, action: 'refuse' })),
      );
      assert.equal(refused.filter((r) => r.status === 'fulfilled').length, 3);
      for (const r of refused) if (r.status === 'rejected') assert.ok(r.reason instanceof TokenLimitReached, String(r.reason));
      assert.equal((await a.tokens.listForUser(alice)).length, 3);

      const evicting = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).tokens.create(tok(bob, 100 + i), { max: 3, action: 'evictOldest' })),
      );
      assert.equal(evicting.filter((r) => r.status === 'fulfilled').length, 30);
      assert.equal((await b.tokens.listForUser(bob)).length, 3);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('credential generation: inserts on A and B that read it while a bump is uncommitted wait for the commit, then are refused', async () => {
    const [a, b] = await twoInstances();
    const admin = await postgres!.admin.connect();
    try {
      const alice = await a.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      const g0 = alice.credentialGeneration!;
      // A password change in progress on another connection: the row is updated, not committed.
      await admin.query('BEGIN');
      await admin.query(`UPDATE "${a.schema}".gatehouse_user SET password = '!new', credential_generation = credential_generation + 1 WHERE id = $1`, [alice.id]);
      // Logins that checked the old password (generation g0) reach their inserts now, on both instances.
      const outcome = (p: Promise<unknown>) => p.then(() => 'stored', (e: unknown) => (e instanceof StaleGeneration ? 'refused' : e));
      const pending = Promise.all([
        outcome(a.tokens.create(tok(alice.id, 1), undefined, g0)),
        outcome(b.tokens.create(tok(alice.id, 2), { max: 10, action: 'refuse' }, g0)),
        outcome(b.jwt.recordOutstanding(jwtTok('held', alice.id, { familyId: 'held-family' }), null, g0)),
      ]);
      // Each waits on the user's row lock (an unlocked read would see the old row and insert).
      for (let blocked = 0, tries = 0; blocked < 3; tries++) {
        assert.ok(tries < 2000, `the inserts should wait for the uncommitted change (${blocked} of 3 waiting)`);
        await sleep(5);
        // Waiting on the lock: behind the change, or queued behind another waiter. (Asked on
        // another connection: inside a transaction, pg_stat_activity is one snapshot.)
        const { rows } = await postgres!.admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT credential_generation % FOR %' AND cardinality(pg_blocking_pids(pid)) > 0`,
        );
        blocked = rows[0]!.n;
      }
      await admin.query('COMMIT');
      assert.deepEqual(await pending, ['refused', 'refused', 'refused']);
      assert.deepEqual(await a.tokens.listForUser(alice.id), []);
      assert.equal(await a.jwt.getOutstanding('held'), null);
      assert.equal(await a.jwt.getFamily('held-family'), null);
    } finally {
      admin.release();
      await a.close();
      await b.close();
    }
  });

  test('migrations: several instances starting at once migrate exactly once', async () => {
    const schema = postgres!.newSchema();
    const started = await Promise.all(Array.from({ length: 4 }, () => postgres!.open({ schema })));
    try {
      const applied = started.map((s) => s.appliedMigrations.length);
      assert.deepEqual(applied.slice().sort(), [0, 0, 0, 7]);
      const { rows } = await postgres!.admin.query(`SELECT version FROM "${schema}".gatehouse_migrations ORDER BY version`);
      assert.deepEqual(rows.map((r: { version: number }) => r.version), [1, 2, 3, 4, 5, 6, 7]);
      // Every instance works on the one schema.
      const u = await started[0]!.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      for (const s of started) assert.equal((await s.users.getById(u.id))!.username, 'alice');
      // Restarting applies nothing.
      const again = await postgres!.open({ schema });
      assert.deepEqual(again.appliedMigrations, []);
      await again.close();
      // `gatehouse migrate` without opening the stores; the schema named in the URL.
      const other = postgres!.newSchema();
      const url = new URL(postgres!.url);
      url.searchParams.set('schema', other);
      assert.deepEqual((await migratePostgres(url.toString())).length, 7);
      assert.deepEqual(await migratePostgres(url.toString()), []);
      const viaUrl = await PostgresStores.open(url.toString());
      assert.equal(viaUrl.schema, other);
      assert.deepEqual(viaUrl.appliedMigrations, []);
      await viaUrl.close();
    } finally {
      await Promise.all(started.map((s) => s.close()));
    }
  });

  test('same schema as SQLite: tables, indexes (partial unique on the active key), cascades', async () => {
    const s = await postgres!.open();
    try {
      const { rows } = await postgres!.admin.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
        [s.schema],
      );
      const names = rows.map((r) => r.indexname);
      for (const expected of [
        'gatehouse_token_prefix',
        'gatehouse_token_user',
        'gatehouse_token_expires',
        'gatehouse_jwt_family_user',
        'gatehouse_jwt_outstanding_user',
        'gatehouse_jwt_outstanding_family',
        'gatehouse_jwt_outstanding_expires',
        'gatehouse_jwt_denied_expires',
        'gatehouse_signing_key_one_active',
      ]) {
        assert.ok(names.includes(expected), expected);
      }
      assert.match(rows.find((r) => r.indexname === 'gatehouse_signing_key_one_active')!.indexdef, /UNIQUE.*WHERE \(status = 'active'::text\)/);
      // A second active key inserted behind the store's back is refused by the index.
      await s.keys.insertKey({ kid: 'k1', alg: 'HS256', status: 'active', createdAt: T0, retiredAt: null, publicJwk: null, encryptedKey: 'x' });
      await assert.rejects(
        postgres!.admin.query(`INSERT INTO "${s.schema}".gatehouse_signing_key (kid, alg, status, created_at, encrypted_key) VALUES ('k2', 'HS256', 'active', 0, 'x')`),
        /one_active/,
      );
      // Ids beyond what the database holds, or unstorable strings, name nothing (no server error).
      assert.equal(await s.users.getById(2 ** 60), null);
      assert.equal(await s.users.getById(1.5), null);
      assert.equal(await s.users.getByUsername('a\u0000b'), null);
      assert.deepEqual(await s.tokens.findByPrefix('\u0000'), []);
      assert.equal(await s.tokens.delete(Number.MAX_VALUE), false);
    } finally {
      await s.close();
    }
  });
});

pgTest('postgres store: failing closed', () => {
  test('listener lost (pg_terminate_backend) ⇒ a new generation on every call until it has reconnected', async () => {
    const [a, b] = await twoInstances();
    try {
      const g = a.changes.generation();
      assert.equal(a.changes.generation(), g, 'stable while listening');
      const pid = a.listenerPid!;
      assert.ok(pid > 0);
      await postgres!.admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor('A to notice the lost listener', () => !a.connected);
      const seen = new Set(Array.from({ length: 5 }, () => a.changes.generation()));
      assert.equal(seen.size, 5, 'every call a new value: caches cannot hit');
      // A revocation made while A is deaf is not missed: A rereads everything until it listens again.
      const alice = await b.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      const reconnectMs = await waitFor('A to reconnect', () => a.connected, 10_000);
      assert.notEqual(a.listenerPid, pid);
      const h = a.changes.generation();
      assert.equal(a.changes.generation(), h, 'stable again');
      assert.ok(!seen.has(h));
      await b.users.update(alice.id, { isActive: false });
      await waitFor('A to hear B after reconnecting', () => a.changes.generation() !== h);
      console.log(`# listener reconnected ${reconnectMs.toFixed(1)} ms after the loss was noticed`);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an unreachable database: open and store methods reject quickly instead of hanging', async () => {
    const bad = new URL(postgres!.url);
    bad.hostname = '127.0.0.1';
    bad.port = '1';
    const start = performance.now();
    await assert.rejects(PostgresStores.open(bad.toString()), /ECONNREFUSED/);
    assert.ok(performance.now() - start < 1000, 'refused connections fail at once');

    // Accepting but never answering: bounded by connectTimeoutMs.
    const proxy = new FlakyProxy({ host: new URL(postgres!.url).hostname, port: Number(new URL(postgres!.url).port || 5432) });
    await proxy.start();
    try {
      proxy.mode = 'blackhole';
      const t0 = performance.now();
      await assert.rejects(PostgresStores.open(proxy.url(postgres!.url), { schema: postgres!.newSchema(), connectTimeoutMs: 300 }), /timeout/i);
      const took = performance.now() - t0;
      assert.ok(took < 1500, `black-holed connect failed after ${took.toFixed(0)} ms`);
    } finally {
      await proxy.stop();
    }
  });

  test('the database goes away and comes back: methods reject, the signal fails closed, the pool and listener recover (no crash)', async () => {
    const upstream = new URL(postgres!.url);
    const proxy = new FlakyProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    await proxy.start();
    const errors: string[] = [];
    const s = await PostgresStores.open(proxy.url(postgres!.url), {
      schema: postgres!.newSchema(),
      connectTimeoutMs: 500,
      statementTimeoutMs: 500,
      heartbeatMs: 200,
      onError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    try {
      const alice = await s.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      // Some idle connections in the pool, to be broken under it.
      await Promise.all(Array.from({ length: 4 }, () => s.users.getById(alice.id)));
      assert.equal(s.connected, true);

      // 1. Down: connections reset, new ones refused.
      await proxy.stop();
      await waitFor('the listener loss to be noticed', () => !s.connected);
      assert.notEqual(s.changes.generation(), s.changes.generation());
      let t0 = performance.now();
      await assert.rejects(s.users.getById(alice.id));
      await assert.rejects(s.tokens.findByPrefix('p0000001'));
      await assert.rejects(s.jwt.rotate(rot(jwtTok('x', alice.id), 'y')));
      assert.ok(performance.now() - t0 < 1500, 'failures are quick');

      // 2. Back: the pool reconnects on demand, the listener by itself.
      await proxy.start();
      assert.equal((await s.users.getById(alice.id))!.username, 'alice');
      await waitFor('the listener to reconnect', () => s.connected, 10_000);
      const g = s.changes.generation();
      assert.equal(s.changes.generation(), g);

      // 3. Stalled: the network drops every byte of the open connections. Queries fail
      //    after the statement + connect timeouts; the heartbeat notices the deaf listener.
      proxy.stalled = true;
      t0 = performance.now();
      await assert.rejects(s.users.getById(alice.id), /timeout/i);
      const took = performance.now() - t0;
      assert.ok(took < 2500, `stalled query failed after ${took.toFixed(0)} ms`);
      await waitFor('the heartbeat to give up on the listener', () => !s.connected, 3000);
      assert.notEqual(s.changes.generation(), s.changes.generation());
      proxy.stalled = false;
      await proxy.stop(); // reset the stalled connections
      await proxy.start();
      assert.equal((await s.users.getById(alice.id))!.username, 'alice');
      await waitFor('the listener to reconnect after the stall', () => s.connected, 10_000);
      assert.ok(errors.some((e) => e.startsWith('listener:')), 'listener errors are reported, not thrown');
    } finally {
      await s.close();
      await proxy.stop();
    }
  });
});

test('postgres URLs are recognised and redacted', () => {
  assert.equal(isPostgresUrl('postgres://u@h/db'), true);
  assert.equal(isPostgresUrl('postgresql://u@h/db'), true);
  assert.equal(isPostgresUrl('./gatehouse.sqlite3'), false);
  assert.equal(redactUrl('postgres://user:secret@db:5432/app'), 'postgres://user:***@db:5432/app');
});
