/**
 * DRF's rate throttles through the core pipeline (`runPolicy`, `errorResponse`): anon vs
 * user scopes, scoped throttles, DRF's cache keys, the 429 body and `Retry-After`,
 * permissions before throttles, concurrency, IPv6 /64 buckets, and `createThrottling`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../src/core/authenticator.js';
import { FakeClock } from '../../src/core/clock.js';
import { ApiError, NotAuthenticated, Throttled } from '../../src/core/errors.js';
import { errorResponse, runPolicy, type Policy } from '../../src/core/pipeline.js';
import type { RequestView } from '../../src/core/request.js';
import { parseSettings } from '../../src/core/settings.js';
import type { ThrottleContext } from '../../src/core/throttle.js';
import type { Principal, User } from '../../src/core/user.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import type { BackoffPolicy, BackoffState, ThrottleHit, ThrottleStore } from '../../src/stores/types.js';
import { AnonRateThrottle, MemoryThrottleStore, ScopedRateThrottle, UserRateThrottle, createThrottling } from '../../src/throttle/index.js';

const req = (remoteAddress = '203.0.113.9', headers: Record<string, string> = {}): RequestView => ({ method: 'GET', path: '/', headers, cookies: {}, remoteAddress });
const user = (id: number): User => ({
  id, username: `u${id}`, email: '', emailVerified: false, firstName: '', lastName: '', isActive: true, isStaff: false, isSuperuser: false, lastLogin: null, dateJoined: new Date(0), password: '!',
});
/** Authenticates `Authorization: Token u<id>`; challenge `Token`. */
const tokenAuth: Authenticator = {
  name: 'fake',
  authenticate: (r) => {
    const h = r.headers.authorization;
    return h?.startsWith('Token u') ? ({ user: user(Number(h.slice(7))), auth: null } satisfies Principal) : null;
  },
  challenge: () => 'Token',
};

function setup(rates: Record<string, string | null>) {
  const clock = new FakeClock();
  const store = new MemoryThrottleStore({ maxEntries: 1000 });
  return {
    clock,
    store,
    anon: new AnonRateThrottle({ store, clock, rate: rates.anon ?? null }),
    user: new UserRateThrottle({ store, clock, rate: rates.user ?? null }),
    scoped: new ScopedRateThrottle({ store, clock, rates }),
  };
}

/** Run the policy; the response the engine would send on error, or 200. */
async function call(policy: Policy, r: RequestView): Promise<{ status: number; headers: Record<string, string | string[]>; body: unknown }> {
  try {
    await runPolicy(r, policy);
    return { status: 200, headers: {}, body: null };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return errorResponse(e, r, policy.authenticators ?? []);
  }
}

const THROTTLED_60 = { detail: 'Request was throttled. Expected available in 60 seconds.' };

