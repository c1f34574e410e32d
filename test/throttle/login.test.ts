/**
 * The login throttle: per-address, per-(username, address), username-wide and per-device
 * counters, backoff doubling and its cap, the username-wide lock that never grows, clean
 * addresses and device cookies getting in during an attack, username normalisation (and
 * over-long usernames bucketed without it), identical answers for known and unknown
 * usernames. Run against the in-memory store and Redis.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { Throttled } from '../../src/core/errors.js';
import { RedisThrottleStore } from '../../src/stores/redis/index.js';
import type { ThrottleStore } from '../../src/stores/types.js';
import { DeviceCookies, LoginThrottle, MemoryThrottleStore, normalizeUsername, usernameId } from '../../src/throttle/index.js';
import { redisTestServer } from '../stores/redis-helpers.js';

const A = '203.0.113.9';
const B = '198.51.100.7';

const backends: Array<[string, () => ThrottleStore]> = [['memory', () => new MemoryThrottleStore({ maxEntries: 100_000 })]];
const redis = await redisTestServer('login throttle');
if (redis) {
  backends.push(['redis', () => new RedisThrottleStore(redis.client, { keyPrefix: redis.newPrefix() })]);
  after(() => redis.cleanup());
}

const SECRET = 'test-secret-key-that-is-long-enough-0123456789';

interface SetupOptions {
  enabled?: boolean;
  maxBackoffMs?: number;
  usernameRate?: string;
  addressRate?: string;
  cleanAddressTries?: number;
  store?: ThrottleStore;
}

/** username 3/min (lock 20 s, doubling), address 10/min (lock 6 s), cap 300 s; device cookies for 30 days. */
function setup(extra: SetupOptions = {}) {
  const clock = new FakeClock();
  const memory = new MemoryThrottleStore({ maxEntries: 1000 });
  const store = extra.store ?? memory;
  const devices = new DeviceCookies({ secretKey: SECRET, name: 'gatehouse-device', lifetimeMs: 30 * 86_400_000, clock });
  const login = new LoginThrottle({
    store,
    clock,
    usernameRate: extra.usernameRate ?? '3/min',
    addressRate: extra.addressRate ?? '10/min',
    maxBackoffMs: extra.maxBackoffMs ?? 300_000,
    devices,
    ...(extra.cleanAddressTries !== undefined ? { cleanAddressTries: extra.cleanAddressTries } : {}),
    ...(extra.enabled !== undefined ? { enabled: extra.enabled } : {}),
  });
  return { clock, store, memory, login, devices };
}

const OPEN = { allowed: true, wait: null, usernameLocked: false, addressLocked: false, trusted: false };

describe('per-username bucket', () => {
  test('N failures allowed; the N+1th attempt is refused with the wait (→ 429 Retry-After)', async () => {
    const { login } = setup();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await login.check('alice', A), OPEN);
      await login.failure('alice', A);
    }
    const c = await login.check('alice', A);
    assert.deepEqual(c, { allowed: false, wait: 20, usernameLocked: true, addressLocked: false, trusted: false });
    const e = new Throttled(c.wait);
    assert.deepEqual(e.body(), { detail: 'Request was throttled. Expected available in 20 seconds.' });
    assert.deepEqual(e.headers(), { 'Retry-After': '20' });
  });

  test('the username-wide lock holds for addresses that failed on it; other usernames are not affected', async () => {
    const { login } = setup();
    for (const address of [A, A, A, B, B, B]) await login.failure('alice', address);
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

  test('success clears that client’s counter for the username (not the address, not other usernames)', async () => {
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
    assert.deepEqual(c, { allowed: false, wait: 6, usernameLocked: false, addressLocked: true, trusted: false });
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
    assert.deepEqual(await login.check('alice', A), { allowed: false, wait: 20, usernameLocked: true, addressLocked: true, trusted: false });
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
    assert.match(LoginThrottle.usernameKey('x'.repeat(150)), /^login_username_[0-9a-f]{64}$/);
    assert.match(LoginThrottle.usernameKey('x'.repeat(100_000)), /^login_username_long-[0-9a-f]{64}$/);
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
    const { login, memory } = setup({ enabled: false });
    for (let i = 0; i < 50; i++) await login.failure('alice', A);
    assert.equal((await login.check('alice', A)).allowed, true);
    assert.equal(memory.size, 0);
    assert.equal(login.issueDevice('alice'), null, 'no device cookie either');
  });

  test('the first lock is period / N, never above the cap', () => {
    const { login } = setup({ maxBackoffMs: 5000 });
    assert.equal(login.usernamePolicy.baseMs, 5000);
    assert.equal(login.addressPolicy.baseMs, 5000);
    assert.deepEqual(setup().login.usernamePolicy, { limit: 3, windowMs: 60_000, baseMs: 20_000, maxMs: 300_000 });
    assert.deepEqual(setup().login.usernameWidePolicy, { limit: 3, windowMs: 60_000, baseMs: 20_000, maxMs: 20_000 }, 'the username-wide lock never grows');
  });

  test('invalid options throw', () => {
    const clock = new FakeClock();
    const store = new MemoryThrottleStore({ maxEntries: 10 });
    assert.throws(() => new LoginThrottle({ store, clock, usernameRate: 'x', addressRate: '1/h', maxBackoffMs: 1 }), RangeError);
    assert.throws(() => new LoginThrottle({ store, clock, usernameRate: '1/h', addressRate: '1/h', maxBackoffMs: 0 }), RangeError);
    assert.throws(() => new LoginThrottle({ store, clock, usernameRate: '1/h', addressRate: '1/h', maxBackoffMs: 1, cleanAddressTries: -1 }), RangeError);
    assert.throws(() => new DeviceCookies({ secretKey: SECRET, name: 'd', lifetimeMs: 0, clock }), RangeError);
  });
});

