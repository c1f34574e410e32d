/**
 * Every endpoint that issues a credential, with a second factor enabled (docs/mfa.md,
 * "Logging in with a second factor"; docs/security.md #167): the first call answers an
 * MFA ticket and issues nothing (no token, no JWT, no cookie, no stored row), a wrong
 * code gets nothing either, and the second call with the TOTP code answers exactly what
 * the path answers to a plain login.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from '../browser.js';
import { basicHeader, type TestResponse } from '../helpers.js';
import { PASSWORD, setCookies, startMfaServer, type MfaServer } from './harness.js';

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const TICKET = /^mfa_[\w-]{43}$/;
const ACCOUNTS = { djoser: '/auth', djRestAuth: '/dj-rest-auth', domain: 'app.example.com', emailVerification: 'none' };
const NO_DEVICE_COOKIE = { throttle: { deviceCookieLifetime: null } };

/** How a client talks to one login path: plain requests, or a browser in cookie mode (CSRF pre-session first). */
type Caller = (s: MfaServer, body: Record<string, unknown>, headers?: Record<string, string>) => Promise<TestResponse>;

const plain = (path: string): Caller => (s, body, headers = {}) => s.send('POST', path, { body, headers });

/** A browser that fetched its CSRF pre-session (kept across both calls, as a page keeps its cookies). */
const browsers = new WeakMap<MfaServer, Map<string, Browser>>();
const inBrowser = (path: string, csrfPath: string): Caller => async (s, body) => {
  const key = `${path} ${String(body.username ?? '')}`;
  let all = browsers.get(s);
  if (!all) browsers.set(s, (all = new Map()));
  let b = all.get(key);
  if (!b) {
    b = new Browser(s);
    assert.equal((await b.send('GET', csrfPath)).status, 200);
    all.set(key, b);
  }
  return b.send('POST', path, { body });
};

interface PathCase {
  name: string;
  server: 'token' | 'jwt' | 'cookie';
  call: Caller;
  /** First-call credentials (and headers: HTTP Basic). */
  credentials: (username: string) => { body: Record<string, unknown>; headers?: Record<string, string> };
  /** The path's normal answer to a login. */
  issued: (r: TestResponse) => void;
}

const userPass = (username: string) => ({ body: { username, password: PASSWORD } });
const keys = (r: TestResponse, expected: string[]) => assert.deepEqual(Object.keys(r.json as object), expected);
const tokenCookies = (r: TestResponse) => setCookies(r).filter((l) => /^gatehouse-(access|refresh)=[^;"]/.test(l));

const CASES: PathCase[] = [
  { name: 'DRF /api-token-auth/', server: 'token', call: plain('/api-token-auth/'), credentials: userPass, issued: (r) => keys(r, ['token']) },
  { name: 'knox /api/auth/login/ (body)', server: 'token', call: plain('/api/auth/login/'), credentials: userPass, issued: (r) => keys(r, ['expiry', 'token']) },
  {
    name: 'knox /api/auth/login/ (HTTP Basic)',
    server: 'token',
    call: plain('/api/auth/login/'),
    credentials: (u) => ({ body: {}, headers: basicHeader(u, PASSWORD) }),
    issued: (r) => keys(r, ['expiry', 'token']),
  },
  { name: 'simplejwt /api/token/', server: 'token', call: plain('/api/token/'), credentials: userPass, issued: (r) => (keys(r, ['refresh', 'access']), assert.match((r.json as { access: string }).access, JWT)) },
  { name: 'simplejwt /api/token/sliding/', server: 'token', call: plain('/api/token/sliding/'), credentials: userPass, issued: (r) => (keys(r, ['token']), assert.match((r.json as { token: string }).token, JWT)) },
  { name: 'djoser token/login/', server: 'token', call: plain('/auth/token/login/'), credentials: userPass, issued: (r) => keys(r, ['auth_token']) },
  { name: 'djoser jwt/create/', server: 'token', call: plain('/auth/jwt/create/'), credentials: userPass, issued: (r) => keys(r, ['refresh', 'access']) },
  { name: 'dj-rest-auth login/ (Token)', server: 'token', call: plain('/dj-rest-auth/login/'), credentials: userPass, issued: (r) => keys(r, ['key']) },
  { name: 'dj-rest-auth login/ (JWT)', server: 'jwt', call: plain('/dj-rest-auth/login/'), credentials: userPass, issued: (r) => keys(r, ['access', 'refresh', 'user']) },
  {
    name: 'cookie mode /api/token/',
    server: 'cookie',
    call: inBrowser('/api/token/', '/api/token/csrf/'),
    credentials: userPass,
    issued: (r) => (keys(r, ['refresh', 'access', 'access_expiration', 'refresh_expiration']), assert.equal(tokenCookies(r).length, 2)),
  },
  {
    name: 'dj-rest-auth login/ (JWT in cookies)',
    server: 'cookie',
    call: inBrowser('/dj-rest-auth/login/', '/api/token/csrf/'),
    credentials: userPass,
    issued: (r) => (keys(r, ['access', 'refresh', 'user', 'access_expiration', 'refresh_expiration']), assert.equal(tokenCookies(r).length, 2)),
  },
];

const servers = {} as Record<PathCase['server'], MfaServer>;
before(async () => {
  servers.token = await startMfaServer({ settings: { accounts: ACCOUNTS, ...NO_DEVICE_COOKIE } });
  servers.jwt = await startMfaServer({ settings: { accounts: { ...ACCOUNTS, djRestAuthJwt: true }, ...NO_DEVICE_COOKIE } });
  servers.cookie = await startMfaServer({ settings: { accounts: { ...ACCOUNTS, djRestAuthJwt: true }, cookies: { enabled: true }, ...NO_DEVICE_COOKIE } });
});
after(async () => {
  for (const s of Object.values(servers)) await s.close();
});

/** The credential in a body answer authenticates `/api/me/` as its user (cookie answers: the access cookie; a sliding token verifies). */
async function assertWorks(s: MfaServer, r: TestResponse, username: string): Promise<void> {
  const j = r.json as Record<string, string>;
  const opaque = j.token && !JWT.test(j.token) ? j.token : (j.auth_token ?? j.key);
  if (j.token && JWT.test(j.token)) {
    assert.equal((await s.send('POST', '/api/token/verify/', { body: { token: j.token } })).status, 200);
    return;
  }
  const bearer = j.access;
  const access = tokenCookies(r).find((l) => l.startsWith('gatehouse-access='));
  const headers: Record<string, string> = opaque
    ? { Authorization: `Token ${opaque}` }
    : bearer
      ? { Authorization: `Bearer ${bearer}` }
      : { Cookie: access!.slice(0, access!.indexOf(';')) };
  const me = await s.send('GET', '/api/me/', { headers });
  assert.equal(me.status, 200, me.text);
  assert.equal((me.json as { username: string }).username, username);
}

/** The first call's answer: 401, the ticket, the methods; nothing issued, nothing stored. */
async function firstCall(c: PathCase, s: MfaServer, userId: number, username: string): Promise<string> {
  const { body, headers } = c.credentials(username);
  const r = await c.call(s, body, headers);
  assert.equal(r.status, 401, r.text);
  assert.equal(r.headers['www-authenticate'], 'MFA realm="api"');
  const json = r.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), ['detail', 'code', 'mfa_ticket', 'methods', 'expires_in']);
  assert.equal(json.detail, 'A second factor is required.');
  assert.equal(json.code, 'mfa_required');
  assert.match(json.mfa_ticket as string, TICKET);
  assert.deepEqual(json.methods, ['totp', 'recovery_code']);
  assert.equal(json.expires_in, 300);
  assert.deepEqual(tokenCookies(r), [], 'no token cookie');
  assert.equal(await s.credentialRows(userId), 0, 'no token or JWT stored');
  return json.mfa_ticket as string;
}

