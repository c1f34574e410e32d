/**
 * `PATCH /api/auth/apikeys/:id/` on a real server (SQLite): who may change what (#187),
 * a change honoured on the very next request although the key was cached (#186), the
 * validation and a revoked key (#188), imported drf-api-key keys given scopes and a rate,
 * and the `apikey_updated` event (#185).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import type { HandlerContext } from '../../src/http/route.js';
import { HasScope } from '../../src/permissions/claims.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { djangoHash } from '../cli/django-fixture.js';

let s: TestServer;
let alice: { id: number; token: string };
let staff: { id: number; token: string };
let bob: { id: number; token: string };

const hello = (ctx: HandlerContext) => ({ body: { user: ctx.principal!.user.username } });

async function userToken(username: string): Promise<{ id: number; token: string }> {
  const user = (await s.app.stores.users.getByUsername(username))!;
  return { id: user.id, token: (await s.app.tokens.issue(user)).key };
}

async function create(token: string, body: Record<string, unknown>): Promise<{ id: number; key: string }> {
  const r = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(token), body });
  assert.equal(r.status, 201, r.text);
  return r.json as { id: number; key: string };
}

const patch = (token: string | Record<string, string>, id: number, body: unknown) =>
  s.send('PATCH', `/api/auth/apikeys/${id}/`, { headers: typeof token === 'string' ? tokenHeader(token) : token, body });

const reports = (key: string) => s.send('GET', '/api/reports/', { headers: { 'X-Api-Key': key } });

before(async () => {
  s = await startServer({ settings: { apiKeys: { enabled: true } } });
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1');
  await s.createUser('root', 'root-password-1', { isStaff: true });
  alice = await userToken('alice');
  bob = await userToken('bob');
  staff = await userToken('root');
  const authenticators = [s.app.authenticators.apiKey!];
  s.app.engine.add({ path: '/api/reports/', authenticators, permissions: [HasScope('reports:read')], methods: { GET: hello } });
  s.app.engine.add({ path: '/api/hello-apikey/', authenticators, permissions: [IsAuthenticated], methods: { GET: hello } });
});
after(() => s.close());

test('#186 #187 the owner renames and narrows scopes; the cached key loses the scope on the next request', async () => {
  const { id, key } = await create(alice.token, { name: 'ci', scopes: ['reports:read', 'reports:write'] });
  assert.equal((await reports(key)).status, 200);
  assert.equal((await reports(key)).status, 200, 'served from the verified-key cache');
  const r = await patch(alice.token, id, { name: 'ci-renamed', scopes: ['reports:write'] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual({ ...(r.json as object), created: null }, {
    id, name: 'ci-renamed', prefix: key.slice(0, 11), user: alice.id, scopes: ['reports:write'], rate: null,
    created: null, expires: null, last_used: (r.json as { last_used: string }).last_used, revoked: null,
  });
  assert.equal('key' in (r.json as object), false);
  assert.equal((await reports(key)).status, 403, 'the old scopes are not served from the cache');
  const event = s.logs.lines.map((l) => JSON.parse(l) as { msg: string; event?: Record<string, unknown> }).find((l) => l.msg === 'apikey_updated');
  assert.deepEqual(event?.event, { event: 'apikey_updated', keyId: id, lookupId: key.slice(3, 11), name: 'ci-renamed', userId: alice.id, via: 'http', actorId: alice.id, changed: ['name', 'scopes'] });
  assert.equal(s.logs.text.includes(key), false);
});

test('#187 the owner may not widen scopes or change rate or expiry; another user sees 404; nothing changes', async () => {
  const { id } = await create(alice.token, { name: 'fixed', scopes: ['a'] });
  for (const body of [{ scopes: ['a', 'b'] }, { rate: '100/min' }, { expires: '1d' }, { name: 'ok', rate: '1/s' }]) {
    const r = await patch(alice.token, id, body);
    assert.equal(r.status, 403, JSON.stringify(body));
  }
  assert.equal((await patch(bob.token, id, { name: 'mine' })).status, 404);
  assert.equal((await patch(alice.token, id, { rate: null, expires: null, scopes: ['a'] })).status, 200, 'unchanged values are not changes');
  const now = await s.send('GET', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(alice.token) });
  assert.deepEqual([(now.json as { name: string }).name, (now.json as { scopes: string[] }).scopes], ['fixed', ['a']]);
});

test('#186 #187 staff change a rate and an expiry; both apply on the next request', async () => {
  const { id, key } = await create(alice.token, { name: 'svc' });
  assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: { 'X-Api-Key': key } })).status, 200);
  const limited = await patch(staff.token, id, { rate: '2/min', scopes: ['reports:read'] });
  assert.equal(limited.status, 200, limited.text);
  const guard = s.app.guard({ permissions: [HasScope('reports:read')] });
  const view = { method: 'GET', path: '/x', headers: { 'x-api-key': key }, cookies: {}, remoteAddress: '127.0.0.1' };
  const outcomes = [];
  for (let i = 0; i < 3; i++) outcomes.push((await guard(view)).ok);
  assert.deepEqual(outcomes, [true, true, false]);
  assert.equal((await patch(staff.token, id, { rate: null })).status, 200);
  assert.equal((await guard(view)).ok, true, 'the rate removed: not throttled');
  assert.equal((await patch(staff.token, id, { expires: '1h' })).status, 200);
  s.clock.advance(3_600_000);
  assert.equal((await reports(key)).status, 401);
  assert.equal((await patch(staff.token, id, { expires: null })).status, 200);
  assert.equal((await reports(key)).status, 200, 'no expiry any more');
});

test('#187 a key-authenticated manager cannot give a key a scope its own key lacks, even staff', async () => {
  const { key: manager } = await create(staff.token, { name: 'mgr', scopes: ['apikeys:manage', 'reports:read'] });
  const { id } = await create(alice.token, { name: 'target', scopes: [] });
  const asKey = { 'X-Api-Key': manager };
  assert.equal((await patch(asKey, id, { scopes: ['admin'] })).status, 403);
  assert.equal((await patch(asKey, id, { scopes: ['reports:read'] })).status, 200);
});

test('#188 bad attributes are field errors, a revoked key cannot be changed; nothing is written', async () => {
  const { id } = await create(alice.token, { name: 'v', scopes: ['a'] });
  const bad: Array<[unknown, string]> = [
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 'tab\there' }, 'name'],
    [{ name: 5 }, 'name'],
    [{ scopes: 'a' }, 'scopes'],
    [{ scopes: ['has space'] }, 'scopes'],
    [{ scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }, 'scopes'],
    [{ rate: '5/10m' }, 'rate'],
    [{ rate: 'fast' }, 'rate'],
    [{ rate: 5 }, 'rate'],
    [{ expires: 'soon' }, 'expires'],
    [{ expires: 0 }, 'expires'],
  ];
  for (const [body, field] of bad) {
    const r = await patch(staff.token, id, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.deepEqual(Object.keys(r.json as object), [field], JSON.stringify(body));
  }
  const malformed = await s.send('PATCH', `/api/auth/apikeys/${id}/`, { headers: { ...tokenHeader(staff.token), 'Content-Type': 'application/json' }, body: '{"name":' });
  assert.equal(malformed.status, 400, 'malformed JSON');
  assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(alice.token) })).status, 204);
  const revoked = await patch(staff.token, id, { name: 'back' });
  assert.equal(revoked.status, 400);
  assert.deepEqual(revoked.json, { non_field_errors: ['This API key is revoked; it cannot be changed.'] });
  const now = (await s.send('GET', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(staff.token) })).json as { name: string; scopes: string[] };
  assert.deepEqual([now.name, now.scopes], ['v', ['a']]);
  assert.equal((await patch(staff.token, 999999, { name: 'x' })).status, 404);
});

test('an imported djangorestframework-api-key key gets scopes and a rate', async () => {
  const drfKey = 'Xp3sQ9aL.6bH2kW0yVt7Rr1mNc4Zd8Ju5Ge3Fq9Po';
  const record = await s.app.stores.apiKeys!.create({
    lookupId: 'Xp3sQ9aL', digest: djangoHash(drfKey), name: 'imported', userId: null, scopes: [], createdAt: s.clock.now(), expiresAt: null, rate: null,
  });
  assert.equal((await reports(drfKey)).status, 403);
  const r = await patch(staff.token, record.id, { scopes: ['reports:read'], rate: '1/min' });
  assert.equal(r.status, 200, r.text);
  assert.equal((r.json as { prefix: string }).prefix, 'Xp3sQ9aL');
  assert.equal((await reports(drfKey)).status, 200);
  const guard = s.app.guard({ permissions: [IsAuthenticated] });
  const view = { method: 'GET', path: '/x', headers: { 'x-api-key': drfKey }, cookies: {}, remoteAddress: '127.0.0.1' };
  assert.deepEqual([(await guard(view)).ok, (await guard(view)).ok], [true, false], 'its new rate counts');
});
