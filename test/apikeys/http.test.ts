/**
 * API keys over HTTP on a real server (SQLite): both headers, malformed keys and bad
 * checksums, expiry, revocation, owner-less keys, scopes through `HasScope`, the per-key
 * throttle, management permissions, and no key in the logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import type { HandlerContext } from '../../src/http/route.js';
import { HasScope } from '../../src/permissions/claims.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { checksum } from '../../src/apikeys/format.js';

let s: TestServer;
let aliceToken: string;
let bobToken: string;
let staffToken: string;
const issued: string[] = [];

const apiKey = (key: string) => ({ Authorization: `Api-Key ${key}` });
const hello = (ctx: HandlerContext) => ({ body: { user: ctx.principal!.user.username, id: ctx.principal!.user.id } });

async function tokenFor(username: string): Promise<string> {
  const user = await s.app.stores.users.getByUsername(username);
  return (await s.app.tokens.issue(user!)).key;
}

/** Create a key through the management API as `token`; the answer's body. */
async function create(token: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(token), body });
  assert.equal(r.status, 201, r.text);
  const json = r.json as Record<string, unknown>;
  issued.push(json.key as string);
  return json;
}

before(async () => {
  s = await startServer({ settings: { apiKeys: { enabled: true } } });
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1');
  await s.createUser('root', 'root-password-1', { isStaff: true });
  aliceToken = await tokenFor('alice');
  bobToken = await tokenFor('bob');
  staffToken = await tokenFor('root');
  const authenticators = [s.app.authenticators.apiKey!];
  s.app.engine.add({ path: '/api/hello-apikey/', authenticators, permissions: [IsAuthenticated], methods: { GET: hello, POST: hello } });
  s.app.engine.add({ path: '/api/reports/', authenticators, permissions: [HasScope('reports:read')], methods: { GET: hello } });
});
after(() => s.close());

