/**
 * What Redis adds for several instances: the revocation channel (publish on A moves B's
 * generation; every invalidating write publishes), throttle counters shared by two
 * instances, and Redis going away (through a TCP proxy, never by stopping the shared
 * server): the signal fails closed, throttles degrade to per-instance counters with one
 * warning per outage or answer 503, the token cache is bypassed and never serves a
 * revoked token; then two Gatehouse instances over HTTP on one PostgreSQL + Redis.
 * The throttle-store contract itself runs in test/throttle/store.test.ts, the store
 * contracts with Redis in front in contract.test.ts / jwt-contract.test.ts.
 */
import { decideRotation } from '../../src/jwt/rotation.js';
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { FakeClock } from '../../src/core/clock.js';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { listen, type RunningServer } from '../../src/server/serve.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import type { PostgresStores } from '../../src/stores/postgres/index.js';
import { RedisBackend, redactRedisUrl, withRedis } from '../../src/stores/redis/index.js';
import type { ChangeKind, NewOutstandingToken, RotationState, Stores } from '../../src/stores/types.js';
import { LogCapture, basicHeader, send, startServer, tokenHeader, type TestServer } from '../helpers.js';
import { FlakyProxy, waitFor } from './flaky-proxy.js';
import { postgresTestDb } from './postgres-helpers.js';
import { redisTestServer } from './redis-helpers.js';

const redis = await redisTestServer('redis');
if (redis) after(() => redis.cleanup());
const redisTest = redis ? describe : describe.skip;

