/**
 * Passkeys over HTTP without a browser (a software authenticator, test/passkeys/soft-authenticator.ts):
 * registration, listing, rename, removal, passwordless login (Token and JWT), the
 * `webauthn` second factor, and every bad input — malformed or oversized fields, wrong
 * origin or RP ID, replayed or expired challenges, unknown credentials, another user's
 * credential, counter regression — each a typed 400/401 JSON error, never a 500
 * (docs/security.md #177-#184).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { parseSettings, SettingsError } from '../../src/core/settings.js';
import { SoftCredential } from './soft-authenticator.js';

const ORIGIN = 'http://localhost:8123';
const PASSKEYS = { enabled: true, rpId: 'localhost', origins: [ORIGIN], maxPerUser: 3 };

let s: TestServer;
let alice: string;
let bob: string;

type Json = Record<string, unknown>;
const body = (r: { json: unknown }) => r.json as Json;

async function tokenFor(t: TestServer, username: string): Promise<string> {
  const user = await t.app.stores.users.getByUsername(username);
  return (await t.app.tokens.issue(user!)).key;
}

async function registrationOptions(t: TestServer, token: string): Promise<Json> {
  const r = await t.send('POST', '/api/auth/passkeys/register/options/', { headers: tokenHeader(token) });
  assert.equal(r.status, 200, r.text);
  return body(r);
}

/** Register a new software credential for the token's user; the credential and the created row. */
async function register(t: TestServer, token: string, name: string, cred = new SoftCredential(ORIGIN, 'localhost')): Promise<{ cred: SoftCredential; row: Json; handle: string }> {
  const options = await registrationOptions(t, token);
  const r = await t.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(token), body: { name, credential: cred.register(options as { challenge: string }) } });
  assert.equal(r.status, 201, r.text);
  return { cred, row: body(r), handle: (options.user as Json).id as string };
}

async function loginOptions(t: TestServer): Promise<{ challenge: string }> {
  const r = await t.send('POST', '/api/auth/passkeys/login/options/');
  assert.equal(r.status, 200, r.text);
  return r.json as { challenge: string };
}

const login = (t: TestServer, credential: unknown) => t.send('POST', '/api/auth/passkeys/login/', { body: { credential } });

/** A refused request: the status, a JSON body, never a 500. */
function refused(r: { status: number; json: unknown; text: string }, status: 400 | 401): Json {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.json, 'object', r.text);
  return body(r);
}

before(async () => {
  s = await startServer({ settings: { passkeys: PASSKEYS, apiKeys: { enabled: true } } });
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1');
  alice = await tokenFor(s, 'alice');
  bob = await tokenFor(s, 'bob');
});
after(() => s.close());

