/**
 * `UserService` password checks and account creation, through the service:
 * - every failed login (unknown user, wrong password on a cheap or an expensive old hash,
 *   inactive user, unusable hash) ends padded to one common target, the costliest
 *   verification seen, whatever the stored hash (seen through a recording sleep, not a
 *   wall clock);
 * - an inactive user with the right password and an outdated hash is not rehashed;
 * - usernames are stored NFKC-normalised, so `ﬁ` and `fi` are one account, and
 *   over-long ones are refused before normalising.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { PasswordHasher } from '../../src/passwords/index.js';
import { derivePbkdf2, encodePbkdf2 } from '../../src/passwords/pbkdf2.js';
import { FailureTiming } from '../../src/passwords/timing.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { InvalidUsername, USERNAME_INPUT_MAX, UserService, normalizeUsername } from '../../src/users/service.js';

/** A cheap current policy (argon2id m=64 t=1), so an old PBKDF2 hash is by far the costliest. */
const CHEAP = { argon2: { memoryCost: 64, timeCost: 1, parallelism: 1 } };

interface Pad {
  target: number;
  slept: number;
}

/** A service whose hasher records every padding instead of sleeping. */
function setup() {
  const pads: Pad[] = [];
  const timing = new FailureTiming({ sleep: async () => {} });
  const pad = timing.pad.bind(timing);
  timing.pad = async (startedAt: number) => {
    const p = await pad(startedAt);
    pads.push(p);
    return p;
  };
  const stores = new MemoryStores();
  const hasher = new PasswordHasher(CHEAP, timing);
  const users = new UserService(stores, hasher, new FakeClock());
  return { pads, timing, stores, hasher, users };
}

/** A Django pbkdf2_sha256 hash with the given iterations (an "old" hash, costlier than the policy). */
async function oldPbkdf2(password: string, iterations: number): Promise<string> {
  const salt = 'oldsaltoldsaltoldsalt1';
  return encodePbkdf2('pbkdf2_sha256', iterations, salt, await derivePbkdf2(Buffer.from(password), salt, iterations, 'pbkdf2_sha256'));
}

describe('failed logins cost the same whatever the stored hash', () => {
  test('unknown user, wrong password (cheap and expensive hash), inactive user, unusable hash: all padded to one target', async () => {
    const { pads, timing, stores, users } = setup();
    await users.create({ username: 'cheap', password: 'cheap-password' });
    const expensive = await oldPbkdf2('old-password', 120_000);
    await stores.users.create({ username: 'legacy', password: expensive, dateJoined: new Date() });
    await stores.users.create({ username: 'sleeper', password: expensive, isActive: false, dateJoined: new Date() });
    await users.create({ username: 'nopass', password: null });

    // Warm up: every profile is seen once (the first failure on a new, costlier profile is what raises the target).
    assert.equal(await users.authenticate('legacy', 'wrong'), null);
    pads.length = 0;

    const attempts: Array<[string, string]> = [
      ['nobody', 'wrong'],
      ['legacy', 'wrong'],
      ['cheap', 'wrong'],
      ['sleeper', 'old-password'],
      ['nopass', 'anything'],
      ['nobody', 'x'.repeat(5000)], // refused without hashing: still padded
      ['x'.repeat(20_000), 'wrong'], // over-long username: no lookup, still padded
    ];
    for (const [username, password] of attempts) {
      const name = username.slice(0, 10);
      assert.equal(await users.authenticate(username, password), null, name);
      const pad = pads.at(-1);
      assert.ok(pad, `${name}: the failure was padded`);
      // One target for every failure: the estimate of the costliest profile seen, the old PBKDF2 hash.
      const [costliest] = timing.estimates();
      assert.equal(costliest?.profile, 'pbkdf2_sha256$120000', `${name}: the costliest format seen sets the target`);
      assert.equal(pad.target, costliest.ms, `${name}: padded to the costliest estimate`);
      assert.equal(pad.target, timing.target(), name);
    }
    assert.equal(pads.length, attempts.length, 'exactly one padding per failed login');
    // The unknown user's padding covers the gap between its cheap dummy hash and the old hash.
    const unknown = pads[0] as Pad;
    const legacy = pads[1] as Pad;
    assert.ok(unknown.slept > legacy.slept, 'an unknown user is padded longer than a wrong password on the old hash');
  });

  test('a successful login is not padded', async () => {
    const { pads, users } = setup();
    await users.create({ username: 'alice', password: 'alice-password' });
    assert.equal((await users.authenticate('alice', 'alice-password'))?.username, 'alice');
    assert.equal(pads.length, 0);
  });

  test('burn() (a locked or unknown account) pads like a failed verification', async () => {
    const { pads, hasher } = setup();
    await hasher.burn('whatever');
    assert.equal(pads.length, 1);
    assert.ok((pads[0] as Pad).target > 0);
  });
});

