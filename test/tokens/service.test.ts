/**
 * `OpaqueTokenService` (DRF authtoken + knox tokens) through its own API, the stores' API
 * and `TokenAuthentication`, on the memory store and on SQLite, with a fake clock:
 * - issuing: generated knox-style keys and given DRF 40-hex keys, only the SHA-256
 *   digest and prefix stored, the label kept (truncated, empty → null);
 * - lookup: valid, unknown, same prefix with another secret, expired by `ttl` (and the
 *   row deleted), inactive user, and the lookup cache seeing a deletion, a deactivation
 *   or a password change made elsewhere on the very next request;
 * - auto-refresh: expiry moves only once it gains `minRefreshInterval`, never past
 *   `maxLifetime` from creation;
 * - `tokenLimitPerUser`: refuse → `TokenLimitExceeded` (403), `evictOldest`;
 * - revoke one, revoke one of a user's, revoke all, deleting expired rows;
 * - imported knox rows (SHA-512 digest) verifying;
 * - a login whose user's credential generation moved is refused with `StaleGeneration`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock.js';
import { AuthenticationFailed, TokenLimitExceeded } from '../../src/core/errors.js';
import { parseSettings } from '../../src/core/settings.js';
import type { User } from '../../src/core/user.js';
import { PasswordHasher } from '../../src/passwords/index.js';
import { FailureTiming } from '../../src/passwords/timing.js';
import { StaleGeneration } from '../../src/stores/generation.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import type { Stores } from '../../src/stores/types.js';
import { TokenAuthentication } from '../../src/tokens/authentication.js';
import { knoxDigest } from '../../src/tokens/keys.js';
import { INVALID_TOKEN, OpaqueTokenService, USER_INACTIVE } from '../../src/tokens/service.js';
import { UserService } from '../../src/users/service.js';

const SECRET = 'token-service-test-secret-long-enough-0123456789';
const MINUTE = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tokens-'));
const opened: SqliteStores[] = [];
after(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function openSqlite(path = join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`)): SqliteStores {
  const s = SqliteStores.open(path);
  opened.push(s);
  return s;
}

const backends: Array<[string, () => Stores]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => openSqlite()],
];

interface Setup {
  service: OpaqueTokenService;
  auth: TokenAuthentication;
  stores: Stores;
  clock: FakeClock;
  alice: User;
  bob: User;
}

async function setup(makeStores: () => Stores, tokens: Record<string, unknown> = {}, stores = makeStores()): Promise<Setup> {
  const settings = parseSettings({ secretKey: SECRET, tokens });
  const clock = new FakeClock();
  const service = new OpaqueTokenService(stores, settings.tokens, clock);
  const dateJoined = new Date(clock.now());
  const alice = await stores.users.create({ username: 'alice', password: '!x', dateJoined });
  const bob = await stores.users.create({ username: 'bob', password: '!x', dateJoined });
  return { service, auth: new TokenAuthentication(service, settings.tokens.keyword), stores, clock, alice, bob };
}

/** `Authorization: Token <key>` through `TokenAuthentication`: the user id and token id. */
async function authenticate(auth: TokenAuthentication, key: string): Promise<{ userId: number; tokenId: number }> {
  const req = { method: 'GET', path: '/', headers: { authorization: `Token ${key}` }, cookies: {}, remoteAddress: '127.0.0.1' };
  const principal = await auth.authenticate(req);
  assert.ok(principal, 'the Token scheme is ours');
  return { userId: principal.user.id, tokenId: principal.auth.id };
}

