/**
 * Throttling and permissions over HTTP on a real server: the oracle's `/api/throttled/`
 * (AnonRateThrottle 3/min + UserRateThrottle 5/min) and `/api/throttled-auth/`
 * (IsAuthenticated first) reproduced request by request from
 * the DRF oracle's recorded default transcript; then the wait counting down,
 * concurrency, a scoped throttle and scope/role permissions with real JWTs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandlerContext } from '../../src/http/route.js';
import { HasRole, HasScope, IsAuthenticated, and, or, withMessage } from '../../src/permissions/index.js';
import { MemoryThrottleStore, createThrottling, type Throttling } from '../../src/throttle/index.js';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';

let s: TestServer;
let t: Throttling;
let aliceKey: string;
let aliceAccess: string;
let staffAccess: string;

const okBody = (ctx: HandlerContext) => ({ body: { ok: true, user: ctx.principal?.user.username ?? null } });
const THROTTLED_60 = '{"detail":"Request was throttled. Expected available in 60 seconds."}';
const NOT_PROVIDED = '{"detail":"Authentication credentials were not provided."}';

before(async () => {
  s = await startServer({
    settings: { throttle: { rates: { anon: '3/min', user: '5/min', burst: '2/min' } } },
    claims: (user) => ({ scope: user.username === 'alice' ? 'read' : 'read write', roles: user.isStaff ? ['ops'] : [] }),
  });
  t = createThrottling(s.settings, { clock: s.clock });
  const { jwt, token } = s.app.authenticators;
  // The oracle's ThrottledView: [JWT, Token], no permissions, [Anon, User] throttles; GET and POST.
  s.app.engine.add({ path: '/api/throttled/', authenticators: [jwt, token], permissions: [], throttles: [t.anon, t.user], methods: { GET: okBody, POST: okBody } });
  // ThrottledAuthView: the same with IsAuthenticated.
  s.app.engine.add({ path: '/api/throttled-auth/', authenticators: [jwt, token], permissions: [IsAuthenticated], throttles: [t.anon, t.user], methods: { GET: okBody, POST: okBody } });
  s.app.engine.add({ path: '/api/burst/', authenticators: [jwt, token], throttles: [t.scoped], throttleScope: 'burst', methods: { GET: okBody } });
  s.app.engine.add({ path: '/api/write/', authenticators: [jwt, token], permissions: [withMessage(HasScope('write'), 'Token lacks scope "write".')], methods: { GET: okBody } });
  s.app.engine.add({ path: '/api/ops/', authenticators: [jwt, token], permissions: [and(IsAuthenticated, or(HasRole('ops'), HasScope('admin')))], methods: { GET: okBody } });
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('olga', 'olga-password-1', { isStaff: true });
  const alice = (await s.app.users.getByUsername('alice'))!;
  aliceKey = (await s.app.tokens.issue(alice)).key;
  aliceAccess = (await s.app.jwt.obtainPair(alice)).access;
  staffAccess = (await s.app.jwt.obtainPair((await s.app.users.getByUsername('olga'))!)).access;
});
after(() => s.close());

function expectResponse(res: Awaited<ReturnType<TestServer['send']>>, status: number, text: string, extra: Record<string, string | undefined> = {}) {
  assert.equal(res.status, status);
  assert.equal(res.text, text);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers.allow, 'GET, POST, HEAD, OPTIONS');
  for (const [h, v] of Object.entries(extra)) assert.equal(res.headers[h], v, h);
}

describe('transcript-default.txt: throttling', () => {
  test('throttled anon #1–#4 (anon 3/min)', async () => {
    for (let i = 1; i <= 3; i++) expectResponse(await s.send('GET', '/api/throttled/'), 200, '{"ok":true,"user":null}', { 'retry-after': undefined });
    expectResponse(await s.send('GET', '/api/throttled/'), 429, THROTTLED_60, { 'retry-after': '60', 'www-authenticate': undefined });
  });

  test('throttled user #1–#6 (user 5/min)', async () => {
    for (let i = 1; i <= 5; i++) expectResponse(await s.send('GET', '/api/throttled/', { headers: tokenHeader(aliceKey) }), 200, '{"ok":true,"user":"alice"}');
    expectResponse(await s.send('GET', '/api/throttled/', { headers: tokenHeader(aliceKey) }), 429, THROTTLED_60, { 'retry-after': '60' });
    // The user bucket is per user: the same user by JWT is refused too.
    expectResponse(await s.send('GET', '/api/throttled/', { headers: { Authorization: `Bearer ${aliceAccess}` } }), 429, THROTTLED_60, { 'retry-after': '60' });
  });

  test('throttled-auth anon #1–#2: permissions before throttles → 401, not 429', async () => {
    const store = t.store as MemoryThrottleStore;
    const before = store.size;
    for (let i = 1; i <= 2; i++) {
      expectResponse(await s.send('GET', '/api/throttled-auth/'), 401, NOT_PROVIDED, { 'www-authenticate': 'Bearer realm="api"', 'retry-after': undefined });
    }
    assert.equal(store.size, before, 'nothing was counted');
  });

  test('the wait counts down and the window slides', async () => {
    s.clock.advance(15_200);
    expectResponse(await s.send('GET', '/api/throttled/'), 429, '{"detail":"Request was throttled. Expected available in 45 seconds."}', { 'retry-after': '45' });
    s.clock.advance(44_000);
    expectResponse(await s.send('GET', '/api/throttled/'), 429, '{"detail":"Request was throttled. Expected available in 1 second."}', { 'retry-after': '1' });
    s.clock.advance(800);
    expectResponse(await s.send('GET', '/api/throttled/'), 200, '{"ok":true,"user":null}');
  });
});

describe('concurrency over HTTP', () => {
  test('30 simultaneous requests on a 2/min scope: exactly 2 succeed', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => s.send('GET', '/api/burst/', { headers: { Authorization: `Bearer ${staffAccess}` } })));
    assert.equal(results.filter((r) => r.status === 200).length, 2);
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 429);
      assert.equal(r.headers['retry-after'], '60');
    }
    assert.equal((await s.send('GET', '/api/burst/')).status, 200, 'anonymous callers have their own bucket (by address)');
  });
});

describe('scope and role permissions with real credentials', () => {
  test('HasScope("write") with a message: JWT scope claim decides; opaque tokens have no scopes', async () => {
    const denied = await s.send('GET', '/api/write/', { headers: { Authorization: `Bearer ${aliceAccess}` } });
    assert.equal(denied.status, 403);
    assert.equal(denied.text, '{"detail":"Token lacks scope \\"write\\"."}');
    assert.equal(denied.headers['www-authenticate'], undefined);
    assert.equal((await s.send('GET', '/api/write/', { headers: { Authorization: `Bearer ${staffAccess}` } })).status, 200);
    assert.equal((await s.send('GET', '/api/write/', { headers: tokenHeader(aliceKey) })).status, 403);
    const anon = await s.send('GET', '/api/write/');
    assert.equal(anon.status, 401);
    assert.equal(anon.text, NOT_PROVIDED);
  });

  test('and(IsAuthenticated, or(HasRole("ops"), HasScope("admin"))): DRF default 403 text', async () => {
    const denied = await s.send('GET', '/api/ops/', { headers: { Authorization: `Bearer ${aliceAccess}` } });
    assert.equal(denied.status, 403);
    assert.equal(denied.text, '{"detail":"You do not have permission to perform this action."}');
    const ok = await s.send('GET', '/api/ops/', { headers: { Authorization: `Bearer ${staffAccess}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '{"ok":true,"user":"olga"}');
    assert.equal((await s.send('GET', '/api/ops/')).status, 401);
  });
});