describe('every credential-issuing path asks a user with a second factor for it (#167)', () => {
  for (const [i, c] of CASES.entries()) {
    test(c.name, async () => {
      const s = servers[c.server];
      const username = `user${i}`;
      const { user, enrolment } = await s.enrolledUser(username);
      const ticket = await firstCall(c, s, user.id, username);

      const wrong = await c.call(s, { username, mfa_ticket: ticket, code: s.wrong(enrolment) });
      assert.equal(wrong.status, 401, wrong.text);
      assert.deepEqual(wrong.json, { detail: 'The second factor is not valid.', code: 'mfa_code_invalid' });
      assert.deepEqual(tokenCookies(wrong), []);
      assert.equal(await s.credentialRows(user.id), 0);

      const ok = await c.call(s, { username, mfa_ticket: ticket, code: s.code(enrolment) });
      assert.equal(ok.status, 200, ok.text);
      c.issued(ok);
      await assertWorks(s, ok, username);
    });
  }

  test('a user without a second factor logs in with the password alone, on every path', async () => {
    for (const [i, c] of CASES.entries()) {
      const s = servers[c.server];
      const username = `plain${i}`;
      await s.app.users.create({ username, password: PASSWORD });
      const { body, headers } = c.credentials(username);
      const r = await c.call(s, body, headers);
      assert.equal(r.status, 200, `${c.name}: ${r.text}`);
      c.issued(r);
    }
  });
});

describe('the second call is bound to its path (#169)', () => {
  test('a ticket from one path is refused on every other path of the same server', async () => {
    const s = servers.token;
    const { enrolment } = await s.enrolledUser('pathbound');
    const first = await s.send('POST', '/api/token/', { body: { username: 'pathbound', password: PASSWORD } });
    const ticket = (first.json as { mfa_ticket: string }).mfa_ticket;
    for (const path of ['/api-token-auth/', '/api/auth/login/', '/api/token/sliding/', '/auth/token/login/', '/auth/jwt/create/', '/dj-rest-auth/login/', '/dj-rest-auth/registration/']) {
      const r = await s.send('POST', path, { body: { mfa_ticket: ticket, code: s.code(enrolment) } });
      assert.equal(r.status, 401, `${path}: ${r.text}`);
      assert.deepEqual(r.json, { detail: 'The MFA ticket was issued by another login endpoint.', code: 'mfa_ticket_wrong_endpoint' });
    }
    const ok = await s.send('POST', '/api/token/', { body: { mfa_ticket: ticket, code: s.code(enrolment) } });
    assert.equal(ok.status, 200, ok.text);
  });
});
