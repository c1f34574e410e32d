/**
 * djoser's routes (`accounts.djoser` = `/auth`) through HTTP on a real server with the
 * in-memory e-mail backend: every route's success and validation errors, with djoser's
 * field order and messages (accounts-wire §2), and the flows end to end — sign-up, the
 * link from the activation e-mail, activation, login; reset by the e-mailed link (old
 * credentials refused, the new password works, the link single-use); password change
 * revoking every credential; username change and reset; me update and delete; list and
 * detail permissions; and the deliberate differences (docs/compatibility.md, djoser).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader, type TestResponse, type TestServer } from '../helpers.js';
import { outboxOf, type SentMail } from './djoser-outbox.js';

const P = '/auth';
const STRONG = 'Tr1cky-Passphrase!';
const REQUIRED = ['This field is required.'];
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const MISMATCH = { non_field_errors: ["The two password fields didn't match."] };
const WEAK_1234 = ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'];
const UNABLE = { non_field_errors: ['Unable to log in with provided credentials.'] };
const BAD_USERNAME = ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'];

const DJOSER_SETTINGS = {
  accounts: {
    djoser: P,
    domain: 'localhost:3000',
    protocol: 'http',
    siteName: 'Oracle',
    sendConfirmationEmail: true,
    passwordChangedEmail: true,
    usernameChangedEmail: true,
  },
  email: { backend: 'memory' },
  // Access tokens carry the revocation claim: a password change refuses them at once.
  jwt: { checkRevokeToken: true },
  // The account throttle (30 anonymous requests an hour per address) would stop this suite.
  throttle: { rates: { accounts: null }, accountEmailRate: null },
};

let s: TestServer;
let outbox: () => SentMail[];

before(async () => {
  s = await startServer({ settings: DJOSER_SETTINGS });
  outbox = outboxOf(s.app);
  await s.app.users.create({ username: 'alice', password: 'alice-password-1', email: 'alice@example.com' });
  await s.app.users.create({ username: 'bob', password: 'bob-password-1', email: 'bob@example.com', isActive: false });
  await s.app.users.create({ username: 'admin', password: 'admin-password-1', email: 'admin@example.com', isStaff: true });
});
after(() => s.close());

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) => s.send('POST', `${P}${path}`, { body: body ?? {}, headers });
const json = (r: TestResponse) => r.json as Record<string, unknown>;
const expect = (r: TestResponse, status: number, body?: unknown) => {
  assert.equal(r.status, status, r.text);
  if (body === undefined) {
    assert.equal(r.text, '', 'no body');
    assert.equal(r.headers['content-type'], undefined, 'no Content-Type on an empty answer');
  } else assert.deepEqual(r.json, body);
};
/** Key order matters in djoser's error maps: compare the raw JSON text too. */
const expectText = (r: TestResponse, status: number, text: string) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.text, text);
};

async function login(username: string, password: string): Promise<string> {
  const r = await post('/token/login/', { username, password });
  assert.equal(r.status, 200, r.text);
  return json(r).auth_token as string;
}

/** uid and token of the last e-mail's link to `to` whose path starts with `kind`. */
function linkOf(to: string, kind: string): { uid: string; token: string; mail: SentMail } {
  const mails = outbox().filter((m) => m.to.includes(to));
  const mail = mails[mails.length - 1];
  assert.ok(mail, `an e-mail to ${to}`);
  const m = new RegExp(`http://localhost:3000/#/${kind}/([^/\\s]+)/([^/\\s]+)`).exec(mail.text);
  assert.ok(m, `a ${kind} link in: ${mail.text}`);
  return { uid: m[1]!, token: m[2]!, mail };
}

async function signUp(username: string, email: string, password = STRONG) {
  return post('/users/', { username, email, password, re_password: password });
}

