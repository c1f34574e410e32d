/**
 * Login throttling on every login endpoint (catalogue J86–J87): a locked username
 * answers exactly like a wrong password (right password or not, existing or not); a
 * throttled client address gets 429 with Retry-After; a success clears the username.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicHeader, startServer, type TestServer } from '../helpers.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(throttle: Record<string, unknown>): Promise<TestServer> {
  const s = await startServer({ settings: { throttle } });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  return s;
}

const drf = (s: TestServer, username: string, password: string) => s.send('POST', '/api-token-auth/', { body: { username, password } });
const jwt = (s: TestServer, username: string, password: string) => s.send('POST', '/api/token/', { body: { username, password } });

describe('login throttle', () => {
  test('a locked username answers like a wrong password, even with the right password; it unlocks after the backoff', async () => {
    const s = await server({ loginUsernameRate: '3/min', loginAddressRate: '1000/min' });
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

  test('a success clears the username counter; other usernames are not affected', async () => {
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
