/**
 * The login throttle (catalogue 86–87): per-username and per-address buckets, backoff
 * doubling and its cap, success clearing only that username, username normalisation,
 * and identical answers for known and unknown usernames.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { Throttled } from '../../src/core/errors.js';
import { LoginThrottle, MemoryThrottleStore, normalizeUsername } from '../../src/throttle/index.js';

const A = '203.0.113.9';
const B = '198.51.100.7';

/** username 3/min (lock 20 s, doubling), address 10/min (lock 6 s), cap 300 s. */
function setup(extra: { enabled?: boolean; maxBackoffMs?: number } = {}) {
  const clock = new FakeClock();
  const store = new MemoryThrottleStore({ maxEntries: 1000 });
  const login = new LoginThrottle({ store, clock, usernameRate: '3/min', addressRate: '10/min', maxBackoffMs: extra.maxBackoffMs ?? 300_000, ...extra });
  return { clock, store, login };
}

describe('per-username bucket', () => {
  test('N failures allowed; the N+1th attempt is refused with the wait (→ 429 Retry-After)', async () => {
    const { login } = setup();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await login.check('alice', A), { allowed: true, wait: null, usernameLocked: false, addressLocked: false });
      await login.failure('alice', A);
    }
    const c = await login.check('alice', A);
    assert.deepEqual(c, { allowed: false, wait: 20, usernameLocked: true, addressLocked: false });
    const e = new Throttled(c.wait);
    assert.deepEqual(e.body(), { detail: 'Request was throttled. Expected available in 20 seconds.' });
    assert.deepEqual(e.headers(), { 'Retry-After': '20' });
  });

  test('the lock holds for every address (a per-account bucket) and for other usernames not at all', async () => {
    const { login } = setup();
    for (let i = 0; i < 3; i++) await login.failure('alice', i === 1 ? B : A);
    assert.equal((await login.check('alice', B)).usernameLocked, true);
    assert.equal((await login.check('bob', A)).allowed, true);
  });

  test('backoff: each further failure doubles the lock, up to the cap', async () => {
    const { login, clock } = setup();
    for (let i = 0; i < 3; i++) await login.failure('alice', A);
    const waits: Array<number | null> = [(await login.check('alice', A)).wait];
    for (let i = 0; i < 6; i++) {
      clock.advance((waits[waits.length - 1] as number) * 1000);
      assert.equal((await login.check('alice', A)).allowed, true, 'the lock ended');
      await login.failure('alice', A);
      waits.push((await login.check('alice', A)).wait);
    }
    assert.deepEqual(waits, [20, 40, 80, 160, 300, 300, 300]);
  });

  test('the wait counts down', async () => {
    const { login, clock } = setup();
    for (let i = 0; i < 3; i++) await login.failure('alice', A);
    clock.advance(12_500);
    assert.equal((await login.check('alice', A)).wait, 7.5);
    assert.deepEqual(new Throttled(7.5).headers(), { 'Retry-After': '8' });
  });

  test('failures reported while locked are not counted (nothing was tried)', async () => {
    const { login, clock } = setup();
    for (let i = 0; i < 3; i++) await login.failure('alice', A);
    for (let i = 0; i < 20; i++) await login.failure('alice', A);
    assert.equal((await login.check('alice', A)).wait, 20);
    clock.advance(20_000);
    assert.equal((await login.check('alice', A)).allowed, true);
  });

  test('forgotten a window after the last failure', async () => {
    const { login, clock } = setup();
    await login.failure('alice', A);
    await login.failure('alice', A);
    clock.advance(60_000);
    await login.failure('alice', A);
    assert.equal((await login.check('alice', A)).allowed, true, 'the two old failures were forgotten');
  });

  test('success clears only that username’s counter (not the address, not other usernames)', async () => {
    const { login } = setup();
    await login.failure('alice', A);
    await login.failure('alice', A);
    await login.failure('bob', A);
    await login.failure('bob', A);
    await login.success('alice', A);
    await login.failure('alice', A);
    await login.failure('alice', A);
    assert.equal((await login.check('alice', A)).allowed, true, 'alice starts again from zero');
    await login.failure('bob', A);
    assert.equal((await login.check('bob', A)).usernameLocked, true, 'bob keeps his failures');
    // The address counted all 7 failures: 3 more lock it.
    for (let i = 0; i < 3; i++) await login.failure(`x${i}`, A);
    assert.equal((await login.check('carol', A)).addressLocked, true, 'success did not clear the address');
  });
});

