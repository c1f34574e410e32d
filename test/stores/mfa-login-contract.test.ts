/**
 * The `MfaTicketStore` and `TrustedDeviceStore` contracts (src/stores/types.ts), run on
 * every store (memory, SQLite, PostgreSQL, SQLite and PostgreSQL behind Redis): single
 * use and attempts counted atomically among concurrent callers, expiry sweeps, owner
 * scoping, user deletion (docs/security.md #170, #172).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import { RedisBackend } from '../../src/stores/redis/index.js';
import type { NewMfaTicket, Stores, TrustedDeviceRecord } from '../../src/stores/types.js';
import { postgresTestDb } from './postgres-helpers.js';
import { REDIS_URL, redisTestServer } from './redis-helpers.js';

const factories: Array<[string, () => Stores | Promise<Stores>]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => SqliteStores.open(':memory:')],
];
const postgres = await postgresTestDb('MFA ticket and trusted device store contract');
if (postgres) {
  factories.push(['postgres', () => postgres.open()]);
  after(() => postgres.cleanup());
}
const redis = await redisTestServer('MFA ticket and trusted device store contract with Redis');
if (redis) {
  const backends: RedisBackend[] = [];
  factories.push([
    'sqlite+redis',
    async () => {
      const backend = await RedisBackend.open(REDIS_URL, { keyPrefix: `gh_test_mfalogin_${randomBytes(4).toString('hex')}:` });
      backends.push(backend);
      return backend.wrap(SqliteStores.open(':memory:'), { tokenCache: null });
    },
  ]);
  after(async () => {
    for (const b of backends) await b.close();
    await redis.cleanup();
  });
}

const newUser = (username: string) => ({ username, password: '!', dateJoined: new Date(0) });
const ticket = (digest: string, userId: number, extra: Partial<NewMfaTicket> = {}): NewMfaTicket => ({
  digest,
  userId,
  endpoint: 'token-obtain',
  client: 'c'.repeat(64),
  generation: 3,
  createdAt: 1000,
  expiresAt: 2000,
  attemptsLeft: 2,
  ...extra,
});
const device = (id: string, userId: number, extra: Partial<TrustedDeviceRecord> = {}): TrustedDeviceRecord => ({
  id,
  userId,
  digest: 'd'.repeat(64),
  generation: 0,
  label: 'Firefox',
  createdAt: 1000,
  lastUsedAt: 1000,
  expiresAt: 5000,
  ...extra,
});

for (const [name, make] of factories) {
  describe(`MfaTicketStore contract: ${name}`, () => {
    test('create and get; an unknown digest is null; the user must exist', async () => {
      const s = await make();
      const store = s.mfaTickets!;
      const alice = await s.users.create(newUser('alice'));
      await store.create(ticket('a'.repeat(64), alice.id));
      assert.deepEqual(await store.get('a'.repeat(64)), { ...ticket('a'.repeat(64), alice.id), usedAt: null });
      assert.equal(await store.get('b'.repeat(64)), null);
      await assert.rejects(store.create(ticket('a'.repeat(64), alice.id)), 'the digest is unique');
      await assert.rejects(store.create(ticket('c'.repeat(64), 424242)), 'the user must exist');
      await s.close();
    });

    test('fail counts down to 0 and stays there; consume then refuses (#172)', async () => {
      const s = await make();
      const store = s.mfaTickets!;
      const alice = await s.users.create(newUser('alice'));
      await store.create(ticket('a'.repeat(64), alice.id));
      assert.equal(await store.fail('a'.repeat(64)), 1);
      assert.equal(await store.fail('a'.repeat(64)), 0);
      assert.equal(await store.fail('a'.repeat(64)), 0);
      assert.equal(await store.fail('b'.repeat(64)), null);
      assert.equal(await store.consume('a'.repeat(64), 1500), false, 'exhausted');
      await s.close();
    });

    test('consume: once among concurrent callers, never after expiry (#170)', async () => {
      const s = await make();
      const store = s.mfaTickets!;
      const alice = await s.users.create(newUser('alice'));
      await store.create(ticket('a'.repeat(64), alice.id));
      await store.create(ticket('e'.repeat(64), alice.id));
      const results = await Promise.all(Array.from({ length: 8 }, () => store.consume('a'.repeat(64), 1500)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.get('a'.repeat(64)))?.usedAt, 1500);
      assert.equal(await store.consume('e'.repeat(64), 2000), false, 'expired at expiresAt');
      assert.equal(await store.consume('f'.repeat(64), 1500), false, 'unknown');
      await s.close();
    });

    test('deleteExpired sweeps expired tickets only; deleting the user deletes its tickets', async () => {
      const s = await make();
      const store = s.mfaTickets!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      await store.create(ticket('a'.repeat(64), alice.id, { expiresAt: 1500 }));
      await store.create(ticket('b'.repeat(64), alice.id, { expiresAt: 3000 }));
      await store.create(ticket('c'.repeat(64), bob.id, { expiresAt: 3000 }));
      assert.equal(await store.deleteExpired(1500), 1);
      assert.equal(await store.get('a'.repeat(64)), null);
      await s.users.delete(alice.id);
      assert.equal(await store.get('b'.repeat(64)), null);
      assert.notEqual(await store.get('c'.repeat(64)), null);
      await s.close();
    });
  });

  describe(`TrustedDeviceStore contract: ${name}`, () => {
    test('create, get, list oldest first, touch; the user must exist', async () => {
      const s = await make();
      const store = s.trustedDevices!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      await store.create(device('dev-2', alice.id, { createdAt: 2000 }));
      await store.create(device('dev-1', alice.id));
      await store.create(device('dev-3', bob.id));
      assert.deepEqual(await store.get('dev-1'), device('dev-1', alice.id));
      assert.equal(await store.get('nope'), null);
      assert.deepEqual((await store.list(alice.id)).map((d) => d.id), ['dev-1', 'dev-2']);
      await store.touch('dev-1', 4242);
      assert.equal((await store.get('dev-1'))?.lastUsedAt, 4242);
      await assert.rejects(store.create(device('dev-1', alice.id)));
      await assert.rejects(store.create(device('dev-9', 424242)));
      await s.close();
    });

    test("delete only the owner's device; delete all of a user; sweep expired; user deletion", async () => {
      const s = await make();
      const store = s.trustedDevices!;
      const alice = await s.users.create(newUser('alice'));
      const bob = await s.users.create(newUser('bob'));
      await store.create(device('a1', alice.id));
      await store.create(device('a2', alice.id, { expiresAt: 1500 }));
      await store.create(device('a3', alice.id));
      await store.create(device('b1', bob.id));
      assert.equal(await store.delete('b1', alice.id), false, "another user's device");
      assert.equal(await store.delete('a1', alice.id), true);
      assert.equal(await store.delete('a1', alice.id), false);
      assert.equal(await store.deleteExpired(1500), 1);
      assert.deepEqual((await store.list(alice.id)).map((d) => d.id), ['a3']);
      assert.equal(await store.deleteAllForUser(alice.id), 1);
      await s.users.delete(bob.id);
      assert.equal(await store.get('b1'), null);
      await s.close();
    });
  });
}
