/**
 * One list of HTTP cases, run against every adapter (node:http, Express, Fastify, Hono) on
 * real loopback servers. The same application is mounted on each (test/adapters/servers.ts):
 * the token endpoints under `/auth`, and routes of its own behind `protect(app, policy)`.
 * Every case asserts the status, the headers that matter and the exact JSON body, with the
 * same expectations for all four adapters: that is the point.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import type { Throttle } from '../../src/core/throttle.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { basicHeader, LogCapture, send } from '../helpers.js';
import { runCase, type Case as AdapterCase } from './cases.js';
import { ADAPTERS, startAdapter, type Running } from './servers.js';

const CHALLENGE = 'Bearer realm="api"';
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const ALICE = { pk: 1, username: 'alice', email: '', first_name: '', last_name: '' };
const BAD_JSON = '{"username": "alice", ';
const jsonError = (() => {
  try {
    JSON.parse(BAD_JSON);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('unreachable');
})();

interface Ctx {
  access: string;
  refresh: string;
  key: string;
  rootAccess: string;
  throttle: CountingThrottle;
}

type Case = AdapterCase<Ctx>;

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const REPEATED = { detail: 'Invalid token header. The Authorization header was sent more than once.' };
const EXPECTATION = { detail: 'Expectation failed: only "Expect: 100-continue" is supported.' };
const token = (k: string) => ({ Authorization: `Token ${k}` });
const jsonHeaders = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const CASES: Case[] = [
  // Token endpoints under /auth
  {
    name: 'obtain a JWT pair (simplejwt)',
    method: 'POST',
    path: '/auth/api/token/',
    body: { username: 'alice', password: 'alice-password-1' },
    status: 200,
    expectHeaders: { ...jsonHeaders, 'cache-control': 'no-store', allow: 'POST, OPTIONS' },
    check: (res) => {
      assert.deepEqual(Object.keys(res.json as object), ['refresh', 'access']);
      const { refresh, access } = res.json as { refresh: string; access: string };
      assert.match(refresh, JWT);
      assert.match(access, JWT);
    },
  },
  {
    name: 'obtain an opaque token with a form body (DRF ObtainAuthToken)',
    method: 'POST',
    path: '/auth/api-token-auth/',
    headers: () => ({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: 'username=alice&password=alice-password-1',
    status: 200,
    expectHeaders: { ...jsonHeaders, 'cache-control': 'no-store' },
    check: (res) => {
      assert.deepEqual(Object.keys(res.json as object), ['token']);
      assert.match((res.json as { token: string }).token, /^[0-9a-f]{40,64}$/);
    },
  },
  {
    name: 'knox login with HTTP Basic',
    method: 'POST',
    path: '/auth/api/auth/login/',
    headers: () => basicHeader('alice', 'alice-password-1'),
    status: 200,
    expectHeaders: jsonHeaders,
    check: (res) => assert.deepEqual(Object.keys(res.json as object), ['expiry', 'token']),
  },
  { name: 'GET /api/me/ with a JWT', method: 'GET', path: '/auth/api/me/', headers: (c) => bearer(c.access), status: 200, expectHeaders: { ...jsonHeaders, allow: 'GET, HEAD, OPTIONS' }, json: ALICE },
  { name: 'GET /api/me/ with an opaque token', method: 'GET', path: '/auth/api/me/', headers: (c) => token(c.key), status: 200, json: ALICE },
  { name: 'GET /api/me (no trailing slash, query string)', method: 'GET', path: '/auth/api/me?x=1&y=%20', headers: (c) => bearer(c.access), status: 200, json: ALICE },
  {
    name: 'GET /api/me/ anonymous → 401 with the JWT challenge',
    method: 'GET',
    path: '/auth/api/me/',
    status: 401,
    expectHeaders: { ...jsonHeaders, 'www-authenticate': CHALLENGE },
    json: NOT_PROVIDED,
  },
  {
    name: 'GET /api/me/ with a wrong opaque token → Token\'s message, JWT\'s challenge',
    method: 'GET',
    path: '/auth/api/me/',
    headers: () => token('0'.repeat(40)),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: { detail: 'Invalid token.' },
  },
  {
    name: 'latin-1 bytes in Authorization reach the authenticator as they are',
    method: 'GET',
    path: '/auth/api/me/',
    headers: () => ({ Authorization: 'Token \xe9\xe9' }),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: { detail: 'Invalid token header. Token string should not contain invalid characters.' },
  },
  {
    name: 'refresh',
    method: 'POST',
    path: '/auth/api/token/refresh/',
    body: (c: Ctx) => ({ refresh: c.refresh }),
    status: 200,
    expectHeaders: { ...jsonHeaders, 'cache-control': 'no-store' },
    check: (res) => {
      assert.deepEqual(Object.keys(res.json as object), ['access']);
      assert.match((res.json as { access: string }).access, JWT);
    },
  },
  {
    name: 'malformed JSON → 400',
    method: 'POST',
    path: '/auth/api/token/',
    headers: () => ({ 'Content-Type': 'application/json' }),
    body: BAD_JSON,
    status: 400,
    expectHeaders: jsonHeaders,
    json: { detail: `JSON parse error - ${jsonError}` },
  },
  {
    name: 'unsupported media type → 415',
    method: 'POST',
    path: '/auth/api/token/',
    headers: () => ({ 'Content-Type': 'text/plain' }),
    body: 'username=alice',
    status: 415,
    expectHeaders: jsonHeaders,
    json: { detail: 'Unsupported media type "text/plain" in request.' },
  },
  {
    name: 'a body without a Content-Type → 415',
    method: 'POST',
    path: '/auth/api/token/',
    body: Buffer.from('username=alice'),
    status: 415,
    json: { detail: 'Unsupported media type "" in request.' },
  },
  {
    name: 'a malformed Content-Type → 415 with it',
    method: 'POST',
    path: '/auth/api/token/',
    headers: () => ({ 'Content-Type': 'application' }),
    body: 'username=alice',
    status: 415,
    json: { detail: 'Unsupported media type "application" in request.' },
  },
  {
    name: 'a malformed Content-Type on an authenticated endpoint, anonymous → 401 first (DRF order)',
    method: 'POST',
    path: '/auth/api/auth/logout/',
    headers: () => ({ 'Content-Type': 'application' }),
    body: 'x',
    status: 401,
    expectHeaders: { 'www-authenticate': 'Token' },
    json: NOT_PROVIDED,
  },
  {
    name: 'oversized body on an authenticated endpoint, anonymous → 401 first (the body is never read)',
    method: 'POST',
    path: '/auth/api/auth/logout/',
    body: { password: 'p'.repeat(20_000) },
    status: 401,
    expectHeaders: { 'www-authenticate': 'Token' },
    json: NOT_PROVIDED,
  },
  {
    name: 'oversized body → 413, connection closed',
    method: 'POST',
    path: '/auth/api/token/',
    body: { username: 'alice', password: 'p'.repeat(20_000) },
    status: 413,
    expectHeaders: { ...jsonHeaders, connection: 'close' },
    json: { detail: 'Request body exceeds the limit of 16384 bytes.' },
  },
  {
    name: 'wrong method → 405 with Allow',
    method: 'GET',
    path: '/auth/api/token/',
    status: 405,
    expectHeaders: { ...jsonHeaders, allow: 'POST, OPTIONS' },
    json: { detail: 'Method "GET" not allowed.' },
  },
  {
    name: 'PUT on /api/me/ authenticated → 405 after authentication',
    method: 'PUT',
    path: '/auth/api/me/',
    headers: (c) => bearer(c.access),
    status: 405,
    expectHeaders: { allow: 'GET, HEAD, OPTIONS' },
    json: { detail: 'Method "PUT" not allowed.' },
  },
  { name: 'unknown path under the prefix → JSON 404', method: 'GET', path: '/auth/nope/', status: 404, expectHeaders: jsonHeaders, json: { detail: 'Not found.' } },
  { name: 'unknown path under the prefix, POST → JSON 404', method: 'POST', path: '/auth/api/nope', body: { a: 1 }, status: 404, json: { detail: 'Not found.' } },
  { name: 'the prefix itself → JSON 404', method: 'GET', path: '/auth', status: 404, expectHeaders: jsonHeaders, json: { detail: 'Not found.' } },
  {
    name: 'HEAD /api/me/ → GET\'s headers, no body',
    method: 'HEAD',
    path: '/auth/api/me/',
    headers: (c) => bearer(c.access),
    status: 200,
    expectHeaders: { ...jsonHeaders, 'content-length': String(JSON.stringify(ALICE).length) },
    text: '',
  },
  {
    name: 'HEAD /api/me/ anonymous → 401, no body',
    method: 'HEAD',
    path: '/auth/api/me/',
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE, 'content-length': String(JSON.stringify(NOT_PROVIDED).length) },
    text: '',
  },
  {
    name: 'OPTIONS → DRF metadata',
    method: 'OPTIONS',
    path: '/auth/api/token/verify/',
    status: 200,
    expectHeaders: { ...jsonHeaders, allow: 'POST, OPTIONS' },
    check: (res) => {
      const body = res.json as { renders: string[]; parses: string[] };
      assert.deepEqual(body.renders, ['application/json']);
      assert.deepEqual(body.parses, ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
    },
  },
  { name: 'healthz under the prefix', method: 'GET', path: '/auth/healthz', status: 200, expectHeaders: jsonHeaders, json: { status: 'ok' } },
  {
    name: 'Authorization on two lines → 401, neither is picked',
    method: 'GET',
    path: '/auth/api/me/',
    headers: (c) => ({ Authorization: [`Bearer ${c.access}`, `Bearer ${c.access}`] }),
    status: 401,
    expectHeaders: { ...jsonHeaders, 'www-authenticate': CHALLENGE },
    json: REPEATED,
  },
  {
    name: 'Authorization on two lines, two schemes → 401',
    method: 'GET',
    path: '/auth/api/me/',
    headers: (c) => ({ Authorization: [`Token ${c.key}`, `Bearer ${c.access}`] }),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: REPEATED,
  },
  {
    name: 'Expect other than 100-continue → JSON 417',
    method: 'GET',
    path: '/auth/api/me/',
    headers: (c) => ({ ...bearer(c.access), Expect: 'the-unexpected' }),
    status: 417,
    expectHeaders: { ...jsonHeaders, connection: 'close' },
    json: EXPECTATION,
  },
  {
    name: 'Expect: 100-continue is served as usual',
    method: 'POST',
    path: '/auth/api-token-auth/',
    headers: () => ({ 'Content-Type': 'application/x-www-form-urlencoded', Expect: '100-continue' }),
    body: 'username=alice&password=alice-password-1',
    status: 200,
    check: (res) => assert.deepEqual(Object.keys(res.json as object), ['token']),
  },
  {
    name: 'Expect other than 100-continue, with a body → JSON 417',
    method: 'POST',
    path: '/auth/api/token/',
    headers: () => ({ Expect: '200-ok' }),
    body: { username: 'alice', password: 'alice-password-1' },
    status: 417,
    json: EXPECTATION,
  },

  // The application's own routes behind protect()
  {
    name: 'protected route, anonymous → 401 + challenge',
    method: 'GET',
    path: '/notes',
    status: 401,
    expectHeaders: { ...jsonHeaders, 'www-authenticate': CHALLENGE },
    json: NOT_PROVIDED,
  },
  { name: 'protected route with a JWT → 200 with the principal', method: 'GET', path: '/notes', headers: (c) => bearer(c.access), status: 200, json: { username: 'alice' } },
  { name: 'protected route with an opaque token → 200', method: 'GET', path: '/notes?page=2', headers: (c) => token(c.key), status: 200, json: { username: 'alice' } },
  {
    name: 'protected route with a wrong token → 401 Invalid token.',
    method: 'GET',
    path: '/notes',
    headers: () => token('f'.repeat(40)),
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    json: { detail: 'Invalid token.' },
  },
  {
    name: 'HEAD on a protected route, anonymous → 401, no body',
    method: 'HEAD',
    path: '/notes',
    status: 401,
    expectHeaders: { 'www-authenticate': CHALLENGE },
    text: '',
  },
  { name: 'IsAdminUser route, anonymous → 401', method: 'GET', path: '/admin', status: 401, expectHeaders: { 'www-authenticate': CHALLENGE }, json: NOT_PROVIDED },
  {
    name: 'IsAdminUser route, non-staff → 403 without a challenge',
    method: 'GET',
    path: '/admin',
    headers: (c) => bearer(c.access),
    status: 403,
    expectHeaders: { ...jsonHeaders, 'www-authenticate': null },
    json: { detail: 'You do not have permission to perform this action.' },
  },
  { name: 'IsAdminUser route, staff → 200', method: 'GET', path: '/admin', headers: (c) => bearer(c.rootAccess), status: 200, json: { username: 'root', admin: true } },
  {
    name: 'protected route, Authorization on two lines (staff, then not) → 401, neither is picked',
    method: 'GET',
    path: '/admin',
    headers: (c) => ({ Authorization: [`Bearer ${c.rootAccess}`, `Bearer ${c.access}`] }),
    status: 401,
    expectHeaders: { ...jsonHeaders, 'www-authenticate': CHALLENGE },
    json: REPEATED,
  },
  {
    name: 'Token-only route, Authorization on two lines → 401 with Token\'s challenge',
    method: 'GET',
    path: '/token-only',
    headers: (c) => ({ Authorization: [`Token ${c.key}`, `Token ${c.key}`] }),
    status: 401,
    expectHeaders: { 'www-authenticate': 'Token' },
    json: REPEATED,
  },
  {
    name: 'Token-only route: the challenge is the first authenticator\'s',
    method: 'GET',
    path: '/token-only',
    status: 401,
    expectHeaders: { 'www-authenticate': 'Token' },
    json: NOT_PROVIDED,
  },
  { name: 'Token-only route ignores a JWT → 401', method: 'GET', path: '/token-only', headers: (c) => bearer(c.access), status: 401, expectHeaders: { 'www-authenticate': 'Token' }, json: NOT_PROVIDED },
  {
    name: 'a Gatehouse error thrown by the handler → DRF JSON',
    method: 'GET',
    path: '/boom',
    headers: (c) => bearer(c.access),
    status: 403,
    expectHeaders: jsonHeaders,
    json: { detail: 'Not yours.' },
  },
  { name: 'throttled route, 1st request', method: 'GET', path: '/limited', status: 200, json: { username: null } },
  { name: 'throttled route, 2nd request (authenticated)', method: 'GET', path: '/limited', headers: (c) => bearer(c.access), status: 200, json: { username: 'alice' } },
  {
    name: 'throttles see the socket peer as the client address',
    method: 'GET',
    path: '/healthz-not-here',
    status: 404,
    check: (_res, c) => assert.deepEqual(c.throttle.addresses, ['127.0.0.1', '127.0.0.1']),
  },
  {
    name: 'throttled route, 3rd request → 429 with Retry-After',
    method: 'GET',
    path: '/limited',
    status: 429,
    expectHeaders: { ...jsonHeaders, 'retry-after': '42' },
    json: { detail: 'Request was throttled. Expected available in 42 seconds.' },
  },
];

/** What a client that writes its whole body saw: the answer, and any error on the connection. */
interface LargeOutcome {
  status: number;
  json: unknown;
  errors: string[];
}

