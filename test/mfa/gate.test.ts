/**
 * The login gate's rules on a real server (docs/mfa.md, "Logging in with a second
 * factor" and "Trusted devices"; docs/security.md #167–#176): the ticket is single use,
 * bound to its client, expires, dies after `mfa.ticketAttempts` wrong proofs and with a
 * change of the user's credentials; recovery codes through the ticket, once; HTTP Basic
 * alone never authenticates a user with a factor; trusted devices skip the ticket until
 * revoked; sessions from before the first factor end with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { basicHeader, type TestResponse } from '../helpers.js';
import { enrol, PASSWORD, setCookies, startMfaServer, type Enrolment, type MfaServer } from './harness.js';

const UA = { 'User-Agent': 'TestBrowser/1.0 (X11)' };
const DEVICE = 'gatehouse-mfa-device';
const ticketOf = (r: TestResponse) => (r.json as { mfa_ticket: string }).mfa_ticket;
const refused = (code: string) => (r: TestResponse) => {
  assert.equal(r.status, 401, r.text);
  assert.equal(r.headers['www-authenticate'], 'MFA realm="api"');
  assert.equal((r.json as { code: string }).code, code);
  assert.deepEqual(Object.keys(r.json as object), ['detail', 'code']);
};
const deviceCookie = (r: TestResponse) => setCookies(r).find((l) => l.startsWith(`${DEVICE}=`));
const cookiePair = (line: string) => line.slice(0, line.indexOf(';'));

let s: MfaServer;
before(async () => {
  s = await startMfaServer({ settings: { http: { trustedProxies: ['127.0.0.1'] }, throttle: { deviceCookieLifetime: null } } });
  s.app.engine.add({ path: '/api/basic-only/', authenticators: [s.app.authenticators.basic], permissions: [IsAuthenticated], methods: { GET: (ctx) => ({ body: { username: ctx.principal!.user.username } }) } });
});
after(() => s.close());

const login = (username: string, headers: Record<string, string> = UA) => s.send('POST', '/api/token/', { body: { username, password: PASSWORD }, headers });
const second = (body: Record<string, unknown>, headers: Record<string, string> = UA) => s.send('POST', '/api/token/', { body, headers });

async function ticketFor(username: string, headers: Record<string, string> = UA): Promise<string> {
  const r = await login(username, headers);
  assert.equal(r.status, 401, r.text);
  return ticketOf(r);
}

describe('the MFA ticket', () => {
  test('is single use: a replay gets nothing, even with the next code (#170)', async () => {
    const { enrolment } = await s.enrolledUser('replay');
    const ticket = await ticketFor('replay');
    assert.equal((await second({ mfa_ticket: ticket, code: s.code(enrolment) })).status, 200);
    refused('mfa_ticket_used')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }));
    s.clock.advance(30_000);
    refused('mfa_ticket_used')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }));
  });

  test('is bound to the client: another User-Agent or another address is refused, the right client still succeeds (#169)', async () => {
    const { user, enrolment } = await s.enrolledUser('client');
    const here = { ...UA, 'X-Forwarded-For': '203.0.113.7' };
    const ticket = await ticketFor('client', here);
    refused('mfa_ticket_wrong_client')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }, { ...here, 'User-Agent': 'Other/2.0' }));
    refused('mfa_ticket_wrong_client')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }, { ...here, 'X-Forwarded-For': '203.0.113.8' }));
    refused('mfa_ticket_wrong_client')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }, { 'X-Forwarded-For': '203.0.113.7' }));
    assert.equal(await s.credentialRows(user.id), 0);
    assert.equal((await second({ mfa_ticket: ticket, code: s.code(enrolment) }, here)).status, 200);
  });

  test('expires after mfa.ticketLifetime (#171)', async () => {
    const { enrolment } = await s.enrolledUser('expiry');
    const ticket = await ticketFor('expiry');
    s.clock.advance(300_000);
    refused('mfa_ticket_expired')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }));
  });

  test('dies after mfa.ticketAttempts wrong proofs: then even the right code is refused (#172)', async () => {
    const { user, enrolment } = await s.enrolledUser('attempts');
    const ticket = await ticketFor('attempts');
    for (let i = 0; i < 5; i++) refused('mfa_code_invalid')(await second({ mfa_ticket: ticket, code: s.wrong(enrolment) }));
    refused('mfa_ticket_exhausted')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }));
    assert.equal(await s.credentialRows(user.id), 0);
    // A new login gets a new ticket, and the right code works on it.
    assert.equal((await second({ mfa_ticket: await ticketFor('attempts'), code: s.code(enrolment) })).status, 200);
  });

  test('is dead once the credentials changed between the two calls: password change, logout-all (#173)', async () => {
    const { user, enrolment } = await s.enrolledUser('changed');
    const ticket = await ticketFor('changed');
    await s.app.users.setPassword(user, 'another-password-99');
    refused('mfa_ticket_invalid')(await second({ mfa_ticket: ticket, code: s.code(enrolment) }));
    await s.app.users.setPassword((await s.app.users.getById(user.id))!, PASSWORD);
    const ticket2 = await ticketFor('changed');
    await s.app.users.logoutAll((await s.app.users.getById(user.id))!);
    refused('mfa_ticket_invalid')(await second({ mfa_ticket: ticket2, code: s.code(enrolment) }));
    assert.equal(await s.credentialRows(user.id), 0);
  });

  test('an unknown or malformed ticket is invalid; a garbage body is a 400 with field errors (#175)', async () => {
    const { enrolment } = await s.enrolledUser('bodies');
    refused('mfa_ticket_invalid')(await second({ mfa_ticket: 'mfa_' + 'A'.repeat(43), code: '123456' }));
    refused('mfa_ticket_invalid')(await second({ mfa_ticket: 'not a ticket', code: '123456' }));
    const ticket = await ticketFor('bodies');
    const bad: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ mfa_ticket: 'x'.repeat(129), code: '1' }, { mfa_ticket: ['Ensure this field has no more than 128 characters.'] }],
      [{ mfa_ticket: ticket, code: '1'.repeat(65) }, { code: ['Ensure this field has no more than 64 characters.'] }],
      [{ mfa_ticket: ticket }, { non_field_errors: ['Give exactly one of "code", "recovery_code" or "webauthn".'] }],
      [{ mfa_ticket: ticket, code: '1', recovery_code: '2' }, { non_field_errors: ['Give exactly one of "code", "recovery_code" or "webauthn".'] }],
      [{ mfa_ticket: ticket, webauthn: { blob: 'x'.repeat(8_200) } }, { webauthn: ['Ensure this value has at most 8192 bytes.'] }],
      [{ mfa_ticket: ticket, webauthn: 'string' }, { webauthn: ['Expected an object.'] }],
      [{ mfa_ticket: ticket, code: s.code(enrolment), remember_device: 'maybe' }, { remember_device: ['Must be a valid boolean.'] }],
      [{ mfa_ticket: null, code: '1' }, { mfa_ticket: ['This field may not be null.'] }],
    ];
    for (const [body, errors] of bad) {
      const r = await second(body);
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(r.json, errors);
    }
    // None of these spent an attempt or the ticket.
    assert.equal((await second({ mfa_ticket: ticket, code: s.code(enrolment) })).status, 200);
  });

  test('a recovery code through the ticket logs in once; the same code again is refused (#174)', async () => {
    const { enrolment } = await s.enrolledUser('recovery');
    const [rc] = enrolment.recoveryCodes;
    const ok = await second({ mfa_ticket: await ticketFor('recovery'), recovery_code: rc });
    assert.equal(ok.status, 200, ok.text);
    refused('mfa_code_invalid')(await second({ mfa_ticket: await ticketFor('recovery'), recovery_code: rc }));
    const other = await second({ mfa_ticket: await ticketFor('recovery'), recovery_code: enrolment.recoveryCodes[1] });
    assert.equal(other.status, 200, other.text);
  });

  test('is audited as such: mfa_required, then login only on the second call; the ticket is never logged', async () => {
    const { user, enrolment } = await s.enrolledUser('audited');
    const before = s.logs.text.length;
    const ticket = await ticketFor('audited');
    const firstLogs = s.logs.text.slice(before);
    assert.match(firstLogs, /"event":"mfa_required"/);
    assert.doesNotMatch(firstLogs, /"event":"login"/);
    await second({ mfa_ticket: ticket, code: s.wrong(enrolment) });
    await second({ mfa_ticket: ticket, code: s.code(enrolment) });
    const all = s.logs.text.slice(before);
    assert.match(all, /"event":"mfa_refused"[^\n]*"reason":"mfa_code_invalid"/);
    assert.match(all, new RegExp(`"event":"login","endpoint":"token-obtain","userId":${user.id}`));
    assert.ok(!all.includes(ticket) && !all.includes(ticket.slice(4)), 'the ticket is not in the logs');
  });
});

describe('HTTP Basic (#168)', () => {
  test('refuses a user with a second factor on an ordinary endpoint; a user without one passes', async () => {
    await s.enrolledUser('basic');
    const r = await s.send('GET', '/api/basic-only/', { headers: basicHeader('basic', PASSWORD) });
    assert.equal(r.status, 401, r.text);
    assert.deepEqual(r.json, { detail: 'A second factor is required: log in at a login endpoint instead of HTTP Basic.', code: 'mfa_required' });
    await s.app.users.create({ username: 'basicplain', password: PASSWORD });
    const ok = await s.send('GET', '/api/basic-only/', { headers: basicHeader('basicplain', PASSWORD) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('knox login with Basic answers the ticket; the second call (without Basic) issues the token', async () => {
    const { user, enrolment } = await s.enrolledUser('knoxbasic');
    const first = await s.send('POST', '/api/auth/login/', { headers: { ...UA, ...basicHeader('knoxbasic', PASSWORD) } });
    assert.equal(first.status, 401, first.text);
    assert.equal(await s.credentialRows(user.id), 0);
    const ok = await s.send('POST', '/api/auth/login/', { headers: UA, body: { mfa_ticket: ticketOf(first), code: s.code(enrolment) } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(Object.keys(ok.json as object), ['expiry', 'token']);
  });
});

describe('sessions from before the first factor', () => {
  test('end with the enrolment: the refresh token and the opaque token stop working (#167)', async () => {
    const user = await s.app.users.create({ username: 'presession', password: PASSWORD });
    const pair = (await login('presession')).json as { refresh: string; access: string };
    const token = ((await s.send('POST', '/api-token-auth/', { body: { username: 'presession', password: PASSWORD } })).json as { token: string }).token;
    assert.equal((await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${token}` } })).status, 200);
    await enrol(s, user);
    const refresh = await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
    assert.equal(refresh.status, 401, refresh.text);
    assert.equal((await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${token}` } })).status, 401);
    assert.equal((await login('presession')).status, 401, 'a password login now gets a ticket');
  });
});

describe('trusted devices (#176)', () => {
  /** Log in with the second factor and remember the device: the cookie line. */
  async function remembered(username: string, enrolment: Enrolment, headers: Record<string, string> = UA): Promise<string> {
    const r = await second({ mfa_ticket: await ticketFor(username, headers), code: s.code(enrolment), remember_device: true }, headers);
    assert.equal(r.status, 200, r.text);
    s.clock.advance(30_000);
    return deviceCookie(r)!;
  }
  const withCookie = (line: string, username: string) => login(username, { ...UA, Cookie: cookiePair(line) });

  test('the cookie: HttpOnly, SameSite=Strict, Path=/, 30 days, Secure unless the request is for localhost', async () => {
    const { enrolment } = await s.enrolledUser('cookieattrs');
    const line = await remembered('cookieattrs', enrolment);
    assert.match(line, /^gatehouse-mfa-device=[\w-]+\.[\w-]+\.[\w-]+; expires=[^;]+; HttpOnly; Max-Age=2592000; Path=\/; SameSite=Strict$/);
    const remote = { ...UA, Host: 'api.example.com' };
    const r = await second({ mfa_ticket: await ticketFor('cookieattrs', remote), code: s.code(enrolment), remember_device: true }, remote);
    assert.match(deviceCookie(r)!, /; Secure/);
    s.clock.advance(30_000);
    const plain = await second({ mfa_ticket: await ticketFor('cookieattrs'), code: s.code(enrolment) });
    assert.equal(deviceCookie(plain), undefined, 'no cookie without remember_device');
  });

  test('skips the ticket for its user; another user, a forged cookie or an expired one get the ticket', async () => {
    const { enrolment } = await s.enrolledUser('trusting');
    await s.enrolledUser('intruder');
    const line = await remembered('trusting', enrolment);
    const ok = await withCookie(line, 'trusting');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(Object.keys(ok.json as object), ['refresh', 'access']);
    assert.equal((await withCookie(line, 'intruder')).status, 401, "another user's cookie does nothing");
    const [id, secret, mac] = cookiePair(line).split('=')[1]!.split('.');
    const forged = `${DEVICE}=${id}.${secret!.slice(0, -2)}AA.${mac}; Path=/`;
    assert.equal((await withCookie(forged, 'trusting')).status, 401, 'a forged secret');
    const wrongPassword = await s.send('POST', '/api/token/', { body: { username: 'trusting', password: 'wrong-password-1' }, headers: { ...UA, Cookie: cookiePair(line) } });
    assert.equal(wrongPassword.status, 401, 'the cookie never replaces the password');
    assert.deepEqual(wrongPassword.json, { detail: 'No active account found with the given credentials' });
    s.clock.advance(30 * 86_400_000);
    assert.equal((await withCookie(line, 'trusting')).status, 401, 'expired');
  });

  test('listed and revoked one by one or all at once by the user; never with another user', async () => {
    const { enrolment } = await s.enrolledUser('listing');
    const { enrolment: other } = await s.enrolledUser('listingother');
    const line = await remembered('listing', enrolment);
    const line2 = await remembered('listing', enrolment, { 'User-Agent': 'Phone/3' });
    const otherLine = await remembered('listingother', other);
    const access = (((await withCookie(line, 'listing')).json) as { access: string }).access;
    const auth = { Authorization: `Bearer ${access}` };
    const list = await s.send('GET', '/api/auth/mfa/trusted-devices/', { headers: auth });
    assert.equal(list.status, 200, list.text);
    const devices = list.json as Array<Record<string, string>>;
    assert.deepEqual(devices.map((d) => d.label), ['TestBrowser/1.0 (X11)', 'Phone/3']);
    assert.deepEqual(Object.keys(devices[0]!), ['id', 'label', 'created', 'last_used', 'expires']);
    const otherId = cookiePair(otherLine).split('=')[1]!.split('.')[0]!;
    const revoke = (id: string) => s.send('POST', '/api/auth/mfa/trusted-devices/revoke/', { headers: auth, body: { id } });
    assert.equal((await revoke(otherId)).status, 404);
    assert.equal((await revoke('x'.repeat(65))).status, 400);
    assert.equal((await withCookie(otherLine, 'listingother')).status, 200, "the other user's device still works");
    assert.equal((await revoke(devices[0]!.id!)).status, 204);
    assert.equal((await withCookie(line, 'listing')).status, 401, 'revoked');
    assert.equal((await withCookie(line2, 'listing')).status, 200, 'the other device still works');
    assert.equal((await s.send('DELETE', '/api/auth/mfa/trusted-devices/', { headers: auth })).status, 204);
    assert.equal((await withCookie(line2, 'listing')).status, 401, 'all revoked');
    assert.equal((await s.send('GET', '/api/auth/mfa/trusted-devices/')).status, 401, 'anonymous');
  });

  test('all revoked when the password changes and when the last factor is removed', async () => {
    const { user, enrolment } = await s.enrolledUser('revoking');
    const line = await remembered('revoking', enrolment);
    await s.app.users.setPassword(user, PASSWORD);
    assert.equal((await withCookie(line, 'revoking')).status, 401);
    assert.deepEqual(await s.app.login.trustedDevices!.list(user.id), []);
    const line2 = await remembered('revoking', enrolment);
    const current = (await s.app.users.getById(user.id))!;
    await s.app.mfa!.service.disableTotp(current, { password: PASSWORD }, { endpoint: 'test', address: '127.0.0.1' });
    assert.deepEqual(await s.app.login.trustedDevices!.list(user.id), [], 'removing the last factor forgets them');
    const again = await enrol(s, current);
    assert.equal((await withCookie(line2, 'revoking')).status, 401, 'not trusted after re-enrolment');
    assert.ok(again.secret);
  });
});

