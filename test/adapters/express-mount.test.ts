/**
 * Express's `app.use('/auth', endpoints(gatehouse))` form in cookie mode: Express strips
 * the mount path before the middleware runs, so the refresh cookie's path is checked
 * against `req.baseUrl` + prefix. With `cookies.refreshPath: "/auth/api/token/"` a browser
 * logs in and refreshes by cookie; mounted where the refresh cookie cannot reach, the
 * request is refused with the setting to change instead of a refresh that never works.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { parseSettings } from '../../src/core/settings.js';
import { endpoints } from '../../src/http/express/index.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { send } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-express-mount-'));
const apps: Gatehouse[] = [];
const servers: Server[] = [];
after(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const a of apps) await a.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gatehouse(name: string, refreshPath?: string): Promise<Gatehouse> {
  const app = await createGatehouse(
    parseSettings({
      database: join(dir, `${name}.sqlite3`),
      secretKey: 'test-secret-key-that-is-long-enough-0123456789',
      logLevel: 'silent',
      cookies: { enabled: true, secure: false, ...(refreshPath ? { refreshPath } : {}) },
      throttle: { deviceCookieLifetime: null },
    }),
  );
  apps.push(app);
  await app.users.create({ username: 'alice', password: 'alice-password-1' });
  return app;
}

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

test("app.use('/auth', endpoints(gatehouse)) in cookie mode: login, then refresh by the cookie alone", async () => {
  const g = await gatehouse('right', '/auth/api/token/');
  const app = express();
  app.use('/auth', endpoints(g));
  const url = await listen(app);
  const jar = new Map<string, string>();
  const browse = async (method: string, path: string, body?: object) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = jar.get('csrftoken');
    const res = await send(url, method, path, {
      ...(body ? { body } : {}),
      headers: { Origin: url, ...(cookie ? { Cookie: cookie } : {}), ...(csrf ? { 'X-CSRFToken': csrf } : {}) },
    });
    for (const line of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
      const pair = line.slice(0, line.indexOf(';'));
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      assert.ok(!/gatehouse-refresh=/.test(line) || /Path=\/auth\/api\/token\//.test(line), line);
    }
    return res;
  };
  assert.equal((await browse('GET', '/auth/api/token/csrf/')).status, 200);
  const login = await browse('POST', '/auth/api/token/', { username: 'alice', password: 'alice-password-1' });
  assert.equal(login.status, 200, login.text);
  jar.delete('gatehouse-access');
  const refreshed = await browse('POST', '/auth/api/token/refresh/', {});
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.ok(jar.get('gatehouse-access'));
  assert.equal((await browse('GET', '/auth/api/me/')).status, 200);
});

test('mounted where the refresh cookie cannot reach: refused with the setting to change', async () => {
  const g = await gatehouse('wrong');
  const app = express();
  app.use('/auth', endpoints(g));
  const failures: string[] = [];
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    failures.push(err.message);
    res.status(500).json({ detail: 'mount refused' });
  });
  const url = await listen(app);
  const res = await send(url, 'GET', '/auth/api/token/csrf/');
  assert.equal(res.status, 500);
  assert.match(failures[0] ?? '', /must cover \/auth\/api\/token\/refresh\/.*set cookies\.refreshPath to "\/auth\/api\/token\/"/);
  // At the root, the mount is checked at once, as before.
  assert.throws(() => endpoints(g, { prefix: '/auth' }), /set cookies\.refreshPath to "\/auth\/api\/token\/"/);
});