describe('sign-up: POST /auth/users/', () => {
  test('201 without id (accounts.uniqueEmail), the user inactive, the activation e-mail as djoser words it', async () => {
    const before = outbox().length;
    const r = await signUp('carol', 'carol@EXAMPLE.com');
    expectText(r, 201, '{"email":"carol@example.com","username":"carol"}');
    const carol = await s.app.users.getByUsername('carol');
    assert.equal(carol?.isActive, false);
    const mails = outbox().slice(before);
    assert.equal(mails.length, 1);
    const { uid, mail } = linkOf('carol@example.com', 'activate');
    assert.equal(mail.subject, 'Account activation on Oracle');
    assert.equal(uid, Buffer.from(String(carol!.id)).toString('base64url'));
    const { token } = linkOf('carol@example.com', 'activate');
    assert.equal(
      mail.text,
      `You're receiving this email because you need to finish activation process on Oracle.\n\nPlease go to the following page to activate account:\nhttp://localhost:3000/#/activate/${uid}/${token}\n\nThanks for using our site!\n\nThe Oracle team`,
    );
  });

  test('a taken e-mail address answers exactly like a new account, creates nothing, mails the owner', async () => {
    const before = outbox().length;
    const r = await signUp('mallory', 'alice@example.com');
    expectText(r, 201, '{"email":"alice@example.com","username":"mallory"}');
    assert.equal(await s.app.users.getByUsername('mallory'), null);
    assert.ok(outbox().slice(before).every((m) => m.to.includes('alice@example.com')));
  });

  const errors: Array<[string, unknown, string]> = [
    ['empty body', {}, '{"username":["This field is required."],"password":["This field is required."],"re_password":["This field is required."]}'],
    ['missing re_password', { username: 'erin', email: 'erin@example.com', password: STRONG }, '{"re_password":["This field is required."]}'],
    ['retype mismatch', { username: 'erin', password: STRONG, re_password: `${STRONG}?` }, JSON.stringify(MISMATCH)],
    ['too short', { username: 'erin', password: 'Ab1!x', re_password: 'Ab1!x' }, '{"password":["This password is too short. It must contain at least 8 characters."]}'],
    ['too common', { username: 'erin', password: 'password1', re_password: 'password1' }, '{"password":["This password is too common."]}'],
    ['entirely numeric', { username: 'erin', password: '48151623429', re_password: '48151623429' }, '{"password":["This password is entirely numeric."]}'],
    ['similar to the username', { username: 'erinsmith', password: 'erinsmith77', re_password: 'erinsmith77' }, '{"password":["The password is too similar to the username."]}'],
    ['similar to the e-mail', { username: 'erin', email: 'quasimodo@example.com', password: 'quasimodo!', re_password: 'quasimodo!' }, '{"password":["The password is too similar to the email address."]}'],
    ['weak and mismatched: the validators win', { username: 'erin', password: '1234', re_password: '12345' }, JSON.stringify({ password: WEAK_1234 })],
    ['username taken (exact)', { username: 'alice', password: STRONG, re_password: STRONG }, '{"username":["A user with that username already exists."]}'],
    ['invalid e-mail', { username: 'erin', email: 'not-an-email', password: STRONG, re_password: STRONG }, '{"email":["Enter a valid email address."]}'],
    ['invalid username', { username: 'erin smith!', password: STRONG, re_password: STRONG }, JSON.stringify({ username: BAD_USERNAME })],
    ['null passwords', { username: 'erin', password: null, re_password: null }, '{"password":["This field may not be null."],"re_password":["This field may not be null."]}'],
    ['field errors together, in declaration order', { email: 'x', username: 'alice' }, '{"email":["Enter a valid email address."],"username":["A user with that username already exists."],"password":["This field is required."],"re_password":["This field is required."]}'],
  ];
  for (const [name, body, text] of errors) {
    test(`400: ${name}`, async () => {
      const before = outbox().length;
      expectText(await post('/users/', body), 400, text);
      assert.equal(outbox().length, before, 'nothing mailed');
      assert.equal(await s.app.users.getByUsername('erin'), null, 'nothing created');
    });
  }

  test('no e-mail: 201, extra fields (is_staff, is_active, id) ignored; form bodies work', async () => {
    const r = await post('/users/', { username: 'noemail', password: STRONG, re_password: STRONG, is_staff: true, is_active: true, id: 99 });
    expectText(r, 201, '{"email":"","username":"noemail"}');
    const u = await s.app.users.getByUsername('noemail');
    assert.deepEqual([u?.isStaff, u?.isActive, u?.id === 99], [false, false, false]);
    const form = await s.send('POST', `${P}/users/`, {
      body: `username=frank&email=frank%40example.com&password=${encodeURIComponent(STRONG)}&re_password=${encodeURIComponent(STRONG)}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectText(form, 201, '{"email":"frank@example.com","username":"frank"}');
  });

  test('GET /auth/users/ anonymous → 401 with the JWT challenge; /auth/users (no slash) is the same route', async () => {
    const r = await s.send('GET', `${P}/users/`);
    expect(r, 401, NOT_PROVIDED);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="api"');
    assert.equal(r.headers.allow, 'GET, POST, HEAD, OPTIONS');
    expect(await s.send('GET', `${P}/users`), 401, NOT_PROVIDED);
  });
});

describe('activation: link from the e-mail → activation → login', () => {
  test('the whole flow, then the same link again is 403 Stale token', async () => {
    assert.equal((await signUp('dave', 'dave@example.com')).status, 201);
    expect(await post('/token/login/', { username: 'dave', password: STRONG }), 400, UNABLE);
    const jwt = await s.send('POST', `${P}/jwt/create/`, { body: { username: 'dave', password: STRONG } });
    expect(jwt, 401, { detail: 'No active account found with the given credentials' });
    const { uid, token } = linkOf('dave@example.com', 'activate');
    const before = outbox().length;
    expect(await post('/users/activation/', { uid, token }), 204);
    const confirmation = outbox().slice(before);
    assert.deepEqual(confirmation.map((m) => m.subject), ['Oracle - Your account has been successfully created and activated!']);
    assert.equal(confirmation[0]!.text, 'Your account has been created and is ready to use!\n\nThanks for using our site!\n\nThe Oracle team');
    expect(await post('/users/activation/', { uid, token }), 403, { detail: 'Stale token for given user.' });
    await login('dave', STRONG);
    // A login sets last_login, which the link is bound to (as Django's generator): now it is invalid.
    expect(await post('/users/activation/', { uid, token }), 400, { token: ['Invalid token for given user.'] });
  });

  const errors: Array<[string, (t: string) => unknown, unknown]> = [
    ['empty body', () => ({}), { uid: REQUIRED, token: REQUIRED }],
    ['uid not decodable', (t) => ({ uid: 'xx', token: t }), { uid: ["Invalid user id or user doesn't exist."] }],
    ['uid of no user (OTk5 = 999)', (t) => ({ uid: 'OTk5', token: t }), { uid: ["Invalid user id or user doesn't exist."] }],
    ['bad uid and bad token: uid first', () => ({ uid: 'xx', token: 'nope' }), { uid: ["Invalid user id or user doesn't exist."] }],
    ['token of another user', (t) => ({ uid: 'MQ', token: t }), { token: ['Invalid token for given user.'] }],
    ['bad token', () => ({ uid: 'MQ', token: 'dixt9g-00000000000000000000000000000000' }), { token: ['Invalid token for given user.'] }],
  ];
  test('400 for each bad request, the pending account untouched', async () => {
    assert.equal((await signUp('pending', 'pending@example.com')).status, 201);
    const { token } = linkOf('pending@example.com', 'activate');
    for (const [name, body, expected] of errors) {
      const r = await post('/users/activation/', body(token));
      assert.equal(r.status, 400, name);
      assert.deepEqual(r.json, expected, name);
    }
    assert.equal((await s.app.users.getByUsername('pending'))?.isActive, false);
  });

  test('an administrator-disabled account is not re-activated by a link (bob)', async () => {
    expect(await post('/users/resend_activation/', { email: 'bob@example.com' }), 204);
    assert.ok(!outbox().some((m) => m.to.includes('bob@example.com')), 'no activation e-mail for a disabled account');
  });

  test('GET users/activation/: anonymous 401 (the default permission first), authenticated 405', async () => {
    const anon = await s.send('GET', `${P}/users/activation/`);
    expect(anon, 401, NOT_PROVIDED);
    assert.equal(anon.headers['www-authenticate'], 'Bearer realm="api"');
    const key = await login('alice', 'alice-password-1');
    expect(await s.send('GET', `${P}/users/activation/`, { headers: tokenHeader(key) }), 405, { detail: 'Method "GET" not allowed.' });
  });
});

describe('resend_activation: always 204 (no enumeration)', () => {
  test('pending user: 204 + a new activation e-mail; unknown and active addresses: 204, nothing mailed', async () => {
    assert.equal((await signUp('gina', 'gina@example.com')).status, 201);
    const before = outbox().length;
    expect(await post('/users/resend_activation/', { email: 'gina@example.com' }), 204);
    assert.deepEqual(outbox().slice(before).map((m) => [m.to[0], m.subject]), [['gina@example.com', 'Account activation on Oracle']]);
    const after = outbox().length;
    expect(await post('/users/resend_activation/', { email: 'admin@example.com' }), 204);
    expect(await post('/users/resend_activation/', { email: 'nobody@example.com' }), 204);
    assert.equal(outbox().length, after);
  });
  test('400: invalid and missing e-mail', async () => {
    expect(await post('/users/resend_activation/', { email: 'nope' }), 400, { email: ['Enter a valid email address.'] });
    expect(await post('/users/resend_activation/', {}), 400, { email: REQUIRED });
  });
});

describe('token/login, token/logout', () => {
  test('login: 200 {auth_token}; every failure the one message; GET 405', async () => {
    const key = await login('alice', 'alice-password-1');
    assert.match(key, /^[0-9a-f]{64}$/, 'a new Gatehouse key (docs/compatibility.md, opaque tokens)');
    const me = await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(key) });
    expectText(me, 200, '{"email":"alice@example.com","id":1,"username":"alice"}');
    for (const body of [
      { username: 'alice', password: 'nope' },
      { username: 'nobody', password: 'nope' },
      { username: 'bob', password: 'bob-password-1' },
      {},
      { username: 'alice' },
      { email: 'alice@example.com', password: 'alice-password-1' },
      { username: 'ALICE', password: 'alice-password-1' },
    ]) {
      expect(await post('/token/login/', body), 400, UNABLE);
    }
    expect(await post('/token/login/', { username: 'alice', password: null }), 400, { password: ['This field may not be null.'] });
    expect(await s.send('GET', `${P}/token/login/`), 405, { detail: 'Method "GET" not allowed.' });
    assert.equal((await s.send('POST', `${P}/token/login`, { body: { username: 'alice', password: 'alice-password-1' } })).status, 200);
  });

  test('logout: 204 revokes every opaque token of the user (a JWT-authenticated call too); anonymous 401; bad token 401', async () => {
    expect(await post('/token/logout/'), 401, NOT_PROVIDED);
    expect(await post('/token/logout/', {}, tokenHeader('0123456789abcdef0123456789abcdef01234567')), 401, { detail: 'Invalid token.' });
    const a = await login('alice', 'alice-password-1');
    const b = await login('alice', 'alice-password-1');
    expect(await post('/token/logout/', {}, tokenHeader(a)), 204);
    expect(await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(b) }), 401, { detail: 'Invalid token.' });
    const c = await login('alice', 'alice-password-1');
    const jwt = await s.send('POST', `${P}/jwt/create/`, { body: { username: 'alice', password: 'alice-password-1' } });
    const access = json(jwt).access as string;
    expect(await post('/token/logout/', {}, { Authorization: `Bearer ${access}` }), 204);
    expect(await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(c) }), 401, { detail: 'Invalid token.' });
    assert.equal((await s.send('GET', `${P}/users/me/`, { headers: { Authorization: `Bearer ${access}` } })).status, 200, 'the JWT stays valid');
  });
});

describe('jwt/create, jwt/refresh, jwt/verify (simplejwt views)', () => {
  test('pair, refresh, verify; the same errors as /api/token/', async () => {
    const r = await s.send('POST', `${P}/jwt/create/`, { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(r.status, 200);
    const { access, refresh } = r.json as { access: string; refresh: string };
    assert.deepEqual(Object.keys(json(r)), ['refresh', 'access']);
    const refreshed = await s.send('POST', `${P}/jwt/refresh/`, { body: { refresh } });
    assert.deepEqual(Object.keys(json(refreshed)), ['access']);
    expect(await s.send('POST', `${P}/jwt/refresh/`, { body: { refresh: access } }), 401, { detail: 'Token has wrong type', code: 'token_not_valid' });
    expect(await s.send('POST', `${P}/jwt/verify/`, { body: { token: access } }), 200, {});
    const garbage = await s.send('POST', `${P}/jwt/verify/`, { body: { token: 'garbage' } });
    expect(garbage, 401, { detail: 'Token is invalid', code: 'token_not_valid' });
    assert.equal(garbage.headers['www-authenticate'], 'Bearer realm="api"');
    expect(await s.send('POST', `${P}/jwt/create/`, { body: { username: 'alice', password: 'nope' } }), 401, { detail: 'No active account found with the given credentials' });
    expect(await s.send('POST', `${P}/jwt/create/`, { body: {} }), 400, { username: REQUIRED, password: REQUIRED });
  });
});

describe('users/me/', () => {
  test('GET with Token, Bearer, lowercase keyword; POST 405; anonymous 401', async () => {
    const key = await login('admin', 'admin-password-1');
    expectText(await s.send('GET', `${P}/users/me/`, { headers: { Authorization: `token ${key}` } }), 200, '{"email":"admin@example.com","id":3,"username":"admin"}');
    expect(await s.send('POST', `${P}/users/me/`, { headers: tokenHeader(key) }), 405, { detail: 'Method "POST" not allowed.' });
    expect(await s.send('GET', `${P}/users/me/`), 401, NOT_PROVIDED);
    expect(await s.send('GET', `${P}/users/me/`, { headers: { Authorization: 'Bearer garbage' } }), 401, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
    });
  });

  test('PATCH/PUT without an e-mail change: 200, username read-only, nothing mailed', async () => {
    const key = await login('alice', 'alice-password-1');
    const before = outbox().length;
    const renamed = await s.send('PATCH', `${P}/users/me/`, { headers: tokenHeader(key), body: { username: 'alice-renamed' } });
    expectText(renamed, 200, '{"email":"alice@example.com","id":1,"username":"alice"}');
    expect(await s.send('PUT', `${P}/users/me/`, { headers: tokenHeader(key), body: {} }), 200, { email: 'alice@example.com', id: 1, username: 'alice' });
    expect(await s.send('PATCH', `${P}/users/me/`, { headers: tokenHeader(key), body: { email: 'alice@example.com' } }), 200, { email: 'alice@example.com', id: 1, username: 'alice' });
    assert.equal(outbox().length, before, 'no activation e-mail without an e-mail change');
    expect(await s.send('PATCH', `${P}/users/me/`, { headers: tokenHeader(key), body: { email: 'nope' } }), 400, { email: ['Enter a valid email address.'] });
  });

  test('PATCH a new e-mail: the account is pending until the link mailed to the new address is used', async () => {
    assert.equal((await signUp('henry', 'henry@example.com')).status, 201);
    const first = linkOf('henry@example.com', 'activate');
    expect(await post('/users/activation/', { uid: first.uid, token: first.token }), 204);
    const key = await login('henry', STRONG);
    const r = await s.send('PATCH', `${P}/users/me/`, { headers: tokenHeader(key), body: { email: 'henry2@example.com' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(json(r).email, 'henry2@example.com');
    expect(await post('/token/login/', { username: 'henry', password: STRONG }), 400, UNABLE);
    const { uid, token } = linkOf('henry2@example.com', 'activate');
    expect(await post('/users/activation/', { uid, token }), 204);
    await login('henry', STRONG);
  });

  test('DELETE: current_password required / wrong; OK deletes the user and its credentials', async () => {
    assert.equal((await signUp('ivan', 'ivan@example.com')).status, 201);
    const link = linkOf('ivan@example.com', 'activate');
    expect(await post('/users/activation/', { uid: link.uid, token: link.token }), 204);
    const key = await login('ivan', STRONG);
    const del = (body?: unknown) => s.send('DELETE', `${P}/users/me/`, { headers: tokenHeader(key), ...(body ? { body } : {}) });
    expect(await del(), 400, { current_password: REQUIRED });
    expect(await del({ current_password: 'nope' }), 400, { current_password: ['Invalid password.'] });
    expect(await del({ current_password: STRONG }), 204);
    assert.equal(await s.app.users.getByUsername('ivan'), null);
    expect(await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(key) }), 401, { detail: 'Invalid token.' });
  });
});

describe('users/ and users/<id>/ (HIDE_USERS)', () => {
  test('a user lists only itself; staff lists everyone, ordered by id', async () => {
    const alice = await login('alice', 'alice-password-1');
    expectText(await s.send('GET', `${P}/users/`, { headers: tokenHeader(alice) }), 200, '[{"email":"alice@example.com","id":1,"username":"alice"}]');
    const admin = await login('admin', 'admin-password-1');
    const all = (await s.send('GET', `${P}/users/`, { headers: tokenHeader(admin) })).json as Array<{ id: number }>;
    assert.ok(all.length > 3);
    assert.deepEqual(all.map((u) => u.id), [...all.map((u) => u.id)].sort((a, b) => a - b));
  });

  test('another id as a non-staff user: 404 for every method; own id: 200; staff: any user, 404 for none', async () => {
    const alice = await login('alice', 'alice-password-1');
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      expect(await s.send(method, `${P}/users/3/`, { headers: tokenHeader(alice), body: { current_password: 'alice-password-1' } }), 404, { detail: 'Not found.' });
    }
    expect(await s.send('GET', `${P}/users/1/`, { headers: tokenHeader(alice) }), 200, { email: 'alice@example.com', id: 1, username: 'alice' });
    const admin = await login('admin', 'admin-password-1');
    expect(await s.send('GET', `${P}/users/1/`, { headers: tokenHeader(admin) }), 200, { email: 'alice@example.com', id: 1, username: 'alice' });
    expect(await s.send('GET', `${P}/users/999/`, { headers: tokenHeader(admin) }), 404, { detail: 'Not found.' });
    expect(await s.send('GET', `${P}/users/1/`), 401, NOT_PROVIDED);
  });

  test("staff updates another user's e-mail: the account is pending until the new address confirms", async () => {
    await s.app.users.create({ username: 'rita', password: 'rita-password-1', email: 'rita@example.com' });
    const rita = (await s.app.users.getByUsername('rita'))!;
    const admin = await login('admin', 'admin-password-1');
    const r = await s.send('PATCH', `${P}/users/${rita.id}/`, { headers: tokenHeader(admin), body: { email: 'rita2@example.com' } });
    expect(r, 200, { email: 'rita2@example.com', id: rita.id, username: 'rita' });
    assert.equal((await s.app.users.getByUsername('rita'))?.isActive, false);
    const { uid, token } = linkOf('rita2@example.com', 'activate');
    expect(await post('/users/activation/', { uid, token }), 204);
    const head = await s.send('HEAD', `${P}/users/${rita.id}/`, { headers: tokenHeader(admin) });
    assert.deepEqual([head.status, head.text], [200, '']);
  });

  test("staff deletes another user with the staff's own password", async () => {
    await s.app.users.create({ username: 'temp', password: 'temp-password-1', email: 'temp@example.com' });
    const temp = (await s.app.users.getByUsername('temp'))!;
    const admin = await login('admin', 'admin-password-1');
    const del = (current: string) => s.send('DELETE', `${P}/users/${temp.id}/`, { headers: tokenHeader(admin), body: { current_password: current } });
    expect(await del('temp-password-1'), 400, { current_password: ['Invalid password.'] });
    expect(await del('admin-password-1'), 204);
    assert.equal(await s.app.users.getByUsername('temp'), null);
  });
});

describe('set_password: every credential revoked', () => {
  test('errors, in djoser order', async () => {
    const key = await login('alice', 'alice-password-1');
    const sp = (body: unknown) => post('/users/set_password/', body, tokenHeader(key));
    expect(await post('/users/set_password/', {}), 401, NOT_PROVIDED);
    expectText(await sp({}), 400, '{"new_password":["This field is required."],"re_new_password":["This field is required."],"current_password":["This field is required."]}');
    expectText(await sp({ current_password: 'nope' }), 400, '{"new_password":["This field is required."],"re_new_password":["This field is required."],"current_password":["Invalid password."]}');
    expect(await sp({ current_password: 'nope', new_password: STRONG, re_new_password: STRONG }), 400, { current_password: ['Invalid password.'] });
    expect(await sp({ current_password: 'nope', new_password: '1234', re_new_password: '1234' }), 400, { current_password: ['Invalid password.'] });
    expect(await sp({ current_password: 'alice-password-1', new_password: STRONG, re_new_password: 'other-Passphrase-9' }), 400, MISMATCH);
    expect(await sp({ current_password: 'alice-password-1', new_password: 'Ab1!x', re_new_password: 'Ab1!x' }), 400, { new_password: ['This password is too short. It must contain at least 8 characters.'] });
    expect(await sp({ current_password: 'alice-password-1', new_password: 'alice1234', re_new_password: 'alice1234' }), 400, { new_password: ['The password is too similar to the username.'] });
  });

  test('OK: 204 + e-mail; opaque tokens, access and refresh JWTs are refused; the new password works', async () => {
    await s.app.users.create({ username: 'judy', password: 'judy-password-1', email: 'judy@example.com' });
    const key = await login('judy', 'judy-password-1');
    const pair = json(await s.send('POST', `${P}/jwt/create/`, { body: { username: 'judy', password: 'judy-password-1' } })) as { access: string; refresh: string };
    const before = outbox().length;
    expect(await post('/users/set_password/', { current_password: 'judy-password-1', new_password: STRONG, re_new_password: STRONG }, tokenHeader(key)), 204);
    assert.deepEqual(outbox().slice(before).map((m) => [m.to[0], m.subject]), [['judy@example.com', 'Oracle - Your password has been successfully changed!']]);
    expect(await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(key) }), 401, { detail: 'Invalid token.' });
    assert.equal((await s.send('GET', `${P}/users/me/`, { headers: { Authorization: `Bearer ${pair.access}` } })).status, 401);
    assert.equal((await s.send('POST', `${P}/jwt/refresh/`, { body: { refresh: pair.refresh } })).status, 401);
    expect(await post('/token/login/', { username: 'judy', password: 'judy-password-1' }), 400, UNABLE);
    await login('judy', STRONG);
  });
});

describe('reset_password and reset_password_confirm', () => {
  test('request: 204 for known, unknown, inactive and other-case addresses; only the known one is mailed', async () => {
    await s.app.users.create({ username: 'kate', password: 'kate-password-1', email: 'kate@example.com' });
    const before = outbox().length;
    for (const email of ['kate@example.com', 'nobody@example.com', 'bob@example.com']) expect(await post('/users/reset_password/', { email }), 204);
    const mails = outbox().slice(before);
    assert.deepEqual(mails.map((m) => [m.to[0], m.subject]), [['kate@example.com', 'Password reset on Oracle']]);
    const { uid, token } = linkOf('kate@example.com', 'password/reset/confirm');
    assert.equal(
      mails[0]!.text.split('\n').slice(0, 5).join('\n'),
      `You're receiving this email because you requested a password reset for your user account at Oracle.\n\nPlease go to the following page and choose a new password:\nhttp://localhost:3000/#/password/reset/confirm/${uid}/${token}\nYour username, in case you've forgotten: kate`,
    );
    expect(await post('/users/reset_password/', { email: 'nope' }), 400, { email: ['Enter a valid email address.'] });
    expect(await post('/users/reset_password/', {}), 400, { email: REQUIRED });
  });

  test('confirm: errors in djoser order; OK revokes every credential; the link is single-use', async () => {
    await s.app.users.create({ username: 'liam', password: 'liam-password-1', email: 'liam@example.com' });
    const key = await login('liam', 'liam-password-1');
    const access = (json(await s.send('POST', `${P}/jwt/create/`, { body: { username: 'liam', password: 'liam-password-1' } })) as { access: string }).access;
    expect(await post('/users/reset_password/', { email: 'liam@example.com' }), 204);
    const { uid, token } = linkOf('liam@example.com', 'password/reset/confirm');
    const confirm = (body: Record<string, unknown>) => post('/users/reset_password_confirm/', body);
    const pw = { new_password: STRONG, re_new_password: STRONG };
    expectText(await confirm({}), 400, '{"uid":["This field is required."],"token":["This field is required."],"new_password":["This field is required."],"re_new_password":["This field is required."]}');
    expect(await confirm({ uid: '!!', token, ...pw }), 400, { uid: ["Invalid user id or user doesn't exist."] });
    expect(await confirm({ uid: 'OTk5', token, ...pw }), 400, { uid: ["Invalid user id or user doesn't exist."] });
    expect(await confirm({ uid, token: 'abc-123', ...pw }), 400, { token: ['Invalid token for given user.'] });
    expect(await confirm({ uid, token: 'abc-123', new_password: '1234', re_new_password: '1234' }), 400, { new_password: WEAK_1234 });
    expect(await confirm({ uid, token, new_password: STRONG, re_new_password: `x${STRONG}` }), 400, MISMATCH);
    expect(await confirm({ uid, token, new_password: STRONG }), 400, { re_new_password: REQUIRED });
    const before = outbox().length;
    expect(await confirm({ uid, token, ...pw }), 204);
    assert.deepEqual(outbox().slice(before).map((m) => m.subject), ['Oracle - Your password has been successfully changed!']);
    expect(await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(key) }), 401, { detail: 'Invalid token.' });
    assert.equal((await s.send('GET', `${P}/users/me/`, { headers: { Authorization: `Bearer ${access}` } })).status, 401, 'JWTs issued before the reset are refused');
    expect(await confirm({ uid, token, new_password: 'Another-Passphrase-7', re_new_password: 'Another-Passphrase-7' }), 400, { token: ['Invalid token for given user.'] });
    await login('liam', STRONG);
  });
});

describe('set_username, reset_username, reset_username_confirm', () => {
  test('set_username: errors together; OK renames, mails, tokens keep working', async () => {
    await s.app.users.create({ username: 'mia', password: 'mia-password-1', email: 'mia@example.com' });
    const key = await login('mia', 'mia-password-1');
    const su = (body: unknown) => post('/users/set_username/', body, tokenHeader(key));
    expectText(await su({}), 400, '{"current_password":["This field is required."],"new_username":["This field is required."]}');
    expect(await su({ new_username: 'mia2', current_password: 'nope' }), 400, { current_password: ['Invalid password.'] });
    expectText(await su({ new_username: 'admin', current_password: 'nope' }), 400, '{"current_password":["Invalid password."],"new_username":["A user with that username already exists."]}');
    expect(await su({ new_username: 'admin', current_password: 'mia-password-1' }), 400, { new_username: ['A user with that username already exists.'] });
    expect(await su({ new_username: 'a b', current_password: 'mia-password-1' }), 400, { new_username: BAD_USERNAME });
    const before = outbox().length;
    expect(await su({ new_username: 'mia2', current_password: 'mia-password-1' }), 204);
    assert.deepEqual(outbox().slice(before).map((m) => [m.to[0], m.subject]), [['mia@example.com', 'Oracle - Your username has been successfully changed!']]);
    const me = await s.send('GET', `${P}/users/me/`, { headers: tokenHeader(key) });
    assert.equal(json(me).username, 'mia2');
  });

  test('reset_username → link → confirm; the same link again is refused', async () => {
    await s.app.users.create({ username: 'nina', password: 'nina-password-1', email: 'nina@example.com' });
    expect(await post('/users/reset_username/', { email: 'nobody@example.com' }), 204);
    expect(await post('/users/reset_username/', { email: 'nina@example.com' }), 204);
    const { uid, token, mail } = linkOf('nina@example.com', 'username/reset/confirm');
    assert.equal(mail.subject, 'Username reset on Oracle');
    const confirm = (body: unknown) => post('/users/reset_username_confirm/', body);
    expectText(await confirm({}), 400, '{"new_username":["This field is required."]}');
    expect(await confirm({ new_username: 'nina2' }), 400, { uid: ["Invalid user id or user doesn't exist."] });
    expect(await confirm({ uid, token: 'abc-123', new_username: 'nina2' }), 400, { token: ['Invalid token for given user.'] });
    expect(await confirm({ uid, token, new_username: 'admin' }), 400, { new_username: ['A user with that username already exists.'] });
    expect(await confirm({ uid, token, new_username: 'nina2' }), 204);
    assert.ok(await s.app.users.getByUsername('nina2'));
    await login('nina2', 'nina-password-1');
    expect(await confirm({ uid, token, new_username: 'nina3' }), 400, { token: ['Invalid token for given user.'] });
  });
});

describe('safety beyond djoser', () => {
  test('reset_password_confirm runs the similarity validator against the account (docs/security.md #143)', async () => {
    await s.app.users.create({ username: 'oscar', password: 'oscar-password-1', email: 'oscar@example.com' });
    expect(await post('/users/reset_password/', { email: 'oscar@example.com' }), 204);
    const { uid, token } = linkOf('oscar@example.com', 'password/reset/confirm');
    expect(await post('/users/reset_password_confirm/', { uid, token, new_password: 'oscar1234', re_new_password: 'oscar1234' }), 400, {
      new_password: ['The password is too similar to the username.'],
    });
    expect(await post('/users/reset_password_confirm/', { uid, token, new_password: STRONG, re_new_password: STRONG }), 204);
  });

  test('an SMTP server that refuses: sign-up is 503 email_failed, the account stands (pending)', async () => {
    const down = await startServer({
      settings: { ...DJOSER_SETTINGS, email: { backend: 'smtp', host: '127.0.0.1', port: 1, timeout: '2s' } },
    });
    try {
      const r = await down.send('POST', `${P}/users/`, { body: { username: 'paula', email: 'paula@example.com', password: STRONG, re_password: STRONG } });
      assert.equal(r.status, 503, r.text);
      const body = r.json as { detail: string; code: string };
      assert.equal(body.code, 'email_failed');
      assert.match(body.detail, /e-mail could not be sent; ask for it again later\.$/);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal((await down.app.users.getByUsername('paula'))?.isActive, false, 'the account stands, pending');
    } finally {
      await down.close();
    }
  });
});

describe('accounts.loginField email', () => {
  test('token/login reads `email` (djoser LOGIN_FIELD = email); `username` is then no login', async () => {
    const byEmail = await startServer({ settings: { ...DJOSER_SETTINGS, accounts: { ...DJOSER_SETTINGS.accounts, loginField: 'email' } } });
    try {
      await byEmail.app.users.create({ username: 'quinn', password: 'quinn-password-1', email: 'quinn@example.com' });
      const ok = await byEmail.send('POST', `${P}/token/login/`, { body: { email: 'Quinn@Example.com', password: 'quinn-password-1' } });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(Object.keys(ok.json as object), ['auth_token']);
      const byName = await byEmail.send('POST', `${P}/token/login/`, { body: { username: 'quinn', password: 'quinn-password-1' } });
      expect(byName, 400, UNABLE);
      const jwt = await byEmail.send('POST', `${P}/jwt/create/`, { body: { email: 'quinn@example.com', password: 'quinn-password-1' } });
      assert.equal(jwt.status, 200, jwt.text);
    } finally {
      await byEmail.close();
    }
  });
});

describe('bad input on every djoser route: a typed 4xx, nothing changed', () => {
  const ROUTES: Array<[string, string]> = [
    ['POST', '/users/'],
    ['PUT', '/users/me/'],
    ['PATCH', '/users/me/'],
    ['DELETE', '/users/me/'],
    ['PATCH', '/users/1/'],
    ['DELETE', '/users/1/'],
    ['POST', '/users/activation/'],
    ['POST', '/users/resend_activation/'],
    ['POST', '/users/set_password/'],
    ['POST', '/users/reset_password/'],
    ['POST', '/users/reset_password_confirm/'],
    ['POST', '/users/set_username/'],
    ['POST', '/users/reset_username/'],
    ['POST', '/users/reset_username_confirm/'],
    ['POST', '/token/login/'],
    // token/logout/ reads no body (as djoser).
    ['POST', '/jwt/create/'],
    ['POST', '/jwt/refresh/'],
    ['POST', '/jwt/verify/'],
  ];
  const everyField = (value: unknown) =>
    JSON.stringify(Object.fromEntries(['username', 'email', 'password', 're_password', 'new_password', 're_new_password', 'current_password', 'new_username', 'uid', 'token', 'refresh'].map((k) => [k, value])));
  const bodies: Array<[string, string | Buffer, string]> = [
    ['malformed JSON', '{"username": ', 'application/json'],
    ['JSON list', '[1, 2]', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['objects for every field', everyField({ a: 1 }), 'application/json'],
    ['lists for every field', everyField(['x']), 'application/json'],
    ['booleans for every field', everyField(true), 'application/json'],
    ['NUL characters', everyField('a\u0000b'), 'application/json'],
    ['lone surrogates', everyField('\ud800'), 'application/json'],
    ['long values', everyField('x'.repeat(1400)), 'application/json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 'application/json'],
    ['text/plain', 'username=alice', 'text/plain'],
  ];

  test('anonymous and authenticated', async () => {
    const users = async () => (await s.app.users.list()).map((u) => `${u.id}:${u.username}:${u.email}:${u.isActive}:${u.password}`).join('|');
    const key = await login('alice', 'alice-password-1');
    const before = await users();
    const mails = outbox().length;
    for (const [method, path] of ROUTES) {
      for (const headers of [{}, tokenHeader(key)]) {
        for (const [name, body, type] of bodies) {
          const r = await s.send(method, `${P}${path}`, { body, headers: { ...headers, 'Content-Type': type } });
          const context = `${method} ${path} ${name}${'Authorization' in headers ? ' (authenticated)' : ''}`;
          assert.ok(r.status >= 400 && r.status < 500, `${context}: ${r.status} ${r.text.slice(0, 120)}`);
          assert.equal(r.headers['content-type'], 'application/json', context);
          assert.doesNotMatch(r.text, /\bat \w+ \(|node:internal|<html/i, context);
        }
      }
    }
    assert.equal(await users(), before, 'no user changed');
    assert.equal(outbox().length, mails, 'nothing mailed');
  });
});

describe('accounts.retypePassword false', () => {
  test('sign-up, set_password and reset_password_confirm take no retype field', async () => {
    const plain = await startServer({ settings: { ...DJOSER_SETTINGS, accounts: { ...DJOSER_SETTINGS.accounts, retypePassword: false } } });
    try {
      const p = (path: string, body: unknown, headers: Record<string, string> = {}) => plain.send('POST', `${P}${path}`, { body, headers });
      expectText(await p('/users/', {}), 400, '{"username":["This field is required."],"password":["This field is required."]}');
      assert.equal((await p('/users/', { username: 'sam', email: 'sam@example.com', password: STRONG })).status, 201);
      await plain.app.users.create({ username: 'tess', password: 'tess-password-1', email: 'tess@example.com' });
      const key = ((await p('/token/login/', { username: 'tess', password: 'tess-password-1' })).json as { auth_token: string }).auth_token;
      expectText(await p('/users/set_password/', {}, tokenHeader(key)), 400, '{"new_password":["This field is required."],"current_password":["This field is required."]}');
      expect(await p('/users/set_password/', { current_password: 'tess-password-1', new_password: STRONG }, tokenHeader(key)), 204);
      expectText(await p('/users/reset_password_confirm/', {}), 400, '{"uid":["This field is required."],"token":["This field is required."],"new_password":["This field is required."]}');
    } finally {
      await plain.close();
    }
  });
});