describe('mfa.trustedDevices.enabled false', () => {
  let off: MfaServer;
  before(async () => {
    off = await startMfaServer({ settings: { mfa: { trustedDevices: { enabled: false }, ticketLifetime: '1m', ticketAttempts: 1 }, throttle: { deviceCookieLifetime: null } } });
  });
  after(() => off.close());

  test('remember_device sets nothing, the device routes are absent; the ticket settings apply', async () => {
    const { enrolment } = await off.enrolledUser('nodevices');
    const first = await off.send('POST', '/api/token/', { body: { username: 'nodevices', password: PASSWORD } });
    assert.equal((first.json as { expires_in: number }).expires_in, 60);
    refused('mfa_code_invalid')(await off.send('POST', '/api/token/', { body: { mfa_ticket: ticketOf(first), code: off.wrong(enrolment) } }));
    refused('mfa_ticket_exhausted')(await off.send('POST', '/api/token/', { body: { mfa_ticket: ticketOf(first), code: off.code(enrolment) } }));
    const again = await off.send('POST', '/api/token/', { body: { username: 'nodevices', password: PASSWORD } });
    const ok = await off.send('POST', '/api/token/', { body: { mfa_ticket: ticketOf(again), code: off.code(enrolment), remember_device: true } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(deviceCookie(ok), undefined);
    assert.equal((await off.send('GET', '/api/auth/mfa/trusted-devices/')).status, 404);
  });
});
