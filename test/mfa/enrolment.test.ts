/**
 * TOTP enrolment over HTTP on a real server (SQLite): begin, confirm with a first code,
 * recovery codes, and every session from before the first factor revoked (docs/security.md #162).
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

async function begin(token: string): Promise<{ secret: string; otpauth_url: string }> {
  const r = await s.send('POST', '/api/auth/mfa/totp/', { headers: tokenHeader(token) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers['cache-control'], 'no-store');
  return r.json as { secret: string; otpauth_url: string };
}

before(async () => {
  s = await startServer({ settings: { mfa: { enabled: true, issuer: 'Example Co' } } });
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1');
});
after(() => s.close());

describe('TOTP enrolment', () => {
  test('begin answers a 160-bit secret and an otpauth URI with the issuer and the username', async () => {
    const token = await tokenFor('bob');
    const { secret, otpauth_url } = await begin(token);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const url = new URL(otpauth_url);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    assert.equal(decodeURIComponent(url.pathname), '/Example Co:bob');
    assert.equal(url.searchParams.get('secret'), secret);
    assert.equal(url.searchParams.get('issuer'), 'Example Co');
    assert.equal(url.searchParams.get('digits'), '6');
    assert.equal(url.searchParams.get('period'), '30');
    const status = await s.send('GET', '/api/auth/mfa/', { headers: tokenHeader(token) });
    assert.deepEqual(status.json, { methods: [], totp: { enrolled: true, confirmed: false }, recovery_codes_remaining: 0 });
    assert.deepEqual(await s.app.mfa!.factors.methods((await s.app.users.getByUsername('bob'))!), [], 'an unconfirmed device is no factor');
  });

  test('beginning again replaces the unconfirmed device: a code of the first secret no longer confirms', async () => {
    const token = await tokenFor('bob');
    const first = await begin(token);
    const second = await begin(token);
    const stale = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(token), body: { code: codeAt(first.secret, s.clock) } });
    assert.equal(stale.status, 400);
    assert.deepEqual(stale.json, { code: ['Invalid code.'] });
    const ok = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(token), body: { code: codeAt(second.secret, s.clock) } });
    assert.equal(ok.status, 200, ok.text);
  });

  test('confirming with a first code answers 10 recovery codes and revokes the opaque token and the JWT refresh token from before', async () => {
    const before = await tokenFor('alice');
    const pair = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(pair.status, 200, pair.text);
    const { refresh } = pair.json as { refresh: string };
    const { secret } = await begin(before);
    const wrong = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(before), body: { code: '000000' === codeAt(secret, s.clock) ? '111111' : '000000' } });
    assert.equal(wrong.status, 400);
    const r = await s.send('POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(before), body: { code: codeAt(secret, s.clock) } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const codes = (r.json as { recovery_codes: string[] }).recovery_codes;
    assert.equal(codes.length, 10);
    for (const c of codes) assert.match(c, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    assert.equal(new Set(codes).size, 10);
    assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(before) })).status, 401, 'the opaque token from before is revoked');
    const refreshed = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.equal(refreshed.status, 401, refreshed.text);
    const after = await tokenFor('alice');
    const status = await s.send('GET', '/api/auth/mfa/', { headers: tokenHeader(after) });
    assert.deepEqual(status.json, { methods: ['totp', 'recovery_code'], totp: { enrolled: true, confirmed: true }, recovery_codes_remaining: 10 });
    const again = await s.send('POST', '/api/auth/mfa/totp/', { headers: tokenHeader(after) });
    assert.equal(again.status, 400, 'one TOTP device per user');
  });
});