/**
 * POST `size` bytes with node:http, writing all of them whatever the server answers
 * (`Content-Length`, or chunked), and wait until the connection is closed.
 */
function postLarge(url: string, path: string, size: number, chunked: boolean): Promise<LargeOutcome> {
  const { hostname, port } = new URL(url);
  const outcome: LargeOutcome = { status: 0, json: undefined, errors: [] };
  const headers = { 'Content-Type': 'application/json', ...(chunked ? {} : { 'Content-Length': String(size) }) };
  return new Promise((resolve) => {
    const req = httpRequest({ host: hostname, port, method: 'POST', path, headers, agent: false }, (res) => {
      outcome.status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (outcome.json = JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', (e: NodeJS.ErrnoException) => outcome.errors.push(`response: ${e.code ?? e.message}`));
    });
    req.on('error', (e: NodeJS.ErrnoException) => outcome.errors.push(`request: ${e.code ?? e.message}`));
    req.on('close', () => resolve(outcome));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk.subarray(0, Math.min(chunk.length, size - sent)));
    req.end();
  });
}

/**
 * A client that sends the headers and part of the body, then closes the connection;
 * resolves once the server has seen the connection close.
 */
async function abandonMidBody(running: Running, path: string): Promise<void> {
  const { hostname, port } = new URL(running.url);
  const serverSide = new Promise<void>((resolve) => running.server.once('connection', (s) => s.once('close', () => resolve())));
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const head = `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n`;
  await new Promise<void>((resolve) => socket.write(`${head}{"username": "alice", "password": "ali`, () => resolve()));
  socket.destroy();
  await serverSide;
}

