/**
 * dj-rest-auth's routes (`accounts.djRestAuth`) through HTTP on a real server with the
 * in-memory e-mail backend: sign-up → the confirmation key from the mail → verify → login;
 * a reset link from the mail → confirm → the old password refused; a password change and
 * a logout revoke; every validation error with dj-rest-auth's fields and messages; JWT
 * mode with and without cookie mode; the verification modes' sign-up answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmailSendError, type EmailMessage } from '../../src/email/types.js';
import { gatehouseOutbox } from '../accounts-helpers.js';
import { startServer, tokenHeader, type TestResponse, type TestServer } from '../helpers.js';

const P = '/dj-rest-auth';
const REQUIRED = ['This field is required.'];
const WEAK_1234 = ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'];
const GOOD = 'Tr1cky-Passphrase!';
const CHALLENGE = 'Bearer realm="api"';
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(accounts: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({
    settings: {
      accounts: { djRestAuth: P, emailVerification: 'mandatory', siteName: 'Example', domain: 'app.example.com', ...accounts },
      email: { backend: 'memory' },
      // Many anonymous requests from one address, several mails to one address: no account throttles here.
      throttle: { deviceCookieLifetime: null, accountEmailRate: null, rates: { anon: null, user: null, accounts: null } },
      ...extra,
    },
  });
  servers.push(s);
  return s;
}

/** The mails sent since the last call (the outbox is emptied). */
const take = (s: TestServer) => gatehouseOutbox(s, { clear: true });

/** allauth's signed confirmation key (`<b64 pk>:<b62 time>:<signature>`) in a mail. */
const confirmationKey = (m: EmailMessage) => /account-confirm-email\/([A-Za-z0-9_-]+:[A-Za-z0-9]+:[A-Za-z0-9_-]+)\//.exec(m.text)?.[1];
/** The base-36 uid and allauth's reset token in a reset mail's link. */
const resetLink = (m: EmailMessage) => {
  const match = /\/([0-9a-z]+)\/([0-9a-z]+-[0-9a-f]+)\/?\s/.exec(m.text);
  return match ? { uid: match[1]!, token: match[2]! } : undefined;
};

const post = (s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) => s.send('POST', `${P}${path}`, { body, headers });
const expect = (res: TestResponse, status: number, body: unknown) => {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.json, body);
};

async function register(s: TestServer, username: string, email = `${username}@example.com`, password = GOOD) {
  return post(s, '/registration/', { username, email, password1: password, password2: password });
}

/** Sign up, verify with the mailed key, log in: the login's body. */
async function verifiedLogin(s: TestServer, username: string, password = GOOD): Promise<Record<string, string>> {
  expect(await register(s, username, `${username}@example.com`, password), 201, { detail: 'Verification e-mail sent.' });
  const key = confirmationKey((await take(s)).at(-1)!);
  expect(await post(s, '/registration/verify-email/', { key }), 200, { detail: 'ok' });
  const login = await post(s, '/login/', { username, password });
  assert.equal(login.status, 200, login.text);
  return login.json as Record<string, string>;
}

/** Token mode: a verified user's token. */
const verifiedUser = async (s: TestServer, username: string) => (await verifiedLogin(s, username)).key!;