// No test here may leave a rejected promise behind (a dead Redis must never crash the process).
const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
after(() => assert.deepEqual(unhandled, [], 'no unhandled rejections'));

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(3)} ms, p99 ${percentile(sorted, 99).toFixed(3)} ms, max ${sorted[sorted.length - 1]!.toFixed(3)} ms (n=${ms.length})`;
};
const upstream = () => {
  const u = new URL(redis!.url);
  return { host: u.hostname, port: Number(u.port || 6379) };
};

describe('withRedis: which writes invalidate', () => {
  test('every write that can change whether a credential is accepted publishes (after it), reads and the others do not', async () => {
    const published: ChangeKind[] = [];
    const s = withRedis(new MemoryStores(), { changes: { publish: async (what) => (published.push(what), true), generation: () => 0 } });
    const expect = async (what: ChangeKind[], op: () => Promise<unknown>, label: string) => {
      published.length = 0;
      await op();
      assert.deepEqual(published, what, label);
    };
    const u = await s.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
    const tok = (n: number) => ({ userId: u.id, prefix: `p${n}`, digest: String(n).padStart(64, 'd'), createdAt: T0 + n, expiresAt: null, lastUsedAt: null, label: null });
    const jwt = (jti: string): NewOutstandingToken => ({ jti, userId: u.id, tokenType: 'refresh', familyId: null, createdAt: T0, expiresAt: T0 + MIN });
    await expect(['user'], () => s.users.create({ username: 'bob', password: '!x', dateJoined: new Date(T0) }), 'user created');
    await expect([], () => s.users.update(u.id, { lastLogin: new Date(T0) }), 'last login only');
    await expect(['user'], () => s.users.update(u.id, { isActive: false }), 'deactivated');
    await expect([], () => s.users.update(999, { isActive: false }), 'no such user');
    await expect([], () => s.users.getById(u.id), 'read');
    const t1 = await s.tokens.create(tok(1));
    await expect([], () => s.tokens.create(tok(2)), 'token created');
    await expect([], () => s.tokens.create(tok(3), { max: 10, action: 'refuse' }), 'token created under a refusing limit');
    await expect(['token'], () => s.tokens.create(tok(4), { max: 1, action: 'evictOldest' }), 'token created, oldest evicted');
    await expect([], () => s.tokens.touch(t1.id, T0, T0 + MIN), 'touch');
    await expect([], () => s.tokens.findByPrefix('p4'), 'lookup');
    const t5 = await s.tokens.create(tok(5));
    await expect(['token'], () => s.tokens.delete(t5.id), 'logout');
    await expect([], () => s.tokens.delete(t5.id), 'nothing deleted');
    await expect(['token'], () => s.tokens.deleteAllForUser(u.id), 'logout-all');
    await expect([], () => s.jwt.recordOutstanding(jwt('r1')), 'refresh recorded');
    const rotation = (jti: string, next: string) => ({
      current: jwt(jti),
      next: { ...jwt(next), iat: T0 / 1000, exp: T0 / 1000 + 60 },
      now: T0,
      familyNotAfter: null,
      decide: (state: RotationState) => decideRotation(state, { reuseDetection: true, blacklistAfterRotation: false, reuseGrace: 0 }, T0),
    });
    await expect([], () => s.jwt.rotate(rotation('r1', 'r2')), 'plain rotation');
    await expect(['family'], () => s.jwt.rotate(rotation('r1', 'r3')), 'reuse detected: the family is revoked');
    await expect(['family'], () => s.jwt.blacklist(jwt('b1'), T0), 'blacklisted');
    await expect([], () => s.jwt.blacklist(jwt('b1'), T0), 'already blacklisted');
    await expect(['family'], () => s.jwt.revokeFamily('f', T0, 'logout'), 'family revoked');
    await expect(['family'], () => s.jwt.revokeAllForUser(u.id, T0, 'logout_all'), 'user revoked');
    await expect(['denylist'], () => s.jwt.denyAccessToken('a1', T0 + MIN), 'access token denied');
    await expect(['epoch'], () => s.jwt.bumpUserEpoch(u.id), 'epoch');
    await expect([], () => s.jwt.deleteExpired(T0), 'cleanup');
    const key = { kid: 'k1', alg: 'HS256', status: 'active' as const, createdAt: T0, retiredAt: null, publicJwk: null, encryptedKey: 'x' };
    await expect(['key'], () => s.keys.insertKey(key), 'key added');
    await expect(['key'], () => s.keys.retireKey('k1', T0), 'key retired');
    await expect([], () => s.keys.retireKey('nope', T0), 'no such key');
    await expect(['user'], () => s.users.delete(u.id), 'user deleted');
  });

  test('a write that fails still invalidates (its outcome is unknown), and a failing publish never fails the write', async () => {
    const published: ChangeKind[] = [];
    const base = new MemoryStores();
    const real = base.tokens.deleteAllForUser;
    base.tokens.deleteAllForUser = () => Promise.reject(new Error('connection lost'));
    const s = withRedis(base, { changes: { publish: async (what) => (published.push(what), false), generation: () => 0 } });
    await assert.rejects(s.tokens.deleteAllForUser(1), /connection lost/);
    base.tokens.deleteAllForUser = real;
    assert.deepEqual(published, ['token']);
    const u = await s.users.create({ username: 'a', password: '!x', dateJoined: new Date(T0) });
    assert.equal(await s.users.delete(u.id), true, 'Redis unreachable: the write succeeds all the same');
  });
});

redisTest('redis: the revocation channel', () => {
  test('a publish on A moves B’s generation, not A’s own, nor another deployment’s; latency', async (t: TestContext) => {
    const prefix = redis!.newPrefix();
    const a = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    const b = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    const other = await RedisBackend.open(redis!.url, { keyPrefix: redis!.newPrefix() });
    try {
      assert.ok(a.changes.connected && b.changes.connected && other.changes.connected);
      const ga = a.changes.generation();
      const go = other.changes.generation();
      assert.equal(b.changes.generation(), b.changes.generation(), 'stable while nothing changes');
      const latencies: number[] = [];
      for (let i = 0; i < 200; i++) {
        const g = b.changes.generation();
        const start = performance.now();
        assert.equal(await a.changes.publish('token'), true);
        await waitFor('B to hear A', () => b.changes.generation() !== g);
        latencies.push(performance.now() - start);
      }
      assert.equal(b.changes.received, 200);
      assert.equal(a.changes.generation(), ga, 'its own messages do not flush A');
      assert.equal(other.changes.generation(), go, 'another key prefix is another channel');
      t.diagnostic(`cross-instance invalidation (PUBLISH on A → B's generation moved): ${summary(latencies)}`);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  test('two instances on stores that cannot signal: a revocation on A is seen by B through Redis alone', async () => {
    const prefix = redis!.newPrefix();
    const a = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    const b = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    const shared = new MemoryStores();
    const deaf = (s: Stores): Stores => ({ ...s, changes: { generation: () => 0 } });
    const sa = a.wrap(deaf(shared));
    const sb = b.wrap(deaf(shared));
    try {
      const g = sb.changes.generation();
      assert.equal(sb.changes.generation(), g);
      const u = await sa.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      await waitFor('B to hear of the new user', () => sb.changes.generation() !== g);
      const g2 = sb.changes.generation();
      await sa.jwt.bumpUserEpoch(u.id);
      await waitFor('B to hear of the epoch', () => sb.changes.generation() !== g2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

redisTest('redis: throttle counters shared by two instances', () => {
  test('a hit limit is shared (exactly N of concurrent hits through A and B); keys expire; latency', async (t: TestContext) => {
    const prefix = redis!.newPrefix();
    const a = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    const b = await RedisBackend.open(redis!.url, { keyPrefix: prefix });
    try {
      const [sa, sb] = [a.throttleStore(), b.throttleStore()];
      const results = await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 ? sa : sb).hit('throttle_user_1', 50, MIN, T0)));
      assert.equal(results.filter((r) => r.allowed).length, 50);
      assert.deepEqual(await sb.hit('throttle_user_1', 50, MIN, T0 + 30_000), { allowed: false, wait: 30 }, 'B sees A’s hits');
      const ttl = await redis!.client.pttl(`${prefix}throttle_user_1`);
      assert.ok(ttl > 0 && ttl <= MIN, `the history expires (PTTL ${ttl})`);
      await sa.recordFailure('login_username_x', { limit: 2, windowMs: MIN, baseMs: 1000, maxMs: 10_000 }, T0);
      const failTtl = await redis!.client.pttl(`${prefix}login_username_x`);
      assert.ok(failTtl > 0 && failTtl <= MIN, `the counter expires (PTTL ${failTtl})`);
      assert.deepEqual(await sb.backoff('login_username_x', T0), { failures: 1, lockedUntil: 0 });

      const latencies: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const start = performance.now();
        await sa.hit(`throttle_anon_${i % 10}`, 1_000_000, MIN, T0 + i);
        latencies.push(performance.now() - start);
      }
      t.diagnostic(`Redis throttle hit (one EVALSHA round trip): ${summary(latencies)}`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

redisTest('redis goes away and comes back', () => {
  test('the change signal fails closed while disconnected or stalled, and caching resumes after reconnect (no crash)', async () => {
    const proxy = new FlakyProxy(upstream());
    await proxy.start();
    const errors: string[] = [];
    const backend = await RedisBackend.open(proxy.url(redis!.url), {
      keyPrefix: redis!.newPrefix(),
      timeoutMs: 300,
      heartbeatMs: 100,
      onError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    const stores = backend.wrap(new MemoryStores());
    try {
      assert.equal(backend.changes.connected, true);
      const g = stores.changes.generation();
      assert.equal(stores.changes.generation(), g, 'connected: stable');

      // 1. Down: connections reset, new ones refused.
      await proxy.stop();
      await waitFor('the subscriber loss to be noticed', () => !backend.changes.connected);
      assert.notEqual(stores.changes.generation(), stores.changes.generation(), 'a new generation on every call');
      const t0 = performance.now();
      const u = await stores.users.create({ username: 'alice', password: '!x', dateJoined: new Date(T0) });
      assert.equal(await stores.tokens.deleteAllForUser(u.id), 0, 'writes go on: the database is the source of truth');
      assert.equal(await backend.changes.publish('token'), false);
      assert.ok(performance.now() - t0 < 1000, 'nothing waits for the dead Redis');

      // 2. Back: resubscribed by itself, the counter moved once, then stable.
      await proxy.start();
      await waitFor('the subscriber to come back', () => backend.changes.connected, 10_000);
      const g2 = stores.changes.generation();
      assert.notEqual(g2, g);
      assert.equal(stores.changes.generation(), g2, 'caching resumes');

      // 3. Stalled: the network drops every byte; the heartbeat notices the deaf subscriber.
      proxy.stalled = true;
      await waitFor('the heartbeat to give up on the subscriber', () => !backend.changes.connected, 5000);
      assert.notEqual(stores.changes.generation(), stores.changes.generation());
      proxy.stalled = false;
      await proxy.stop();
      await proxy.start();
      await waitFor('the subscriber to come back after the stall', () => backend.changes.connected, 10_000);
      const g3 = stores.changes.generation();
      assert.equal(stores.changes.generation(), g3);
    } finally {
      await stores.close();
      await backend.close();
      await proxy.stop();
    }
  });

  /** A server on SQLite with Redis behind a proxy; `throttle.rates.token` 3/min on the token endpoints. */
  async function serverBehind(proxy: FlakyProxy, extra: Record<string, unknown> = {}): Promise<TestServer> {
    return startServer({
      settings: mergeSettings(
        { redis: { url: proxy.url(redis!.url), keyPrefix: redis!.newPrefix(), timeout: '300ms' }, throttle: { rates: { token: '3/min' } } },
        extra,
      ),
    });
  }
  const verify = (s: TestServer) => s.send('POST', '/api/token/verify/', { body: { token: 'not-a-jwt' } });
  const count = (s: TestServer, message: string) => s.logs.lines.filter((l) => l.includes(message)).length;
  const OUTAGE_LOCAL = 'throttle counters kept per instance';
  const OUTAGE_CLOSED = 'throttled requests answered 503';

  test('onStoreFailure "local" (default): per-instance counters meanwhile, exactly one warning per outage, shared again after', async () => {
    const proxy = new FlakyProxy(upstream());
    await proxy.start();
    const s = await serverBehind(proxy);
    try {
      assert.equal(s.settings.throttle.store, 'redis', 'redis.url set: throttles in Redis by default');
      assert.equal(s.settings.throttle.onStoreFailure, 'local');
      for (let i = 0; i < 3; i++) assert.equal((await verify(s)).status, 401);
      assert.equal((await verify(s)).status, 429);

      await proxy.stop();
      await waitFor('the server to notice', () => !s.app.redis!.connected);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await verify(s)).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429], 'a fresh per-instance counter, enforced');
      assert.equal(count(s, OUTAGE_LOCAL), 1, `one warning for the outage, not one per request: ${s.logs.text}`);

      await proxy.start();
      await waitFor('the server to reconnect', () => s.app.redis!.connected, 10_000);
      assert.equal((await verify(s)).status, 429, 'the shared counter again (it still holds the first 3)');
      assert.equal(count(s, 'redis throttle counters shared again'), 1);

      await proxy.stop();
      await waitFor('the server to notice again', () => !s.app.redis!.connected);
      for (let i = 0; i < 5; i++) await verify(s);
      assert.equal(count(s, OUTAGE_LOCAL), 2, 'one more warning for the second outage');
      assert.ok(!s.logs.text.includes('request failed'), 'no request failed');
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  test('onStoreFailure "closed": 503 {"detail": "Service temporarily unavailable."} with Retry-After, one warning per outage', async () => {
    const proxy = new FlakyProxy(upstream());
    await proxy.start();
    const s = await serverBehind(proxy, { throttle: { onStoreFailure: 'closed' } });
    try {
      await s.createUser('alice', 'alice-password-1');
      assert.equal((await verify(s)).status, 401);
      await proxy.stop();
      await waitFor('the server to notice', () => !s.app.redis!.connected);
      for (let i = 0; i < 5; i++) {
        const r = await verify(s);
        assert.equal(r.status, 503);
        assert.deepEqual(r.json, { detail: 'Service temporarily unavailable.' });
        assert.equal(r.headers['retry-after'], '1');
      }
      const login = await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(login.status, 503, 'the login throttle cannot be consulted: refused');
      assert.equal((await s.send('GET', '/healthz')).status, 200, 'unthrottled routes are served');
      assert.equal(count(s, OUTAGE_CLOSED), 1);
      await proxy.start();
      await waitFor('the server to reconnect', () => s.app.redis!.connected, 10_000);
      assert.equal((await verify(s)).status, 401);
      assert.equal((await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } })).status, 200);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  test('token cache on: lookups are shared; a token revoked while Redis is down is still refused, after it is back too', async () => {
    const proxy = new FlakyProxy(upstream());
    await proxy.start();
    // No in-process cache: every lookup goes through the Redis cache.
    const s = await serverBehind(proxy, { redis: { tokenCache: true }, tokens: { cacheSize: 0 } });
    const cache = () => (s.app.stores as Stores & { tokenCache: { hits: number; misses: number } }).tokenCache;
    try {
      await s.createUser('alice', 'alice-password-1');
      const login = await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') });
      const { token } = login.json as { token: string };
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 200);
      const hits = cache().hits;
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 200);
      assert.equal(cache().hits, hits + 1, 'the second lookup came from Redis');
      // Entries are signed: one altered in Redis (another user, say) is not believed.
      const entryKey = `${s.settings.redis.keyPrefix}tc:e:${token.slice(0, 8)}`;
      const entry = (await redis!.client.get(entryKey))!;
      assert.ok(entry.includes('"username":"alice"') && !entry.includes('alice-password'), 'no password hash in Redis');
      await redis!.client.set(entryKey, entry.replace('"isStaff":false', '"isStaff":true'), 'PX', 30_000);
      const misses = cache().misses;
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 200);
      assert.equal(cache().misses, misses + 1, 'the altered entry was not used');

      await proxy.stop();
      await waitFor('the server to notice', () => !s.app.redis!.connected);
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 200, 'bypassed: read from the database');
      assert.equal((await s.send('POST', '/api/auth/logout/', { headers: tokenHeader(token) })).status, 204, 'revoked while Redis is down');
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 401);

      await proxy.start();
      await waitFor('the server to reconnect', () => s.app.redis!.connected && s.app.redis!.changes.connected, 10_000);
      // Redis still holds the entry written before the outage: it must not be served.
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 401, 'still refused');
      const other = (await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') })).json as { token: string };
      assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(other.token) })).status, 200, 'caching resumes');
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  test('Redis unreachable at start: the server starts degraded, logs it without the password, and connects later', async () => {
    const proxy = new FlakyProxy(upstream());
    await proxy.start();
    const port = proxy.port;
    await proxy.stop();
    const withPassword = `redis://gate:hunter2-secret@127.0.0.1:${port}`;
    const s = await startServer({ settings: { redis: { url: withPassword, keyPrefix: redis!.newPrefix(), timeout: '200ms' } } });
    const later = await startServer({ settings: { redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: redis!.newPrefix(), timeout: '200ms' } } });
    try {
      assert.equal(s.app.redis!.connected, false);
      assert.equal((await s.send('GET', '/healthz')).status, 200);
      assert.equal(count(s, 'redis unreachable'), 1);
      assert.ok(s.logs.text.includes(redactRedisUrl(withPassword)));
      assert.ok(!s.logs.text.includes('hunter2'), 'the password is never logged');

      assert.equal(later.app.redis!.connected, false);
      await proxy.start(); // the same port: Redis "comes up"
      await waitFor('the server to connect', () => later.app.redis!.connected && later.app.redis!.changes.connected, 10_000);
      assert.equal(count(later, 'redis connected'), 1);
      assert.ok(!s.logs.text.includes('hunter2'), 'not in failed authentications either');
    } finally {
      await Promise.all([s.close(), later.close()]);
      await proxy.stop();
    }
  });
});