describe('authentication', () => {
  test('a created key works in Authorization and X-Api-Key, as its owner', async () => {
    const { key, prefix } = await create(aliceToken, { name: 'ci' });
    assert.match(key as string, /^gk_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
    assert.equal((key as string).startsWith(prefix as string), true);
    for (const headers of [apiKey(key as string), { 'X-Api-Key': key as string }]) {
      const r = await s.send('GET', '/api/hello-apikey/', { headers });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { user: 'alice', id: 1 });
    }
  });

  test('malformed, bad checksum, unknown and quirky headers are refused with one message', async () => {
    const { key } = (await create(aliceToken, { name: 'quirks' })) as { key: string };
    const body = key.slice(0, -6);
    const flipped = body.slice(0, -1) + (body.endsWith('a') ? 'b' : 'a');
    const badSecret = flipped + checksum(flipped); // valid checksum, wrong secret
    const cases: Array<Record<string, string>> = [
      apiKey('nope'),
      apiKey(`${body}AAAAAA`),
      apiKey(badSecret),
      apiKey(`${key} extra`),
      { Authorization: `Api-Key  ${key}` },
      { 'X-Api-Key': `Api-Key ${key}` },
      apiKey(key + 'x'.repeat(10_000)),
    ];
    for (const headers of cases) {
      const r = await s.send('GET', '/api/hello-apikey/', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers).slice(0, 80));
      assert.deepEqual(r.json, { detail: 'Invalid API key.' });
      assert.equal(r.headers['www-authenticate'], 'Api-Key');
    }
    // drf-api-key's substring split is not copied: another scheme is not ours (anonymous → 401 not provided).
    const foo = await s.send('GET', '/api/hello-apikey/', { headers: { Authorization: `Foo Api-Key ${key}` } });
    assert.equal(foo.status, 401);
    assert.deepEqual(foo.json, { detail: 'Authentication credentials were not provided.' });
    const lower = await s.send('GET', '/api/hello-apikey/', { headers: { Authorization: `api-key ${key}` } });
    assert.deepEqual(lower.json, { detail: 'Authentication credentials were not provided.' });
  });

  test('#189 a cached key: look-alikes are still parsed and refused, and every use is checked', async () => {
    const { key, id } = (await create(aliceToken, { name: 'cached' })) as { key: string; id: number };
    for (let i = 0; i < 3; i++) assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) })).status, 200);
    const body = key.slice(0, -6);
    const flipped = body.slice(0, -1) + (body.endsWith('a') ? 'b' : 'a');
    for (const lookAlike of [key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'), `${key}x`, `x${key}`, flipped + checksum(flipped), key.toLowerCase()]) {
      const r = await s.send('GET', '/api/hello-apikey/', { headers: apiKey(lookAlike) });
      assert.equal(r.status, 401, lookAlike);
    }
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(aliceToken) })).status, 204);
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) })).status, 401);
  });

  test('expired and revoked keys are refused; an inactive owner too', async () => {
    const { key: expiring } = (await create(aliceToken, { name: 'short', expires: '1h' })) as { key: string };
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(expiring) })).status, 200);
    s.clock.advance(3_600_000);
    const r = await s.send('GET', '/api/hello-apikey/', { headers: apiKey(expiring) });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { detail: 'Invalid API key.' });

    const { key, id } = (await create(aliceToken, { name: 'to-revoke' })) as { key: string; id: number };
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) })).status, 200);
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(aliceToken) })).status, 204);
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) })).status, 401);
    const listed = await s.send('GET', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(aliceToken) });
    assert.equal(typeof (listed.json as { revoked: unknown }).revoked, 'string');

    await s.createUser('carol', 'carol-password-1');
    const { key: carols } = (await create(await tokenFor('carol'), { name: 'c' })) as { key: string };
    const carol = await s.app.stores.users.getByUsername('carol');
    await s.app.stores.users.update(carol!.id, { isActive: false });
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(carols) })).status, 401);
  });

  test('a password change does not revoke keys (apiKeys.revokeOnPasswordChange false)', async () => {
    const { key } = (await create(bobToken, { name: 'survives' })) as { key: string };
    const bob = await s.app.stores.users.getByUsername('bob');
    await s.app.users.setPassword(bob!, 'bob-password-2');
    assert.equal((await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) })).status, 200);
    bobToken = await tokenFor('bob');
  });

  test('HasScope checks the key\'s scopes', async () => {
    const { key: reader } = (await create(aliceToken, { name: 'r', scopes: ['reports:read'] })) as { key: string };
    const { key: other } = (await create(aliceToken, { name: 'o', scopes: ['reports:write'] })) as { key: string };
    assert.equal((await s.send('GET', '/api/reports/', { headers: apiKey(reader) })).status, 200);
    const r = await s.send('GET', '/api/reports/', { headers: apiKey(other) });
    assert.equal(r.status, 403);
  });

  test('an owner-less key (staff-made) is a service principal, never staff', async () => {
    const { key, user } = (await create(staffToken, { name: 'billing', user: null })) as { key: string; user: unknown };
    assert.equal(user, null);
    const r = await s.send('GET', '/api/hello-apikey/', { headers: apiKey(key) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { user: 'apikey:billing', id: 0 });
    // It cannot manage keys, even its own kind.
    assert.equal((await s.send('GET', '/api/auth/apikeys/', { headers: apiKey(key) })).status, 403);
  });

  test('per-key rate: the key\'s own bucket answers 429, other keys are not counted', async () => {
    const { key } = (await create(aliceToken, { name: 'limited', rate: '2/min' })) as { key: string };
    const guard = s.app.guard({ permissions: [IsAuthenticated] });
    const view = (k: string) => ({ method: 'GET', path: '/x', headers: { authorization: `Api-Key ${k}` }, cookies: {}, remoteAddress: '127.0.0.1' });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await guard(view(key)));
    assert.deepEqual(outcomes.map((o) => o.ok), [true, true, false]);
    const refused = outcomes[2] as { ok: false; response: { status: number; headers: Record<string, string> } };
    assert.equal(refused.response.status, 429);
    const { key: unlimited } = (await create(aliceToken, { name: 'free' })) as { key: string };
    for (let i = 0; i < 3; i++) assert.equal((await guard(view(unlimited))).ok, true);
  });
});