describe('per-address bucket', () => {
  test('failures over many usernames from one address lock the address for every username', async () => {
    const { login } = setup();
    for (let i = 0; i < 10; i++) await login.failure(`user${i}`, A);
    const c = await login.check('someone-else', A);
    assert.deepEqual(c, { allowed: false, wait: 6, usernameLocked: false, addressLocked: true });
    assert.equal((await login.check('someone-else', B)).allowed, true, 'other addresses unaffected');
  });

  test('IPv6 addresses of one /64 share the bucket; IPv4-mapped is IPv4', async () => {
    const { login } = setup();
    for (let i = 0; i < 10; i++) await login.failure(`user${i}`, `2001:db8:1:2::${(i + 1).toString(16)}`);
    assert.equal((await login.check('x', '2001:db8:1:2:ffff::1')).addressLocked, true);
    assert.equal((await login.check('x', '2001:db8:1:3::1')).addressLocked, false);
    const t = setup();
    for (let i = 0; i < 10; i++) await t.login.failure(`user${i}`, '::ffff:198.51.100.7');
    assert.equal((await t.login.check('x', B)).addressLocked, true);
  });

  test('both locked: the longer wait', async () => {
    const { login } = setup();
    for (let i = 0; i < 3; i++) await login.failure('alice', A);
    for (let i = 0; i < 7; i++) await login.failure(`u${i}`, A);
    assert.deepEqual(await login.check('alice', A), { allowed: false, wait: 20, usernameLocked: true, addressLocked: true });
  });
});

describe('usernames', () => {
  test('normalised: trimmed, NFKC, case-folded', () => {
    assert.equal(normalizeUsername('  Alice\t'), 'alice');
    assert.equal(normalizeUsername('STRASSE'), normalizeUsername('straße'));
    assert.equal(normalizeUsername('\u212Aelvin'), 'kelvin');
    assert.equal(normalizeUsername('ｂｏｂ'), 'bob', 'NFKC: full-width letters');
    assert.equal(normalizeUsername('ΟΔΥΣΣΕΥΣ'), normalizeUsername('οδυσσευς'));
  });

  test('variants of one username share a bucket', async () => {
    const { login } = setup();
    await login.failure('Alice', A);
    await login.failure(' alice ', A);
    await login.failure('ALICE', A);
    assert.equal((await login.check('alice', A)).usernameLocked, true);
  });

  test('the store never holds the raw username, and keys are bounded', () => {
    const key = LoginThrottle.usernameKey('x'.repeat(100_000));
    assert.match(key, /^login_username_[0-9a-f]{64}$/);
    assert.equal(LoginThrottle.usernameKey('Alice'), LoginThrottle.usernameKey('alice'));
    assert.equal(LoginThrottle.addressKey('2001:db8::1'), 'login_address_2001:db8::/64');
  });

  test('known and unknown usernames get the same answers (the throttle never looks users up)', async () => {
    const { login } = setup();
    const history = async (username: string) => {
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(await login.check(username, i % 2 ? A : B));
        await login.failure(username, i % 2 ? A : B);
      }
      return answers;
    };
    assert.deepEqual(await history('alice'), await history('no-such-user-xyz'));
  });
});

describe('configuration', () => {
  test('disabled: always allowed, nothing stored', async () => {
    const { login, store } = setup({ enabled: false });
    for (let i = 0; i < 50; i++) await login.failure('alice', A);
    assert.equal((await login.check('alice', A)).allowed, true);
    assert.equal(store.size, 0);
  });

  test('the first lock is period / N, never above the cap', () => {
    const { login } = setup({ maxBackoffMs: 5000 });
    assert.equal(login.usernamePolicy.baseMs, 5000);
    assert.equal(login.addressPolicy.baseMs, 5000);
    assert.deepEqual(setup().login.usernamePolicy, { limit: 3, windowMs: 60_000, baseMs: 20_000, maxMs: 300_000 });
  });

  test('invalid options throw', () => {
    const clock = new FakeClock();
    const store = new MemoryThrottleStore({ maxEntries: 10 });
    assert.throws(() => new LoginThrottle({ store, clock, usernameRate: 'x', addressRate: '1/h', maxBackoffMs: 1 }), RangeError);
    assert.throws(() => new LoginThrottle({ store, clock, usernameRate: '1/h', addressRate: '1/h', maxBackoffMs: 0 }), RangeError);
  });
});