describe('AnonRateThrottle + UserRateThrottle (oracle /api/throttled/: anon 3/min, user 5/min)', () => {
  test('anonymous: 3 allowed, the 4th 429 with Retry-After 60 at the same instant, less later', async () => {
    const t = setup({ anon: '3/min', user: '5/min' });
    const policy: Policy = { authenticators: [tokenAuth], throttles: [t.anon, t.user] };
    for (let i = 0; i < 3; i++) assert.equal((await call(policy, req())).status, 200);
    const refused = await call(policy, req());
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, THROTTLED_60);
    assert.equal(refused.headers['Retry-After'], '60');
    t.clock.advance(10_500);
    const later = await call(policy, req());
    assert.deepEqual(later.body, { detail: 'Request was throttled. Expected available in 50 seconds.' });
    assert.equal(later.headers['Retry-After'], '50');
    t.clock.advance(49_000);
    const last = await call(policy, req());
    assert.deepEqual(last.body, { detail: 'Request was throttled. Expected available in 1 second.' });
    assert.equal(last.headers['Retry-After'], '1');
    t.clock.advance(500);
    assert.equal((await call(policy, req())).status, 200, 'a minute after the first: allowed again');
  });

  test('authenticated: the anon throttle ignores them; 5 allowed per user, 6th 429', async () => {
    const t = setup({ anon: '3/min', user: '5/min' });
    const policy: Policy = { authenticators: [tokenAuth], throttles: [t.anon, t.user] };
    const alice = req('203.0.113.9', { authorization: 'Token u1' });
    for (let i = 0; i < 5; i++) assert.equal((await call(policy, alice)).status, 200);
    const refused = await call(policy, alice);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, THROTTLED_60);
    assert.equal(refused.headers['Retry-After'], '60');
    assert.equal((await call(policy, req('203.0.113.9', { authorization: 'Token u2' }))).status, 200, 'another user, same address');
    assert.equal((await call(policy, req('203.0.113.9'))).status, 200, 'anonymous from the same address');
  });

  test("DRF's cache keys: throttle_anon_<ip>, throttle_user_<pk>, throttle_user_<ip> when anonymous", async () => {
    const keys: string[] = [];
    const store = new MemoryThrottleStore({ maxEntries: 100 });
    const spy: ThrottleStore = {
      hit: (key, limit, d, now) => (keys.push(key), store.hit(key, limit, d, now)),
      recordFailure: (k: string, p: BackoffPolicy, n: number): BackoffState => store.recordFailure(k, p, n),
      backoff: (k, n) => store.backoff(k, n),
      reset: (k) => store.reset(k),
    };
    const clock = new FakeClock();
    const anon = new AnonRateThrottle({ store: spy, clock, rate: '3/min' });
    const userT = new UserRateThrottle({ store: spy, clock, rate: '5/min' });
    const scoped = new ScopedRateThrottle({ store: spy, clock, rates: { uploads: '1/s' } });
    const base = { req: req(), clientAddress: '203.0.113.9' };
    anon.allow({ ...base, principal: null });
    userT.allow({ ...base, principal: null });
    userT.allow({ ...base, principal: { user: user(42), auth: null } });
    anon.allow({ ...base, principal: { user: user(42), auth: null } });
    scoped.allow({ ...base, principal: null, scope: 'uploads' });
    scoped.allow({ ...base, principal: { user: user(42), auth: null }, scope: 'uploads' });
    assert.deepEqual(keys, ['throttle_anon_203.0.113.9', 'throttle_user_203.0.113.9', 'throttle_user_42', 'throttle_uploads_203.0.113.9', 'throttle_uploads_42']);
  });

  test('every throttle is consulted and the longest wait wins (DRF check_throttles)', async () => {
    const t = setup({ anon: '1/min', user: '1/h' });
    const policy: Policy = { throttles: [t.anon, t.user] };
    assert.equal((await call(policy, req())).status, 200);
    const refused = await call(policy, req());
    assert.equal(refused.headers['Retry-After'], '3600');
  });

  test('null rates: never throttled (DRF default {anon: None, user: None})', async () => {
    const t = setup({ anon: null, user: null });
    const policy: Policy = { throttles: [t.anon, t.user] };
    for (let i = 0; i < 50; i++) assert.equal((await call(policy, req())).status, 200);
    assert.equal(t.store.size, 0);
  });
});

describe('permissions run before throttles (oracle /api/throttled-auth/)', () => {
  test('anonymous requests to an IsAuthenticated route: 401 every time, never counted', async () => {
    const t = setup({ anon: '3/min', user: '5/min' });
    const policy: Policy = { authenticators: [tokenAuth], permissions: [IsAuthenticated], throttles: [t.anon, t.user] };
    for (let i = 0; i < 10; i++) {
      const res = await call(policy, req());
      assert.equal(res.status, 401);
      assert.equal(res.headers['WWW-Authenticate'], 'Token');
      assert.deepEqual(res.body, { detail: 'Authentication credentials were not provided.' });
    }
    assert.equal(t.store.size, 0, 'the throttles were never asked');
    await assert.rejects(async () => runPolicy(req(), policy), NotAuthenticated);
  });
});