/** The 401 detail of a refused lookup. */
async function refusal(auth: TokenAuthentication, key: string): Promise<string> {
  try {
    await authenticate(auth, key);
  } catch (e) {
    if (e instanceof AuthenticationFailed) return e.detail;
    throw e;
  }
  assert.fail('expected a refusal');
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
/** Another key with the same 8-character lookup prefix. */
const samePrefix = (key: string) => key.slice(0, 8) + [...key.slice(8)].map((c) => (c === '0' ? '1' : '0')).join('');

for (const [backend, makeStores] of backends) {
  describe(`${backend}: issuing`, () => {
    test('a generated key is 64 hex (knox style); only its prefix and SHA-256 digest are stored, never the key', async () => {
      const { service, stores, alice } = await setup(makeStores);
      const { key, record } = await service.issue(alice);
      assert.match(key, /^[0-9a-f]{64}$/);
      const stored = await stores.tokens.get(record.id);
      assert.ok(stored);
      assert.equal(stored.userId, alice.id);
      assert.equal(stored.prefix, key.slice(0, 8));
      assert.equal(stored.digest, sha256(key));
      assert.ok(!JSON.stringify(stored).includes(key.slice(8)), 'the secret part of the key is nowhere in the row');
      assert.notEqual((await service.issue(alice)).key, key, 'every key is new');
    });

    test('a given DRF legacy key (40 hex) is stored the same way and authenticates', async () => {
      const { service, auth, stores, alice } = await setup(makeStores);
      const legacy = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b';
      const { key, record } = await service.issue(alice, { key: legacy });
      assert.equal(key, legacy);
      const stored = await stores.tokens.get(record.id);
      assert.deepEqual([stored!.prefix, stored!.digest], ['9944b091', sha256(legacy)]);
      assert.deepEqual(await authenticate(auth, legacy), { userId: alice.id, tokenId: record.id });
    });

    test('the label is kept, truncated to 200 characters; an empty one is stored as null', async () => {
      const { service, stores, alice } = await setup(makeStores);
      const a = await service.issue(alice, { label: 'curl/8.5.0' });
      const b = await service.issue(alice, { label: 'x'.repeat(500) });
      const c = await service.issue(alice, { label: '' });
      const d = await service.issue(alice);
      const labels = await Promise.all([a, b, c, d].map(async (t) => (await stores.tokens.get(t.record.id))!.label));
      assert.deepEqual(labels, ['curl/8.5.0', 'x'.repeat(200), null, null]);
    });

    test('without a ttl a token never expires; with one it expires ttl after creation', async () => {
      const forever = await setup(makeStores);
      assert.equal((await forever.service.issue(forever.alice)).record.expiresAt, null);
      const timed = await setup(makeStores, { ttl: '10m' });
      const { record } = await timed.service.issue(timed.alice);
      assert.equal((await timed.stores.tokens.get(record.id))!.expiresAt, timed.clock.now() + 10 * MINUTE);
    });
  });

  describe(`${backend}: lookup through TokenAuthentication`, () => {
    test('a valid key gives its user and token; an unknown key, or the same prefix with another secret, is "Invalid token."', async () => {
      const { service, auth, alice, bob } = await setup(makeStores);
      const a = await service.issue(alice);
      const b = await service.issue(bob);
      assert.deepEqual(await authenticate(auth, a.key), { userId: alice.id, tokenId: a.record.id });
      assert.deepEqual(await authenticate(auth, b.key), { userId: bob.id, tokenId: b.record.id });
      assert.equal(await refusal(auth, 'f'.repeat(64)), INVALID_TOKEN);
      assert.equal(await refusal(auth, samePrefix(a.key)), INVALID_TOKEN);
      assert.equal(await refusal(auth, a.key.slice(0, 8)), INVALID_TOKEN);
      assert.equal(await refusal(auth, 'a'.repeat(300)), INVALID_TOKEN);
    });

    test('a key expired by tokens.ttl is refused, also when it was cached, and its row is deleted', async () => {
      const { service, auth, stores, clock, alice } = await setup(makeStores, { ttl: '1h' });
      const { key, record } = await service.issue(alice);
      clock.advance(60 * MINUTE - 1);
      assert.equal((await authenticate(auth, key)).tokenId, record.id);
      clock.advance(1);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
      assert.equal(await stores.tokens.get(record.id), null);
    });

    test('an inactive user is refused with "User inactive or deleted.", including right after a cached success', async () => {
      const { service, auth, stores, alice } = await setup(makeStores);
      const { key } = await service.issue(alice);
      await authenticate(auth, key);
      await stores.users.update(alice.id, { isActive: false });
      assert.equal(await refusal(auth, key), USER_INACTIVE);
      await stores.users.update(alice.id, { isActive: true });
      assert.equal((await authenticate(auth, key)).userId, alice.id);
    });

    test('a token deleted in the store (not through the service) is refused on the next lookup despite the cache', async () => {
      const { service, auth, stores, alice } = await setup(makeStores);
      const { key, record } = await service.issue(alice);
      const other = await service.issue(alice);
      await authenticate(auth, key);
      await authenticate(auth, key);
      assert.ok(service.cacheStats().hits >= 1, 'the second lookup was a cache hit');
      assert.equal(await stores.tokens.delete(record.id), true);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
      assert.equal((await authenticate(auth, other.key)).tokenId, other.record.id);
    });

    test('a deleted user\'s cached token is refused on the next lookup', async () => {
      const { service, auth, stores, alice } = await setup(makeStores);
      const { key } = await service.issue(alice);
      await authenticate(auth, key);
      assert.equal(await stores.users.delete(alice.id), true);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
    });

    test('a password change (UserService.setPassword) revokes every token of the user, cached or not, and no other', async () => {
      const { service, auth, stores, clock, alice, bob } = await setup(makeStores);
      const users = new UserService(stores, new PasswordHasher({ argon2: { memoryCost: 64, timeCost: 1, parallelism: 1 } }, new FailureTiming({ sleep: async () => {} })), clock);
      const a1 = await service.issue(alice);
      const a2 = await service.issue(alice);
      const b = await service.issue(bob);
      await authenticate(auth, a1.key);
      await users.setPassword(alice, 'a-new-password-1');
      assert.equal(await refusal(auth, a1.key), INVALID_TOKEN);
      assert.equal(await refusal(auth, a2.key), INVALID_TOKEN);
      assert.deepEqual(await stores.tokens.listForUser(alice.id), []);
      assert.equal((await authenticate(auth, b.key)).userId, bob.id);
    });
  });

  describe(`${backend}: auto-refresh`, () => {
    const REFRESHING = { ttl: '10m', autoRefresh: true, minRefreshInterval: '1m' };

    test('the expiry moves to now + ttl only once that gains minRefreshInterval; a refreshed token outlives its first expiry', async () => {
      const { service, auth, stores, clock, alice } = await setup(makeStores, REFRESHING);
      const t0 = clock.now();
      const { key, record } = await service.issue(alice);
      const expiry = async () => (await stores.tokens.get(record.id))!.expiresAt;
      clock.advance(MINUTE - 1);
      await authenticate(auth, key);
      assert.equal(await expiry(), t0 + 10 * MINUTE, 'not moved: it would gain less than the interval');
      clock.advance(1);
      await authenticate(auth, key);
      assert.equal(await expiry(), t0 + 11 * MINUTE);
      clock.advance(9 * MINUTE);
      await authenticate(auth, key);
      assert.equal(await expiry(), t0 + 20 * MINUTE, 'refreshed past the first expiry');
      clock.advance(10 * MINUTE);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
    });

    test('without autoRefresh the expiry never moves', async () => {
      const { service, auth, stores, clock, alice } = await setup(makeStores, { ...REFRESHING, autoRefresh: false });
      const t0 = clock.now();
      const { key, record } = await service.issue(alice);
      clock.advance(5 * MINUTE);
      await authenticate(auth, key);
      assert.equal((await stores.tokens.get(record.id))!.expiresAt, t0 + 10 * MINUTE);
      clock.advance(5 * MINUTE);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
    });

    test('maxLifetime caps the refreshed expiry at creation + maxLifetime', async () => {
      const { service, auth, stores, clock, alice } = await setup(makeStores, { ...REFRESHING, maxLifetime: '15m' });
      const t0 = clock.now();
      const { key, record } = await service.issue(alice);
      clock.advance(8 * MINUTE);
      await authenticate(auth, key);
      assert.equal((await stores.tokens.get(record.id))!.expiresAt, t0 + 15 * MINUTE);
      clock.advance(6 * MINUTE);
      await authenticate(auth, key);
      assert.equal((await stores.tokens.get(record.id))!.expiresAt, t0 + 15 * MINUTE);
      clock.advance(MINUTE);
      assert.equal(await refusal(auth, key), INVALID_TOKEN);
    });

    test('a maxLifetime shorter than the ttl is the expiry from the start', async () => {
      const { service, stores, clock, alice } = await setup(makeStores, { ...REFRESHING, maxLifetime: '5m' });
      const { record } = await service.issue(alice);
      assert.equal((await stores.tokens.get(record.id))!.expiresAt, clock.now() + 5 * MINUTE);
    });
  });

  describe(`${backend}: tokenLimitPerUser`, () => {
    test('refuse: one more token than the limit is the typed 403 TokenLimitExceeded, and nothing is stored', async () => {
      const { service, stores, alice, bob } = await setup(makeStores, { tokenLimitPerUser: 2 });
      await service.issue(alice);
      await service.issue(alice);
      await assert.rejects(service.issue(alice), (e: unknown) => e instanceof TokenLimitExceeded && e.status === 403);
      assert.equal((await stores.tokens.listForUser(alice.id)).length, 2);
      await service.issue(bob);
    });

    test('expired tokens do not count towards the limit', async () => {
      const { service, clock, alice } = await setup(makeStores, { tokenLimitPerUser: 1, ttl: '1m' });
      await service.issue(alice);
      await assert.rejects(service.issue(alice), TokenLimitExceeded);
      clock.advance(MINUTE);
      await service.issue(alice);
    });

    test('evictOldest: the oldest token is deleted and stops authenticating, the newer ones stay', async () => {
      const { service, auth, clock, alice } = await setup(makeStores, { tokenLimitPerUser: 2 });
      const first = await service.issue(alice);
      await authenticate(auth, first.key);
      clock.advance(1000);
      const second = await service.issue(alice);
      clock.advance(1000);
      const third = await service.issue(alice, { onLimit: 'evictOldest' });
      assert.deepEqual((await service.list(alice.id)).map((t) => t.id), [second.record.id, third.record.id]);
      assert.equal(await refusal(auth, first.key), INVALID_TOKEN);
      assert.equal((await authenticate(auth, second.key)).tokenId, second.record.id);
      assert.equal((await authenticate(auth, third.key)).tokenId, third.record.id);
    });
  });

  describe(`${backend}: revocation and cleanup`, () => {
    test('revoke one: that token is refused (also when cached), the user\'s others still work; revoking again is false', async () => {
      const { service, auth, alice } = await setup(makeStores);
      const a = await service.issue(alice);
      const b = await service.issue(alice);
      await authenticate(auth, a.key);
      assert.equal(await service.revoke(a.record.id), true);
      assert.equal(await refusal(auth, a.key), INVALID_TOKEN);
      assert.equal((await authenticate(auth, b.key)).tokenId, b.record.id);
      assert.equal(await service.revoke(a.record.id), false);
    });

    test('revokeForUser only revokes the user\'s own token', async () => {
      const { service, auth, alice, bob } = await setup(makeStores);
      const a = await service.issue(alice);
      assert.equal(await service.revokeForUser(bob.id, a.record.id), false);
      assert.equal((await authenticate(auth, a.key)).userId, alice.id);
      assert.equal(await service.revokeForUser(alice.id, a.record.id), true);
      assert.equal(await refusal(auth, a.key), INVALID_TOKEN);
    });

    test('revokeAll deletes every token of the user and counts them; other users keep theirs', async () => {
      const { service, auth, stores, alice, bob } = await setup(makeStores);
      const keys = [(await service.issue(alice)).key, (await service.issue(alice)).key, (await service.issue(alice)).key];
      const b = await service.issue(bob);
      await authenticate(auth, keys[0]!);
      assert.equal(await service.revokeAll(alice.id), 3);
      for (const key of keys) assert.equal(await refusal(auth, key), INVALID_TOKEN);
      assert.deepEqual(await stores.tokens.listForUser(alice.id), []);
      assert.equal((await authenticate(auth, b.key)).userId, bob.id);
      assert.equal(await service.revokeAll(alice.id), 0);
    });

    test('flushExpired deletes exactly the expired rows; list leaves them out before that', async () => {
      const { service, stores, clock, alice } = await setup(makeStores, { ttl: '10m' });
      const old = await service.issue(alice);
      clock.advance(5 * MINUTE);
      const recent = await service.issue(alice);
      clock.advance(5 * MINUTE);
      assert.deepEqual((await service.list(alice.id)).map((t) => t.id), [recent.record.id]);
      assert.equal((await stores.tokens.listForUser(alice.id)).length, 2);
      assert.equal(await service.flushExpired(), 1);
      assert.equal(await stores.tokens.get(old.record.id), null);
      assert.ok(await stores.tokens.get(recent.record.id));
      assert.equal(await service.flushExpired(), 0);
    });
  });

  describe(`${backend}: imported knox tokens`, () => {
    test('a row with knox\'s SHA-512 digest authenticates with its key; another key of the same prefix does not', async () => {
      const { service, auth, stores, clock, alice } = await setup(makeStores);
      const key = 'ab12cd34' + 'e'.repeat(56);
      const row = await stores.tokens.create({
        userId: alice.id, prefix: key.slice(0, 8), digest: knoxDigest(key), createdAt: clock.now(), expiresAt: null, lastUsedAt: null, label: null,
      });
      assert.equal(row.digest, createHash('sha512').update(key).digest('hex'));
      assert.deepEqual(await authenticate(auth, key), { userId: alice.id, tokenId: row.id });
      assert.equal(await refusal(auth, samePrefix(key)), INVALID_TOKEN);
      const own = await service.issue(alice, { key: 'ab12cd34' + 'f'.repeat(56) });
      assert.equal((await authenticate(auth, own.key)).tokenId, own.record.id, 'a SHA-256 row of the same prefix is told apart');
      assert.equal((await authenticate(auth, key)).tokenId, row.id);
    });
  });

  describe(`${backend}: credential generation`, () => {
    test('issuing for a user read before a password change is refused with StaleGeneration; a fresh read issues', async () => {
      const { service, stores, alice } = await setup(makeStores);
      const seen = (await stores.users.getById(alice.id))!;
      await stores.users.bumpGeneration(alice.id, { password: '!changed' });
      await assert.rejects(service.issue(seen), StaleGeneration);
      assert.deepEqual(await stores.tokens.listForUser(alice.id), []);
      const fresh = (await stores.users.getById(alice.id))!;
      await service.issue(fresh);
      assert.equal((await stores.tokens.listForUser(alice.id)).length, 1);
    });

    test('issuing for a user deleted since it was read is refused with StaleGeneration', async () => {
      const { service, stores, alice } = await setup(makeStores);
      await stores.users.delete(alice.id);
      await assert.rejects(service.issue(alice), StaleGeneration);
    });

    test('a generation moved by logout-all refuses even with the token limit in evictOldest mode, and evicts nothing', async () => {
      const { service, stores, alice } = await setup(makeStores, { tokenLimitPerUser: 1 });
      const kept = await service.issue(alice);
      await stores.users.bumpGeneration(alice.id);
      await assert.rejects(service.issue(alice, { onLimit: 'evictOldest' }), StaleGeneration);
      assert.deepEqual((await stores.tokens.listForUser(alice.id)).map((t) => t.id), [kept.record.id]);
    });
  });
}

/**
 * The documented bound for a change committed by another connection (`SqliteChanges`): seen
 * by requests arriving after its 1 ms staleness timer has run. A 2 ms timer runs after it.
 */
const pastStalenessBound = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('sqlite file shared by two processes', () => {
  test('a token revoked through another connection to the file is refused on the next lookup despite the cache', async () => {
    const path = join(dir, 'shared.sqlite3');
    const { service, auth, alice } = await setup(() => openSqlite(path));
    const other = openSqlite(path);
    const { key, record } = await service.issue(alice);
    await authenticate(auth, key);
    await authenticate(auth, key);
    assert.ok(service.cacheStats().hits >= 1, 'cached');
    assert.equal(await other.tokens.delete(record.id), true);
    await pastStalenessBound();
    assert.equal(await refusal(auth, key), INVALID_TOKEN);
  });

  test('a user deactivated through another connection is refused on the next lookup', async () => {
    const path = join(dir, 'shared-users.sqlite3');
    const { service, auth, alice } = await setup(() => openSqlite(path));
    const other = openSqlite(path);
    const { key } = await service.issue(alice);
    await authenticate(auth, key);
    await other.users.update(alice.id, { isActive: false });
    await pastStalenessBound();
    assert.equal(await refusal(auth, key), USER_INACTIVE);
  });
});
