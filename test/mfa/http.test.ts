/**
 * Second-factor management over HTTP: typed 400s for missing, oversized and wrongly typed
 * fields (#165), 429 when the user's wrong proofs are over the rate, disabling and
 * regenerating over HTTP, and only the user's own token or JWT manages factors: never an
 * API key, never anonymous (#166).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { codeAt } from './helpers.js';

let s: TestServer;

async function tokenFor(username: string): Promise<string> {
  const user = await s.app.stores.users.getByUsername(username);
  return (await s.app.tokens.issue(user!)).key;
}

/** Enrol `username` over HTTP: a token issued after enrolment, the secret and the recovery codes. */
async function enrol(username: string): Promise<{ token: string; secret: string; codes: string[] }> {
  const before = await tokenFor(username);
  const begun = await s.send('POST', '/api/auth/mfa/totp/', { headers: tokenHeader(before) });
  const { secret } = begun.json as { secret: string };
  const confirmed = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(before), body: { code: codeAt(secret, s.clock) } });
  assert.equal(confirmed.status, 200, confirmed.text);
  s.clock.advance(90_000);
  return { token: await tokenFor(username), secret, codes: (confirmed.json as { recovery_codes: string[] }).recovery_codes };
}

before(async () => {
  s = await startServer({ settings: { mfa: { enabled: true, failureRate: '5/h' }, apiKeys: { enabled: true, manageScope: null } } });
  for (const name of ['alice', 'bob', 'carol', 'dave']) await s.createUser(name, `${name}-password-1`);
});
after(() => s.close());

describe('bad input is a typed 400 (#165)', () => {
  const cases: Array<[string, string, unknown, Record<string, unknown>]> = [
    ['confirm without a code', 'totp/confirm/', {}, { code: ['This field is required.'] }],
    ['confirm with a null code', 'totp/confirm/', { code: null }, { code: ['This field may not be null.'] }],
    ['confirm with a list', 'totp/confirm/', { code: ['123456'] }, { code: ['Not a valid string.'] }],
    ['confirm with an object', 'totp/confirm/', { code: { a: 1 } }, { code: ['Not a valid string.'] }],
    ['confirm with an oversized code', 'totp/confirm/', { code: '1'.repeat(33) }, { code: ['Ensure this field has no more than 32 characters.'] }],
    ['disable with nothing', 'totp/disable/', {}, { non_field_errors: ['Provide exactly one of: code, recovery_code, password.'] }],
    ['disable with two proofs', 'totp/disable/', { code: '123456', password: 'x' }, { non_field_errors: ['Provide exactly one of: code, recovery_code, password.'] }],
    ['disable with an oversized recovery code', 'totp/disable/', { recovery_code: 'a'.repeat(65) }, { recovery_code: ['Ensure this field has no more than 64 characters.'] }],
    ['disable with an oversized password', 'totp/disable/', { password: 'p'.repeat(4097) }, { password: ['Ensure this field has no more than 4096 characters.'] }],
    ['regenerate with a recovery code', 'recovery-codes/', { recovery_code: 'abcde-fghjk' }, { non_field_errors: ['Provide exactly one of: code, password.'] }],
    ['regenerate with a boolean password', 'recovery-codes/', { password: true }, { password: ['Not a valid string.'] }],
  ];
  for (const [what, path, body, expected] of cases) {
    test(what, async () => {
      const token = await tokenFor('bob');
      const r = await s.send('POST', `/api/auth/mfa/${path}`, { headers: tokenHeader(token), body });
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(r.json, expected);
    });
  }

  test('malformed JSON is a 400 parse error, not a 500', async () => {
    const token = await tokenFor('bob');
    const r = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: { ...tokenHeader(token), 'Content-Type': 'application/json' }, body: '{"code": ' });
    assert.equal(r.status, 400);
    assert.match((r.json as { detail: string }).detail, /JSON parse error/);
  });

  test('confirming without a device in enrolment, disabling without a device: 400 with a message', async () => {
    const token = await tokenFor('bob');
    const confirm = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(token), body: { code: '123456' } });
    assert.deepEqual(confirm.json, { non_field_errors: ['No authenticator app is being set up; begin first.'] });
    const disable = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { password: 'bob-password-1' } });
    assert.deepEqual(disable.json, { non_field_errors: ['No authenticator app is set up.'] });
  });
});

describe('managing factors over HTTP', () => {
  test('disable with the password: 204, then status shows nothing; a wrong password is a 400 on the field', async () => {
    const { token } = await enrol('carol');
    const bad = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { password: 'carol-password-2' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { password: ['Invalid password.'] });
    const ok = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { password: 'carol-password-1' } });
    assert.equal(ok.status, 204, ok.text);
    const status = await s.send('GET', '/api/auth/mfa/', { headers: tokenHeader(token) });
    assert.deepEqual(status.json, { methods: [], totp: { enrolled: false, confirmed: false }, recovery_codes_remaining: 0 });
  });

  test('regenerate with a code answers a new set; the old codes no longer disable', async () => {
    const { token, secret, codes } = await enrol('dave');
    const r = await s.send('POST', '/api/auth/mfa/recovery-codes/', { headers: tokenHeader(token), body: { code: codeAt(secret, s.clock) } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal((r.json as { recovery_codes: string[] }).recovery_codes.length, 10);
    const old = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { recovery_code: codes[0] } });
    assert.equal(old.status, 400);
    assert.deepEqual(old.json, { recovery_code: ['Invalid code.'] });
  });

  test('wrong codes over the rate: 429 with Retry-After, also for the right code', async () => {
    const { token, secret } = await enrol('alice');
    const right = codeAt(secret, s.clock);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { code: wrong } });
      assert.equal(r.status, 400);
    }
    const locked = await s.send('POST', '/api/auth/mfa/totp/disable/', { headers: tokenHeader(token), body: { code: right } });
    assert.equal(locked.status, 429, locked.text);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match((locked.json as { detail: string }).detail, /Request was throttled/);
  });
});

describe('who may manage factors (#166)', () => {
  test('an API key of the user is refused on every endpoint; so is no credential', async () => {
    const user = await s.app.stores.users.getByUsername('bob');
    const { key } = await s.app.apiKeys!.create({ name: 'ci', userId: user!.id, scopes: [] });
    for (const [method, path] of [['GET', ''], ['POST', 'totp/'], ['POST', 'totp/confirm/'], ['POST', 'totp/disable/'], ['POST', 'recovery-codes/']] as const) {
      for (const headers of [{ Authorization: `Api-Key ${key}` }, { 'X-Api-Key': key }, {}] as Array<Record<string, string>>) {
        const r = await s.send(method, `/api/auth/mfa/${path}`, { headers, body: { password: 'bob-password-1' } });
        assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(Object.keys(headers))}`);
      }
    }
    const status = await s.send('GET', '/api/auth/mfa/', { headers: tokenHeader(await tokenFor('bob')) });
    assert.equal(status.status, 200, 'the same user with a token may');
  });

  test('a JWT access token may manage factors', async () => {
    const pair = await s.send('POST', '/api/token/', { body: { username: 'bob', password: 'bob-password-1' } });
    const { access } = pair.json as { access: string };
    const r = await s.send('GET', '/api/auth/mfa/', { headers: { Authorization: `Bearer ${access}` } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
  });
});