describe('management', () => {
  test('the owner lists their keys without secrets; others see 404', async () => {
    const { id } = (await create(bobToken, { name: 'bobs', scopes: ['a', 'b'], rate: '10/min' })) as { id: number };
    const list = await s.send('GET', '/api/auth/apikeys/', { headers: tokenHeader(bobToken) });
    assert.equal(list.status, 200);
    assert.equal(list.headers['cache-control'], 'no-store');
    const rows = list.json as Array<Record<string, unknown>>;
    assert.ok(rows.every((r) => r.user !== 1 && !('key' in r) && !('digest' in r)));
    assert.ok(rows.some((r) => r.id === id && r.rate === '10/min'));
    for (const k of issued) assert.equal(list.text.includes(k), false);
    assert.equal((await s.send('GET', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(aliceToken) })).status, 404);
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(aliceToken) })).status, 404);
    assert.equal((await s.send('GET', '/api/auth/apikeys/abc/', { headers: tokenHeader(aliceToken) })).status, 404);
  });

  test('staff see every key and may revoke any; non-staff cannot create for others', async () => {
    const all = await s.send('GET', '/api/auth/apikeys/', { headers: tokenHeader(staffToken) });
    const users = new Set((all.json as Array<{ user: number | null }>).map((r) => r.user));
    assert.ok(users.has(1) && users.has(2) && users.has(null));
    const forbidden = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(aliceToken), body: { name: 'x', user: 2 } });
    assert.equal(forbidden.status, 403);
    const nobody = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(staffToken), body: { name: 'x', user: 999 } });
    assert.equal(nobody.status, 400);
    assert.deepEqual(nobody.json, { user: ['Invalid pk "999" - object does not exist.'] });
    const { id } = (await create(aliceToken, { name: 'staff-revokes' })) as { id: number };
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(staffToken) })).status, 204);
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${id}/`, { headers: tokenHeader(staffToken) })).status, 204);
  });

  test('bad attributes get field errors; nothing is created', async () => {
    const before = ((await s.send('GET', '/api/auth/apikeys/', { headers: tokenHeader(staffToken) })).json as unknown[]).length;
    for (const body of [{}, { name: '' }, { name: 'x', scopes: 'a' }, { name: 'x', scopes: ['has space'] }, { name: 'x', expires: 'soon' }, { name: 'x', expires: 1e300 }, { name: 'x', expires: 0 }, { name: 'x', user: 1.5 }, { name: 'x', rate: '5/10m' }, { name: 'x'.repeat(101) }]) {
      const r = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(aliceToken), body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const afterCount = ((await s.send('GET', '/api/auth/apikeys/', { headers: tokenHeader(staffToken) })).json as unknown[]).length;
    assert.equal(afterCount, before);
  });

  test('an API key manages keys only with apikeys:manage, and grants no scope it lacks', async () => {
    const { key: plain } = (await create(aliceToken, { name: 'plain', scopes: ['reports:read'] })) as { key: string };
    assert.equal((await s.send('POST', '/api/auth/apikeys/', { headers: apiKey(plain), body: { name: 'child' } })).status, 403);
    const { key: manager } = (await create(aliceToken, { name: 'mgr', scopes: ['apikeys:manage', 'reports:read'] })) as { key: string };
    const ok = await s.send('POST', '/api/auth/apikeys/', { headers: apiKey(manager), body: { name: 'child', scopes: ['reports:read'] } });
    assert.equal(ok.status, 201);
    issued.push((ok.json as { key: string }).key);
    const escalate = await s.send('POST', '/api/auth/apikeys/', { headers: apiKey(manager), body: { name: 'child2', scopes: ['admin'] } });
    assert.equal(escalate.status, 403);
  });

  test('anonymous callers are refused', async () => {
    assert.equal((await s.send('GET', '/api/auth/apikeys/')).status, 401);
  });
});

describe('secrets', () => {
  test('no issued key appears in the logs', () => {
    assert.ok(issued.length > 5);
    for (const k of issued) assert.equal(s.logs.text.includes(k), false);
  });
});
