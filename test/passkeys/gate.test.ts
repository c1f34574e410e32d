/**
 * Passkeys and the login gate (`mfa.enabled`), with the software authenticator: a
 * passkey login is multi-factor by itself (never a ticket, even for a user with TOTP too);
 * a password login of a user with a passkey gets an MFA ticket whose `webauthn` options
 * list that user's passkeys, and the second call with the assertion gets the credential;
 * another user's passkey or a malformed assertion does not (#179, #181).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenHeader } from '../helpers.js';
import { PASSWORD, enrol, startMfaServer, type MfaServer } from '../mfa/harness.js';
import { SoftCredential } from './soft-authenticator.js';

const ORIGIN = 'http://localhost:8123';
type Json = Record<string, unknown>;

let s: MfaServer;

before(async () => {
  s = await startMfaServer({ settings: { passkeys: { enabled: true, rpId: 'localhost', origins: [ORIGIN] } } });
});
after(() => s.close());

/** A user with a password and a registered passkey (registered with a token issued before: the first factor revokes it). */
async function userWithPasskey(username: string): Promise<{ cred: SoftCredential; handle: string }> {
  await s.createUser(username, PASSWORD);
  const user = (await s.app.stores.users.getByUsername(username))!;
  const token = (await s.app.tokens.issue(user)).key;
  const options = (await s.send('POST', '/api/auth/passkeys/register/options/', { headers: tokenHeader(token) })).json as Json;
  const cred = new SoftCredential(ORIGIN, 'localhost');
  const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(token), body: { name: 'Key', credential: cred.register(options as { challenge: string }) } });
  assert.equal(r.status, 201, r.text);
  assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(token) })).status, 401, 'the first factor revoked the earlier token');
  return { cred, handle: (options.user as Json).id as string };
}

async function passkeyLogin(cred: SoftCredential, handle: string) {
  const options = (await s.send('POST', '/api/auth/passkeys/login/options/')).json as { challenge: string };
  return s.send('POST', '/api/auth/passkeys/login/', { body: { credential: cred.assert(options, handle) } });
}

test('a passkey login is multi-factor: a credential, no ticket — also for a user with TOTP (#179)', async () => {
  const { cred, handle } = await userWithPasskey('alice');
  await enrol(s, (await s.app.stores.users.getByUsername('alice'))!);
  const r = await passkeyLogin(cred, handle);
  assert.equal(r.status, 200, r.text);
  assert.equal(((await s.send('GET', '/api/me/', { headers: tokenHeader((r.json as Json).key as string) })).json as Json).username, 'alice');
});

test('a password login gets a ticket with webauthn options; the user\'s assertion redeems it once; another user\'s passkey or a malformed one does not (#181)', async () => {
  const bob = await userWithPasskey('bob');
  const carol = await userWithPasskey('carol');
  const first = await s.send('POST', '/api-token-auth/', { body: { username: 'bob', password: PASSWORD } });
  assert.equal(first.status, 401, first.text);
  const ticket = first.json as Json;
  assert.deepEqual(ticket.methods, ['webauthn']);
  const options = ticket.webauthn as { challenge: string; allowCredentials: Json[] };
  assert.deepEqual(options.allowCredentials.map((c) => c.id), [bob.cred.credentialId]);
  const second = (webauthn: unknown) => s.send('POST', '/api-token-auth/', { body: { mfa_ticket: ticket.mfa_ticket, webauthn } });
  assert.equal((await second(carol.cred.assert(options, carol.handle))).status, 401, 'carol\'s passkey');
  assert.equal((await second({ id: 'x' })).status, 401, 'a malformed assertion is a wrong proof');
  const fresh = await s.send('POST', '/api-token-auth/', { body: { username: 'bob', password: PASSWORD } });
  const freshTicket = fresh.json as Json;
  const ok = await s.send('POST', '/api-token-auth/', { body: { mfa_ticket: freshTicket.mfa_ticket, webauthn: bob.cred.assert(freshTicket.webauthn as { challenge: string }, bob.handle) } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(typeof (ok.json as Json).token, 'string');
});