describe('outdated hashes are upgraded only for an active user who passed every check', () => {
  test('inactive user, right password, old hash: the stored hash is unchanged', async () => {
    const { stores, users } = setup();
    const old = await oldPbkdf2('sleeper-password', 1000);
    const u = await stores.users.create({ username: 'sleeper', password: old, isActive: false, dateJoined: new Date() });
    assert.equal(await users.authenticate('sleeper', 'sleeper-password'), null);
    assert.equal((await stores.users.getById(u.id))?.password, old);
  });

  test('active user, right password, old hash: upgraded to the policy', async () => {
    const { stores, users } = setup();
    const old = await oldPbkdf2('active-password', 1000);
    const u = await stores.users.create({ username: 'active', password: old, dateJoined: new Date() });
    assert.equal((await users.authenticate('active', 'active-password'))?.id, u.id);
    assert.match((await stores.users.getById(u.id))?.password ?? '', /^argon2\$argon2id\$v=19\$m=64,t=1,p=1\$/);
  });

  test('wrong password on an old hash: the stored hash is unchanged', async () => {
    const { stores, users } = setup();
    const old = await oldPbkdf2('active-password', 1000);
    const u = await stores.users.create({ username: 'active', password: old, dateJoined: new Date() });
    assert.equal(await users.authenticate('active', 'nope'), null);
    assert.equal((await stores.users.getById(u.id))?.password, old);
  });
});

describe('usernames are NFKC-normalised at creation (Django normalize_username)', () => {
  test('ligature and full-width letters are one account with their ASCII spelling', async () => {
    const { users } = setup();
    const fi = await users.create({ username: '\ufb01', password: null });
    assert.equal(fi.username, 'fi');
    await assert.rejects(users.create({ username: 'fi', password: null }), /exists|taken/i);
    const wide = await users.create({ username: '\uff41\uff4c\uff49\uff43\uff45', password: 'pw-alice-1' }); // ａｌｉｃｅ
    assert.equal(wide.username, 'alice');
    await assert.rejects(users.create({ username: 'alice', password: null }), /exists|taken/i);
    assert.equal((await users.authenticate('alice', 'pw-alice-1'))?.id, wide.id);
  });

  test('the length is Django\'s: 150 characters after normalising, counted in code points', () => {
    const astral = '\u{20000}'.repeat(150); // 150 CJK letters, 300 UTF-16 units: Django accepts them
    assert.equal(normalizeUsername(astral), astral);
    assert.throws(() => normalizeUsername('a'.repeat(151)), InvalidUsername);
    // A ligature expands under NFKC: 100 × "ﬃ" is 300 characters once normalised.
    assert.throws(() => normalizeUsername('\ufb03'.repeat(100)), /no more than 150 characters/);
  });

  test('over-long input is refused before normalising, with the length error', () => {
    for (const input of ['a'.repeat(16 * 1024), `a${'\u0301\u0316'.repeat(8 * 1024)}`, ' '.repeat(USERNAME_INPUT_MAX + 1)]) {
      assert.throws(() => normalizeUsername(input), (e: unknown) => e instanceof InvalidUsername && /no more than 150 characters/.test(e.message));
    }
  });

  test('still Django\'s other rules: blank and invalid characters', () => {
    assert.throws(() => normalizeUsername(''), /may not be blank/);
    assert.throws(() => normalizeUsername('a b'), /valid username/);
    assert.equal(normalizeUsername('\u2460'), '1'); // ① is the digit 1 once normalised
  });
});
