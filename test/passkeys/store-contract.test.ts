/**
 * The `PasskeyStore` contract, run on every store (memory, SQLite, PostgreSQL, SQLite
 * behind Redis): registration with the per-user limit and unique credential ids, listing,
 * rename and removal by owner only, the counter's compare-and-set, single-use expiring
 * challenges (one winner among concurrent consumers), and the owner's deletion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PasskeyExists, PasskeyLimitReached, type NewPasskeyRecord, type Stores } from '../../src/stores/types.js';
import { featureStores } from '../stores/feature-stores.js';

const factories = await featureStores('passkey store contract', 'gh_test_passkeys_');

const passkey = (credentialId: string, userId: number, extra: Partial<NewPasskeyRecord> = {}): NewPasskeyRecord => ({
  credentialId,
  userId,
  publicKey: 'pQECAyYgASFYIA',
  counter: 0,
  transports: ['internal', 'hybrid'],
  deviceType: 'multiDevice',
  backedUp: true,
  name: `key ${credentialId}`,
  createdAt: 1000 + credentialId.charCodeAt(credentialId.length - 1),
  ...extra,
});

const newUser = (username: string) => ({ username, password: '!', dateJoined: new Date(0) });

for (const [name, make] of factories) {
  describe(`PasskeyStore contract: ${name}`, () => {
    test('create, find by credential id (exact), list oldest first; unique ids; the per-user limit', async () => {
      const s = await make();
      const store = s.passkeys!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      const a1 = await store.create(passkey('cred-a1', alice.id), 2);
      assert.deepEqual(a1, { ...passkey('cred-a1', alice.id), id: a1.id, lastUsedAt: null });
      assert.deepEqual(await store.findByCredentialId('cred-a1'), a1);
      assert.equal(await store.findByCredentialId('CRED-A1'), null);
      assert.equal(await store.findByCredentialId('nope'), null);
      await assert.rejects(store.create(passkey('cred-a1', bob.id), 5), PasskeyExists);
      const a2 = await store.create(passkey('cred-a2', alice.id, { deviceType: 'singleDevice', backedUp: false, transports: [] }), 2);
      await assert.rejects(store.create(passkey('cred-a3', alice.id), 2), PasskeyLimitReached);
      await store.create(passkey('cred-b1', bob.id), 2);
      assert.deepEqual((await store.listForUser(alice.id)).map((p) => [p.id, p.deviceType, p.backedUp, p.transports]), [
        [a1.id, 'multiDevice', true, ['internal', 'hybrid']],
        [a2.id, 'singleDevice', false, []],
      ]);
      await assert.rejects(store.create(passkey('cred-x', 999_999), 5));
      await s.close();
    });

    test('concurrent registrations never exceed the limit (#183)', async () => {
      const s = await make();
      const store = s.passkeys!;
      const alice = await s.users.create(newUser('alice'));
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.create(passkey(`c${i}`, alice.id), 3)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      assert.equal((await store.listForUser(alice.id)).length, 3);
      await s.close();
    });

    test('rename and delete only the owner\'s; recordUse is a compare-and-set on the counter (#180)', async () => {
      const s = await make();
      const store = s.passkeys!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      const a = await store.create(passkey('cred-a', alice.id, { counter: 5 }), 10);
      assert.equal(await store.rename(bob.id, a.id, 'mine now'), null);
      assert.equal((await store.rename(alice.id, a.id, 'Laptop'))?.name, 'Laptop');
      assert.equal(await store.recordUse(a.id, 4, { counter: 9, backedUp: false, lastUsedAt: 7000 }), false);
      assert.equal(await store.recordUse(a.id, 5, { counter: 9, backedUp: false, lastUsedAt: 7000 }), true);
      assert.equal(await store.recordUse(a.id, 5, { counter: 10, backedUp: false, lastUsedAt: 7100 }), false, 'the counter moved: a second use judged against 5 is refused');
      const found = await store.findByCredentialId('cred-a');
      assert.deepEqual([found?.counter, found?.backedUp, found?.lastUsedAt, found?.name], [9, false, 7000, 'Laptop']);
      assert.equal(await store.delete(bob.id, a.id), false);
      assert.equal(await store.delete(alice.id, a.id), true);
      assert.equal(await store.delete(alice.id, a.id), false);
      assert.equal(await store.recordUse(a.id, 9, { counter: 10, backedUp: false, lastUsedAt: 1 }), false);
      await s.close();
    });

    test('challenges: single use, bound to their ceremony, expiring; one winner among concurrent consumers (#178)', async () => {
      const s = await make();
      const store = s.passkeys!;
      const alice = await s.users.create(newUser('alice'));
      await store.saveChallenge({ challenge: 'ch-reg', ceremony: 'registration', userId: alice.id, expiresAt: 5000 }, 1000);
      await store.saveChallenge({ challenge: 'ch-login', ceremony: 'login', userId: null, expiresAt: 5000 }, 1000);
      await store.saveChallenge({ challenge: 'ch-old', ceremony: 'second_factor', userId: alice.id, expiresAt: 2000 }, 1000);
      await assert.rejects(store.saveChallenge({ challenge: 'ch-reg', ceremony: 'login', userId: null, expiresAt: 5000 }, 1000));
      assert.equal(await store.consumeChallenge('ch-reg', 'login', 1500), null, 'another ceremony: refused');
      assert.equal(await store.consumeChallenge('ch-reg', 'registration', 1500), null, 'and consumed by that presentation');
      const takers = await Promise.all(Array.from({ length: 5 }, () => store.consumeChallenge('ch-login', 'login', 1500)));
      assert.deepEqual(takers.filter((t) => t !== null), [{ challenge: 'ch-login', ceremony: 'login', userId: null, expiresAt: 5000 }]);
      assert.equal(await store.consumeChallenge('ch-old', 'second_factor', 2000), null, 'expired at its expiry');
      await store.saveChallenge({ challenge: 'ch-2fa', ceremony: 'second_factor', userId: alice.id, expiresAt: 9000 }, 1000);
      assert.deepEqual(await store.consumeChallenge('ch-2fa', 'second_factor', 8999), { challenge: 'ch-2fa', ceremony: 'second_factor', userId: alice.id, expiresAt: 9000 });
      await store.saveChallenge({ challenge: 'ch-e1', ceremony: 'login', userId: null, expiresAt: 3000 }, 1000);
      await store.saveChallenge({ challenge: 'ch-e2', ceremony: 'login', userId: null, expiresAt: 9000 }, 1000);
      assert.equal(await store.deleteExpiredChallenges(3000), 1);
      assert.notEqual(await store.consumeChallenge('ch-e2', 'login', 3000), null);
      await s.close();
    });

    test('deleting the owner deletes its passkeys and challenges', async () => {
      const s = await make();
      const store = s.passkeys!;
      const alice = await s.users.create(newUser('alice'));
      await store.create(passkey('cred-a', alice.id), 10);
      await store.saveChallenge({ challenge: 'ch-a', ceremony: 'registration', userId: alice.id, expiresAt: 9000 }, 1000);
      await s.users.delete(alice.id);
      assert.equal(await store.findByCredentialId('cred-a'), null);
      assert.deepEqual(await store.listForUser(alice.id), []);
      assert.equal(await store.consumeChallenge('ch-a', 'registration', 2000), null);
      await s.close();
    });
  });
}
