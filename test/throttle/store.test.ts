/**
 * The ThrottleStore contract, one suite run against every implementation (the in-memory
 * store and Redis): DRF's sliding-window history and wait formula, backoff counters,
 * atomicity, expiry by the caller's clock. Then what only the in-memory store has
 * (bounded memory, the pure transition functions).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryThrottleStore, failureTransition, hitHistory } from '../../src/stores/memory/throttle.js';
import { RedisThrottleStore } from '../../src/stores/redis/index.js';
import type { BackoffPolicy, ThrottleStore } from '../../src/stores/types.js';
import { redisTestServer } from '../stores/redis-helpers.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const MIN = 60_000;

const backends: Array<[string, () => ThrottleStore]> = [['memory', () => new MemoryThrottleStore({ maxEntries: 100_000 })]];
// Redis: a fresh key prefix per store, its keys deleted afterwards (skipped with a notice when unreachable).
const redis = await redisTestServer('throttle store contract');
if (redis) {
  backends.push(['redis', () => new RedisThrottleStore(redis.client, { keyPrefix: redis.newPrefix() })]);
  after(() => redis.cleanup());
}

for (const [name, make] of backends) {
  describe(`${name}: hit (DRF SimpleRateThrottle)`, () => {
    test('3/min: three allowed, the 4th refused with wait 60 s at the same instant', async () => {
      const s = make();
      for (let i = 0; i < 3; i++) assert.deepEqual(await s.hit('k', 3, MIN, T0), { allowed: true, wait: null });
      assert.deepEqual(await s.hit('k', 3, MIN, T0), { allowed: false, wait: 60 });
    });

    test('wait = (duration - (now - oldest)) / (num - len + 1)', async () => {
      const s = make();
      await s.hit('k', 3, MIN, T0);
      await s.hit('k', 3, MIN, T0 + 10_000);
      await s.hit('k', 3, MIN, T0 + 20_000);
      // oldest T0, 3 in history: (60 - 30.5) / 1
      assert.deepEqual(await s.hit('k', 3, MIN, T0 + 30_500), { allowed: false, wait: 29.5 });
      // at T0 + 60 s the oldest drops out (`<= now - duration`): allowed again
      assert.deepEqual(await s.hit('k', 3, MIN, T0 + MIN), { allowed: true, wait: null });
      // history now T0+10, T0+20, T0+60: refused until T0+70
      assert.deepEqual(await s.hit('k', 3, MIN, T0 + 61_000), { allowed: false, wait: 9 });
      // a fractional wait survives the round trip exactly
      assert.deepEqual(await s.hit('k', 3, MIN, T0 + 61_001), { allowed: false, wait: 8.999 });
    });

    test('a refused request records nothing (DRF writes the cache only on success)', async () => {
      const s = make();
      await s.hit('k', 1, MIN, T0);
      for (let i = 1; i <= 50; i++) assert.equal((await s.hit('k', 1, MIN, T0 + i * 1000)).allowed, false);
      assert.equal((await s.hit('k', 1, MIN, T0 + MIN)).allowed, true, 'only the allowed request counts');
    });

    test('the divisor: a history longer than the limit gives wait null (DRF returns None); 0/min waits the duration', async () => {
      const s = make();
      for (let i = 0; i < 3; i++) await s.hit('k', 3, MIN, T0 + i);
      assert.deepEqual(await s.hit('k', 2, MIN, T0 + 3), { allowed: false, wait: null });
      assert.deepEqual(await s.hit('zero', 0, MIN, T0), { allowed: false, wait: 60 }, '0/min: refused, wait = duration');
    });

    test('keys are independent; reset forgets one', async () => {
      const s = make();
      assert.equal((await s.hit('a', 1, MIN, T0)).allowed, true);
      assert.equal((await s.hit('b', 1, MIN, T0)).allowed, true);
      assert.equal((await s.hit('a', 1, MIN, T0)).allowed, false);
      await s.reset('a');
      assert.equal((await s.hit('a', 1, MIN, T0)).allowed, true);
      assert.equal((await s.hit('b', 1, MIN, T0)).allowed, false);
    });

    test('long histories stay exact', async () => {
      const s = make();
      let allowed = 0;
      for (let t = 0; t < 10_000; t++) if ((await s.hit('k', 100, 1000, T0 + t * 5)).allowed) allowed++;
      // 100 per second for 50 s
      assert.equal(allowed, 5000);
    });

    test('an expired history is forgotten on access (by the caller\'s clock)', async () => {
      const s = make();
      await s.hit('k', 1, 1000, T0);
      assert.equal((await s.hit('k', 1, 1000, T0 + 999)).allowed, false);
      assert.equal((await s.hit('k', 1, 1000, T0 + 1000)).allowed, true);
    });

    test('a key holding a counter is a new history, and a history is no counter', async () => {
      const s = make();
      const policy: BackoffPolicy = { limit: 1, windowMs: MIN, baseMs: 1000, maxMs: MIN };
      await s.recordFailure('x', policy, T0);
      assert.deepEqual(await s.hit('x', 1, MIN, T0), { allowed: true, wait: null });
      assert.equal(await s.backoff('x', T0), null);
      assert.deepEqual(await s.recordFailure('x', policy, T0), { failures: 1, lockedUntil: T0 + 1000 });
    });
  });

  describe(`${name}: atomicity`, () => {
    test('1000 concurrent hits on one key: exactly N allowed', async () => {
      const s = make();
      const results = await Promise.all(Array.from({ length: 1000 }, () => Promise.resolve().then(() => s.hit('k', 37, MIN, T0))));
      assert.equal(results.filter((r) => r.allowed).length, 37);
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.wait === 60));
    });

    test('concurrent failures are all counted', async () => {
      const s = make();
      const policy: BackoffPolicy = { limit: 1000, windowMs: MIN, baseMs: 1000, maxMs: MIN };
      await Promise.all(Array.from({ length: 500 }, () => Promise.resolve().then(() => s.recordFailure('f', policy, T0))));
      assert.equal((await s.backoff('f', T0))?.failures, 500);
    });
  });

  describe(`${name}: backoff counters (recordFailure / backoff)`, () => {
    const policy: BackoffPolicy = { limit: 3, windowMs: MIN, baseMs: 20_000, maxMs: 300_000 };

    test('limit failures lock for baseMs; each further failure doubles up to maxMs', async () => {
      const s = make();
      assert.equal(await s.backoff('u', T0), null);
      assert.deepEqual(await s.recordFailure('u', policy, T0), { failures: 1, lockedUntil: 0 });
      assert.deepEqual(await s.recordFailure('u', policy, T0), { failures: 2, lockedUntil: 0 });
      assert.deepEqual(await s.recordFailure('u', policy, T0), { failures: 3, lockedUntil: T0 + 20_000 });
      let now = T0;
      const locks: number[] = [];
      for (let i = 0; i < 6; i++) {
        now = (await s.backoff('u', now))!.lockedUntil;
        const st = await s.recordFailure('u', policy, now);
        locks.push((st.lockedUntil - now) / 1000);
      }
      assert.deepEqual(locks, [40, 80, 160, 300, 300, 300]);
    });

    test('a failure while locked is not counted', async () => {
      const s = make();
      for (let i = 0; i < 3; i++) await s.recordFailure('u', policy, T0);
      assert.deepEqual(await s.recordFailure('u', policy, T0 + 1000), { failures: 3, lockedUntil: T0 + 20_000 });
      assert.deepEqual(await s.backoff('u', T0 + 1000), { failures: 3, lockedUntil: T0 + 20_000 });
    });

    test('forgotten a window after the last failure, never while locked', async () => {
      const s = make();
      await s.recordFailure('u', policy, T0);
      await s.recordFailure('u', policy, T0 + 59_000);
      assert.equal((await s.backoff('u', T0 + 60_000))?.failures, 2, 'the window runs from the last failure');
      assert.equal(await s.backoff('u', T0 + 59_000 + MIN), null);
      const long: BackoffPolicy = { limit: 1, windowMs: 1000, baseMs: 10_000, maxMs: 10_000 };
      await s.recordFailure('v', long, T0);
      assert.equal((await s.backoff('v', T0 + 9_999))?.lockedUntil, T0 + 10_000, 'kept while locked although the window passed');
      assert.equal((await s.backoff('v', T0 + 10_999))?.failures, 1, 'kept a window after the lock ends');
      assert.equal(await s.backoff('v', T0 + 11_000), null);
      assert.deepEqual(await s.recordFailure('v', long, T0 + 11_000), { failures: 1, lockedUntil: T0 + 21_000 }, 'a forgotten counter starts from zero');
    });

    test('huge failure counts do not overflow; 0 allowed locks at the first failure', async () => {
      const s = make();
      const tiny: BackoffPolicy = { limit: 1, windowMs: MIN, baseMs: 1, maxMs: 300_000 };
      let st = await s.recordFailure('h', tiny, T0);
      let now = T0;
      for (let i = 0; i < 70; i++) {
        now = st.lockedUntil;
        st = await s.recordFailure('h', tiny, now);
      }
      assert.equal(st.failures, 71);
      assert.equal(st.lockedUntil - now, 300_000, '1 ms · 2^70, capped at maxMs');
      assert.deepEqual(await s.recordFailure('z', { ...policy, limit: 0 }, T0), { failures: 1, lockedUntil: T0 + 40_000 });
    });
  });
}

describe('memory only: bounded memory and expiry', () => {
  test('never more than maxEntries keys; the least recently written goes first', () => {
    const s = new MemoryThrottleStore({ maxEntries: 100 });
    for (let i = 0; i < 250; i++) {
      s.hit(`k${i}`, 1, MIN, T0);
      assert.ok(s.size <= 100);
    }
    assert.equal(s.size, 100);
    assert.equal(s.hit('k149', 1, MIN, T0).allowed, true, 'evicted: forgotten');
    assert.equal(s.hit('k249', 1, MIN, T0).allowed, false, 'recent: kept');
  });

  test('a write refreshes a key (LRU by write)', () => {
    const s = new MemoryThrottleStore({ maxEntries: 3 });
    s.hit('a', 5, MIN, T0);
    s.hit('b', 5, MIN, T0);
    s.hit('c', 5, MIN, T0);
    s.hit('a', 5, MIN, T0); // a is now the newest
    s.hit('d', 5, MIN, T0); // evicts b
    assert.equal(s.size, 3);
    const policy: BackoffPolicy = { limit: 1, windowMs: MIN, baseMs: 1000, maxMs: MIN };
    s.recordFailure('e', policy, T0); // evicts c
    assert.equal(s.hit('a', 2, MIN, T0).allowed, false, 'a kept: two hits already');
    assert.equal(s.hit('b', 1, MIN, T0).allowed, true, 'b forgotten');
  });

  test('expired keys are dropped as new ones are written, and by prune()', () => {
    const s = new MemoryThrottleStore({ maxEntries: 1000 });
    for (let i = 0; i < 100; i++) s.hit(`old${i}`, 5, 1000, T0);
    assert.equal(s.size, 100);
    for (let i = 0; i < 60; i++) s.hit(`new${i}`, 5, MIN, T0 + 5000);
    assert.equal(s.size, 60, 'each write sweeps the oldest expired keys');
    for (let i = 0; i < 10; i++) s.hit(`old${i}`, 5, 1000, T0 + 6000);
    assert.equal(s.prune(T0 + 7000), 10);
    assert.equal(s.size, 60);
    assert.equal(s.prune(T0 + 5 * MIN), 60);
    assert.equal(s.size, 0);
  });

  test('maxEntries must be a positive integer', () => {
    assert.throws(() => new MemoryThrottleStore({ maxEntries: 0 }), RangeError);
    assert.throws(() => new MemoryThrottleStore({ maxEntries: 1.5 }), RangeError);
  });
});

describe('memory only: the pure transitions', () => {
  const policy: BackoffPolicy = { limit: 3, windowMs: MIN, baseMs: 20_000, maxMs: 300_000 };

  test('hitHistory: a history longer than the limit gives wait null; 0/min waits the duration', () => {
    assert.deepEqual(hitHistory([T0, T0 + 1, T0 + 2], 0, 2, MIN, T0 + 3).hit, { allowed: false, wait: null });
    assert.deepEqual(hitHistory([], 0, 0, MIN, T0).hit, { allowed: false, wait: 60 });
  });

  test('failureTransition is the pure contract', () => {
    assert.deepEqual(failureTransition(null, policy, T0), { state: { failures: 1, lockedUntil: 0 }, expiresAt: T0 + MIN, counted: true });
    assert.equal(failureTransition({ failures: 2, lockedUntil: 0 }, policy, T0).expiresAt, T0 + 20_000 + MIN, 'a window after the lock ends');
    const huge = failureTransition({ failures: 10_000, lockedUntil: 0 }, policy, T0);
    assert.equal(huge.state.lockedUntil, T0 + 300_000, 'no overflow: capped');
    assert.equal(failureTransition(null, { ...policy, limit: 0 }, T0).state.lockedUntil, T0 + 40_000, '0 allowed: the 1st failure is one past');
  });
});