describe('registration and management', () => {
  test('options exclude the passkeys the user has; register, list (no key material), rename, remove (#184)', async () => {
    const first = await register(s, alice, 'Laptop');
    assert.deepEqual(Object.keys(first.row).sort(), ['backed_up', 'created', 'device_type', 'id', 'last_used', 'name', 'transports']);
    assert.deepEqual([first.row.name, first.row.device_type, first.row.backed_up, first.row.last_used], ['Laptop', 'multiDevice', true, null]);
    const options = await registrationOptions(s, alice);
    assert.deepEqual((options.excludeCredentials as Json[]).map((c) => c.id), [first.cred.credentialId]);
    assert.equal((options.rp as Json).id, 'localhost');
    const second = await register(s, alice, '  Phone  ');
    const list = await s.send('GET', '/api/auth/passkeys/', { headers: tokenHeader(alice) });
    assert.deepEqual((list.json as Json[]).map((p) => p.name), ['Laptop', 'Phone']);
    assert.doesNotMatch(list.text, new RegExp(first.cred.credentialId));
    const renamed = await s.send('PATCH', `/api/auth/passkeys/${second.row.id}/`, { headers: tokenHeader(alice), body: { name: 'Old phone' } });
    assert.equal(body(renamed).name, 'Old phone');
    assert.equal((await s.send('PATCH', `/api/auth/passkeys/${second.row.id}/`, { headers: tokenHeader(bob), body: { name: 'mine' } })).status, 404);
    assert.equal((await s.send('DELETE', `/api/auth/passkeys/${second.row.id}/`, { headers: tokenHeader(bob) })).status, 404);
    assert.equal((await s.send('DELETE', `/api/auth/passkeys/${second.row.id}/`, { headers: tokenHeader(alice) })).status, 204);
    assert.equal((await s.send('DELETE', `/api/auth/passkeys/${second.row.id}/`, { headers: tokenHeader(alice) })).status, 404);
    assert.equal((await s.send('DELETE', '/api/auth/passkeys/abc/', { headers: tokenHeader(alice) })).status, 404);
  });

  test('#184 management needs the user\'s token or JWT: anonymous 401, an API key refused', async () => {
    assert.equal((await s.send('GET', '/api/auth/passkeys/')).status, 401);
    const created = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(bob), body: { name: 'ci', scopes: ['apikeys:manage'] } });
    const key = body(created).key as string;
    for (const [method, path] of [['GET', '/api/auth/passkeys/'], ['POST', '/api/auth/passkeys/register/options/']] as const) {
      const r = await s.send(method, path, { headers: { Authorization: `Api-Key ${key}` } });
      assert.equal(r.status, 401, r.text);
    }
  });

  test('#183 registration refused: replayed, another user\'s or missing challenge, wrong origin or RP ID, twice the same passkey, over the limit', async () => {
    const cred = new SoftCredential(ORIGIN, 'localhost');
    const options = await registrationOptions(s, bob);
    const result = cred.register(options as { challenge: string });
    assert.equal((await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(alice), body: { name: 'x', credential: result } })).status, 400, 'bob\'s challenge, alice\'s request');
    assert.deepEqual(refused(await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(bob), body: { name: 'x', credential: result } }), 400), {
      credential: ['The challenge is unknown, expired or already used: ask for new options.'],
    }, 'consumed by the refused attempt: single use');
    for (const o of [{ origin: 'http://localhost:9999' }, { origin: 'https://evil.example' }, { rpId: 'evil.example' }, { type: 'webauthn.get' }]) {
      const fresh = await registrationOptions(s, bob);
      const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(bob), body: { name: 'x', credential: cred.register(fresh as { challenge: string }, o) } });
      assert.match(JSON.stringify(refused(r, 400).credential), /could not be verified/, JSON.stringify(o));
    }
    await register(s, bob, 'Key', cred);
    const again = await registrationOptions(s, bob);
    const dup = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(bob), body: { name: 'x', credential: cred.register(again as { challenge: string }) } });
    assert.deepEqual(refused(dup, 400), { credential: ['This passkey is registered already.'] });
    await register(s, bob, 'Two');
    await register(s, bob, 'Three');
    const over = await registrationOptions(s, bob);
    const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(bob), body: { name: 'x', credential: new SoftCredential(ORIGIN, 'localhost').register(over as { challenge: string }) } });
    assert.deepEqual(refused(r, 400), { non_field_errors: ['At most 3 passkeys per user.'] });
  });
});