describe('Token mode, mandatory verification', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
    await s.createUser('admin', 'admin-password-1');
  });

  test('sign-up → the confirmation mail → verify → login; the key works once', async () => {
    expect(await register(s, 'dave'), 201, { detail: 'Verification e-mail sent.' });
    const [mail, ...rest] = await take(s);
    assert.equal(rest.length, 0);
    assert.deepEqual(mail!.to, ['dave@example.com']);
    assert.equal(mail!.subject, '[Example] Please Confirm Your E-mail Address');
    const key = confirmationKey(mail!);
    assert.ok(key, mail!.text);
    assert.match(mail!.text, /https?:\/\/app\.example\.com\//, 'the link is on the configured domain, never the request host');

    expect(await post(s, '/login/', { username: 'dave', password: 'nope' }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    expect(await post(s, '/login/', { username: 'dave', password: GOOD }), 400, { non_field_errors: ['E-mail is not verified.'] });
    expect(await post(s, '/registration/verify-email/', { key }), 200, { detail: 'ok' });
    assert.equal((await take(s)).length, 0, 'no mail on verification');
    expect(await post(s, '/registration/verify-email/', { key }), 404, { detail: 'Not found.' });

    const login = await post(s, '/login/', { username: 'dave', password: GOOD });
    assert.equal(login.status, 200, login.text);
    const { key: token } = login.json as { key: string };
    assert.match(token, /^[0-9a-f]{40,}$/);
    const me = await s.send('GET', `${P}/user/`, { headers: tokenHeader(token) });
    expect(me, 200, { pk: (me.json as { pk: number }).pk, username: 'dave', email: 'dave@example.com', first_name: '', last_name: '' });
    assert.equal(login.headers['cache-control'], 'no-store');
  });

  test('sign-up validation: dj-rest-auth fields, order and messages', async () => {
    const base = { username: 'erin', email: 'erin@example.com', password1: GOOD, password2: GOOD };
    const cases: Array<[string, unknown, unknown]> = [
      ['empty', {}, { username: REQUIRED, email: REQUIRED, password1: REQUIRED, password2: REQUIRED }],
      ['mismatch (ASCII apostrophe)', { ...base, password2: `x${GOOD}` }, { non_field_errors: ["The two password fields didn't match."] }],
      ['too short', { ...base, password1: 'Ab1!x', password2: 'Ab1!x' }, { password1: ['This password is too short. It must contain at least 8 characters.'] }],
      ['weak and mismatch: the field first', { ...base, password1: '1234', password2: '12345' }, { password1: WEAK_1234 }],
      ['similar to the username: after the fields', { ...base, username: 'erinsmith', password1: 'erinsmith77', password2: 'erinsmith77' }, { non_field_errors: ['The password is too similar to the username.'] }],
      ['username taken, other case', { ...base, username: 'ADMIN' }, { username: ['A user with that username already exists.'] }],
      ['invalid username', { ...base, username: 'erin smith!' }, { username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'] }],
      ['missing e-mail', { username: 'erin', password1: GOOD, password2: GOOD }, { email: REQUIRED }],
      ['invalid e-mail', { ...base, email: 'nope' }, { email: ['Enter a valid email address.'] }],
    ];
    for (const [name, body, errors] of cases) {
      const res = await post(s, '/registration/', body);
      assert.equal(res.status, 400, name);
      assert.deepEqual(res.json, errors, name);
    }
    assert.equal((await take(s)).length, 0, 'no mail for a refused sign-up');
    assert.equal((await s.send('GET', `${P}/registration/`)).status, 405);
  });

  test('a taken address gets the answer a new account gets, and creates nothing', async () => {
    await verifiedUser(s, 'frank');
    const res = await register(s, 'frank2', 'FRANK@example.com');
    expect(res, 201, { detail: 'Verification e-mail sent.' });
    expect(await post(s, '/login/', { username: 'frank2', password: GOOD }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    assert.equal(await s.app.users.getByUsername('frank2'), null);
    await take(s);
  });

  test('login: field errors, allauth messages', async () => {
    expect(await post(s, '/login/', {}), 400, { password: REQUIRED });
    expect(await post(s, '/login/', { password: 'x' }), 400, { non_field_errors: ['Must include "username" and "password".'] });
    expect(await post(s, '/login/', { email: 'alice@example.com', password: 'x' }), 400, { non_field_errors: ['Must include "username" and "password".'] });
    expect(await post(s, '/login/', { username: 'admin', email: 'nope', password: 'x' }), 400, { email: ['Enter a valid email address.'] });
    expect(await post(s, '/login/', { username: 'nobody', password: 'nope' }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    assert.equal((await s.send('GET', `${P}/login/`)).status, 405);
  });

  test('a user whose address is not verified is refused after the password check', async () => {
    await s.app.users.create({ username: 'henry', password: GOOD, email: 'henry@example.com', emailVerified: false });
    expect(await post(s, '/login/', { username: 'henry', password: 'wrong-password' }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    expect(await post(s, '/login/', { username: 'henry', password: GOOD }), 400, { non_field_errors: ['E-mail is not verified.'] });
  });

  test('user/: GET, PATCH, PUT; e-mail read-only; username unique case-insensitively; anonymous 401', async () => {
    const key = await verifiedUser(s, 'gina');
    const h = tokenHeader(key);
    const anon = await s.send('GET', `${P}/user/`);
    expect(anon, 401, { detail: 'Authentication credentials were not provided.' });
    assert.equal(anon.headers['www-authenticate'], CHALLENGE);
    const patched = await s.send('PATCH', `${P}/user/`, { headers: h, body: { first_name: 'Gina', email: 'evil@example.com' } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json, { ...(patched.json as object), username: 'gina', email: 'gina@example.com', first_name: 'Gina', last_name: '' });
    expect(await s.send('PATCH', `${P}/user/`, { headers: h, body: { username: 'ADMIN' } }), 400, { username: ['A user with that username already exists.'] });
    expect(await s.send('PUT', `${P}/user/`, { headers: h, body: { first_name: 'A' } }), 400, { username: REQUIRED });
    const put = await s.send('PUT', `${P}/user/`, { headers: h, body: { username: 'gina2', last_name: 'Jones' } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual([(put.json as { username: string }).username, (put.json as { first_name: string }).first_name, (put.json as { last_name: string }).last_name], ['gina2', 'Gina', 'Jones']);
    const same = await s.send('PATCH', `${P}/user/`, { headers: h, body: { username: 'gina2' } });
    assert.equal(same.status, 200, 'keeping one\'s own username is not "taken"');
    assert.equal((await s.send('DELETE', `${P}/user/`, { headers: h })).status, 405);
  });

  test('password/change/: errors on new_password2, U+2019; success revokes every credential', async () => {
    const key = await verifiedUser(s, 'ivanhoe');
    const h = tokenHeader(key);
    const change = (body: unknown) => s.send('POST', `${P}/password/change/`, { headers: h, body });
    expect(await s.send('POST', `${P}/password/change/`, { body: {} }), 401, { detail: 'Authentication credentials were not provided.' });
    expect(await change({}), 400, { old_password: REQUIRED, new_password1: REQUIRED, new_password2: REQUIRED });
    const wrongOld = { old_password: ['Your old password was entered incorrectly. Please enter it again.'] };
    expect(await change({ old_password: 'nope', new_password1: GOOD, new_password2: GOOD }), 400, wrongOld);
    expect(await change({ old_password: 'nope', new_password1: '1234', new_password2: '1234' }), 400, wrongOld);
    expect(await change({ old_password: GOOD, new_password1: 'Another-Pass-7', new_password2: 'xAnother-Pass-7' }), 400, { new_password2: ['The two password fields didn’t match.'] });
    expect(await change({ old_password: GOOD, new_password1: '1234', new_password2: '1234' }), 400, { new_password2: WEAK_1234 });
    expect(await change({ old_password: GOOD, new_password1: 'ivanhoe12', new_password2: 'ivanhoe12' }), 400, { new_password2: ['The password is too similar to the username.'] });
    expect(await change({ old_password: GOOD, new_password1: 'Another-Pass-7', new_password2: 'Another-Pass-7' }), 200, { detail: 'New password has been saved.' });
    assert.equal((await s.send('GET', `${P}/user/`, { headers: h })).status, 401, 'the token used for the change is revoked too');
    expect(await post(s, '/login/', { username: 'ivanhoe', password: GOOD }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    assert.equal((await post(s, '/login/', { username: 'ivanhoe', password: 'Another-Pass-7' })).status, 200);
    assert.equal((await take(s)).length, 0, 'dj-rest-auth mails nothing on a change');
  });

  test('password reset: the mailed link → confirm → old credentials refused; link single-use', async () => {
    const key = await verifiedUser(s, 'judy');
    expect(await post(s, '/password/reset/', { email: 'nobody@example.com' }), 200, { detail: 'Password reset e-mail has been sent.' });
    assert.equal((await take(s)).length, 0, 'unknown address: same answer, no mail');
    expect(await post(s, '/password/reset/', { email: 'nope' }), 400, { email: ['Enter a valid email address.'] });
    expect(await post(s, '/password/reset/', {}), 400, { email: REQUIRED });
    expect(await post(s, '/password/reset/', { email: 'JUDY@EXAMPLE.COM' }), 200, { detail: 'Password reset e-mail has been sent.' });
    const [mail] = await take(s);
    assert.equal(mail!.subject, '[Example] Password Reset E-mail');
    const link = resetLink(mail!);
    assert.ok(link, mail!.text);
    assert.match(mail!.text, /your username is judy\./);

    const confirm = (body: Record<string, unknown>) => post(s, '/password/reset/confirm/', body);
    const pw = { new_password1: 'Another-Pass-7', new_password2: 'Another-Pass-7' };
    expect(await confirm({}), 400, { new_password1: REQUIRED, new_password2: REQUIRED, uid: REQUIRED, token: REQUIRED });
    expect(await confirm({ ...pw, uid: '!!', token: link!.token }), 400, { uid: ['Invalid value'] });
    expect(await confirm({ ...pw, uid: 'zzzzzz', token: link!.token }), 400, { uid: ['Invalid value'] });
    expect(await confirm({ ...pw, uid: link!.uid, token: 'abc-123' }), 400, { token: ['Invalid value'] });
    expect(await confirm({ new_password1: '1234', new_password2: '1234', uid: link!.uid, token: 'abc-123' }), 400, { token: ['Invalid value'] });
    expect(await confirm({ new_password1: '1234', new_password2: '1234', uid: link!.uid, token: link!.token }), 400, { new_password2: WEAK_1234 });
    expect(await confirm({ ...pw, new_password2: 'x', uid: link!.uid, token: link!.token }), 400, { new_password2: ['The two password fields didn’t match.'] });
    expect(await confirm({ ...pw, uid: link!.uid, token: link!.token }), 200, { detail: 'Password has been reset with the new password.' });
    expect(await confirm({ ...pw, uid: link!.uid, token: link!.token }), 400, { token: ['Invalid value'] });
    expect(await post(s, '/login/', { username: 'judy', password: GOOD }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    assert.equal((await s.send('GET', `${P}/user/`, { headers: tokenHeader(key) })).status, 401, 'the reset revoked the token');
    assert.equal((await post(s, '/login/', { username: 'judy', password: 'Another-Pass-7' })).status, 200);
  });

  test('resend-email: always ok; mails an unverified address only', async () => {
    expect(await register(s, 'kate'), 201, { detail: 'Verification e-mail sent.' });
    await take(s);
    expect(await post(s, '/registration/resend-email/', { email: 'kate@example.com' }), 200, { detail: 'ok' });
    const [mail] = await take(s);
    assert.ok(mail && confirmationKey(mail));
    expect(await post(s, '/registration/resend-email/', { email: 'nobody@example.com' }), 200, { detail: 'ok' });
    expect(await post(s, '/registration/resend-email/', { email: 'judy@example.com' }), 200, { detail: 'ok' });
    assert.equal((await take(s)).length, 0);
    expect(await post(s, '/registration/resend-email/', { email: 'nope' }), 400, { email: ['Enter a valid email address.'] });
    expect(await post(s, '/registration/resend-email/', {}), 400, { email: REQUIRED });
    expect(await post(s, '/registration/verify-email/', {}), 400, { key: REQUIRED });
    expect(await post(s, '/registration/verify-email/', { key: 'nope' }), 404, { detail: 'Not found.' });
  });

  test('logout: 200 even anonymous; revokes the token presented; a bad token is 401', async () => {
    expect(await post(s, '/logout/', {}), 200, { detail: 'Successfully logged out.' });
    const key = await verifiedUser(s, 'leo');
    expect(await post(s, '/logout/', {}, tokenHeader(key)), 200, { detail: 'Successfully logged out.' });
    const after = await s.send('GET', `${P}/user/`, { headers: tokenHeader(key) });
    expect(after, 401, { detail: 'Invalid token.' });
    assert.equal(after.headers['www-authenticate'], CHALLENGE);
    expect(await post(s, '/logout/', {}, tokenHeader(key)), 401, { detail: 'Invalid token.' });
  });
});

describe('accounts.loginField and e-mail failures', () => {
  test('loginField email: login/ takes the address (allauth\'s "email" method)', async () => {
    const s = await server({ loginField: 'email', emailVerification: 'none' });
    await register(s, 'pia');
    expect(await post(s, '/login/', { username: 'pia', password: GOOD }), 400, { non_field_errors: ['Must include "email" and "password".'] });
    const res = await post(s, '/login/', { email: 'PIA@example.com', password: GOOD });
    assert.equal(res.status, 200, res.text);
  });

  test('loginField either: the address if given, else the username', async () => {
    const s = await server({ loginField: 'either', emailVerification: 'none' });
    await register(s, 'quinn');
    expect(await post(s, '/login/', { password: GOOD }), 400, { non_field_errors: ['Must include either "username" or "email" and "password".'] });
    assert.equal((await post(s, '/login/', { username: 'quinn', password: GOOD })).status, 200);
    assert.equal((await post(s, '/login/', { email: 'quinn@example.com', password: GOOD })).status, 200);
  });

  test('the mail server down at sign-up: 503 with a typed body, the account kept, resend works later', async () => {
    let down = true;
    const sent: EmailMessage[] = [];
    const email = {
      send: async (m: EmailMessage) => {
        if (down) throw new EmailSendError('connection refused');
        sent.push(m);
      },
    };
    const s = await startServer({
      settings: { accounts: { djRestAuth: P, emailVerification: 'mandatory', domain: 'app.example.com' }, throttle: { deviceCookieLifetime: null, accountEmailRate: null, rates: { anon: null, user: null, accounts: null } } },
      email,
    });
    servers.push(s);
    const res = await register(s, 'rita');
    assert.equal(res.status, 503, res.text);
    assert.deepEqual(res.json, { detail: 'Account created, but the e-mail could not be sent; ask for it again later.', code: 'email_failed' });
    assert.ok(await s.app.users.getByUsername('rita'), 'the account is kept');
    down = false;
    expect(await post(s, '/registration/resend-email/', { email: 'rita@example.com' }), 200, { detail: 'ok' });
    await s.app.accounts.settled();
    const key = confirmationKey(sent.at(-1)!);
    expect(await post(s, '/registration/verify-email/', { key }), 200, { detail: 'ok' });
    assert.equal((await post(s, '/login/', { username: 'rita', password: GOOD })).status, 200);
  });
});

describe('sign-up answers by verification mode', () => {
  test('optional, Token mode: 201 {key} (dj-rest-auth with a session login: 204); a taken address: 400', async () => {
    const s = await server({ emailVerification: 'optional' });
    const res = await register(s, 'dave');
    assert.equal(res.status, 201, res.text);
    const { key } = res.json as { key: string };
    assert.equal((await s.send('GET', `${P}/user/`, { headers: tokenHeader(key) })).status, 200);
    assert.ok(confirmationKey((await take(s))[0]!), 'optional verification still mails the key');
    assert.equal((await post(s, '/login/', { username: 'dave', password: GOOD })).status, 200, 'an unverified address may log in');
    expect(await register(s, 'dave2', 'Dave@Example.com'), 400, { email: ['A user is already registered with this e-mail address.'] });
  });

  test('none, JWT mode: 201 {access, refresh, user}, no mail', async () => {
    const s = await server({ emailVerification: 'none', djRestAuthJwt: true });
    const res = await register(s, 'dave');
    assert.equal(res.status, 201, res.text);
    const body = res.json as { access: string; refresh: string; user: { username: string } };
    assert.equal(body.user.username, 'dave');
    assert.equal((await s.send('GET', `${P}/user/`, { headers: { Authorization: `Bearer ${body.access}` } })).status, 200);
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: body.refresh } })).status, 200);
    assert.equal((await take(s)).length, 0);
  });
});

describe('JWT mode (accounts.djRestAuthJwt)', () => {
  let s: TestServer;
  before(async () => {
    s = await server({ djRestAuthJwt: true });
  });

  test('login → {access, refresh, user}; logout blacklists the body refresh token; messages of 4.0.1', async () => {
    await verifiedLogin(s, 'mia');
    const login = await post(s, '/login/', { username: 'mia', password: GOOD });
    assert.equal(login.status, 200, login.text);
    const { access, refresh, user } = login.json as { access: string; refresh: string; user: Record<string, unknown> };
    assert.deepEqual(Object.keys(login.json as object), ['access', 'refresh', 'user']);
    assert.deepEqual(user, { pk: user.pk, username: 'mia', email: 'mia@example.com', first_name: '', last_name: '' });
    assert.equal((await s.send('GET', `${P}/user/`, { headers: { Authorization: `Bearer ${access}` } })).status, 200);

    expect(await post(s, '/logout/', {}), 401, { detail: 'Refresh token was not included in request data.' });
    expect(await post(s, '/logout/', { refresh: 'garbage' }), 401, { detail: 'Token is invalid or expired' });
    expect(await post(s, '/logout/', { refresh }), 200, { detail: 'Successfully logged out.' });
    expect(await post(s, '/logout/', { refresh }), 401, { detail: 'Token is blacklisted' });
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh } })).status, 401, 'the refresh token is dead');
  });

  test('password change revokes the JWTs', async () => {
    const { access, refresh } = await verifiedLogin(s, 'nina');
    const h = { Authorization: `Bearer ${access}` };
    const res = await s.send('POST', `${P}/password/change/`, { headers: h, body: { old_password: GOOD, new_password1: 'Another-Pass-7', new_password2: 'Another-Pass-7' } });
    expect(res, 200, { detail: 'New password has been saved.' });
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh } })).status, 401);
  });
});

describe('JWT + cookie mode', () => {
  test('login sets the cookie-mode cookies; logout with the refresh cookie only revokes it (4.0.1 would not)', async () => {
    const s = await server({ djRestAuthJwt: true, emailVerification: 'none' }, { cookies: { enabled: true, csrf: false } });
    await register(s, 'olga');
    const login = await post(s, '/login/', { username: 'olga', password: GOOD });
    assert.equal(login.status, 200, login.text);
    const body = login.json as Record<string, unknown>;
    assert.deepEqual([body.access, body.refresh, (body.user as { username: string }).username], ['', '', 'olga']);
    const cookies = (login.headers['set-cookie'] as string[]).map((l) => l.slice(0, l.indexOf(';')));
    const refreshCookie = cookies.find((c) => c.startsWith(`${s.settings.cookies.refreshName}=`))!;
    assert.ok(refreshCookie);
    const out = await s.send('POST', `${P}/logout/`, { headers: { Cookie: refreshCookie }, body: {} });
    expect(out, 200, { detail: 'Successfully logged out.' });
    const again = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: refreshCookie }, body: {} });
    assert.equal(again.status, 401, again.text);
  });
});
