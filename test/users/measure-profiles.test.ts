/**
 * Start-up measurement of the stored hashes' cost profiles (docs/security.md #117): after
 * `createGatehouse`, the first failed login for an unknown user is already padded to the
 * cost of the costliest profile in the store — it is not what teaches the padding. Seen
 * through `FailureTiming` (its recorded profiles and the target a failure pads to), never
 * a wall clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings } from '../../src/core/settings.js';
import { createLogger } from '../../src/server/logger.js';
import { createGatehouse } from '../../src/server/app.js';
import { PasswordHasher } from '../../src/passwords/index.js';
import { derivePbkdf2, encodePbkdf2 } from '../../src/passwords/pbkdf2.js';
import { FailureTiming } from '../../src/passwords/timing.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { measureStoredProfiles } from '../../src/users/measure-profiles.js';

const SECRET = 'measure-profiles-test-secret-0123456789abcdef';

async function pbkdf2(password: string, iterations: number, salt = 'oldsaltoldsaltoldsalt1'): Promise<string> {
  return encodePbkdf2('pbkdf2_sha256', iterations, salt, await derivePbkdf2(Buffer.from(password), salt, iterations, 'pbkdf2_sha256'));
}

/** Replace `timing.pad` by a recorder that does not sleep: what a failure would be padded to. */
function recordPads(timing: FailureTiming): number[] {
  const targets: number[] = [];
  timing.pad = async () => {
    const target = timing.target();
    targets.push(target);
    return { target, slept: 0 };
  };
  return targets;
}

test('after start-up, the first failed login for an unknown user is padded to the stored expensive profile', async () => {
  const stores = new MemoryStores();
  await stores.users.create({ username: 'legacy', password: await pbkdf2('old-password', 90_000), dateJoined: new Date() });
  const app = await createGatehouse(parseSettings({ secretKey: SECRET, passwords: { argon2TimeCost: 1 } }), { stores, logger: createLogger('silent') });
  try {
    assert.equal(await app.passwordProfilesMeasured, 1);
    const timing = app.users.hasher.timing;
    const legacy = timing.estimates().find((e) => e.profile === 'pbkdf2_sha256$90000');
    assert.ok(legacy, `the stored profile was measured at start-up: ${JSON.stringify(timing.estimates())}`);
    const pads = recordPads(timing);
    assert.equal(await app.users.authenticate('nobody', 'guess'), null);
    assert.equal(pads.length, 1);
    assert.ok(pads[0]! >= legacy.ms, `padded to ${pads[0]} ms, the legacy profile costs ${legacy.ms} ms`);
  } finally {
    await app.close();
  }
});

test('one verification per profile (two hashes of one profile are timed once), at most `limit`, and never a rejection', async () => {
  const stores = new MemoryStores();
  const hashes = [await pbkdf2('a', 1000, 'saltsaltsaltsaltsalt01'), await pbkdf2('b', 1000, 'saltsaltsaltsaltsalt02'), await pbkdf2('c', 2000), '!unusable', 'garbage'];
  for (const [i, password] of hashes.entries()) await stores.users.create({ username: `u${i}`, password, dateJoined: new Date() });
  const hasher = new PasswordHasher({ argon2: { memoryCost: 64, timeCost: 1, parallelism: 1 } });
  let verified = 0;
  const verify = hasher.verify.bind(hasher);
  hasher.verify = (password, encoded) => {
    verified++;
    return verify(password, encoded);
  };
  assert.equal(await measureStoredProfiles(stores.users, hasher), 2);
  assert.equal(verified, 2);
  assert.deepEqual(hasher.timing.estimates().map((e) => e.profile).sort(), ['pbkdf2_sha256$1000', 'pbkdf2_sha256$2000']);
  assert.equal(await measureStoredProfiles(stores.users, new PasswordHasher(), 1), 1);
  const failing = { passwordProfiles: () => Promise.reject(new Error('store closed')) };
  assert.equal(await measureStoredProfiles(failing, hasher), 0);
});
