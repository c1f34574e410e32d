/**
 * knox-style endpoints (drf-wire.md §4.6, docs/security.md group G): login by Basic or body,
 * logout, logoutall, TTL, auto-refresh, token limit, token list and revocation.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { basicHeader, startServer, tokenHeader, type TestServer } from '../helpers.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({ settings });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('carol', 'carol-password-1');
  await s.createUser('bob', 'bob-password-1', { isActive: false });
  return s;
}

const login = (s: TestServer, headers: Record<string, string> = {}, body?: unknown) =>
  s.send('POST', '/api/auth/login/', { headers, ...(body === undefined ? {} : { body }) });
const keyOf = (r: { json: unknown }) => (r.json as { token: string }).token;
const me = (s: TestServer, key: string) => s.send('GET', '/api/me/', { headers: tokenHeader(key) });

describe('login', () => {
  test('Basic credentials → {"expiry": null, "token": 64 hex}, no-store, last_login set', async () => {
    const s = await server();
    const res = await login(s, basicHeader('alice', 'alice-password-1'));
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object), ['expiry', 'token']);
    assert.equal((res.json as { expiry: unknown }).expiry, null);
    assert.match(keyOf(res), /^[0-9a-f]{64}$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.notEqual((await s.app.users.getByUsername('alice'))!.lastLogin, null);
    assert.equal((await me(s, keyOf(res))).status, 200);
  });

  test('username/password in the body work too; each login is a new token (one per device)', async () => {
    const s = await server();
    const a = await login(s, {}, { username: 'alice', password: 'alice-password-1' });
    const b = await login(s, {}, { username: 'alice', password: 'alice-password-1' });
    assert.equal(a.status, 200);
    assert.notEqual(keyOf(a), keyOf(b));
    assert.equal((await me(s, keyOf(a))).status, 200);
    assert.equal((await me(s, keyOf(b))).status, 200);
  });

  test('failures: bad Basic → 403 Invalid username/password.; bad body → 400; inactive → same as wrong password', async () => {
    const s = await server();
    const basic = await login(s, basicHeader('alice', 'wrong'));
    assert.equal(basic.status, 403);
    assert.deepEqual(basic.json, { detail: 'Invalid username/password.' });
    const inactiveBasic = await login(s, basicHeader('bob', 'bob-password-1'));
    assert.deepEqual(inactiveBasic.json, basic.json);
    const body = await login(s, {}, { username: 'alice', password: 'wrong' });
    assert.equal(body.status, 400);
    assert.deepEqual(body.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
    const inactive = await login(s, {}, { username: 'bob', password: 'bob-password-1' });
    assert.deepEqual([inactive.status, inactive.json], [body.status, body.json]);
    const missing = await login(s, {}, { username: 'alice' });
    assert.deepEqual(missing.json, { password: ['This field is required.'] });
    assert.equal((await s.app.stores.tokens.listForUser(1)).length, 0);
  });

  test('TTL: expiry in the body as ISO 8601 Z; an expired token is refused and its row removed', async () => {
    const s = await server({ tokens: { ttl: '10h' } });
    const before = s.clock.now();
    const res = await login(s, basicHeader('alice', 'alice-password-1'));
    const expiry = (res.json as { expiry: string }).expiry;
    assert.match(expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(Date.parse(expiry), before + 10 * 3600_000);
    const key = keyOf(res);
    assert.equal((await me(s, key)).status, 200);
    s.clock.advance(10 * 3600_000);
    const expired = await me(s, key);
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.json, { detail: 'Invalid token.' });
    assert.equal((await s.app.stores.tokens.listForUser(1)).length, 0, 'expired row deleted');
  });

  test('token limit: further logins 403 {"error": …}; expired tokens do not count; /api-token-auth/ evicts the oldest', async () => {
    const s = await server({ tokens: { tokenLimitPerUser: 2, ttl: 60 } });
    const first = await login(s, basicHeader('alice', 'alice-password-1'));
    await login(s, basicHeader('alice', 'alice-password-1'));
    const third = await login(s, basicHeader('alice', 'alice-password-1'));
    assert.equal(third.status, 403);
    assert.deepEqual(third.json, { error: 'Maximum amount of tokens allowed per user exceeded.' });
    // Another user is not affected.
    assert.equal((await login(s, basicHeader('carol', 'carol-password-1'))).status, 200);
    // DRF endpoint: evicts the oldest instead of refusing.
    const drf = await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(drf.status, 200);
    assert.equal((await me(s, keyOf(first))).status, 401, 'oldest evicted');
    assert.equal((await me(s, keyOf(drf))).status, 200);
    // Once they expire, they no longer count.
    s.clock.advance(61_000);
    assert.equal((await login(s, basicHeader('alice', 'alice-password-1'))).status, 200);
  });

  test('concurrent logins cannot exceed the limit', async () => {
    const s = await server({ tokens: { tokenLimitPerUser: 3 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => login(s, {}, { username: 'alice', password: 'alice-password-1' })));
    assert.equal(results.filter((r) => r.status === 200).length, 3);
    assert.equal(results.filter((r) => r.status === 403).length, 5);
  });
});

describe('logout and logoutall', () => {
  test('logout: 204, no body, revokes only the token used', async () => {
    const s = await server();
    const a = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const b = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const res = await s.send('POST', '/api/auth/logout/', { headers: tokenHeader(a) });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['content-type'], undefined);
    const again = await me(s, a);
    assert.equal(again.status, 401);
    assert.deepEqual(again.json, { detail: 'Invalid token.' });
    assert.equal((await me(s, b)).status, 200);
  });

  test("logoutall: 204, revokes all the user's tokens and nobody else's", async () => {
    const s = await server();
    const a1 = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const a2 = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const c = keyOf(await login(s, basicHeader('carol', 'carol-password-1')));
    const res = await s.send('POST', '/api/auth/logoutall/', { headers: tokenHeader(a1) });
    assert.equal(res.status, 204);
    assert.equal((await me(s, a1)).status, 401);
    assert.equal((await me(s, a2)).status, 401);
    assert.equal((await me(s, c)).status, 200);
  });

  test('logout with an invalid token → 401 Invalid token.; GET → 405 after auth', async () => {
    const s = await server();
    const res = await s.send('POST', '/api/auth/logout/', { headers: tokenHeader('0'.repeat(64)) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { detail: 'Invalid token.' });
    const key = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const get = await s.send('GET', '/api/auth/logout/', { headers: tokenHeader(key) });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST, OPTIONS');
  });
});

describe('auto-refresh', () => {
  test('extends expiry on use, at most once per minRefreshInterval, never past maxLifetime', async () => {
    const s = await server({ tokens: { ttl: '1h', autoRefresh: true, minRefreshInterval: 60, maxLifetime: '3h' } });
    const t0 = s.clock.now();
    const key = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const expiry = async () => (await s.app.stores.tokens.listForUser(1))[0]!.expiresAt;
    assert.equal(await expiry(), t0 + 3600_000);

    s.clock.advance(30_000); // under the interval: no write
    assert.equal((await me(s, key)).status, 200);
    assert.equal(await expiry(), t0 + 3600_000);

    s.clock.advance(40_000); // 70 s after creation: pushed to now + 1h
    assert.equal((await me(s, key)).status, 200);
    assert.equal(await expiry(), t0 + 70_000 + 3600_000);

    // Keep using it every 50 minutes: it lives, but not past created + 3h.
    for (let i = 0; i < 3; i++) {
      s.clock.advance(50 * 60_000);
      assert.equal((await me(s, key)).status, 200);
    }
    assert.equal(await expiry(), t0 + 3 * 3600_000);
    s.clock.set(t0 + 3 * 3600_000);
    assert.equal((await me(s, key)).status, 401);
  });

  test('without autoRefresh the expiry does not move', async () => {
    const s = await server({ tokens: { ttl: '1h' } });
    const t0 = s.clock.now();
    const key = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    s.clock.advance(30 * 60_000);
    assert.equal((await me(s, key)).status, 200);
    assert.equal((await s.app.stores.tokens.listForUser(1))[0]!.expiresAt, t0 + 3600_000);
  });
});

describe('GET /api/auth/tokens/ and DELETE /api/auth/tokens/<id>/', () => {
  test('lists the caller’s tokens with metadata, never the secret', async () => {
    const s = await server({ tokens: { ttl: '1d' } });
    const a = keyOf(await login(s, { ...basicHeader('alice', 'alice-password-1'), 'User-Agent': 'phone/1.0' }));
    const b = keyOf(await login(s, { ...basicHeader('alice', 'alice-password-1'), 'User-Agent': 'laptop/2.0' }));
    await login(s, basicHeader('carol', 'carol-password-1'));
    const res = await s.send('GET', '/api/auth/tokens/', { headers: tokenHeader(b) });
    assert.equal(res.status, 200);
    const list = res.json as Array<Record<string, unknown>>;
    assert.equal(list.length, 2);
    assert.deepEqual(Object.keys(list[0]!), ['id', 'prefix', 'created', 'last_used', 'expiry', 'client', 'current']);
    assert.deepEqual(list.map((t) => t.client), ['phone/1.0', 'laptop/2.0']);
    assert.deepEqual(list.map((t) => t.current), [false, true]);
    assert.equal(list[1]!.prefix, b.slice(0, 8));
    assert.equal(res.text.includes(a), false);
    assert.equal(res.text.includes(b), false);
  });

  test("revokes one of the caller's tokens; another user's id is 404", async () => {
    const s = await server();
    const a = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const b = keyOf(await login(s, basicHeader('alice', 'alice-password-1')));
    const c = keyOf(await login(s, basicHeader('carol', 'carol-password-1')));
    const ids = ((await s.send('GET', '/api/auth/tokens/', { headers: tokenHeader(a) })).json as Array<{ id: number }>).map((t) => t.id);
    const carolId = ((await s.send('GET', '/api/auth/tokens/', { headers: tokenHeader(c) })).json as Array<{ id: number }>)[0]!.id;

    const foreign = await s.send('DELETE', `/api/auth/tokens/${carolId}/`, { headers: tokenHeader(a) });
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.json, { detail: 'Not found.' });
    assert.equal((await me(s, c)).status, 200);

    const del = await s.send('DELETE', `/api/auth/tokens/${ids[1]}/`, { headers: tokenHeader(a) });
    assert.equal(del.status, 204);
    assert.equal((await me(s, b)).status, 401);
    assert.equal((await me(s, a)).status, 200);
    const missing = await s.send('DELETE', `/api/auth/tokens/${ids[1]}/`, { headers: tokenHeader(a) });
    assert.equal(missing.status, 404);
    const notNumeric = await s.send('DELETE', '/api/auth/tokens/abc/', { headers: tokenHeader(a) });
    assert.equal(notNumeric.status, 404);
  });
});

describe('tokens imported from django-rest-knox (SHA-512 digest, as `gatehouse import-django` stores them)', () => {
  test('authenticate by their knox digest; a key sharing the prefix does not; logout revokes them', async () => {
    const s = await server();
    const alice = (await s.app.users.getByUsername('alice'))!;
    const knoxKey = randomBytes(32).toString('hex');
    await s.app.stores.tokens.create({
      userId: alice.id,
      prefix: knoxKey.slice(0, 8),
      digest: createHash('sha512').update(knoxKey).digest('hex'),
      createdAt: Date.now(),
      expiresAt: null,
      lastUsedAt: null,
      label: 'imported from knox',
    });
    assert.equal((await me(s, knoxKey)).status, 200);
    const samePrefix = knoxKey.slice(0, 8) + randomBytes(28).toString('hex');
    assert.equal((await me(s, samePrefix)).status, 401);
    // The stored digest is not a key.
    assert.equal((await me(s, createHash('sha512').update(knoxKey).digest('hex'))).status, 401);
    assert.equal((await s.send('POST', '/api/auth/logout/', { headers: tokenHeader(knoxKey) })).status, 204);
    assert.equal((await me(s, knoxKey)).status, 401);
  });
});
