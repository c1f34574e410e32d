/**
 * Login throttling on every login endpoint: a locked username answers exactly like a
 * wrong password (right password or not, existing or not); a throttled client address
 * gets 429 with Retry-After. An attack from many addresses cannot lock the real user out:
 * a device cookie from an earlier login, or a clean address, still gets in (in memory and
 * on Redis); sparse failures never keep the username locked.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicHeader, startServer, type TestResponse, type TestServer } from '../helpers.js';
import { redisTestServer } from '../stores/redis-helpers.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const redis = await redisTestServer('login throttle over HTTP');
if (redis) after(() => redis.cleanup());

async function server(throttle: Record<string, unknown>, more: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({ settings: { throttle, ...more } });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  return s;
}

const drf = (s: TestServer, username: string, password: string) => s.send('POST', '/api-token-auth/', { body: { username, password } });
const jwt = (s: TestServer, username: string, password: string) => s.send('POST', '/api/token/', { body: { username, password } });

describe('login throttle', () => {
  test('a locked username answers like a wrong password, even with the right password; it unlocks after the backoff', async () => {
    // No clean tries: from the address that failed, the username-wide lock applies at once.
    const s = await server({ loginUsernameRate: '3/min', loginAddressRate: '1000/min', loginCleanAddressTries: 0 });
    for (let i = 0; i < 3; i++) assert.equal((await drf(s, 'alice', 'wrong')).status, 400);
    const wrong = await drf(s, 'alice', 'wrong');
    const right = await drf(s, 'alice', 'alice-password-1');
    const unknown = await drf(s, 'nobody', 'x');
    assert.deepEqual([right.status, right.text], [wrong.status, wrong.text]);
    assert.deepEqual([unknown.status, unknown.text], [wrong.status, wrong.text]);
    assert.equal(right.headers['retry-after'], undefined);
    const viaJwt = await jwt(s, 'alice', 'alice-password-1');
    assert.deepEqual([viaJwt.status, viaJwt.json], [401, { detail: 'No active account found with the given credentials' }]);
    const viaBasic = await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') });
    assert.deepEqual([viaBasic.status, viaBasic.json], [403, { detail: 'Invalid username/password.' }]);
    s.clock.advance(61 * 60_000);
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200, 'unlocked after the backoff');
  });

  test('a success clears the client’s counter; other usernames are not affected', async () => {
    const s = await server({ loginUsernameRate: '3/min', loginAddressRate: '1000/min' });
    await s.createUser('bob', 'bob-password-1');
    for (let i = 0; i < 2; i++) await drf(s, 'alice', 'wrong');
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200);
    for (let i = 0; i < 2; i++) await drf(s, 'alice', 'wrong');
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200);
    for (let i = 0; i < 3; i++) await drf(s, 'alice', 'wrong');
    assert.equal((await drf(s, 'bob', 'bob-password-1')).status, 200);
  });

  test('a client address over its failure rate gets 429 with Retry-After on every login endpoint', async () => {
    const s = await server({ loginUsernameRate: '1000/min', loginAddressRate: '3/min' });
    for (let i = 0; i < 3; i++) await jwt(s, `user${i}`, 'x');
    for (const res of [await drf(s, 'alice', 'alice-password-1'), await jwt(s, 'alice', 'alice-password-1')]) {
      assert.equal(res.status, 429);
      assert.match((res.json as { detail: string }).detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
      assert.match(String(res.headers['retry-after']), /^\d+$/);
    }
  });

  test('a username of 5000 combining marks is answered like any wrong login and bucketed on its own', async () => {
    const s = await server({ loginUsernameRate: '3/min', loginCleanAddressTries: 0 });
    const long = `alice${'\u0301'.repeat(5000)}`;
    const wrong = await drf(s, 'alice', 'wrong');
    for (let i = 0; i < 4; i++) {
      const res = await drf(s, long, 'alice-password-1');
      assert.deepEqual([res.status, res.text], [wrong.status, wrong.text]);
    }
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200, 'alice is not locked by it');
  });

  test('loginEnabled: false turns it off', async () => {
    const s = await server({ loginEnabled: false, loginUsernameRate: '1/min' });
    for (let i = 0; i < 5; i++) await drf(s, 'alice', 'wrong');
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200);
  });

  test('scoped rates apply to the token endpoints when configured (throttle.rates.login / token)', async () => {
    const s = await server({ rates: { login: '2/min', token: '1/min' }, loginEnabled: false });
    assert.equal((await jwt(s, 'alice', 'alice-password-1')).status, 200);
    assert.equal((await drf(s, 'alice', 'alice-password-1')).status, 200);
    const third = await jwt(s, 'alice', 'alice-password-1');
    assert.deepEqual([third.status, third.headers['retry-after']], [429, '60']);
    assert.equal((await s.send('POST', '/api/token/verify/', { body: { token: 'x' } })).status, 401);
    assert.equal((await s.send('POST', '/api/token/verify/', { body: { token: 'x' } })).status, 429);
  });
});

/** A request from `address` (through the trusted proxy 127.0.0.1), with a device cookie when given. */
function from(address: string, cookie?: string): Record<string, string> {
  return { 'X-Forwarded-For': address, ...(cookie ? { Cookie: `gatehouse-device=${cookie}` } : {}) };
}

