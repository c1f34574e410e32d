/**
 * Passkeys in a real browser: Debian's Chromium (`/usr/bin/chromium`, never downloaded)
 * driven by playwright-core, with a CDP virtual authenticator (CTAP2, internal, resident
 * keys, user verification). The test serves a page on http://localhost:<port> (a secure
 * context; RP ID `localhost`) beside the Gatehouse routes, and the page runs every
 * ceremony with `navigator.credentials` (through @simplewebauthn/browser): two named
 * passkeys registered, listed, renamed; a passwordless login whose token authenticates;
 * the counter stored; a password login's second factor through the MFA ticket; a removal. Without Chromium the test fails when
 * `GATEHOUSE_REQUIRE_SERVICES=1` (CI), else it is skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { parseSettings } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { endpoints } from '../../src/http/node/index.js';
import { LogCapture } from '../helpers.js';
import { BROWSER_BUNDLE, PAGE } from './browser-page.js';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  json: Json & Json[];
}

if (!existsSync(CHROMIUM)) {
  const notice = `${CHROMIUM} not found (Debian package chromium)`;
  if (REQUIRED) test('passkeys in Chromium: chromium is installed (GATEHOUSE_REQUIRE_SERVICES=1)', () => assert.fail(notice));
  else test('passkeys in Chromium', { skip: notice }, () => {});
} else {
  describe('passkeys in Chromium (virtual authenticator)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-passkeys-'));
    let server: Server;
    let app: Gatehouse;
    let browser: Browser;
    let page: Page;
    let cdp: CDPSession;
    let authenticatorId: string;
    const logs = new LogCapture();
    let token: string;
    const started = performance.now();

    const evaluate = <T>(fn: string, ...args: unknown[]): Promise<T> => page.evaluate(([name, list]) => (globalThis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name as string]!(...(list as unknown[])), [fn, args] as const) as Promise<T>;
    const call = (method: string, path: string, body?: unknown, key?: string) => evaluate<Answer>('call', method, path, body, key);
    const addAuthenticator = async (): Promise<string> =>
      (
        await cdp.send('WebAuthn.addVirtualAuthenticator', {
          options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
        })
      ).authenticatorId;

    before(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
      const settings = parseSettings({
        database: join(dir, 'db.sqlite3'),
        secretKey: 'test-secret-key-that-is-long-enough-0123456789',
        passkeys: { enabled: true, rpId: 'localhost', origins: [origin], rpName: 'Gatehouse test' },
        mfa: { enabled: true },
      });
      app = await createGatehouse(settings, { logger: createLogger('info', logs) });
      const gatehouse = endpoints(app);
      server.on('request', (req, res) => {
        if (req.url === '/' || req.url === '/webauthn.js') {
          res.writeHead(200, { 'Content-Type': req.url === '/' ? 'text/html; charset=utf-8' : 'text/javascript' });
          res.end(req.url === '/' ? PAGE : BROWSER_BUNDLE);
          return;
        }
        gatehouse(req, res);
      });
      await app.users.create({ username: 'alice', password: 'alice-password-1' });
      token = (await app.tokens.issue((await app.stores.users.getByUsername('alice'))!)).key;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
      const context = await browser.newContext();
      page = await context.newPage();
      cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      authenticatorId = await addAuthenticator();
      await page.goto(`${origin}/`);
      const secure = await page.evaluate(() => {
        const w = globalThis as unknown as { isSecureContext: boolean; PublicKeyCredential?: unknown };
        return w.isSecureContext && typeof w.PublicKeyCredential === 'function';
      });
      assert.equal(secure, true, 'http://localhost is a secure context with WebAuthn');
    });

    after(async () => {
      await browser?.close();
      await app?.close();
      await new Promise((resolve) => server?.close(resolve));
      rmSync(dir, { recursive: true, force: true });
      console.log(`# passkeys in Chromium: ${Math.round(performance.now() - started)} ms`);
    });

    test('register a first passkey; as the first factor it ends the sessions held before', async () => {
      const r = await evaluate<Answer>('registerPasskey', token, 'Laptop');
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.name, 'Laptop');
      assert.equal((await call('GET', '/api/auth/passkeys/', undefined, token)).status, 401, 'the token from before the factor is revoked');
    });

    test('passwordless login: a token that authenticates; the counter stored (#180)', async () => {
      const r = await evaluate<Answer>('passkeyLogin');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      token = r.json.key as string;
      const me = await call('GET', '/api/me/', undefined, token);
      assert.equal(me.json.username, 'alice');
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      const stored = await app.stores.passkeys!.findByCredentialId(credentials[0]!.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
      assert.ok(stored && stored.counter > 0 && stored.counter === credentials[0]!.signCount, `stored ${stored?.counter}, authenticator ${credentials[0]!.signCount}`);
      assert.notEqual(stored.lastUsedAt, null);
    });

    test('a second named passkey on another authenticator; list, rename', async () => {
      // The first authenticator holds a credential the options exclude: it is "lost", a new device registers.
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      authenticatorId = await addAuthenticator();
      const r = await evaluate<Answer>('registerPasskey', token, 'Phone');
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const list = await call('GET', '/api/auth/passkeys/', undefined, token);
      assert.deepEqual(list.json.map((p) => [p.name, p.device_type, typeof p.backed_up]), [
        ['Laptop', 'singleDevice', 'boolean'],
        ['Phone', 'singleDevice', 'boolean'],
      ]);
      assert.notEqual(list.json[0]!.last_used, null);
      const renamed = await call('PATCH', `/api/auth/passkeys/${list.json[1]!.id as number}/`, { name: 'Old phone' }, token);
      assert.equal(renamed.json.name, 'Old phone');
    });

    test('a password login asks for the second factor (an MFA ticket with request options); the passkey answers it once (#181)', async () => {
      const r = await evaluate<Record<'first' | 'second' | 'replayed', Answer>>('passwordThenPasskey', 'alice', 'alice-password-1');
      assert.equal(r.first.status, 401, JSON.stringify(r.first.json));
      assert.equal(r.first.json.code, 'mfa_required');
      assert.deepEqual(r.first.json.methods, ['webauthn']);
      assert.equal(((r.first.json.webauthn as Json).allowCredentials as Json[]).length, 2, 'both passkeys allowed');
      assert.equal(r.second.status, 200, JSON.stringify(r.second.json));
      assert.equal((await call('GET', '/api/me/', undefined, r.second.json.token as string)).json.username, 'alice');
      assert.notEqual(r.replayed.status, 200, 'the ticket and the challenge are single use');
      assert.equal(r.replayed.json.token, undefined);
    });

    test('remove the lost device\'s passkey; the other still logs in', async () => {
      const list = await call('GET', '/api/auth/passkeys/', undefined, token);
      const laptop = list.json.find((p) => p.name === 'Laptop')!;
      assert.equal((await call('DELETE', `/api/auth/passkeys/${laptop.id as number}/`, undefined, token)).status, 204);
      assert.deepEqual((await call('GET', '/api/auth/passkeys/', undefined, token)).json.map((p) => p.name), ['Old phone']);
      const r = await evaluate<Answer>('passkeyLogin');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal((await call('GET', '/api/me/', undefined, r.json.key as string)).json.username, 'alice');
    });
  });
}
