/**
 * The one scenario every example API (examples/<framework>/server.ts) must pass on a loopback
 * port: register → login → create a note → edit your own (200) / someone else's (403) → the
 * admin route (403 / 200) → the throttled route (429).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { EXAMPLE_SETTINGS } from '../../examples/shared/notes.js';
import { LogCapture, send } from '../helpers.js';

export type StartExample = (options: { port: number; gatehouse: Gatehouse }) => Promise<{ url: string; close(): Promise<void> }>;

const CHALLENGE = 'Bearer realm="api"';
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

export function exampleScenario(framework: string, start: StartExample): void {
  describe(`examples/${framework}`, () => {
    let gatehouse: Gatehouse;
    let dir: string;
    let running: { url: string; close(): Promise<void> };
    const tokens: Record<string, string> = {};
    const call = (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
      send(running.url, method, path, {
        headers: { ...(options.token ? bearer(options.token) : {}), ...options.headers },
        ...(options.body !== undefined ? { body: options.body } : {}),
      });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `gatehouse-example-${framework}-`));
      const settings = parseSettings(
        mergeSettings({ database: join(dir, 'db.sqlite3'), secretKey: 'test-secret-key-that-is-long-enough-0123456789', logLevel: 'warn' }, EXAMPLE_SETTINGS),
      );
      gatehouse = await createGatehouse(settings, { logger: createLogger('warn', new LogCapture()) });
      await gatehouse.users.create({ username: 'root', password: 'root-password-1', isStaff: true });
      running = await start({ port: 0, gatehouse });
    });
    after(async () => {
      await running?.close();
      await gatehouse?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('register two users; a taken username and a short password → DRF 400', async () => {
      const alice = await call('POST', '/register', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(alice.status, 201, alice.text);
      assert.deepEqual(alice.json, { id: 2, username: 'alice' });
      assert.equal((await call('POST', '/register', { body: { username: 'bob', password: 'bob-password-1' } })).status, 201);
      const taken = await call('POST', '/register', { body: { username: 'alice', password: 'another-password' } });
      assert.equal(taken.status, 400);
      assert.deepEqual(taken.json, { username: ['A user with that username already exists.'] });
      const short = await call('POST', '/register', { body: { username: 'carol', password: 'short' } });
      assert.equal(short.status, 400);
      assert.deepEqual(short.json, { password: ['This password is too short. It must contain at least 8 characters.'] });
    });

    test('log in through the token endpoints mounted under /auth', async () => {
      for (const [name, password] of [['alice', 'alice-password-1'], ['bob', 'bob-password-1'], ['root', 'root-password-1']] as const) {
        const res = await call('POST', '/auth/api/token/', { body: { username: name, password } });
        assert.equal(res.status, 200, res.text);
        tokens[name] = (res.json as { access: string }).access;
      }
      const me = await call('GET', '/auth/api/me/', { token: tokens.alice });
      assert.deepEqual(me.json, { pk: 2, username: 'alice', email: '', first_name: '', last_name: '' });
    });

    test('notes need authentication: 401 with the challenge', async () => {
      const res = await call('GET', '/notes');
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], CHALLENGE);
      assert.deepEqual(res.json, { detail: 'Authentication credentials were not provided.' });
    });

    test('create a note (and a blank one → 400); each user lists their own', async () => {
      const created = await call('POST', '/notes', { token: tokens.alice, body: { text: 'buy milk' } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.json, { id: 1, owner: 'alice', text: 'buy milk' });
      const blank = await call('POST', '/notes', { token: tokens.alice, body: { text: '  ' } });
      assert.equal(blank.status, 400);
      assert.deepEqual(blank.json, { text: ['This field may not be blank.'] });
      const missing = await call('POST', '/notes', { token: tokens.alice, body: {} });
      assert.deepEqual(missing.json, { text: ['This field is required.'] });
      assert.deepEqual((await call('GET', '/notes', { token: tokens.alice })).json, [{ id: 1, owner: 'alice', text: 'buy milk' }]);
      assert.deepEqual((await call('GET', '/notes', { token: tokens.bob })).json, []);
    });

    test('edit your own note → 200; someone else\'s → 403 (object permission); a missing one → 404', async () => {
      const own = await call('PATCH', '/notes/1', { token: tokens.alice, body: { text: 'buy oat milk' } });
      assert.equal(own.status, 200, own.text);
      assert.deepEqual(own.json, { id: 1, owner: 'alice', text: 'buy oat milk' });
      const other = await call('PATCH', '/notes/1', { token: tokens.bob, body: { text: 'mine now' } });
      assert.equal(other.status, 403);
      assert.equal(other.headers['www-authenticate'], undefined);
      assert.deepEqual(other.json, { detail: 'You can only edit your own notes.' });
      const missing = await call('PATCH', '/notes/99', { token: tokens.bob, body: { text: 'x' } });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json, { detail: 'Not found.' });
      const anonymous = await call('PATCH', '/notes/1', { body: { text: 'x' } });
      assert.equal(anonymous.status, 401);
      assert.deepEqual((await call('GET', '/notes', { token: tokens.alice })).json, [{ id: 1, owner: 'alice', text: 'buy oat milk' }]);
    });

    test('the admin route: 403 for a user, 200 for staff', async () => {
      const user = await call('GET', '/admin/notes', { token: tokens.alice });
      assert.equal(user.status, 403);
      assert.deepEqual(user.json, { detail: 'You do not have permission to perform this action.' });
      const staff = await call('GET', '/admin/notes', { token: tokens.root });
      assert.equal(staff.status, 200);
      assert.deepEqual(staff.json, [{ id: 1, owner: 'alice', text: 'buy oat milk' }]);
    });

    test('the throttled route: 3 per minute per user, then 429 with Retry-After', async () => {
      for (let i = 0; i < 3; i++) {
        const ok = await call('GET', '/notes/export', { token: tokens.alice });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.json, { notes: [{ id: 1, owner: 'alice', text: 'buy oat milk' }] });
      }
      const limited = await call('GET', '/notes/export', { token: tokens.alice });
      assert.equal(limited.status, 429);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
      const wait = Number(limited.headers['retry-after']);
      assert.ok(wait > 0 && wait <= 60);
      assert.deepEqual(limited.json, { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` });
      // another user has a budget of their own
      assert.equal((await call('GET', '/notes/export', { token: tokens.bob })).status, 200);
    });
  });
}
