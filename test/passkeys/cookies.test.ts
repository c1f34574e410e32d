/**
 * Passwordless login in cookie mode (`cookies.enabled` with `accounts.djRestAuthJwt`): the
 * pair goes into the cookie-mode cookies as on every cookie-mode login — after the login
 * CSRF check — and the body carries none of it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { Browser } from '../browser.js';
import { SoftCredential } from './soft-authenticator.js';

let s: TestServer;
let cred: SoftCredential;
let handle: string;
type Json = Record<string, unknown>;

before(async () => {
  const cookieMode = { cookies: { enabled: true }, accounts: { djRestAuthJwt: true }, throttle: { deviceCookieLifetime: null } };
  s = await startServer({ settings: { ...cookieMode, passkeys: { enabled: true, rpId: 'localhost', origins: ['http://localhost'] } } });
  await s.createUser('alice', 'alice-password-1');
  const token = (await s.app.tokens.issue((await s.app.stores.users.getByUsername('alice'))!)).key;
  const options = (await s.send('POST', '/api/auth/passkeys/register/options/', { headers: tokenHeader(token) })).json as Json;
  cred = new SoftCredential('http://localhost', 'localhost');
  handle = (options.user as Json).id as string;
  const r = await s.send('POST', '/api/auth/passkeys/', { headers: tokenHeader(token), body: { name: 'Key', credential: cred.register(options as { challenge: string }) } });
  assert.equal(r.status, 201, r.text);
});
after(() => s.close());

test('cookie mode: the pair in cookies after the login CSRF check, the body without tokens', async () => {
  const b = new Browser(s);
  const options = (await b.send('POST', '/api/auth/passkeys/login/options/')).json as { challenge: string };
  const refused = await b.send('POST', '/api/auth/passkeys/login/', { body: { credential: cred.assert(options, handle) } });
  assert.equal(refused.status, 403, `no CSRF cookie yet: ${refused.text}`);
  assert.equal(b.jar.get('gatehouse-access'), undefined);
  assert.equal((await b.send('GET', '/api/token/csrf/')).status, 200);
  const again = (await b.send('POST', '/api/auth/passkeys/login/options/')).json as { challenge: string };
  const r = await b.send('POST', '/api/auth/passkeys/login/', { body: { credential: cred.assert(again, handle) } });
  assert.equal(r.status, 200, r.text);
  assert.equal((r.json as Json).access, '');
  assert.equal(((r.json as Json).user as Json).username, 'alice');
  assert.ok(b.access && b.refresh, 'access and refresh cookies set');
  assert.equal(((await b.send('GET', '/api/me/')).json as Json).username, 'alice');
});