describe('passwordless login', () => {
  test('an assertion logs in with a Token that authenticates; the counter and last use are stored', async () => {
    await s.createUser('carol', 'carol-password-1');
    const { cred, handle } = await register(s, await tokenFor(s, 'carol'), 'Laptop');
    const r = await login(s, cred.assert(await loginOptions(s), handle));
    assert.equal(r.status, 200, r.text);
    const key = body(r).key as string;
    const me = await s.send('GET', '/api/me/', { headers: tokenHeader(key) });
    assert.equal(body(me).username, 'carol');
    const stored = await s.app.stores.passkeys!.findByCredentialId(cred.credentialId);
    assert.equal(stored?.counter, 1);
    assert.equal(stored?.lastUsedAt, s.clock.now());
    assert.match(s.logs.text, /"event":"login","endpoint":"passkey-login"/);
  });

  test('#178 #179 refused with 401: replayed or expired challenge, wrong origin, wrong RP ID, unknown credential, wrong user handle, no user verification', async () => {
    await s.createUser('dave', 'dave-password-1');
    const { cred, handle } = await register(s, await tokenFor(s, 'dave'), 'Key');
    const options = await loginOptions(s);
    const assertion = cred.assert(options, handle);
    assert.equal((await login(s, assertion)).status, 200);
    assert.deepEqual(refused(await login(s, assertion), 401), { detail: 'The passkey could not be verified.' }, 'replayed');
    const expiring = await loginOptions(s);
    s.clock.advance(5 * 60_000);
    refused(await login(s, cred.assert(expiring, handle)), 401);
    const cases = [{ origin: 'http://localhost:9999' }, { origin: 'https://evil.example' }, { rpId: 'evil.example' }, { userHandle: 'AAAA' }, { userVerified: false }, { type: 'webauthn.create' }];
    for (const o of cases) refused(await login(s, cred.assert(await loginOptions(s), handle, o)), 401);
    const stranger = new SoftCredential(ORIGIN, 'localhost');
    refused(await login(s, stranger.assert(await loginOptions(s), handle)), 401);
    const unissued = cred.assert({ challenge: 'bm90LWlzc3VlZC1ieS10aGUtc2VydmVy' }, handle);
    refused(await login(s, unissued), 401);
    const reasons = [...s.logs.text.matchAll(/"event":"passkey_refused","ceremony":"login","reason":"([a-z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(new Set(reasons), new Set(['challenge', 'verification', 'user_handle', 'unknown_credential']));
  });

  test('#180 a counter that does not increase (a cloned authenticator) is refused and logged at warn', async () => {
    await s.createUser('erin', 'erin-password-1');
    const { cred, handle } = await register(s, await tokenFor(s, 'erin'), 'Key');
    assert.equal((await login(s, cred.assert(await loginOptions(s), handle, { counter: 7 }))).status, 200);
    for (const counter of [7, 3, 0]) refused(await login(s, cred.assert(await loginOptions(s), handle, { counter })), 401);
    assert.equal((await s.app.stores.passkeys!.findByCredentialId(cred.credentialId))?.counter, 7);
    assert.match(s.logs.text, /"level":40[^\n]*"event":"passkey_counter_regression"[^\n]*"stored":7,"presented":3/);
    assert.equal((await login(s, cred.assert(await loginOptions(s), handle, { counter: 8 }))).status, 200);
  });

  test('an inactive user\'s passkey logs nobody in (#179)', async () => {
    await s.createUser('frank', 'frank-password-1');
    const { cred, handle } = await register(s, await tokenFor(s, 'frank'), 'Key');
    const frank = await s.app.stores.users.getByUsername('frank');
    await s.app.stores.users.update(frank!.id, { isActive: false });
    refused(await login(s, cred.assert(await loginOptions(s), handle)), 401);
  });

  test('JWT mode (accounts.djRestAuthJwt): a JWT pair and the user', async () => {
    const j = await startServer({ settings: { passkeys: PASSKEYS, accounts: { djRestAuthJwt: true } } });
    try {
      await j.createUser('gina', 'gina-password-1');
      const { cred, handle } = await register(j, await tokenFor(j, 'gina'), 'Key');
      const r = await login(j, cred.assert(await loginOptions(j), handle));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(body(r)).sort(), ['access', 'refresh', 'user']);
      const me = await j.send('GET', '/api/me/', { headers: { Authorization: `Bearer ${body(r).access as string}` } });
      assert.equal(body(me).username, 'gina');
    } finally {
      await j.close();
    }
  });
});

describe('#181 the webauthn second factor', () => {
  test('options list the user\'s passkeys; the user\'s assertion passes once; another user\'s credential, a login challenge or a malformed proof is false (#181)', async () => {
    await s.createUser('hana', 'hana-password-1');
    await s.createUser('ivan', 'ivan-password-1');
    const hana = (await s.app.stores.users.getByUsername('hana'))!;
    const ivan = (await s.app.stores.users.getByUsername('ivan'))!;
    const factor = s.app.passkeys!.factor;
    assert.equal(await factor.usable(hana), false);
    assert.equal(await factor.challenge(hana), null);
    const { cred, handle } = await register(s, await tokenFor(s, 'hana'), 'Key');
    const ivanKey = await register(s, await tokenFor(s, 'ivan'), 'Key');
    assert.equal(await factor.usable(hana), true);
    const options = (await factor.challenge(hana)) as { challenge: string; allowCredentials: Json[] };
    assert.deepEqual(options.allowCredentials.map((c) => c.id), [cred.credentialId]);
    const proof = { method: 'webauthn' as const, response: cred.assert(options, handle) as never };
    assert.equal(await factor.verify(hana, proof), true);
    assert.equal(await factor.verify(hana, proof), false, 'the challenge was consumed');
    const forHana = (await factor.challenge(hana)) as { challenge: string };
    assert.equal(await factor.verify(hana, { method: 'webauthn', response: ivanKey.cred.assert(forHana, ivanKey.handle) as never }), false, 'ivan\'s credential');
    const forIvan = (await factor.challenge(ivan)) as { challenge: string };
    assert.equal(await factor.verify(hana, { method: 'webauthn', response: cred.assert(forIvan, handle) as never }), false, 'a challenge issued to ivan');
    assert.equal(await factor.verify(hana, { method: 'webauthn', response: cred.assert(await loginOptions(s), handle) as never }), false, 'a login challenge');
    for (const response of [null, 'x', [], { id: 1 }]) assert.equal(await factor.verify(hana, { method: 'webauthn', response }), false);
    assert.equal(await factor.verify(hana, { method: 'totp', code: '123456' }), false);
  });
});

describe('#182 malformed and oversized input: a 400 field error, never a 500', () => {
  const long = (n: number) => 'A'.repeat(n);
  const valid = {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: Buffer.from('{"challenge":"abc"}').toString('base64url'), authenticatorData: 'AAAA', signature: 'AAAA', attestationObject: 'AAAA' },
  };
  const withResponse = (patch: Json) => ({ ...valid, response: { ...valid.response, ...patch } });
  const credentials: Array<[string, unknown]> = [
    ['missing', undefined],
    ['a string', 'credential'],
    ['a list', [valid]],
    ['null', null],
    ['id not base64url', { ...valid, id: 'A+/=', rawId: 'A+/=' }],
    ['id too long', { ...valid, id: long(1367), rawId: long(1367) }],
    ['rawId differs', { ...valid, rawId: 'BBBB' }],
    ['type', { ...valid, type: 'password' }],
    ['response missing', { ...valid, response: undefined }],
    ['response a list', { ...valid, response: [] }],
    ['clientDataJSON a number', withResponse({ clientDataJSON: 5 })],
    ['clientDataJSON too long', withResponse({ clientDataJSON: long(4097) })],
    ['clientDataJSON not JSON', withResponse({ clientDataJSON: Buffer.from('not json').toString('base64url') })],
    ['clientDataJSON a JSON list', withResponse({ clientDataJSON: Buffer.from('[1]').toString('base64url') })],
    ['clientDataJSON without challenge', withResponse({ clientDataJSON: Buffer.from('{"type":"webauthn.get"}').toString('base64url') })],
    ['challenge too long', withResponse({ clientDataJSON: Buffer.from(JSON.stringify({ challenge: long(129) })).toString('base64url') })],
    ['authenticatorData too long', withResponse({ authenticatorData: long(4097) })],
    ['signature an object', withResponse({ signature: {} })],
    ['signature empty', withResponse({ signature: '' })],
    ['userHandle too long', withResponse({ userHandle: long(89) })],
    ['attestationObject too long', withResponse({ attestationObject: long(12_001) })],
    ['transports not a list', withResponse({ transports: 'usb' })],
    ['transports too many', withResponse({ transports: Array.from({ length: 9 }, (_, i) => `t${'x'.repeat(i)}`) })],
  ];

  test('login: every malformed credential (#182)', async () => {
    for (const [what, credential] of credentials) {
      if (what.startsWith('attestationObject') || what.startsWith('transports')) continue;
      const r = await login(s, credential);
      assert.deepEqual(Object.keys(refused(r, 400)), ['credential'], what);
    }
  });

  test('registration: every malformed credential and name (#182)', async () => {
    for (const [what, credential] of credentials) {
      if (what.startsWith('authenticatorData') || what.startsWith('signature') || what.startsWith('userHandle')) continue;
      const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(alice), body: { name: 'ok', credential } });
      assert.deepEqual(Object.keys(refused(r, 400)), ['credential'], what);
    }
    for (const name of [undefined, '', '   ', 'x'.repeat(65), 5, ['a'], 'tab\there']) {
      const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(alice), body: { name, credential: valid } });
      assert.deepEqual(Object.keys(refused(r, 400)), ['name'], String(name));
      const renamed = await s.send('PATCH', '/api/auth/passkeys/1/', { headers: tokenHeader(alice), body: { name } });
      assert.equal(renamed.status, 400, String(name));
    }
  });

  test('bodies that are not JSON objects, or too large (#182)', async () => {
    for (const payload of ['{', '[]', '"x"', 'null']) {
      const r = await s.send('POST', '/api/auth/passkeys/login/', { headers: { 'Content-Type': 'application/json' }, body: payload });
      assert.equal(r.status, 400, `${payload}: ${r.text}`);
    }
    const huge = await s.send('POST', '/api/auth/passkeys/login/', { body: { credential: { ...valid, id: long(2_000_000) } } });
    assert.equal(huge.status, 413, huge.text);
  });
});

describe('#177 settings', () => {
  test('passkeys.enabled without rpId or origins, or with an origin outside the RP ID, is a settings error naming the setting (#177)', () => {
    assert.throws(() => parseSettings({ passkeys: { enabled: true } }), (e: unknown) => e instanceof SettingsError && /passkeys\.rpId/.test(e.message) && /passkeys\.origins/.test(e.message));
    assert.throws(() => parseSettings({ passkeys: { enabled: true, rpId: 'example.com', origins: ['https://example.org'] } }), /passkeys\.origins: https:\/\/example\.org/);
    assert.throws(() => parseSettings({ passkeys: { enabled: true, rpId: 'example.com', origins: ['http://example.com'] } }), /passkeys\.origins/);
    assert.throws(() => parseSettings({ passkeys: { rpId: 'https://example.com' } }), /passkeys\.rpId/);
    assert.equal(parseSettings({ passkeys: { enabled: true, rpId: 'example.com', origins: ['https://app.example.com'] } }).passkeys.rpId, 'example.com');
  });
});
