/**
 * `FailureTiming`: the per-profile cost estimates and the padding of failed logins, on a
 * fake clock (what is padded, never how long anything took).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureTiming } from '../../src/passwords/timing.js';

function fake(floorMs?: number) {
  let t = 0;
  const slept: number[] = [];
  const timing = new FailureTiming({
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    floorMs,
  });
  return { timing, slept, advance: (ms: number) => (t += ms), now: () => t };
}

test('the target is the costliest profile estimate; failures are padded up to it from their start', async () => {
  const { timing, slept, advance } = fake();
  assert.equal(timing.target(), 0);
  timing.record('argon2id$v=19$m=19456,t=2,p=1', 40);
  timing.record('pbkdf2_sha256$600000', 300);
  assert.equal(timing.target(), 300 + 4 * 75, 'one sample: mean + 4 × (R / 4)');
  assert.deepEqual(timing.estimates().map((e) => e.profile), ['pbkdf2_sha256$600000', 'argon2id$v=19$m=19456,t=2,p=1']);
  // A cheap failure (40 ms of hashing) and an expensive one (300 ms) both end at the target.
  let start = timing.now();
  advance(40);
  assert.deepEqual(await timing.pad(start), { target: 600, slept: 560 });
  start = timing.now();
  advance(300);
  assert.deepEqual(await timing.pad(start), { target: 600, slept: 300 });
  // Already past the target: no sleep.
  start = timing.now();
  advance(700);
  assert.deepEqual(await timing.pad(start), { target: 600, slept: 0 });
  assert.deepEqual(slept, [560, 300]);
});

test('steady samples converge to mean + 4 × deviation; one outlier is clamped', () => {
  const { timing } = fake();
  for (let i = 0; i < 200; i++) timing.record('p', 100);
  assert.ok(Math.abs(timing.target() - 100) < 1, `steady: ${timing.target()}`);
  timing.record('p', 1_000_000); // a GC pause or a suspended VM
  assert.ok(timing.target() < 2000, `after an outlier: ${timing.target()}`);
});

test('the floor is the least target (for a costly legacy format not seen yet)', async () => {
  const { timing, advance } = fake(500);
  assert.equal(timing.target(), 500);
  timing.record('cheap', 10);
  const start = timing.now();
  advance(10);
  assert.deepEqual(await timing.pad(start), { target: 500, slept: 490 });
});

test('at most 64 profiles are kept; the cheapest is forgotten, never the costliest', () => {
  const { timing } = fake();
  timing.record('costly', 1000);
  for (let i = 0; i < 100; i++) timing.record(`p${i}`, 1 + i);
  assert.equal(timing.estimates().length, 64);
  assert.equal(timing.estimates()[0]?.profile, 'costly');
  assert.equal(timing.target(), 1000 + 4 * 250);
});
