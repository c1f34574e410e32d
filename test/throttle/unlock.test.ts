/**
 * Clearing login lock-outs (`unlockLogin`, the function `gatehouse unlock` runs): the
 * username's and the address's counters are cleared, so the locked user gets in again,
 * and each clearing is one `login_unlocked` security event — logged at `warn` with the
 * username masked, and counted in the metrics (`gatehouse_login_unlocks_total`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLogger, type SecurityEvent } from '../../src/core/events.js';
import { Metrics } from '../../src/server/metrics.js';
import { MemoryThrottleStore } from '../../src/stores/memory/throttle.js';
import { LoginThrottle, usernameId } from '../../src/throttle/index.js';
import { unlockLogin } from '../../src/throttle/unlock.js';

const NOW = Date.UTC(2026, 0, 1);
const POLICY = { limit: 3, windowMs: 3_600_000, baseMs: 60_000, maxMs: 3_600_000 };

async function lockedStore() {
  const store = new MemoryThrottleStore({ maxEntries: 100 });
  const pair = `login_pair_${usernameId('alice')}_203.0.113.7`;
  for (let i = 0; i < 3; i++) {
    await store.recordFailure(LoginThrottle.usernameKey('alice'), POLICY, NOW);
    await store.recordFailure(pair, POLICY, NOW);
  }
  await store.recordFailure(LoginThrottle.addressKey('203.0.113.7'), POLICY, NOW);
  return { store, target: { store, pairKeys: async (username: string) => (username === 'alice' ? [pair] : []) }, pair };
}

test('unlock clears the username and its pairs, and emits one login_unlocked event (none when nothing was cleared)', async () => {
  const { store, target, pair } = await lockedStore();
  const events: SecurityEvent[] = [];
  const result = await unlockLogin(target, { username: 'alice', address: '203.0.113.7' }, { events: (e) => events.push(e), by: 'cli', now: NOW + 1 });
  assert.deepEqual(result, { cleared: 3, wereLocked: 2 });
  assert.deepEqual(events, [{ event: 'login_unlocked', by: 'cli', username: 'alice', address: '203.0.113.7', cleared: 3, wereLocked: 2 }]);
  for (const key of [LoginThrottle.usernameKey('alice'), pair, LoginThrottle.addressKey('203.0.113.7')]) assert.equal(await store.backoff(key, NOW + 1), null, key);
  assert.deepEqual(await unlockLogin(target, { username: 'alice' }, { events: (e) => events.push(e), by: 'cli', now: NOW + 2 }), { cleared: 0, wereLocked: 0 });
  assert.equal(events.length, 1, 'nothing cleared, no event');
});

test('the event is logged at warn with the username masked, and counted in the metrics', async () => {
  const { target } = await lockedStore();
  const lines: Array<{ level: string; obj: { event: Record<string, unknown> }; msg: string }> = [];
  const metrics = new Metrics();
  const log = {
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as never, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as never, msg }),
  };
  const events = eventLogger(log, { usernames: 'hashed', secretKey: 's'.repeat(32), observe: (e) => metrics.event(e) });
  assert.match(metrics.render(), /^# TYPE gatehouse_login_unlocks_total counter$/m);
  await unlockLogin(target, { username: 'alice' }, { events, by: 'cli', now: NOW + 1 });
  assert.equal(lines.length, 1);
  assert.deepEqual([lines[0]!.level, lines[0]!.msg], ['warn', 'login_unlocked']);
  assert.match(String(lines[0]!.obj.event.username), /^hmac:[0-9a-f]{32}$/);
  assert.match(metrics.render(), /^gatehouse_login_unlocks_total\{by="cli"\} 1$/m);
});
