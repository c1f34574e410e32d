/**
 * CORS on `gatehouse serve` (`cors.*`, docs/cookie-mode.md "A page on another origin"):
 * nothing allowed by default; an allow-list of exact origins; preflights answered 204
 * before authentication; `Vary: Origin` on every response once origins are listed;
 * credentials for cookie mode; DRF's bodies and status codes unchanged.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings, SettingsError } from '../../src/core/settings.js';
import { startServer, type TestResponse, type TestServer } from '../helpers.js';

const SPA = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function server(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({ settings: { throttle: { deviceCookieLifetime: null }, ...settings } });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  return s;
}

const preflight = (s: TestServer, origin: string, path = '/api/token/', method = 'POST', headers = 'content-type') =>
  s.send('OPTIONS', path, { headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers } });

const corsHeaders = (res: TestResponse) => Object.keys(res.headers).filter((h) => h.startsWith('access-control-')).sort();

describe('default settings: no CORS at all', () => {
  test('a preflight gets no CORS header and no Vary; OPTIONS stays DRF metadata', async () => {
    const s = await server();
    const res = await preflight(s, SPA);
    assert.deepEqual(corsHeaders(res), []);
    assert.equal(res.headers.vary, undefined);
    assert.equal(res.status, 200);
    assert.equal((res.json as { name: string }).name !== undefined, true);
    const login = await s.send('POST', '/api/token/', { headers: { Origin: SPA }, body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(login.status, 200);
    assert.deepEqual(corsHeaders(login), []);
  });
});

describe('cors.allowedOrigins', () => {
  const settings = { cors: { allowedOrigins: [SPA], exposedHeaders: ['Retry-After', 'WWW-Authenticate'] } };

  test('a preflight from an allowed origin: 204 with the headers, before authentication', async () => {
    const s = await server(settings);
    // /api/me/ needs authentication; a preflight carries no credentials and is still answered.
    const res = await preflight(s, SPA, '/api/me/', 'GET', 'authorization');
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-allow-origin'], SPA);
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    assert.equal(res.headers['access-control-allow-headers'], 'Authorization, Content-Type');
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    assert.equal(res.headers.vary, 'Origin');
    assert.equal(res.headers['www-authenticate'], undefined);
  });

  test('a preflight from a refused origin: no CORS header (the browser blocks the request)', async () => {
    const s = await server(settings);
    for (const origin of [OTHER, 'null', `${SPA}.evil.net`, 'http://app.example.com', 'HTTPS://APP.EXAMPLE.COM']) {
      const res = await preflight(s, origin);
      assert.equal(res.status, 204, origin);
      assert.deepEqual(corsHeaders(res), [], origin);
      assert.equal(res.headers.vary, 'Origin', origin);
    }
  });

  test('actual responses: the allowed origin echoed, Vary: Origin on every response, others get nothing', async () => {
    const s = await server(settings);
    const ok = await s.send('POST', '/api/token/', { headers: { Origin: SPA }, body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], SPA);
    assert.equal(ok.headers['access-control-expose-headers'], 'Retry-After, WWW-Authenticate');
    assert.equal(ok.headers.vary, 'Origin');
    const refused = await s.send('POST', '/api/token/', { headers: { Origin: OTHER }, body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(refused.status, 200);
    assert.deepEqual(corsHeaders(refused), []);
    assert.equal(refused.headers.vary, 'Origin');
    const noOrigin = await s.send('GET', '/healthz');
    assert.deepEqual(corsHeaders(noOrigin), []);
    assert.equal(noOrigin.headers.vary, 'Origin');
    const unknown = await s.send('GET', '/nowhere/', { headers: { Origin: SPA } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['access-control-allow-origin'], SPA);
  });

  test("DRF's bodies, statuses and challenges are unchanged", async () => {
    const plain = await server();
    const cors = await server(settings);
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['GET', '/api/me/', {}],
      ['GET', '/api/me/', { headers: { Authorization: 'Token nope' } }],
      ['POST', '/api-token-auth/', { body: { username: 'alice', password: 'wrong' } }],
      ['POST', '/api/token/', { body: '{bad json', headers: { 'Content-Type': 'application/json' } }],
      ['PUT', '/api/token/', {}],
      ['OPTIONS', '/api-token-auth/', {}],
    ];
    for (const [method, path, options] of cases) {
      const headers = { ...(options.headers as Record<string, string> | undefined), Origin: SPA };
      const a = await plain.send(method, path, { ...options, headers });
      const b = await cors.send(method, path, { ...options, headers });
      assert.equal(b.status, a.status, `${method} ${path}`);
      assert.equal(b.text, a.text, `${method} ${path}`);
      assert.equal(b.headers['www-authenticate'], a.headers['www-authenticate'], `${method} ${path}`);
      assert.equal(b.headers.allow, a.headers.allow, `${method} ${path}`);
      assert.equal(b.headers['access-control-allow-origin'], SPA, `${method} ${path}`);
    }
  });
});

describe('credentials (cookie mode SPA on another origin)', () => {
  test('login with cookies from the SPA: credentials allowed, the CSRF header allowed, cookies set', async () => {
    const spa = 'http://localhost:5173';
    const s = await server({
      cookies: { enabled: true, secure: false, trustedOrigins: [spa] },
      cors: { allowedOrigins: [spa], allowCredentials: true },
    });
    const pre = await preflight(s, spa, '/api/token/', 'POST', 'content-type,x-csrftoken');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], spa);
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal(pre.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-CSRFToken');

    const csrf = await s.send('GET', '/api/token/csrf/', { headers: { Origin: spa, Host: 'localhost' } });
    assert.equal(csrf.status, 200);
    assert.equal(csrf.headers['access-control-allow-credentials'], 'true');
    const jar = ((csrf.headers['set-cookie'] as string[] | undefined) ?? []).map((l) => l.slice(0, l.indexOf(';')));
    const token = jar.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
    const login = await s.send('POST', '/api/token/', {
      headers: { Origin: spa, Host: 'localhost', Cookie: jar.join('; '), 'X-CSRFToken': token },
      body: { username: 'alice', password: 'alice-password-1' },
    });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.headers['access-control-allow-origin'], spa);
    assert.equal(login.headers['access-control-allow-credentials'], 'true');
    assert.ok(((login.headers['set-cookie'] as string[] | undefined) ?? []).some((l) => l.startsWith('gatehouse-access=')));
  });
});

describe('settings', () => {
  const parse = (cors: Record<string, unknown>) => () => parseSettings({ secretKey: 'x'.repeat(32), cors });

  test('only exact origins: no wildcard, path, slash, default port or upper case', () => {
    for (const origin of ['*', 'https://*.example.com', 'https://app.example.com/', 'https://app.example.com/spa', 'https://app.example.com:443', 'https://App.example.com', 'null', 'app.example.com']) {
      assert.throws(parse({ allowedOrigins: [origin] }), SettingsError, origin);
    }
    assert.deepEqual(parseSettings({ secretKey: 'x'.repeat(32), cors: { allowedOrigins: ['http://localhost:5173'] } }).cors.allowedOrigins, ['http://localhost:5173']);
  });
});