/** Log lines at error level or above (pino: 50+). */
const errorLines = (logs: LogCapture) => logs.lines.flatMap((l) => l.split('\n')).filter((l) => l && (JSON.parse(l) as { level: number }).level >= 50);

interface CountingThrottle extends Throttle {
  addresses: string[];
}

/** Allows `n` requests, then refuses with a 42 s wait; remembers the client addresses it saw. */
function countingThrottle(n: number): CountingThrottle {
  const addresses: string[] = [];
  return {
    addresses,
    allow: (tctx) => {
      addresses.push(tctx.clientAddress);
      return addresses.length <= n ? null : { wait: 41.2 };
    },
  };
}

for (const adapter of ADAPTERS) {
  describe(`adapter: ${adapter}`, () => {
    let gatehouse: Gatehouse;
    let running: Running;
    let dir: string;
    const ctx = {} as Ctx;
    const logs = new LogCapture();

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-${adapter}-`));
      const settings = parseSettings(
        mergeSettings({ database: join(dir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn' }, {}),
      );
      gatehouse = await createGatehouse(settings, { logger: createLogger('warn', logs) });
      const alice = await gatehouse.users.create({ username: 'alice', password: 'alice-password-1' });
      const root = await gatehouse.users.create({ username: 'root', password: 'root-password-1', isStaff: true });
      const pair = await gatehouse.jwt.obtainPair(alice);
      ctx.access = pair.access;
      ctx.refresh = pair.refresh;
      ctx.key = (await gatehouse.tokens.issue(alice)).key;
      ctx.rootAccess = (await gatehouse.jwt.obtainPair(root)).access;
      ctx.throttle = countingThrottle(2);
      running = await startAdapter(adapter, { gatehouse, throttle: ctx.throttle });
    });
    after(async () => {
      await running?.close();
      await gatehouse?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of CASES) {
      test(c.name, async () => {
        await runCase(running.url, c, ctx);
      });
    }

    const TOO_LARGE = { detail: 'Request body exceeds the limit of 16384 bytes.' };
    for (const chunked of [false, true]) {
      test(`8 MiB body${chunked ? ' (chunked)' : ''}: a node:http client writing all of it reads the 413, no reset`, async () => {
        const outcome = await postLarge(running.url, '/auth/api/token/', 8 * 1024 * 1024, chunked);
        assert.deepEqual(outcome, { status: 413, json: TOO_LARGE, errors: [] });
        assert.equal((await send(running.url, 'GET', '/auth/healthz')).status, 200);
      });
    }

    test('a client gone mid-body: no error logged, nothing written, the server keeps serving', async () => {
      const before = logs.lines.length;
      await abandonMidBody(running, '/auth/api/token/');
      const next = await send(running.url, 'POST', '/auth/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(next.status, 200, next.text);
      assert.deepEqual(errorLines(logs), []);
      assert.equal(logs.lines.length, before, logs.lines.slice(before).join(''));
    });
  });
}

describe('every adapter, cookie mode: a cookie sent twice is refused, never one of them picked', () => {
  let gatehouse: Gatehouse;
  let dir: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cookies-'));
    const settings = parseSettings(
      mergeSettings(
        { database: join(dir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn', cookies: { enabled: true, refreshPath: '/auth/api/token/' } },
        {},
      ),
    );
    gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()) });
    for (const name of ['alice', 'mallory']) {
      const user = await gatehouse.users.create({ username: name, password: `${name}-password-1` });
      tokens[name] = (await gatehouse.jwt.obtainPair(user)).access;
    }
  });
  after(async () => {
    await gatehouse?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const adapter of ADAPTERS) {
    test(adapter, async () => {
      const running = await startAdapter(adapter, { gatehouse, throttle: { allow: () => null } });
      try {
        const once = await send(running.url, 'GET', '/auth/api/me/', { headers: { Cookie: `gatehouse-access=${tokens.alice}` } });
        assert.equal(once.status, 200, once.text);
        assert.equal((once.json as { username: string }).username, 'alice');
        const expected = { detail: 'Invalid cookie. The cookie "gatehouse-access" was sent more than once.' };
        // A sibling subdomain tossed its own access cookie in: one header, or two Cookie lines.
        for (const cookie of [`gatehouse-access=${tokens.alice}; other=1; gatehouse-access=${tokens.mallory}`, [`gatehouse-access=${tokens.mallory}`, `gatehouse-access=${tokens.alice}`]]) {
          for (const path of ['/auth/api/me/', '/notes']) {
            const twice = await send(running.url, 'GET', path, { headers: { Cookie: cookie } });
            assert.equal(twice.status, 401, `${path}: ${twice.text}`);
            assert.equal(twice.headers['www-authenticate'], CHALLENGE);
            assert.deepEqual(twice.json, expected);
          }
        }
        // A repeated cookie Gatehouse does not read changes nothing.
        const unrelated = await send(running.url, 'GET', '/auth/api/me/', { headers: { Cookie: `theme=dark; gatehouse-access=${tokens.alice}; theme=light` } });
        assert.equal(unrelated.status, 200, unrelated.text);
      } finally {
        await running.close();
      }
    });
  }
});