describe('ScopedRateThrottle', () => {
  test('the route scope picks the rate; routes sharing a scope share a budget', async () => {
    const t = setup({ uploads: '2/min', search: '1/min' });
    const uploads: Policy = { throttles: [t.scoped], throttleScope: 'uploads' };
    const uploads2: Policy = { throttles: [t.scoped], throttleScope: 'uploads' };
    const search: Policy = { throttles: [t.scoped], throttleScope: 'search' };
    assert.equal((await call(uploads, req())).status, 200);
    assert.equal((await call(uploads2, req())).status, 200);
    assert.equal((await call(uploads, req())).status, 429);
    assert.equal((await call(search, req())).status, 200);
    assert.equal((await call(search, req())).status, 429);
  });

  test('no scope, an unknown scope or a null rate: not throttled', async () => {
    const t = setup({ off: null });
    for (const policy of [{ throttles: [t.scoped] }, { throttles: [t.scoped], throttleScope: 'unknown' }, { throttles: [t.scoped], throttleScope: 'off' }] as Policy[]) {
      for (let i = 0; i < 20; i++) assert.equal((await call(policy, req())).status, 200);
    }
    assert.equal(t.store.size, 0);
  });

  test('keyed by user pk when authenticated, by address otherwise', async () => {
    const t = setup({ s: '1/min' });
    const policy: Policy = { authenticators: [tokenAuth], throttles: [t.scoped], throttleScope: 's' };
    assert.equal((await call(policy, req('203.0.113.9', { authorization: 'Token u1' }))).status, 200);
    assert.equal((await call(policy, req('198.51.100.1', { authorization: 'Token u1' }))).status, 429, 'same user, other address');
    assert.equal((await call(policy, req('203.0.113.9'))).status, 200, 'anonymous: by address');
    assert.equal((await call(policy, req('203.0.113.9'))).status, 429);
  });

  test('invalid rates throw at construction', () => {
    const clock = new FakeClock();
    const store = new MemoryThrottleStore({ maxEntries: 100 });
    assert.throws(() => new ScopedRateThrottle({ store, clock, rates: { x: '5/fortnight' } }), RangeError);
    assert.throws(() => new AnonRateThrottle({ store, clock, rate: 'many' }), RangeError);
  });
});

describe('client address buckets', () => {
  test('IPv6 addresses of one /64 share a bucket; another /64 does not', async () => {
    const t = setup({ anon: '2/min' });
    const policy: Policy = { throttles: [t.anon] };
    assert.equal((await call(policy, req('2001:db8:1:2::1'))).status, 200);
    assert.equal((await call(policy, req('2001:db8:1:2:ffff:1:2:3'))).status, 200);
    assert.equal((await call(policy, req('2001:db8:1:2::abcd'))).status, 429);
    assert.equal((await call(policy, req('2001:db8:1:3::1'))).status, 200);
  });

  test('IPv4-mapped IPv6 and IPv4 share a bucket', async () => {
    const t = setup({ anon: '1/min' });
    const policy: Policy = { throttles: [t.anon] };
    assert.equal((await call(policy, req('::ffff:198.51.100.4'))).status, 200);
    assert.equal((await call(policy, req('198.51.100.4'))).status, 429);
  });
});