const postgres = redis ? await postgresTestDb('redis + postgres over HTTP') : null;
if (postgres) after(() => postgres.cleanup());

(redis && postgres ? describe : describe.skip)('two Gatehouse instances on one PostgreSQL + Redis, over HTTP', () => {
  /**
   * A and B as two servers. The database's own change signal is silenced (as a store
   * that cannot signal across instances would be), so only Redis can tell B: each check
   * below fails if the channel does not work.
   */
  async function pair(tokenCache: boolean) {
    const schema = postgres!.newSchema();
    const deaf = (s: PostgresStores): Stores => ({ users: s.users, tokens: s.tokens, jwt: s.jwt, keys: s.keys, mfaTickets: s.mfaTickets, trustedDevices: s.trustedDevices, changes: { generation: () => 0 }, close: () => s.close() });
    const settings = parseSettings(
      mergeSettings({
        secretKey: SECRET,
        database: postgres!.url,
        logLevel: 'warn',
        redis: { url: redis!.url, keyPrefix: redis!.newPrefix(), tokenCache },
        jwt: { checkRevokeToken: true, rotateRefreshTokens: true },
      }),
    );
    const clock = new FakeClock(Date.now());
    const make = async (): Promise<[Gatehouse, RunningServer]> => {
      const app = await createGatehouse(settings, { clock, stores: deaf(await postgres!.open({ schema })), logger: createLogger('warn', new LogCapture()) });
      return [app, await listen(app, '127.0.0.1', 0)];
    };
    const [a, ra] = await make();
    const [b, rb] = await make();
    return { a, b, ra, rb, close: () => Promise.all([ra.stop(100), rb.stop(100)]) };
  }

  for (const tokenCache of [false, true]) {
    test(`a token revoked on A is refused by B with its caches warm (opaque and JWT; token cache ${tokenCache ? 'on' : 'off'})`, async (t: TestContext) => {
      const { a, b, ra, rb, close } = await pair(tokenCache);
      const latencies: number[] = [];
      /** Do `op` on A, wait until B has heard of it, return. */
      const onA = async (op: () => Promise<unknown>) => {
        const before = b.redis!.changes.received;
        const start = performance.now();
        await op();
        await waitFor('B to hear of it', () => b.redis!.changes.received > before);
        latencies.push(performance.now() - start);
      };
      const me = (token: string, scheme = 'Token') => send(rb.url, 'GET', '/api/me/', { headers: { Authorization: `${scheme} ${token}` } });
      const knox = async (url: string) => ((await send(url, 'POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') })).json as { token: string }).token;
      const pairOn = async (url: string) => (await send(url, 'POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } })).json as { access: string; refresh: string };
      try {
        await a.users.create({ username: 'alice', password: 'alice-password-1' });

        // Opaque: logout.
        const t1 = await knox(ra.url);
        assert.equal((await me(t1)).status, 200);
        assert.equal((await me(t1)).status, 200, 'B caches it');
        await onA(() => send(ra.url, 'POST', '/api/auth/logout/', { headers: tokenHeader(t1) }));
        assert.equal((await me(t1)).status, 401, 'logout on A: refused by B');

        // Opaque + JWT: logout-all (with checkRevokeToken, access tokens too).
        const [t2, t3] = [await knox(ra.url), await knox(rb.url)];
        const jwt1 = await pairOn(ra.url);
        for (const [tok, scheme] of [[t2, 'Token'], [t3, 'Token'], [jwt1.access, 'Bearer']] as const) assert.equal((await me(tok, scheme)).status, 200);
        await onA(() => send(ra.url, 'POST', '/api/auth/logoutall/', { headers: tokenHeader(t2) }));
        assert.equal((await me(t2)).status, 401, 'logout-all on A: refused by B');
        assert.equal((await me(t3)).status, 401, 'the token made on B too');
        assert.equal((await me(jwt1.access, 'Bearer')).status, 401, 'and the access token (family revocation + epoch)');
        assert.equal((await send(rb.url, 'POST', '/api/token/refresh/', { body: { refresh: jwt1.refresh } })).status, 401, 'and the refresh token');

        // Opaque + JWT: password change.
        const t4 = await knox(ra.url);
        const jwt2 = await pairOn(rb.url);
        assert.equal((await me(t4)).status, 200);
        assert.equal((await me(jwt2.access, 'Bearer')).status, 200);
        const alice = (await a.users.getByUsername('alice'))!;
        await onA(() => a.users.setPassword(alice, 'alice-password-2'));
        assert.equal((await me(t4)).status, 401, 'password change on A: the token is refused by B');
        assert.equal((await me(jwt2.access, 'Bearer')).status, 401, 'and the access token');
        await a.users.setPassword((await a.users.getByUsername('alice'))!, 'alice-password-1');

        // JWT: blacklist (the family is revoked) on A; B refuses the refresh token.
        const jwt3 = await pairOn(ra.url);
        assert.equal((await send(rb.url, 'POST', '/api/token/verify/', { body: { token: jwt3.refresh } })).status, 200);
        await onA(() => send(ra.url, 'POST', '/api/token/blacklist/', { body: { refresh: jwt3.refresh } }));
        assert.equal((await send(rb.url, 'POST', '/api/token/refresh/', { body: { refresh: jwt3.refresh } })).status, 401, 'blacklisted on A: refused by B');

        // Deactivation.
        const t5 = await knox(ra.url);
        assert.equal((await me(t5)).status, 200);
        await onA(() => a.users.update(alice.id, { isActive: false }));
        assert.equal((await me(t5)).status, 401, 'deactivated on A: refused by B');
        t.diagnostic(`revocation on A → B heard it (HTTP call on A + message): ${summary(latencies)}`);
      } finally {
        await close();
      }
    });
  }
});
