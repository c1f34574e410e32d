/**
 * The `ApiKeyStore` contract, run on every store (memory, SQLite, PostgreSQL, SQLite behind Redis): create,
 * lookup with the owner (or none), listing, last use, revocation, update, owner deletion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NewApiKeyRecord, Stores } from '../../src/stores/types.js';
import { featureStores } from '../stores/feature-stores.js';

const factories = await featureStores('API key store contract', 'gh_test_apikeys_');

const key = (lookupId: string, userId: number | null, extra: Partial<NewApiKeyRecord> = {}): NewApiKeyRecord => ({
  lookupId,
  digest: 'd'.repeat(64),
  name: `key ${lookupId}`,
  userId,
  scopes: ['a', 'b:c'],
  createdAt: 1000 + lookupId.charCodeAt(0),
  expiresAt: null,
  rate: null,
  ...extra,
});

const newUser = (username: string) => ({ username, password: '!', dateJoined: new Date(0) });

for (const [name, make] of factories) {
  describe(`ApiKeyStore contract: ${name}`, () => {
    test('create and find by lookup id, with the owner or none', async () => {
      const s = await make();
      const store = s.apiKeys!;
      const alice = await s.users.create(newUser('alice'));
      const a = await store.create(key('AAAAAAAA', alice.id, { expiresAt: 5000, rate: '5/min' }));
      const svc = await store.create(key('BBBBBBBB', null));
      assert.equal(a.revokedAt, null);
      const found = await store.findByLookupId('AAAAAAAA');
      assert.deepEqual(found?.key, a);
      assert.equal(found?.user?.username, 'alice');
      const foundSvc = await store.findByLookupId('BBBBBBBB');
      assert.deepEqual(foundSvc, { key: svc, user: null });
      assert.equal(await store.findByLookupId('CCCCCCCC'), null);
      await assert.rejects(store.create(key('AAAAAAAA', null)));
      await assert.rejects(store.create(key('DDDDDDDD', 999)));
      await s.close();
    });

    test('list by owner or all, oldest first; touch; revoke once; revoke all of a user', async () => {
      const s = await make();
      const store = s.apiKeys!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      const a1 = await store.create(key('A1111111', alice.id));
      const b1 = await store.create(key('B1111111', bob.id));
      const a2 = await store.create(key('A2222222', alice.id));
      assert.deepEqual((await store.list(alice.id)).map((k) => k.id), [a1.id, a2.id]);
      assert.deepEqual((await store.list()).map((k) => k.id).sort(), [a1.id, a2.id, b1.id].sort());
      await store.touch(a1.id, 7777);
      assert.equal((await store.get(a1.id))?.lastUsedAt, 7777);
      const g = s.changes.generation();
      assert.equal(await store.revoke(b1.id, 8000), true);
      assert.notEqual(s.changes.generation(), g, 'revocation moves the change signal');
      assert.equal(await store.revoke(b1.id, 9000), false);
      assert.equal((await store.get(b1.id))?.revokedAt, 8000);
      assert.equal(await store.revokeAllForUser(alice.id, 9000), 2);
      assert.equal(await store.revokeAllForUser(alice.id, 9500), 0);
      assert.equal(await store.revoke(424242, 1), false);
      await s.close();
    });

    test('update: name, scopes, rate and expiry, each alone or cleared; the change signal moves; unknown → null', async () => {
      const s = await make();
      const store = s.apiKeys!;
      const alice = await s.users.create(newUser('alice'));
      const a = await store.create(key('AAAAAAAA', alice.id, { expiresAt: 5000, rate: '5/min' }));
      const other = await store.create(key('BBBBBBBB', null));
      const g = s.changes.generation();
      const renamed = await store.update(a.id, { name: 'renamed' });
      assert.deepEqual(renamed, { ...a, name: 'renamed' });
      assert.notEqual(s.changes.generation(), g, 'an update moves the change signal');
      const all = await store.update(a.id, { scopes: ['x'], rate: '1/s', expiresAt: 9000 });
      assert.deepEqual(all, { ...a, name: 'renamed', scopes: ['x'], rate: '1/s', expiresAt: 9000 });
      const cleared = await store.update(a.id, { scopes: [], rate: null, expiresAt: null });
      assert.deepEqual(cleared, { ...a, name: 'renamed', scopes: [], rate: null, expiresAt: null });
      assert.deepEqual((await store.findByLookupId('AAAAAAAA'))?.key, cleared);
      assert.deepEqual(await store.get(other.id), other, 'another key is untouched');
      assert.equal(await store.update(424242, { name: 'x' }), null);
      await s.close();
    });

    test('deleting the owner deletes its keys', async () => {
      const s = await make();
      const store = s.apiKeys!;
      const alice = await s.users.create(newUser('alice'));
      const a = await store.create(key('A1111111', alice.id));
      await s.users.delete(alice.id);
      assert.equal(await store.get(a.id), null);
      assert.equal(await store.findByLookupId('A1111111'), null);
      await s.close();
    });
  });
}