describe('concurrency', () => {
  test('300 concurrent requests against 5/min: exactly 5 allowed (sync store)', async () => {
    const t = setup({ user: '5/min' });
    const policy: Policy = { throttles: [t.user] };
    const results = await Promise.all(Array.from({ length: 300 }, () => call(policy, req())));
    assert.equal(results.filter((r) => r.status === 200).length, 5);
  });

  test('an asynchronous store (as Redis would be): the throttle awaits it; exactly N allowed', async () => {
    const inner = new MemoryThrottleStore({ maxEntries: 100 });
    const later = <T>(f: () => T): Promise<T> => new Promise((r) => setImmediate(() => r(f())));
    const asyncStore: ThrottleStore = {
      hit: (k, l, d, n): Promise<ThrottleHit> => later(() => inner.hit(k, l, d, n)),
      recordFailure: (k, p, n) => later(() => inner.recordFailure(k, p, n)),
      backoff: (k, n) => later(() => inner.backoff(k, n)),
      reset: (k) => later(() => inner.reset(k)),
    };
    const clock = new FakeClock();
    const throttle = new UserRateThrottle({ store: asyncStore, clock, rate: '7/min' });
    const ctx: ThrottleContext = { req: req(), principal: null, clientAddress: '203.0.113.9' };
    const decisions = await Promise.all(Array.from({ length: 100 }, () => throttle.allow(ctx)));
    assert.equal(decisions.filter((d) => d === null).length, 7);
    assert.ok(decisions.every((d) => d === null || d.wait === 60));
    const refused = await call({ throttles: [throttle] }, req());
    assert.equal(refused.status, 429);
  });

  test('a synchronous store keeps the pipeline synchronous (no promise)', () => {
    const t = setup({ anon: '5/min', user: '5/min' });
    const result = runPolicy(req(), { throttles: [t.anon, t.user] });
    assert.equal(result, null);
    assert.throws(() => {
      for (let i = 0; i < 10; i++) runPolicy(req(), { throttles: [t.anon] });
    }, Throttled);
  });
});

describe('createThrottling', () => {
  test('wires the store, the proxies, the rates and the login throttle from settings', async () => {
    const settings = parseSettings({
      throttle: { rates: { anon: '2/min', user: '3/min', uploads: '1/min' }, maxEntries: 100, loginUsernameRate: '2/min' },
      http: { trustedProxies: ['10.0.0.0/8'] },
    });
    const clock = new FakeClock();
    const t = createThrottling(settings, { clock });
    assert.ok(t.store instanceof MemoryThrottleStore);
    assert.equal(t.clientAddress(req('10.1.1.1', { 'x-forwarded-for': '198.51.100.9' })), '198.51.100.9');
    assert.equal(t.clientAddress(req('203.0.113.9', { 'x-forwarded-for': '198.51.100.9' })), '203.0.113.9');
    assert.deepEqual(t.anon.rate, { num: 2, durationMs: 60_000 });
    assert.deepEqual(t.user.rate, { num: 3, durationMs: 60_000 });
    assert.deepEqual(t.scoped.rateOf('uploads'), { num: 1, durationMs: 60_000 });
    assert.equal(t.scoped.rateOf('nope'), null);
    assert.equal(t.login.enabled, true);
    assert.equal(t.login.usernamePolicy.limit, 2);
    // The engine sees the resolved address: two clients behind the proxy get separate buckets.
    const viaProxy = (client: string) => req('10.0.0.2', { 'x-forwarded-for': client });
    const policy: Policy = { throttles: [t.anon] };
    const run = async (r: RequestView) => {
      try {
        await runPolicy(r, policy, t.clientAddress);
        return 200;
      } catch (e) {
        return (e as ApiError).status;
      }
    };
    assert.deepEqual([await run(viaProxy('198.51.100.1')), await run(viaProxy('198.51.100.1')), await run(viaProxy('198.51.100.1')), await run(viaProxy('198.51.100.2'))], [200, 200, 429, 200]);
  });

  test('defaults: no rates, login enabled; a custom store is used as given; bad proxies throw', () => {
    const clock = new FakeClock();
    const settings = parseSettings({});
    const custom = new MemoryThrottleStore({ maxEntries: 5 });
    const t = createThrottling(settings, { clock, store: custom });
    assert.equal(t.store, custom);
    assert.equal(t.anon.rate, null);
    assert.equal(t.user.rate, null);
    assert.equal(t.login.enabled, true);
    assert.equal(createThrottling(parseSettings({ throttle: { loginEnabled: false } }), { clock }).login.enabled, false);
    assert.throws(() => createThrottling(parseSettings({ http: { trustedProxies: ['10.0.0.0/99'] } }), { clock }), /trustedProxies/);
  });
});
