/**
 * Cookie mode on a real server (docs/cookie-mode.md): dj-rest-auth's JWT-in-cookie
 * behaviour (drf-wire.md §3.5, §4.7, §10) made safer by default, against docs/security.md
 * group I (#70–#79) and #67–#68.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../../src/core/settings.js';
import { httpDate } from '../../src/cookies/cookie.js';
import type { HandlerContext } from '../../src/http/route.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { StartupError, createGatehouse } from '../../src/server/app.js';
import { listen } from '../../src/server/serve.js';
import { startServer, type RequestOptions, type TestResponse, type TestServer } from '../helpers.js';
import { Browser } from '../browser.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(cookies: Record<string, unknown> = {}, jwt: Record<string, unknown> = {}): Promise<TestServer> {
  // The login device cookie (login-throttle.test.ts) is off here: these tests count the token cookies.
  const s = await startServer({ settings: { cookies: { enabled: true, ...cookies }, jwt, throttle: { deviceCookieLifetime: null } } });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('carol', 'carol-password-1');
  addEcho(s);
  return s;
}

/** `/api/echo/`: [JWTCookie, Token], IsAuthenticated, every method (an application route). */
function addEcho(s: TestServer): void {
  const echo = (ctx: HandlerContext) => ({ body: { user: ctx.principal!.user.username, method: ctx.req.method } });
  const authenticators = s.app.authenticators.jwtCookie ? [s.app.authenticators.jwtCookie, s.app.authenticators.token] : [s.app.authenticators.jwt, s.app.authenticators.token];
  s.app.engine.add({ path: '/api/echo/', authenticators, permissions: [IsAuthenticated], methods: { GET: echo, POST: echo, PUT: echo, PATCH: echo, DELETE: echo } });
}

const CHALLENGE = 'Bearer realm="api"';
const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT';
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const nowS = (s: TestServer) => Math.floor(s.clock.now() / 1000);
const payload = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const setCookies = (res: TestResponse): string[] => (res.headers['set-cookie'] as string[] | undefined) ?? [];
const cookieLine = (res: TestResponse, name: string) => setCookies(res).find((l) => l.startsWith(`${name}=`));
const valueIn = (line: string | undefined) => (line ? line.slice(line.indexOf('=') + 1, line.indexOf(';')) : undefined);
const blacklistedBody = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
};

async function loggedIn(s: TestServer, username = 'alice'): Promise<Browser> {
  const b = new Browser(s);
  await b.login(username);
  return b;
}

// ------------------------------------------------------------------------------------