/** Addresses 10.0.x.y: a distributed attacker's. */
const bot = (i: number) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const HOUR = 3_600_000;

for (const [backend, make] of backends) {
  describe(`${backend}: an attack on one username cannot lock the real user out`, () => {
    test('many addresses hammering one username: each address is refused after its clean tries, the username stays locked', async () => {
      // The defaults: 10/h per username, 100/h per address, lock cap 1 h, 3 clean tries.
      const { login, clock } = setup({ store: make(), usernameRate: '10/h', addressRate: '100/h', maxBackoffMs: HOUR });
      let verified = 0;
      for (let i = 0; i < 200; i++) {
        const address = bot(i % 50);
        const c = await login.check('alice', address);
        if (c.allowed) verified++;
        await login.failure('alice', address);
        clock.advance(1000);
      }
      // 10 before the lock, then 3 tries per fresh address (50 addresses): never more.
      assert.ok(verified <= 10 + 3 * 50, `${verified} passwords verified`);
      for (let i = 0; i < 50; i++) assert.equal((await login.check('alice', bot(i))).allowed, false, `address ${bot(i)} is refused`);
      assert.equal((await login.check('alice', bot(0))).usernameLocked, true, 'refused like a wrong password, not 429');
    });

    test('during the attack: a clean address gets its tries; a device cookie from an earlier login gets in', async () => {
      const { login, clock } = setup({ store: make(), usernameRate: '10/h', addressRate: '100/h', maxBackoffMs: HOUR });
      // The real user logged in last week from her laptop and kept the device cookie.
      await login.success('alice', '192.0.2.1');
      const cookie = login.issueDevice('alice') as string;
      clock.advance(7 * 24 * HOUR);
      for (let i = 0; i < 100; i++) await login.failure('alice', bot(i % 20));
      assert.equal((await login.check('alice', bot(0))).allowed, false);
      // Her laptop, from an address the attacker also uses: judged by its own counter only.
      assert.deepEqual(await login.check('alice', { address: bot(0), device: cookie }), { ...OPEN, trusted: true });
      // Her phone, from a clean address: three tries even though the username is locked.
      const phone = '198.51.100.200';
      for (let i = 0; i < 3; i++) {
        assert.equal((await login.check('alice', phone)).allowed, true, `clean try ${i + 1}`);
        await login.failure('alice', phone);
      }
      assert.equal((await login.check('alice', phone)).allowed, false, 'then the username-wide lock applies to it too');
      // The right password on the first clean try would have got in and reset that address's count.
      await login.success('alice', '203.0.113.50');
      assert.equal((await login.check('alice', '203.0.113.50')).allowed, true);
    });

    test('a device cookie for another username, with a bad signature, expired or malformed is ignored (untrusted)', async () => {
      const { login, clock, devices } = setup({ store: make(), cleanAddressTries: 0 });
      const bobs = login.issueDevice('bob') as string;
      const alices = login.issueDevice('alice') as string;
      for (let i = 0; i < 3; i++) await login.failure('alice', bot(i));
      const [nonce, issued, mac] = alices.split('.') as [string, string, string];
      const forged = `${nonce}.${issued}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const device of [bobs, forged, `${nonce}.${issued}`, '', 'x'.repeat(10_000), `${nonce}.${Number(issued) + 1}.${mac}`]) {
        const c = await login.check('alice', { address: A, device });
        assert.deepEqual([c.allowed, c.trusted], [false, false], device.slice(0, 40));
      }
      assert.equal((await login.check('alice', { address: A, device: alices })).allowed, true);
      assert.equal((await login.check('ALICE', { address: A, device: alices })).allowed, true, 'the normalised username');
      clock.advance(devices.lifetimeMs);
      assert.equal((await login.check('alice', { address: A, device: alices })).trusted, false, 'expired');
    });

    test('a device has its own counter: it locks, backs off, and a success resets it; its failures do not touch the username', async () => {
      const { login } = setup({ store: make(), cleanAddressTries: 0 });
      const cookie = login.issueDevice('alice') as string;
      const laptop = { address: A, device: cookie };
      for (let i = 0; i < 3; i++) await login.failure('alice', laptop);
      assert.deepEqual(await login.check('alice', laptop), { allowed: false, wait: 20, usernameLocked: true, addressLocked: false, trusted: true });
      assert.equal((await login.check('alice', B)).allowed, true, 'the username is not locked for others');
      assert.equal((await login.check('alice', { address: A, device: login.issueDevice('alice') as string })).allowed, true, 'another device is not locked');
      await login.success('alice', { address: A, device: login.issueDevice('alice') as string });
      assert.equal((await login.check('alice', laptop)).allowed, false, 'only its own success resets it');
    });

    test('an address over its limit gets 429 even for a clean username; a device cookie is not subject to it', async () => {
      const { login } = setup({ store: make() });
      const cookie = login.issueDevice('alice') as string;
      for (let i = 0; i < 10; i++) await login.failure(`user${i}`, A);
      assert.equal((await login.check('alice', A)).addressLocked, true);
      assert.equal((await login.check('alice', { address: A, device: cookie })).allowed, true);
    });

    test('sparse failures (one every 59 minutes for three days) never lock the username for more than period / N', async () => {
      // No clean tries: only the username-wide lock decides for a fresh address.
      const { login, clock } = setup({ store: make(), usernameRate: '10/h', addressRate: '100/h', maxBackoffMs: HOUR, cleanAddressTries: 0 });
      for (let i = 0; i < 72; i++) {
        await login.failure('alice', bot(i));
        const c = await login.check('alice', '198.51.100.1');
        assert.ok(c.wait === null || c.wait <= 360, `hour ${i}: locked ${c.wait} s`);
        clock.advance(7 * 60_000);
        assert.equal((await login.check('alice', '198.51.100.1')).allowed, true, `hour ${i}: 7 minutes after the failure`);
        clock.advance(52 * 60_000);
      }
      clock.advance(HOUR);
      await login.failure('alice', bot(0));
      assert.equal((await login.check('alice', '198.51.100.1')).allowed, true, 'forgotten after an hour of quiet: one failure does not lock');
    });

    test('one address guessing one username is still slowed to one try per lock, doubling to the cap', async () => {
      const { login, clock } = setup({ store: make(), usernameRate: '10/h', addressRate: '100/h', maxBackoffMs: HOUR });
      for (let i = 0; i < 10; i++) await login.failure('alice', A);
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        const wait = (await login.check('alice', A)).wait as number;
        waits.push(wait / 60);
        clock.advance(wait * 1000);
        assert.equal((await login.check('alice', A)).allowed, true);
        await login.failure('alice', A);
      }
      assert.deepEqual(waits, [6, 12, 24, 48, 60, 60]);
    });

    test('a username longer than 150 characters (a long run of combining marks) has a bucket of its own', async () => {
      const { login } = setup({ store: make(), cleanAddressTries: 0 });
      const long = `a${'\u0301'.repeat(100_000)}`;
      for (let i = 0; i < 3; i++) await login.failure(long, bot(i));
      assert.equal((await login.check(long, B)).allowed, false, 'locked like any username');
      assert.equal((await login.check(long.slice(0, 200), B)).allowed, true, 'another over-long name: another bucket');
      for (const name of ['a', '\u00e1', 'a\u0301', long.slice(0, 150)]) assert.equal((await login.check(name, B)).allowed, true, JSON.stringify(name.slice(0, 3)));
    });
  });
}

describe('username ids', () => {
  test('up to 150 code points are normalised (astral characters count once); more are not', () => {
    const astral = '\u{1D400}'.repeat(150); // MATHEMATICAL BOLD CAPITAL A: NFKC → "A", folded → "a"
    assert.equal(normalizeUsername(astral), 'a'.repeat(150));
    assert.equal(usernameId(astral), usernameId('a'.repeat(150)));
    assert.equal(normalizeUsername(`${astral}\u{1D400}`), null);
    assert.equal(normalizeUsername(` ${'x'.repeat(150)} `), 'x'.repeat(150), 'trimmed first');
    assert.equal(normalizeUsername('A\u0301'.repeat(75)), '\u00e1'.repeat(75));
    assert.notEqual(usernameId('x'.repeat(151)), usernameId('X'.repeat(151)), 'over-long names are not folded');
  });
});
