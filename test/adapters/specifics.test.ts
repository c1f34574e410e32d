/**
 * What differs per adapter: how it is mounted (prefix forms, `next`), what happens around the
 * framework's own body parsing and error handling, encapsulation, and misuse errors. The
 * shared behaviour is in conformance.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { NotFound } from '../../src/core/errors.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import * as gNode from '../../src/http/node/index.js';
import * as gExpress from '../../src/http/express/index.js';
import * as gFastify from '../../src/http/fastify/index.js';
import * as gHono from '../../src/http/hono/index.js';
import { LogCapture, send } from '../helpers.js';
import { pathMatches } from '../../src/cookies/index.js';
import { ADAPTERS, startAdapter } from './servers.js';

let gatehouse: Gatehouse;
let dir: string;
let access: string;
const ALICE = { pk: 1, username: 'alice', email: '', first_name: '', last_name: '' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-adapters-'));
  const settings = parseSettings(mergeSettings({ database: join(dir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn' }, {}));
  gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()) });
  const alice = await gatehouse.users.create({ username: 'alice', password: 'alice-password-1' });
  access = (await gatehouse.jwt.obtainPair(alice)).access;
});
after(async () => {
  await gatehouse.close();
  rmSync(dir, { recursive: true, force: true });
});

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  return Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
const login = { username: 'alice', password: 'alice-password-1' };

describe('node', () => {
  test('endpoints() without next answers everything: outside the prefix is a JSON 404', async () => {
    const url = await listen(createServer(gNode.endpoints(gatehouse, { prefix: '/auth/' })));
    const outside = await send(url, 'GET', '/healthz');
    assert.equal(outside.status, 404);
    assert.deepEqual(outside.json, { detail: 'Not found.' });
    assert.deepEqual((await send(url, 'GET', '/auth/healthz')).json, { status: 'ok' });
    assert.equal((await send(url, 'GET', '/authx/healthz')).status, 404);
  });

  test('endpoints() with next: false and next() outside the prefix, true inside', async () => {
    const seen: boolean[] = [];
    const auth = gNode.endpoints(gatehouse.engine, { prefix: '/auth', maxBodySize: 1024 });
    const url = await listen(
      createServer((req, res) => {
        const handled = auth(req, res, () => res.end('app'));
        seen.push(handled);
      }),
    );
    assert.equal((await send(url, 'GET', '/other')).text, 'app');
    const big = await send(url, 'POST', '/auth/api/token/', { body: { ...login, pad: 'x'.repeat(2000) } });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { detail: 'Request body exceeds the limit of 1024 bytes.' });
    assert.deepEqual(seen, [false, true]);
  });

  test('a bare Engine needs maxBodySize; protect(guard, policy) is refused', () => {
    assert.throws(() => gNode.endpoints(gatehouse.engine), /maxBodySize is required/);
    assert.throws(() => gNode.protect(gatehouse.guard() as never, {} as never, () => undefined), /already has its policy/);
    assert.throws(() => gNode.endpoints(gatehouse, { prefix: 'auth' }), /must be a path/);
  });

  test('protect: a handler error that is not Gatehouse\'s → 503 JSON, logged; principalOf outside protect throws', async () => {
    const logged: unknown[] = [];
    const logger = { warn: () => undefined, error: (obj: object, msg: string) => logged.push([msg, obj]) };
    const url = await listen(
      createServer(
        gNode.protect(gatehouse, { permissions: [IsAuthenticated] }, async (req) => {
          assert.equal(gNode.principalOf(req)?.user.username, 'alice');
          throw new Error('database down');
        }, { logger }),
      ),
    );
    const res = await send(url, 'GET', '/x', { headers: { Authorization: `Bearer ${access}` } });
    assert.equal(res.status, 503);
    assert.deepEqual(res.json, { detail: 'Service temporarily unavailable.' });
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(logged.length, 1);
    assert.doesNotMatch(JSON.stringify(logged), new RegExp(access.slice(-20)));
    assert.throws(() => gNode.principalOf({} as never), /did not let through/);
  });
});

describe('express', () => {
  test('mounted with app.use(path, endpoints(app)): same as the prefix option', async () => {
    const app = express();
    app.use('/auth', gExpress.endpoints(gatehouse));
    app.get('/mine', (_req, res) => void res.send('mine'));
    const url = await listen(createServer(app));
    const me = await send(url, 'GET', '/auth/api/me/', { headers: { Authorization: `Bearer ${access}` } });
    assert.deepEqual(me.json, ALICE);
    assert.equal((await send(url, 'GET', '/mine')).text, 'mine');
    assert.deepEqual((await send(url, 'GET', '/auth/nothing')).json, { detail: 'Not found.' });
  });

  test('after express.json() / express.urlencoded(): the parsed body is serialised back', async () => {
    const app = express();
    app.use(express.json(), express.urlencoded({ extended: false }));
    app.use(gExpress.endpoints(gatehouse, { prefix: '/auth' }));
    app.use(gExpress.errorHandler());
    const url = await listen(createServer(app));
    const json = await send(url, 'POST', '/auth/api/token/', { body: login });
    assert.equal(json.status, 200, json.text);
    assert.deepEqual(Object.keys(json.json as object), ['refresh', 'access']);
    const form = await send(url, 'POST', '/auth/api/token/', { body: 'username=alice&password=alice-password-1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200, form.text);
    // express.json() refuses malformed JSON before Gatehouse sees it: errorHandler() renders DRF's shape.
    const bad = await send(url, 'POST', '/auth/api/token/', { body: '{"username": ', headers: { 'Content-Type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['content-type'], 'application/json');
    assert.match((bad.json as { detail: string }).detail, /^JSON parse error - /);
    // a body over express.json()'s own limit (100 kB) → 413 in DRF's shape too
    const huge = await send(url, 'POST', '/auth/api/token/', { body: { ...login, pad: 'x'.repeat(200_000) } });
    assert.equal(huge.status, 413);
    assert.deepEqual(huge.json, { detail: 'Request body exceeds the limit of 102400 bytes.' });
    // within express.json()'s limit but over Gatehouse's → Gatehouse's 413
    const big = await send(url, 'POST', '/auth/api/token/', { body: { ...login, pad: 'x'.repeat(20_000) } });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { detail: 'Request body exceeds the limit of 16384 bytes.' });
  });

  test('errorHandler passes errors that are not Gatehouse\'s on; protect answers HEAD without a body', async () => {
    const app = express();
    app.get('/thrown', () => {
      throw new NotFound('No such note.');
    });
    app.get('/other', () => {
      throw new Error('boom');
    });
    app.get('/p', gExpress.protect(gatehouse.guard({ permissions: [IsAuthenticated] })), (_req, res) => void res.json({}));
    app.use(gExpress.errorHandler());
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send('app handler'));
    const url = await listen(createServer(app));
    const thrown = await send(url, 'GET', '/thrown');
    assert.equal(thrown.status, 404);
    assert.deepEqual(thrown.json, { detail: 'No such note.' });
    assert.equal((await send(url, 'GET', '/other')).text, 'app handler');
    const head = await send(url, 'HEAD', '/p');
    assert.equal(head.status, 401);
    assert.equal(head.text, '');
  });
});

describe('fastify', () => {
  test('the plugin is encapsulated: the app\'s own JSON parsing and 404s are untouched; nested prefixes work', async () => {
    const app = Fastify();
    await app.register(
      async (api) => {
        await api.register(gFastify.gatehouseFastify, { gatehouse, prefix: '/auth' });
      },
      { prefix: '/v1' },
    );
    app.post('/echo', async (request) => request.body);
    await app.listen({ port: 0, host: '127.0.0.1' });
    after(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    assert.deepEqual((await send(url, 'POST', '/echo', { body: { a: 1 } })).json, { a: 1 });
    const me = await send(url, 'GET', '/v1/auth/api/me/', { headers: { Authorization: `Bearer ${access}` } });
    assert.deepEqual(me.json, ALICE);
    assert.deepEqual((await send(url, 'GET', '/v1/auth/unknown')).json, { detail: 'Not found.' });
    const outside = await send(url, 'GET', '/v1/other');
    assert.equal(outside.status, 404);
    assert.equal((outside.json as { statusCode: number }).statusCode, 404); // Fastify's own 404 outside the plugin
    const pair = await send(url, 'POST', '/v1/auth/api/token/', { body: login });
    assert.equal(pair.status, 200);
  });

  test('errorHandler re-throws what is not Gatehouse\'s to Fastify\'s default handling', async () => {
    const app = Fastify();
    app.setErrorHandler(gFastify.errorHandler);
    app.get('/nf', async () => {
      throw new NotFound();
    });
    app.get('/bug', async () => {
      throw new Error('bug');
    });
    await app.ready();
    const nf = await app.inject({ method: 'GET', url: '/nf' });
    assert.equal(nf.statusCode, 404);
    assert.deepEqual(nf.json(), { detail: 'Not found.' });
    const bug = await app.inject({ method: 'GET', url: '/bug' });
    assert.equal(bug.statusCode, 500);
    await app.close();
  });
});

describe('hono', () => {
  test('app.request() without a socket: remoteAddress from the option; app.all(prefix/*) mounting', async () => {
    const seen: string[] = [];
    const app = new Hono();
    app.all('/auth/*', gHono.endpoints(gatehouse, { prefix: '/auth' }));
    app.get(
      '/p',
      gHono.protect(gatehouse, { throttles: [{ allow: (t) => (seen.push(t.clientAddress), null) }] }, { remoteAddress: () => '203.0.113.7' }),
      (c) => c.json({ username: gHono.principalOf(c)?.user.username ?? null }),
    );
    const me = await app.request('/auth/api/me/', { headers: { Authorization: `Bearer ${access}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), ALICE);
    const pair = await app.request('/auth/api/token/', { method: 'POST', body: JSON.stringify(login), headers: { 'Content-Type': 'application/json' } });
    assert.equal(pair.status, 200);
    const p = await app.request('/p');
    assert.deepEqual(await p.json(), { username: null });
    assert.deepEqual(seen, ['203.0.113.7']);
  });

  test('a streamed body over the limit → 413', async () => {
    const app = new Hono();
    app.use(gHono.endpoints(gatehouse, { maxBodySize: 1024 }));
    const chunk = new TextEncoder().encode('x'.repeat(600));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(chunk);
      },
    });
    const res = await app.request('/api/token/', { method: 'POST', body, headers: { 'Content-Type': 'application/json' }, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), { detail: 'Request body exceeds the limit of 1024 bytes.' });
  });
});

describe('every adapter, cookie mode', () => {
  test('several Set-Cookie lines stay separate header lines (never folded)', async () => {
    const cookieDir = mkdtempSync(join(tmpdir(), 'gatehouse-adapters-cookies-'));
    const settings = parseSettings(
      mergeSettings(
        { database: join(cookieDir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn', cookies: { enabled: true, refreshPath: '/auth/api/token/' } },
        {},
      ),
    );
    const g = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()) });
    try {
      for (const adapter of ADAPTERS) {
        const running = await startAdapter(adapter, { gatehouse: g, throttle: { allow: () => null } });
        try {
          const res = await send(running.url, 'GET', '/auth/api/token/csrf/');
          assert.equal(res.status, 200, adapter);
          assert.deepEqual(res.json, { detail: 'CSRF cookie set.' });
          const cookies = res.headers['set-cookie'];
          assert.ok(Array.isArray(cookies) && cookies.length === 2, `${adapter}: ${JSON.stringify(cookies)}`);
          assert.match(cookies[0]!, /^csrftoken=[^;,]+; expires=/);
          assert.match(cookies[1]!, /^gatehouse-refresh-presession=[^;,]+; expires=.*HttpOnly/);
        } finally {
          await running.close();
        }
      }
    } finally {
      await g.close();
      rmSync(cookieDir, { recursive: true, force: true });
    }
  });

  test('under a prefix: a mount the refresh cookie cannot reach is refused; with the matching refreshPath a browser logs in and refreshes by cookie alone', async () => {
    const cookieDir = mkdtempSync(join(tmpdir(), 'gatehouse-adapters-prefix-'));
    const base = { secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn' as const };
    const wrong = await createGatehouse(parseSettings({ ...base, database: join(cookieDir, 'a.sqlite3'), cookies: { enabled: true } }));
    const right = await createGatehouse(parseSettings({ ...base, database: join(cookieDir, 'b.sqlite3'), cookies: { enabled: true, refreshPath: '/auth/api/token/' } }));
    await right.users.create({ username: 'alice', password: 'alice-password-1' });
    try {
      for (const adapter of ADAPTERS) {
        await assert.rejects(
          startAdapter(adapter, { gatehouse: wrong, throttle: { allow: () => null } }),
          (e: unknown) => e instanceof Error && /must cover \/auth\/api\/token\/refresh\/.*set cookies\.refreshPath to "\/auth\/api\/token\/"/.test(e.message),
          adapter,
        );
        const running = await startAdapter(adapter, { gatehouse: right, throttle: { allow: () => null } });
        try {
          // A browser's jar: a cookie goes only to paths its Path attribute covers (RFC 6265).
          const jar = new Map<string, { value: string; path: string }>();
          const browse = async (method: string, path: string, body?: Record<string, string>) => {
            const cookie = [...jar].filter(([, c]) => pathMatches(c.path, path)).map(([k, c]) => `${k}=${c.value}`).join('; ');
            const csrf = jar.get('csrftoken')?.value;
            const res = await send(running.url, method, path, {
              ...(body ? { body } : {}),
              headers: { Origin: running.url, ...(cookie ? { Cookie: cookie } : {}), ...(csrf ? { 'X-CSRFToken': csrf } : {}) },
            });
            const lines = res.headers['set-cookie'];
            for (const line of Array.isArray(lines) ? lines : lines ? [lines] : []) {
              const [pair, ...attrs] = line.split(';').map((x) => x.trim());
              const name = pair!.slice(0, pair!.indexOf('='));
              const cookiePath = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
              if (attrs.some((a) => /^max-age=0$/i.test(a))) jar.delete(name);
              else jar.set(name, { value: pair!.slice(name.length + 1), path: cookiePath });
            }
            return res;
          };
          assert.equal((await browse('GET', '/auth/api/token/csrf/')).status, 200, adapter);
          const login = await browse('POST', '/auth/api/token/', { username: 'alice', password: 'alice-password-1' });
          assert.equal(login.status, 200, `${adapter}: ${login.text}`);
          assert.equal(jar.get('gatehouse-refresh')?.path, '/auth/api/token/', adapter);
          const firstAccess = jar.get('gatehouse-access')?.value;
          const refreshed = await browse('POST', '/auth/api/token/refresh/', {});
          assert.equal(refreshed.status, 200, `${adapter}: ${refreshed.text}`);
          assert.ok(jar.get('gatehouse-access')?.value && jar.get('gatehouse-access')?.value !== firstAccess, `${adapter}: a new access cookie`);
          const logout = await browse('POST', '/auth/api/token/logout/', {});
          assert.ok(logout.status < 300, `${adapter}: ${logout.status} ${logout.text}`);
          assert.equal(jar.get('gatehouse-refresh'), undefined, `${adapter}: logout clears the refresh cookie`);
        } finally {
          await running.close();
        }
      }
    } finally {
      await wrong.close();
      await right.close();
      rmSync(cookieDir, { recursive: true, force: true });
    }
  });
});