describe('cookie mode off (the default): nothing changes', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    servers.push(s);
    await s.createUser('alice', 'alice-password-1');
    addEcho(s);
  });

  test('/api/token/ returns the tokens in the body, sets no token cookie, adds no sid claim', async () => {
    const res = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object), ['refresh', 'access']);
    assert.deepEqual(setCookies(res).map((l) => l.slice(0, l.indexOf('='))), ['gatehouse-device'], 'only the login device cookie');
    const { refresh, access } = res.json as { refresh: string; access: string };
    assert.deepEqual(Object.keys(payload(refresh)), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.deepEqual(Object.keys(payload(access)), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.equal(s.app.authenticators.jwtCookie, undefined);
    // An access cookie is not a credential.
    const me = await s.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${access}` } });
    assert.equal(me.status, 401);
    assert.deepEqual(me.json, { detail: 'Authentication credentials were not provided.' });
    // Refresh takes the body only.
    const r = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: `gatehouse-refresh=${refresh}` } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { refresh: ['This field is required.'] });
  });

  test('the logout and csrf routes do not exist; form bodies still work', async () => {
    assert.equal((await s.send('POST', '/api/token/logout/')).status, 404);
    assert.equal((await s.send('GET', '/api/token/csrf/')).status, 404);
    const form = await s.send('POST', '/api/token/', { body: 'username=alice&password=alice-password-1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200);
  });
});

// ------------------------------------------------------------------------------------

describe('login sets the cookies (docs/security.md #70, #71; drf-wire §10)', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  test('GET /api/token/csrf/: a readable CSRF cookie and an HttpOnly pre-session id', async () => {
    const res = await s.send('GET', '/api/token/csrf/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { detail: 'CSRF cookie set.' });
    assert.equal(res.headers['cache-control'], 'no-store');
    const exp = httpDate(s.clock.now() + 86_400_000);
    assert.match(cookieLine(res, 'csrftoken')!, new RegExp(`^csrftoken=[A-Za-z0-9_-]{24}\\.\\d+\\.[A-Za-z0-9_-]{43}; expires=${exp}; Max-Age=86400; Path=/; SameSite=Lax; Secure$`));
    assert.match(cookieLine(res, 'gatehouse-refresh-presession')!, new RegExp(`^gatehouse-refresh-presession=[A-Za-z0-9_-]{24}; expires=${exp}; HttpOnly; Max-Age=86400; Path=/api/token/; SameSite=Lax; Secure$`));
  });

  test('Set-Cookie lines: HttpOnly; Secure; SameSite=Lax, access Path=/, refresh Path=/api/token/, Max-Age = lifetime', async () => {
    const b = new Browser(s);
    const res = await b.login();
    const lines = setCookies(res);
    assert.equal(lines.length, 4);
    const access = cookieLine(res, 'gatehouse-access')!;
    const refresh = cookieLine(res, 'gatehouse-refresh')!;
    // Django's attribute order, as dj-rest-auth sends them (+ Secure).
    assert.equal(access, `gatehouse-access=${b.access}; expires=${httpDate(s.clock.now() + 300_000)}; HttpOnly; Max-Age=300; Path=/; SameSite=Lax; Secure`);
    assert.equal(refresh, `gatehouse-refresh=${b.refresh}; expires=${httpDate(s.clock.now() + 86_400_000)}; HttpOnly; Max-Age=86400; Path=/api/token/; SameSite=Lax; Secure`);
    assert.match(b.access, JWT);
    assert.match(b.refresh, JWT);
    assert.ok(Buffer.byteLength(access.split(';')[0]!) <= 4096);
    // The CSRF cookie is readable by the page (no HttpOnly) and bound to the new session.
    assert.match(cookieLine(res, 'csrftoken')!, /^csrftoken=[^;]+; expires=[^;]+; Max-Age=86400; Path=\/; SameSite=Lax; Secure$/);
    // The pre-session is over.
    assert.equal(cookieLine(res, 'gatehouse-refresh-presession'), `gatehouse-refresh-presession=""; expires=${EPOCH}; Max-Age=0; Path=/api/token/; SameSite=Lax; Secure`);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('no token in the JSON body: "refresh": "" as dj-rest-auth, "access": "" too; expirations instead', async () => {
    const b = new Browser(s);
    const res = await b.login();
    assert.deepEqual(Object.keys(res.json as object), ['refresh', 'access', 'access_expiration', 'refresh_expiration']);
    const body = res.json as Record<string, string>;
    assert.equal(body.refresh, '');
    assert.equal(body.access, '');
    assert.equal(body.access_expiration, new Date((nowS(s) + 300) * 1000).toISOString().replace(/\.\d+Z$/, '.000000Z'));
    assert.equal(body.refresh_expiration, new Date((nowS(s) + 86_400) * 1000).toISOString().replace(/\.\d+Z$/, '.000000Z'));
    assert.ok(!res.text.includes(b.access.slice(0, 16)) && !res.text.includes(b.refresh.slice(0, 16)));
  });

  test('the tokens carry a sid claim (the refresh family), the same in access and refresh', async () => {
    const b = new Browser(s);
    await b.login();
    const r = payload(b.refresh);
    const a = payload(b.access);
    assert.deepEqual(Object.keys(r), ['token_type', 'exp', 'iat', 'jti', 'user_id', 'sid']);
    assert.match(r.sid as string, /^[0-9a-f]{32}$/);
    assert.equal(a.sid, r.sid);
    const row = await s.app.stores.jwt.getOutstanding(r.jti as string);
    assert.equal(row?.familyId, r.sid);
  });

  test('wrong password → 401, no Set-Cookie (R401L); JSON only: form and text/plain → 415 (docs/security.md #75)', async () => {
    const b = new Browser(s);
    await b.send('GET', '/api/token/csrf/');
    const bad = await b.send('POST', '/api/token/', { body: { username: 'alice', password: 'nope' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(bad.json, { detail: 'No active account found with the given credentials' });
    assert.equal(bad.headers['set-cookie'], undefined);
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'username=alice&password=alice-password-1'],
      ['text/plain', '{"username":"alice","password":"alice-password-1"}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--x--\r\n'],
    ] as const) {
      const res = await b.send('POST', '/api/token/', { body, headers: { 'Content-Type': type } });
      assert.equal(res.status, 415, type);
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });

  test('cookies.domain, cookies.sameSite and the names come from the settings', async () => {
    const t = await server({ domain: 'example.test', sameSite: 'Strict', accessName: 'at', refreshName: '__Secure-rt', csrfCookieName: 'xsrf', csrfHeaderName: 'X-XSRF' });
    const b = new Browser(t, 'xsrf', 'X-XSRF');
    const csrf = await b.send('GET', '/api/token/csrf/');
    assert.match(cookieLine(csrf, '__Secure-rt-presession')!, /^__Secure-rt-presession=[^;]+; Domain=example\.test; expires=[^;]+; HttpOnly; Max-Age=86400; Path=\/api\/token\/; SameSite=Strict; Secure$/);
    const res = await b.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(res.status, 200, res.text);
    assert.match(cookieLine(res, 'at')!, /^at=[^;]+; Domain=example\.test; expires=[^;]+; HttpOnly; Max-Age=300; Path=\/; SameSite=Strict; Secure$/);
    assert.match(cookieLine(res, '__Secure-rt')!, /; Domain=example\.test; expires=[^;]+; HttpOnly; Max-Age=86400; Path=\/api\/token\/; SameSite=Strict; Secure$/);
    assert.match(cookieLine(res, 'xsrf')!, /; Domain=example\.test; expires=[^;]+; Max-Age=86400; Path=\/; SameSite=Strict; Secure$/);
    const me = await t.send('GET', '/api/me/', { headers: { Cookie: `at=${b.jar.get('at')}` } });
    assert.equal(me.status, 200);
    assert.equal((await b.send('POST', '/api/echo/')).status, 200);
    assert.equal((await b.send('POST', '/api/echo/', { csrf: false })).status, 403);
  });
});

describe('the Secure rule and start-up checks', () => {
  test('secure:false sends no Secure flag, but only to localhost / 127.0.0.1 / [::1]; other Hosts get 400 and no cookie', async () => {
    const s = await server({ secure: false });
    const b = new Browser(s);
    const res = await b.login();
    assert.match(cookieLine(res, 'gatehouse-access')!, /; HttpOnly; Max-Age=300; Path=\/; SameSite=Lax$/);
    const port = new URL(s.url).port;
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      const ok = await s.send('GET', '/api/token/csrf/', { headers: { Host: host } });
      assert.equal(ok.status, 200, host);
    }
    for (const host of ['example.com', `example.com:${port}`, 'localhost.evil.com', '127.0.0.2', '10.0.0.1']) {
      const refused = await s.send('GET', '/api/token/csrf/', { headers: { Host: host } });
      assert.equal(refused.status, 400, host);
      assert.deepEqual(refused.json, { detail: 'Cookies without the Secure flag are only set for localhost (cookies.secure is false).' });
      assert.equal(refused.headers['set-cookie'], undefined);
    }
    // Login and refresh too, before anything changes.
    const login = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' }, headers: { Host: 'example.com' } });
    assert.equal(login.status, 400);
    const refresh = await s.send('POST', '/api/token/refresh/', { headers: { Host: 'example.com', Cookie: `gatehouse-refresh=${b.refresh}` } });
    assert.equal(refresh.status, 400);
  });

  test('secure (the default) sends Secure to any Host', async () => {
    const s = await server();
    const res = await s.send('GET', '/api/token/csrf/', { headers: { Host: 'api.example.com' } });
    assert.equal(res.status, 200);
    assert.ok(setCookies(res).every((l) => l.endsWith('; Secure')));
  });

  test('refused at start: secure:false off loopback, SameSite=None without Secure, bad prefixes, a refreshPath that misses refresh/logout, bad origins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cookies-'));
    try {
      const base = { database: join(dir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789' };
      const attempt = (cookies: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        createGatehouse(parseSettings({ ...base, ...extra, cookies: { enabled: true, ...cookies } }));
      const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
        [{ secure: false }, { host: '0.0.0.0' }, /cookies\.secure: false is only allowed when the server listens on localhost/],
        [{ sameSite: 'None', secure: false }, {}, /cookies\.sameSite: "None" requires cookies\.secure/],
        [{ refreshName: '__Host-rt' }, {}, /__Host- cookie needs Path=\//],
        [{ accessName: '__Host-at', domain: 'example.com' }, {}, /__Host- cookie cannot have cookies\.domain/],
        [{ accessName: '__Secure-at', secure: false }, {}, /__Secure- cookie requires cookies\.secure/],
        [{ csrfCookieName: 'gatehouse-access' }, {}, /must differ/],
        [{ trustedOrigins: ['https://user@a.example.com'] }, {}, /trustedOrigins/],
      ];
      for (const [cookies, extra, message] of cases) {
        await assert.rejects(attempt(cookies, extra), (e: unknown) => e instanceof StartupError && message.test(e.message), JSON.stringify(cookies));
      }
      // The refresh path is checked where the endpoints are mounted: `gatehouse serve` (the
      // root, by `listen`) refuses one that misses refresh/ or logout/.
      for (const [refreshPath, message] of [
        ['/api/token/refresh/', /must cover \/api\/token\/logout\//],
        ['/api/tok', /must cover \/api\/token\/refresh\//],
      ] as const) {
        const app = await attempt({ refreshPath });
        try {
          await assert.rejects(listen(app, '127.0.0.1', 0), (e: unknown) => e instanceof StartupError && message.test(e.message), refreshPath);
        } finally {
          await app.close();
        }
      }
      // Fine: loopback hosts with secure:false; refreshPath "/" and "/api/"; __Host- access cookie without domain.
      for (const [cookies, extra] of [
        [{ secure: false }, { host: 'localhost' }],
        [{ secure: false }, { host: '::1' }],
        [{ refreshPath: '/' }, {}],
        [{ refreshPath: '/api' }, {}],
        [{ accessName: '__Host-at', refreshName: '__Secure-rt' }, {}],
      ] as const) {
        const app = await attempt(cookies, extra);
        await app.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------

describe('JWTCookieAuthentication (drf-wire §3.5; docs/security.md #67, #68)', () => {
  let s: TestServer;
  let alice: Browser;
  let carol: Browser;
  before(async () => {
    s = await server();
    alice = await loggedIn(s, 'alice');
    carol = await loggedIn(s, 'carol');
  });

  test('the access cookie authenticates GET /api/me/ (no CSRF needed for safe methods)', async () => {
    const res = await s.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${alice.access}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { pk: 1, username: 'alice', email: '', first_name: '', last_name: '' });
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const r = await s.send(method, '/api/echo/', { headers: { Cookie: `gatehouse-access=${alice.access}` } });
      assert.equal(r.status, 200, method);
    }
  });

  test('no cookie → 401 not provided; garbage or empty cookie → the same 401s as a bad Bearer token', async () => {
    const none = await s.send('GET', '/api/me/');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(none.json, { detail: 'Authentication credentials were not provided.' });
    const garbage = await s.send('GET', '/api/me/', { headers: { Cookie: 'gatehouse-access=garbage' } });
    const bearer = await s.send('GET', '/api/me/', { headers: { Authorization: 'Bearer garbage' } });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(garbage.json, bearer.json);
    assert.deepEqual(garbage.json, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
    });
    // A deleted cookie (`""`) counts as absent.
    const empty = await s.send('GET', '/api/me/', { headers: { Cookie: 'gatehouse-access=""' } });
    assert.deepEqual(empty.json, none.json);
    // The refresh token is not an access token.
    const refresh = await s.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${alice.refresh}` } });
    assert.equal(refresh.status, 401);
    assert.equal((refresh.json as { messages: Array<{ message: string }> }).messages[0]!.message, 'Token has wrong type');
  });

  test('the Authorization header wins over the cookie (67): header user, even when the cookie is another one', async () => {
    const res = await s.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${alice.access}`, Authorization: `Bearer ${carol.access}` } });
    assert.equal(res.status, 200);
    assert.equal((res.json as { username: string }).username, 'carol');
  });

  test('no fall-through (68): a garbage, malformed or foreign header with a valid cookie is not rescued by the cookie', async () => {
    const cookie = `gatehouse-access=${alice.access}`;
    const garbage = await s.send('GET', '/api/me/', { headers: { Cookie: cookie, Authorization: 'Bearer also-garbage' } });
    assert.equal(garbage.status, 401);
    assert.equal((garbage.json as { code: string }).code, 'token_not_valid');
    const malformed = await s.send('GET', '/api/me/', { headers: { Cookie: cookie, Authorization: 'Bearer a b' } });
    assert.equal(malformed.status, 401);
    assert.deepEqual(malformed.json, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
    const token = await s.send('GET', '/api/me/', { headers: { Cookie: cookie, Authorization: `Token ${'0'.repeat(64)}` } });
    assert.equal(token.status, 401);
    assert.deepEqual(token.json, { detail: 'Invalid token.' });
    const foreign = await s.send('GET', '/api/me/', { headers: { Cookie: cookie, Authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(foreign.status, 401);
    assert.deepEqual(foreign.json, { detail: 'Authentication credentials were not provided.' });
    const empty = await s.send('GET', '/api/me/', { headers: { Cookie: cookie, Authorization: '' } });
    assert.equal(empty.status, 401);
  });

  test('a Bearer header needs no CSRF token for unsafe methods (a page cannot send it cross-site)', async () => {
    const res = await s.send('POST', '/api/echo/', { headers: { Authorization: `Bearer ${alice.access}`, Origin: 'https://evil.example' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { user: 'alice', method: 'POST' });
  });

  test('a custom claims hook cannot set the sid claim', async () => {
    const t = await startServer({ settings: { cookies: { enabled: true }, throttle: { deviceCookieLifetime: null } }, claims: () => ({ sid: 'chosen', role: 'admin' }) });
    servers.push(t);
    await t.createUser('alice', 'alice-password-1');
    const b = await loggedIn(t);
    const claims = payload(b.access);
    assert.equal(claims.role, 'admin');
    assert.match(claims.sid as string, /^[0-9a-f]{32}$/);
  });
});

// ------------------------------------------------------------------------------------

describe('CSRF on cookie-authenticated unsafe methods (docs/security.md #72–#74)', () => {
  let s: TestServer;
  let alice: Browser;
  let carol: Browser;
  before(async () => {
    s = await server({ trustedOrigins: ['https://app.example.com', 'https://*.example.org'] });
    alice = await loggedIn(s, 'alice');
    carol = await loggedIn(s, 'carol');
  });

  const post = (cookie: string, headers: Record<string, string> = {}, method = 'POST') =>
    s.send(method, '/api/echo/', { headers: { Cookie: cookie, Origin: s.url, ...headers } });
  const csrf = (b: Browser) => b.jar.get('csrftoken')!;
  const denied = (res: TestResponse, reason: string) => {
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { detail: `CSRF Failed: ${reason}` });
    assert.equal(res.headers['www-authenticate'], undefined);
  };

  test('valid: cookie + matching header for POST, PUT, PATCH, DELETE', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await alice.send(method, '/api/echo/');
      assert.equal(res.status, 200, method);
      assert.deepEqual(res.json, { user: 'alice', method });
    }
  });

  test('72: no CSRF cookie, no header → 403 with Django\'s reasons', async () => {
    denied(await post(`gatehouse-access=${alice.access}`), 'CSRF cookie not set.');
    denied(await post(`gatehouse-access=${alice.access}; csrftoken=${csrf(alice)}`), 'CSRF token missing.');
    // dj-rest-auth's transcript: no CSRF at all, no Origin → the first failing check.
    denied(await s.send('POST', '/api/echo/', { headers: { Cookie: `gatehouse-access=${alice.access}` } }), 'Referer checking failed - no Referer.');
  });

  test('73: wrong, another session\'s, expired, pre-session or forged-pair tokens → CSRF token incorrect.', async () => {
    const cookie = `gatehouse-access=${alice.access}`;
    const incorrect = 'CSRF token incorrect.';
    // header ≠ cookie
    denied(await post(`${cookie}; csrftoken=${csrf(alice)}`, { 'X-CSRFToken': csrf(carol) }), incorrect);
    // another user's session (cookie and header both carol's)
    denied(await post(`${cookie}; csrftoken=${csrf(carol)}`, { 'X-CSRFToken': csrf(carol) }), incorrect);
    // naive double submit: any value set as both cookie and header
    for (const forged of ['x', 'a'.repeat(24) + '.9999999999.' + 'b'.repeat(43)]) {
      denied(await post(`${cookie}; csrftoken=${forged}`, { 'X-CSRFToken': forged }), incorrect);
    }
    // a well-signed token for this session but expired
    const sid = payload(alice.access).sid as string;
    const expired = s.app.cookies!.csrfTokens.issue('session', sid, nowS(s) - 1);
    denied(await post(`${cookie}; csrftoken=${expired}`, { 'X-CSRFToken': expired }), incorrect);
    // the same but valid: accepted (the check above failed only on the expiry)
    const fresh = s.app.cookies!.csrfTokens.issue('session', sid, nowS(s) + 60);
    assert.equal((await post(`${cookie}; csrftoken=${fresh}`, { 'X-CSRFToken': fresh })).status, 200);
    // a pre-session (login) token bound to this very id is not a session token
    const pre = s.app.cookies!.csrfTokens.issue('pre', sid, nowS(s) + 60);
    denied(await post(`${cookie}; csrftoken=${pre}`, { 'X-CSRFToken': pre }), incorrect);
  });

  test('74: Origin must be ours or trusted, even with a valid token', async () => {
    const evil = await alice.send('POST', '/api/echo/', { origin: 'https://evil.example' });
    denied(evil, 'Origin checking failed - https://evil.example does not match any trusted origins.');
    denied(await alice.send('POST', '/api/echo/', { origin: 'null' }), 'Origin checking failed - null does not match any trusted origins.');
    // our origin over https too (a TLS proxy in front), and the trusted ones
    const host = new URL(s.url).host;
    for (const origin of [`https://${host}`, 'https://app.example.com', 'https://app.example.com:443', 'https://x.example.org', 'https://a.b.example.org']) {
      assert.equal((await alice.send('POST', '/api/echo/', { origin })).status, 200, origin);
    }
    for (const origin of ['http://app.example.com', 'https://example.org', 'https://app.example.com:8443', 'https://evilexample.org', `http://${host}.evil.example`]) {
      assert.equal((await alice.send('POST', '/api/echo/', { origin })).status, 403, origin);
    }
  });

  test('74: Sec-Fetch-Site: cross-site is refused; same-origin / same-site / none pass', async () => {
    denied(await alice.send('POST', '/api/echo/', { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
    denied(await alice.send('POST', '/api/echo/', { origin: 'https://app.example.com', headers: { 'Sec-Fetch-Site': 'cross-site' } }), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
    for (const site of ['same-origin', 'same-site', 'none']) {
      assert.equal((await alice.send('POST', '/api/echo/', { headers: { 'Sec-Fetch-Site': site } })).status, 200, site);
    }
  });

  test('74: without Origin, the Referer must be ours or trusted (plus the token)', async () => {
    assert.equal((await alice.send('POST', '/api/echo/', { origin: null, headers: { Referer: `${s.url}/app/page?x=1` } })).status, 200);
    assert.equal((await alice.send('POST', '/api/echo/', { origin: null, headers: { Referer: 'https://app.example.com/' } })).status, 200);
    denied(await alice.send('POST', '/api/echo/', { origin: null }), 'Referer checking failed - no Referer.');
    denied(await alice.send('POST', '/api/echo/', { origin: null, headers: { Referer: 'https://evil.example/x' } }), 'Referer checking failed - https://evil.example/x does not match any trusted origins.');
    denied(await alice.send('POST', '/api/echo/', { origin: null, headers: { Referer: 'not a url' } }), 'Referer checking failed - Referer is malformed.');
    denied(await alice.send('POST', '/api/echo/', { origin: null, headers: { Referer: 'http://app.example.com/' } }), 'Referer checking failed - http://app.example.com/ does not match any trusted origins.');
    // and the token is still needed
    denied(await alice.send('POST', '/api/echo/', { origin: null, csrf: false, headers: { Referer: `${s.url}/` } }), 'CSRF token missing.');
  });

  test('an anonymous unsafe request gets the authentication error, not a CSRF one', async () => {
    const res = await s.send('POST', '/api/echo/', { headers: { Origin: 'https://evil.example' } });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { detail: 'Authentication credentials were not provided.' });
  });

  test('logout-all with the cookie is CSRF-protected and kills the access cookie', async () => {
    const b = await loggedIn(s, 'carol');
    denied(await b.send('POST', '/api/auth/logoutall/', { csrf: false }), 'CSRF token missing.');
    assert.equal((await b.send('GET', '/api/me/')).status, 200);
    const res = await b.send('POST', '/api/auth/logoutall/');
    assert.equal(res.status, 204);
    const after = await b.send('GET', '/api/me/');
    assert.equal(after.status, 401);
    assert.deepEqual(after.json, blacklistedBody);
  });

  test('SameSite=None: a cross-site request is accepted only from a trusted origin', async () => {
    const t = await server({ sameSite: 'None', trustedOrigins: ['https://app.example.net'] });
    const b = await loggedIn(t);
    assert.equal((await b.send('POST', '/api/echo/', { origin: 'https://app.example.net', headers: { 'Sec-Fetch-Site': 'cross-site' } })).status, 200);
    denied(await b.send('POST', '/api/echo/', { origin: 'https://evil.example', headers: { 'Sec-Fetch-Site': 'cross-site' } }), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
  });

  test('cookies.csrf: false turns all of it off (dj-rest-auth\'s default)', async () => {
    const t = await server({ csrf: false });
    const login = await t.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(login.status, 200);
    assert.equal(setCookies(login).length, 2);
    assert.equal(cookieLine(login, 'csrftoken'), undefined);
    const access = valueIn(cookieLine(login, 'gatehouse-access'))!;
    const res = await t.send('POST', '/api/echo/', { headers: { Cookie: `gatehouse-access=${access}` } });
    assert.equal(res.status, 200);
    assert.equal((await t.send('GET', '/api/token/csrf/')).status, 404);
  });
});

// ------------------------------------------------------------------------------------

describe('login CSRF and fixation (docs/security.md #77, #79)', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  const denied = (res: TestResponse, reason: string) => {
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { detail: `CSRF Failed: ${reason}` });
    assert.equal(res.headers['set-cookie'], undefined);
  };
  const creds = { username: 'alice', password: 'alice-password-1' };

  test('login needs the pre-session CSRF token: missing, wrong, unbound, cross-site → 403 and no cookie', async () => {
    const b = new Browser(s);
    denied(await b.send('POST', '/api/token/', { body: creds }), 'CSRF cookie not set.');
    await b.send('GET', '/api/token/csrf/');
    denied(await b.send('POST', '/api/token/', { body: creds, csrf: false }), 'CSRF token missing.');
    denied(await b.send('POST', '/api/token/', { body: creds, headers: { 'X-CSRFToken': 'x' } }), 'CSRF token incorrect.');
    denied(await b.send('POST', '/api/token/', { body: creds, origin: 'https://evil.example' }), 'Origin checking failed - https://evil.example does not match any trusted origins.');
    denied(await b.send('POST', '/api/token/', { body: creds, headers: { 'Sec-Fetch-Site': 'cross-site' } }), 'Cross-site request refused (Sec-Fetch-Site: cross-site).');
    // Another browser's pre-session token (e.g. planted by the attacker) does not match this pre-session id.
    const other = new Browser(s);
    await other.send('GET', '/api/token/csrf/');
    const planted = other.jar.get('csrftoken')!;
    denied(
      await s.send('POST', '/api/token/', {
        body: creds,
        headers: { Origin: s.url, Cookie: `csrftoken=${planted}; gatehouse-refresh-presession=${b.jar.get('gatehouse-refresh-presession')}`, 'X-CSRFToken': planted },
      }),
      'CSRF token incorrect.',
    );
    // Without the pre-session cookie the token is unbound.
    denied(await s.send('POST', '/api/token/', { body: creds, headers: { Origin: s.url, Cookie: `csrftoken=${planted}`, 'X-CSRFToken': planted } }), 'CSRF token incorrect.');
    // The real thing works.
    const ok = await b.send('POST', '/api/token/', { body: creds });
    assert.equal(ok.status, 200);
  });

  test('re-login while logged in: the session-bound token is accepted; the old session ends', async () => {
    const b = await loggedIn(s);
    const old = { access: b.access, refresh: b.refresh };
    const res = await b.send('POST', '/api/token/', { body: creds });
    assert.equal(res.status, 200, res.text);
    assert.notEqual(b.access, old.access);
    assert.equal((await b.send('GET', '/api/me/')).status, 200);
    const stale = await s.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${old.access}` } });
    assert.deepEqual(stale.json, blacklistedBody);
  });

  test('79: cookies planted before login are never adopted and their session is revoked', async () => {
    // The attacker logs in as carol and plants carol's cookies in alice's browser.
    const attacker = await loggedIn(s, 'carol');
    const victim = new Browser(s);
    await victim.send('GET', '/api/token/csrf/');
    victim.jar.set('gatehouse-access', attacker.access);
    victim.jar.set('gatehouse-refresh', attacker.refresh);
    const res = await victim.send('POST', '/api/token/', { body: creds });
    assert.equal(res.status, 200);
    assert.notEqual(victim.access, attacker.access);
    assert.notEqual(victim.refresh, attacker.refresh);
    assert.notEqual(payload(victim.access).sid, payload(attacker.access).sid);
    assert.equal(((await victim.send('GET', '/api/me/')).json as { username: string }).username, 'alice');
    // The planted session is dead everywhere.
    const me = await attacker.send('GET', '/api/me/');
    assert.deepEqual(me.json, blacklistedBody);
    const refresh = await attacker.send('POST', '/api/token/refresh/');
    assert.equal(refresh.status, 401);
    assert.deepEqual(refresh.json, { detail: 'Token is blacklisted', code: 'token_not_valid' });
  });

  test('forged cookies present at login are ignored (no error, fresh tokens)', async () => {
    const b = new Browser(s);
    await b.send('GET', '/api/token/csrf/');
    b.jar.set('gatehouse-access', 'garbage');
    b.jar.set('gatehouse-refresh', 'garbage');
    const res = await b.send('POST', '/api/token/', { body: creds });
    assert.equal(res.status, 200);
    assert.match(b.access, JWT);
  });
});

// ------------------------------------------------------------------------------------

describe('refresh (drf-wire §10; docs/security.md #77)', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  test('from the cookie (empty body): a new access cookie and CSRF cookie; body {"access":"","access_expiration"}', async () => {
    const b = await loggedIn(s);
    const oldAccess = b.access;
    const oldCsrf = b.jar.get('csrftoken');
    s.clock.advance(10_000);
    const res = await b.send('POST', '/api/token/refresh/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json as object), ['access', 'access_expiration']);
    assert.equal((res.json as { access: string }).access, '');
    assert.equal(setCookies(res).length, 2);
    assert.equal(cookieLine(res, 'gatehouse-refresh'), undefined);
    assert.equal(cookieLine(res, 'gatehouse-access'), `gatehouse-access=${b.access}; expires=${httpDate(s.clock.now() + 300_000)}; HttpOnly; Max-Age=300; Path=/; SameSite=Lax; Secure`);
    assert.notEqual(b.access, oldAccess);
    assert.equal(payload(b.access).sid, payload(b.refresh).sid);
    assert.notEqual(b.jar.get('csrftoken'), oldCsrf);
    // The CSRF cookie lives as long as the session (the refresh token) does.
    assert.match(cookieLine(res, 'csrftoken')!, /; Max-Age=86390; Path=\/; SameSite=Lax; Secure$/);
    assert.equal((await b.send('GET', '/api/me/')).status, 200);
    assert.equal((await b.send('POST', '/api/echo/')).status, 200);
  });

  test('body {"refresh":""} → 400 blank (field validation first); no body and no cookie → 401 No valid refresh token found.', async () => {
    const blank = await s.send('POST', '/api/token/refresh/', { body: { refresh: '' } });
    assert.equal(blank.status, 400);
    assert.deepEqual(blank.json, { refresh: ['This field may not be blank.'] });
    const none = await s.send('POST', '/api/token/refresh/');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(none.json, { detail: 'No valid refresh token found.', code: 'token_not_valid' });
    const empty = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: 'gatehouse-refresh=""' } });
    assert.deepEqual(empty.json, none.json);
  });

  test('garbage refresh cookie → 401 Token is invalid; an access token → wrong type', async () => {
    const garbage = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: 'gatehouse-refresh=garbage' } });
    assert.equal(garbage.status, 401);
    assert.deepEqual(garbage.json, { detail: 'Token is invalid', code: 'token_not_valid' });
    const b = await loggedIn(s);
    const wrong = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: `gatehouse-refresh=${b.access}` } });
    assert.deepEqual(wrong.json, { detail: 'Token has wrong type', code: 'token_not_valid' });
  });

  test('77: refresh without CSRF, or cross-site, → 403 and nothing changes', async () => {
    const b = await loggedIn(s);
    const before = b.access;
    const none = await b.send('POST', '/api/token/refresh/', { csrf: false });
    assert.equal(none.status, 403);
    assert.deepEqual(none.json, { detail: 'CSRF Failed: CSRF token missing.' });
    const evil = await b.send('POST', '/api/token/refresh/', { origin: 'https://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['set-cookie'], undefined);
    // Another session's CSRF token (both cookie and header) is refused.
    const c = await loggedIn(s, 'carol');
    const mixed = await s.send('POST', '/api/token/refresh/', {
      headers: { Origin: s.url, Cookie: `gatehouse-refresh=${b.refresh}; csrftoken=${c.jar.get('csrftoken')}`, 'X-CSRFToken': c.jar.get('csrftoken')! },
    });
    assert.deepEqual(mixed.json, { detail: 'CSRF Failed: CSRF token incorrect.' });
    assert.equal(b.access, before);
    assert.equal((await b.send('POST', '/api/token/refresh/')).status, 200);
  });

  test('the refresh token may come in the body instead (still CSRF-checked: the answer sets cookies)', async () => {
    const b = await loggedIn(s);
    const refresh = b.refresh;
    b.jar.delete('gatehouse-refresh');
    const res = await b.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.equal(res.status, 200);
    assert.ok(cookieLine(res, 'gatehouse-access'));
    const noCsrf = await s.send('POST', '/api/token/refresh/', { body: { refresh }, headers: { Origin: s.url } });
    assert.equal(noCsrf.status, 403);
  });

  test('form and text/plain bodies → 415 (docs/security.md #75)', async () => {
    const b = await loggedIn(s);
    const form = await b.send('POST', '/api/token/refresh/', { body: `refresh=${b.refresh}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const text = await b.send('POST', '/api/token/refresh/', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(text.status, 415);
  });

  test('rotation: the new refresh token replaces the cookie (Path=/api/token/), never in the body; reuse kills the session', async () => {
    const t = await server({}, { rotateRefreshTokens: true });
    const b = await loggedIn(t);
    const old = b.refresh;
    const oldCsrf = b.jar.get('csrftoken')!;
    t.clock.advance(60_000);
    const res = await b.send('POST', '/api/token/refresh/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json as object), ['access', 'access_expiration', 'refresh_expiration']);
    assert.ok(!('refresh' in (res.json as object)));
    assert.equal(cookieLine(res, 'gatehouse-refresh'), `gatehouse-refresh=${b.refresh}; expires=${httpDate(t.clock.now() + 86_400_000)}; HttpOnly; Max-Age=86400; Path=/api/token/; SameSite=Lax; Secure`);
    assert.notEqual(b.refresh, old);
    assert.equal(payload(b.refresh).sid, payload(old).sid);
    assert.match(cookieLine(res, 'csrftoken')!, /; Max-Age=86400; Path=\//);
    assert.equal((await b.send('GET', '/api/me/')).status, 200);
    // The stolen old refresh cookie, replayed (with the old, still well-signed CSRF token): reuse → the whole session dies.
    const replay = await t.send('POST', '/api/token/refresh/', { headers: { Origin: t.url, Cookie: `gatehouse-refresh=${old}; csrftoken=${oldCsrf}`, 'X-CSRFToken': oldCsrf } });
    assert.equal(replay.status, 401);
    assert.deepEqual(replay.json, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    assert.deepEqual((await b.send('GET', '/api/me/')).json, blacklistedBody);
    assert.equal((await b.send('POST', '/api/token/refresh/')).status, 401);
  });
});

// ------------------------------------------------------------------------------------

describe('logout (drf-wire §4.7, §10; docs/security.md #78)', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  test('clears every cookie with its own Path (Max-Age=0, expires 1970) and blacklists the session', async () => {
    const b = await loggedIn(s);
    const old = { access: b.access, refresh: b.refresh, csrf: b.jar.get('csrftoken')! };
    const res = await b.send('POST', '/api/token/logout/');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { detail: 'Successfully logged out.' });
    assert.deepEqual(setCookies(res), [
      `gatehouse-access=""; expires=${EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure`,
      `gatehouse-refresh=""; expires=${EPOCH}; Max-Age=0; Path=/api/token/; SameSite=Lax; Secure`,
      `csrftoken=""; expires=${EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure`,
    ]);
    assert.equal(b.jar.size, 0);
    // Replaying the old cookies → 401 (the refresh token is blacklisted, the access token's session revoked).
    const cookie = `gatehouse-access=${old.access}; gatehouse-refresh=${old.refresh}; csrftoken=${old.csrf}`;
    const me = await s.send('GET', '/api/me/', { headers: { Cookie: cookie } });
    assert.equal(me.status, 401);
    assert.deepEqual(me.json, blacklistedBody);
    const refresh = await s.send('POST', '/api/token/refresh/', { headers: { Cookie: cookie, Origin: s.url, 'X-CSRFToken': old.csrf } });
    assert.equal(refresh.status, 401);
    assert.deepEqual(refresh.json, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    // Even as a Bearer header, a token of a revoked session is refused by the cookie-mode authenticator.
    const bearer = await s.send('GET', '/api/me/', { headers: { Authorization: `Bearer ${old.access}` } });
    assert.deepEqual(bearer.json, blacklistedBody);
    // And logging out again with it: 401, cookies cleared again.
    const again = await s.send('POST', '/api/token/logout/', { headers: { Cookie: cookie, Origin: s.url, 'X-CSRFToken': old.csrf } });
    assert.equal(again.status, 401);
    assert.deepEqual(again.json, { detail: 'Token is blacklisted' });
    assert.equal(setCookies(again).length, 3);
  });

  test('flushexpired does not resurrect a logged-out session: its access token stays refused while it has not expired', async () => {
    const t = await server({}, { refreshTokenLifetime: 600, accessTokenLifetime: 300 });
    const b = await loggedIn(t);
    t.clock.advance(590_000); // the refresh token's last seconds: the new access token outlives it
    assert.equal((await b.send('POST', '/api/token/refresh/', { body: {} })).status, 200);
    const access = b.access;
    assert.equal((await b.send('POST', '/api/token/logout/')).status, 200);
    t.clock.advance(20_000); // the refresh token has expired; the access token has 280 s left
    await t.app.jwt.flushExpired(); // what `gatehouse flushexpired` and the hourly cleanup run
    const me = await t.send('GET', '/api/me/', { headers: { Cookie: `gatehouse-access=${access}` } });
    assert.deepEqual([me.status, me.json], [401, blacklistedBody]);
  });

  test('with cookies.domain the deletions carry the same Domain', async () => {
    const t = await server({ domain: 'example.test', refreshPath: '/' });
    const b = await loggedIn(t);
    const res = await b.send('POST', '/api/token/logout/');
    assert.deepEqual(setCookies(res), [
      `gatehouse-access=""; Domain=example.test; expires=${EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure`,
      `gatehouse-refresh=""; Domain=example.test; expires=${EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure`,
      `csrftoken=""; Domain=example.test; expires=${EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure`,
    ]);
  });

  test('no refresh cookie → 401 "Refresh token was not included in cookie data." and the cookies are still cleared', async () => {
    const b = await loggedIn(s);
    b.jar.delete('gatehouse-refresh');
    const res = await b.send('POST', '/api/token/logout/');
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], CHALLENGE);
    assert.deepEqual(res.json, { detail: 'Refresh token was not included in cookie data.' });
    assert.equal(setCookies(res).length, 3);
  });

  test('the refresh token may be in the body; a garbage one → 401 Token is invalid', async () => {
    const b = await loggedIn(s);
    const refresh = b.refresh;
    b.jar.delete('gatehouse-refresh');
    const res = await b.send('POST', '/api/token/logout/', { body: { refresh } });
    assert.equal(res.status, 200);
    const c = await loggedIn(s);
    const blank = await c.send('POST', '/api/token/logout/', { body: { refresh: '' } });
    assert.equal(blank.status, 400);
    assert.deepEqual(blank.json, { refresh: ['This field may not be blank.'] });
    const garbage = await c.send('POST', '/api/token/logout/', { body: { refresh: 'garbage' } });
    assert.equal(garbage.status, 401);
    assert.deepEqual(garbage.json, { detail: 'Token is invalid' });
  });

  test('77: logout without CSRF or cross-site → 403, nothing cleared or revoked; GET → 405', async () => {
    const b = await loggedIn(s);
    const none = await b.send('POST', '/api/token/logout/', { csrf: false });
    assert.equal(none.status, 403);
    assert.equal(none.headers['set-cookie'], undefined);
    const evil = await b.send('POST', '/api/token/logout/', { origin: 'https://evil.example' });
    assert.equal(evil.status, 403);
    const c = await loggedIn(s, 'carol');
    const other = await s.send('POST', '/api/token/logout/', {
      headers: { Origin: s.url, Cookie: `gatehouse-refresh=${b.refresh}; csrftoken=${c.jar.get('csrftoken')}`, 'X-CSRFToken': c.jar.get('csrftoken')! },
    });
    assert.deepEqual(other.json, { detail: 'CSRF Failed: CSRF token incorrect.' });
    assert.equal(other.headers['set-cookie'], undefined);
    assert.equal((await b.send('GET', '/api/me/')).status, 200);
    const get = await b.send('GET', '/api/token/logout/');
    assert.equal(get.status, 405);
    assert.deepEqual(get.json, { detail: 'Method "GET" not allowed.' });
  });
});

describe('CORS (docs/security.md #76) and the other token endpoints', () => {
  test('no response ever echoes an Origin in Access-Control-Allow-Origin', async () => {
    const s = await server();
    const b = new Browser(s);
    for (const [method, path] of [['OPTIONS', '/api/token/'], ['GET', '/api/token/csrf/'], ['POST', '/api/token/'], ['GET', '/api/me/']] as const) {
      const res = await b.send(method, path, { origin: 'https://evil.example', headers: { 'Access-Control-Request-Method': 'POST' } });
      assert.equal(res.headers['access-control-allow-origin'], undefined, path);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, path);
    }
    // verify and blacklist keep simplejwt's body parameters.
    const logged = await loggedIn(s);
    assert.equal((await s.send('POST', '/api/token/verify/', { body: { token: logged.access } })).status, 200);
  });
});