const DEVICE_COOKIE = /^gatehouse-device=([A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}); expires=[^;]+; HttpOnly; Max-Age=2592000; SameSite=Strict$/;

/** The device cookie's value in a response; undefined when none was set. */
function deviceCookie(res: TestResponse): string | undefined {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((l) => l.startsWith('gatehouse-device='));
  assert.ok(lines.length <= 1);
  if (lines.length === 0) return undefined;
  const m = DEVICE_COOKIE.exec(lines[0] as string);
  assert.ok(m, lines[0]);
  return m[1];
}

describe('device cookie', () => {
  test('every password login sets it as an extra header; the JSON body is unchanged; failures set none', async () => {
    const s = await server({});
    const body = { username: 'alice', password: 'alice-password-1' };
    const answers = [
      await s.send('POST', '/api-token-auth/', { body }),
      await s.send('POST', '/api/token/', { body }),
      await s.send('POST', '/api/auth/login/', { body }),
    ];
    assert.deepEqual(answers.map((r) => [r.status, Object.keys(r.json as object)]), [[200, ['token']], [200, ['refresh', 'access']], [200, ['expiry', 'token']]]);
    const values = answers.map(deviceCookie);
    assert.equal(new Set(values).size, 3, 'a new device each time');
    assert.equal(deviceCookie(await drf(s, 'alice', 'wrong')), undefined);
    assert.equal(deviceCookie(await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') })), undefined, 'HTTP Basic: no device cookie');
  });

  test('Secure unless the request is for localhost; no Path (the browser scopes it to the login endpoint)', async () => {
    const s = await server({});
    const res = await s.send('POST', '/api-token-auth/', { headers: { Host: 'api.example.com' }, body: { username: 'alice', password: 'alice-password-1' } });
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0] as string;
    assert.match(line, /; HttpOnly; Max-Age=2592000; SameSite=Strict; Secure$/);
    assert.doesNotMatch(line, /Path=|Domain=/);
  });

  test('its name and lifetime come from throttle.deviceCookieName / deviceCookieLifetime; null turns it off', async () => {
    const s = await server({ deviceCookieName: 'dev', deviceCookieLifetime: '1d' });
    const res = await drf(s, 'alice', 'alice-password-1');
    assert.match(String(res.headers['set-cookie']), /^dev=[^;]+; expires=[^;]+; HttpOnly; Max-Age=86400; SameSite=Strict$/);
    const off = await server({ deviceCookieLifetime: null });
    assert.equal((await drf(off, 'alice', 'alice-password-1')).headers['set-cookie'], undefined);
  });
});

const backends: Array<[string, () => Record<string, unknown>]> = [['memory', () => ({})]];
if (redis) backends.push(['redis', () => ({ redis: { url: redis.url, keyPrefix: redis.newPrefix() } })]);

for (const [backend, extra] of backends) {
  describe(`${backend}: an attack from many addresses on one username`, () => {
    test('the attacker is slowed (locks, 429); the real user gets in with her device cookie or from a clean address', async () => {
      const s = await server({ loginUsernameRate: '4/h', loginAddressRate: '10/h' }, { http: { trustedProxies: ['127.0.0.1'] }, ...extra() });
      await s.createUser('bob', 'bob-password-1');
      const login = (address: string, username: string, password: string, cookie?: string) =>
        s.send('POST', '/api-token-auth/', { headers: from(address, cookie), body: { username, password } });
      const laptop = deviceCookie(await login('192.0.2.1', 'alice', 'alice-password-1')) as string;
      const bobs = deviceCookie(await login('192.0.2.2', 'bob', 'bob-password-1')) as string;
      assert.ok(laptop && bobs);

      const bots = Array.from({ length: 6 }, (_, i) => `10.0.0.${i + 1}`);
      const wrong = await login(bots[0] as string, 'alice', 'guess-0');
      for (const [i, address] of bots.entries()) {
        for (let k = 0; k < 4; k++) {
          const res = k % 2 ? await jwtFrom(s, address, 'alice', `guess-${i}-${k}`) : await login(address, 'alice', `guess-${i}-${k}`);
          assert.ok(res.status === 400 || res.status === 401, `${res.status}`);
        }
      }
      // Locked: the right password from an attacking address answers exactly like a wrong one.
      const right = await login(bots[1] as string, 'alice', 'alice-password-1');
      assert.deepEqual([right.status, right.text, deviceCookie(right)], [wrong.status, wrong.text, undefined]);
      // An attacking address that goes on to spray other usernames gets 429.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await login(bots[0] as string, `user${i}`, 'x')).status);
      assert.equal(statuses.at(-1), 429);

      // The real user, during the attack: her laptop's device cookie, even from a locked attacking address…
      const viaLaptop = await login(bots[0] as string, 'alice', 'alice-password-1', laptop);
      assert.equal(viaLaptop.status, 200);
      assert.ok(deviceCookie(viaLaptop), 'and a renewed device cookie');
      assert.equal((await jwtFrom(s, bots[2] as string, 'alice', 'alice-password-1', laptop)).status, 200, 'on the JWT endpoint too');
      // …or from a clean address, without any cookie.
      assert.equal((await login('203.0.113.7', 'alice', 'alice-password-1')).status, 200);
      // Bob's device cookie, or a forged one, is no help for alice.
      assert.equal((await login(bots[3] as string, 'alice', 'alice-password-1', bobs)).status, 400);
      const forged = `${laptop.slice(0, -1)}${laptop.endsWith('A') ? 'B' : 'A'}`;
      assert.equal((await login(bots[4] as string, 'alice', 'alice-password-1', forged)).status, 400);
    });

    test('sparse failures (one every 59 minutes for a day) do not keep the account locked', async () => {
      // No clean tries: a fresh address gets in only if the username-wide lock has ended.
      const s = await server({ loginCleanAddressTries: 0 }, { http: { trustedProxies: ['127.0.0.1'] }, ...extra() });
      for (let i = 0; i < 24; i++) {
        assert.equal((await jwtFrom(s, `10.0.1.${i + 1}`, 'alice', `guess-${i}`)).status, 401);
        s.clock.advance(59 * 60_000);
      }
      s.clock.advance(-52 * 60_000); // 7 minutes after the last failure
      assert.equal((await jwtFrom(s, '198.51.100.1', 'alice', 'alice-password-1')).status, 200);
    });
  });
}

function jwtFrom(s: TestServer, address: string, username: string, password: string, cookie?: string): Promise<TestResponse> {
  return s.send('POST', '/api/token/', { headers: from(address, cookie), body: { username, password } });
}
