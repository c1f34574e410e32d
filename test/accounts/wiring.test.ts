/**
 * The server's account wiring: `Gatehouse.accounts` and `Gatehouse.email` exist, account
 * routes refuse to start without `accounts.domain`, the service's configuration errors are
 * start-up errors, and the account throttle counts only anonymous unsafe requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import type { ThrottleContext } from '../../src/core/throttle.js';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import { createGatehouse, StartupError } from '../../src/server/app.js';
import { accountThrottle } from '../../src/server/account-routes.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { MemoryThrottleStore } from '../../src/stores/memory/throttle.js';
import { SECRET } from './harness.js';

const base = { database: ':memory:', secretKey: SECRET, logLevel: 'silent', email: { backend: 'memory' } };

test('Gatehouse has the account service and the e-mail backend the settings name', async () => {
  const app = await createGatehouse(parseSettings(base), { stores: new MemoryStores() });
  try {
    assert.ok(app.email instanceof MemoryEmailBackend);
    assert.equal(typeof app.accounts.register, 'function');
  } finally {
    await app.close();
  }
});

test('account routes without accounts.domain: the server does not start', async () => {
  for (const accounts of [{ djoser: '/auth' }, { djRestAuth: '/dj-rest-auth' }]) {
    await assert.rejects(
      createGatehouse(parseSettings(mergeSettings(base, { accounts })), { stores: new MemoryStores() }),
      (e: unknown) => e instanceof StartupError && /accounts\.domain is required/.test(e.message),
    );
  }
  const app = await createGatehouse(parseSettings(mergeSettings(base, { accounts: { djoser: '/auth', domain: 'app.example.com' } })), { stores: new MemoryStores() });
  await app.close();
});

test('an unreadable template directory or common-password list is a start-up error', async () => {
  for (const overrides of [{ email: { templates: '/nonexistent/templates' } }, { passwords: { commonPasswordsFile: '/nonexistent/list.txt' } }]) {
    await assert.rejects(createGatehouse(parseSettings(mergeSettings(base, overrides)), { stores: new MemoryStores() }), StartupError);
  }
});

test('the account throttle: anonymous POSTs per client address at throttle.rates.accounts (30/hour when absent, none when null)', async () => {
  const ctx = (method: string, principal: ThrottleContext['principal'] = null, clientAddress = '203.0.113.5'): ThrottleContext => ({
    req: { method } as ThrottleContext['req'],
    principal,
    clientAddress,
  });
  const clock = new FakeClock();
  const throttle = accountThrottle(parseSettings(base), new MemoryThrottleStore({ maxEntries: 1000 }), clock);
  for (let i = 0; i < 30; i++) assert.equal(await throttle.allow(ctx('POST')), null);
  const refused = await throttle.allow(ctx('POST'));
  assert.ok(refused && refused.wait !== null && refused.wait > 0);
  assert.equal(await throttle.allow(ctx('GET')), null, 'safe methods are not counted');
  assert.equal(await throttle.allow(ctx('POST', { user: { id: 1 } as never, auth: null })), null, 'authenticated callers are not counted');
  assert.equal(await throttle.allow(ctx('POST', null, '203.0.113.6')), null, 'per client address');
  const custom = accountThrottle(parseSettings(mergeSettings(base, { throttle: { rates: { accounts: '1/min' } } })), new MemoryThrottleStore({ maxEntries: 1000 }), clock);
  assert.equal(await custom.allow(ctx('POST')), null);
  assert.notEqual(await custom.allow(ctx('POST')), null);
  const none = accountThrottle(parseSettings(mergeSettings(base, { throttle: { rates: { accounts: null } } })), new MemoryThrottleStore({ maxEntries: 1000 }), clock);
  for (let i = 0; i < 50; i++) assert.equal(await none.allow(ctx('PATCH')), null);
});
