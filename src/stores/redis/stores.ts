/**
 * `withRedis(stores, layer)`: the same stores, with Redis in front of their caches.
 *
 * - Every write that can change whether a credential is accepted — the ones the
 *   PostgreSQL store notifies about (`../postgres`), plus blacklisting — is followed, before
 *   it returns, by an invalidation: the token cache's epoch moves (when the write can
 *   revoke an opaque token) and the change is published on the revocation channel. A
 *   write that fails is treated the same (its outcome is unknown). Invalidation never
 *   fails the write: the database is the source of truth, and a Redis that cannot be
 *   reached is covered by the receivers' fail-closed signal and reconnect bumps.
 * - API key revocations are published as `token` changes (the token cache is not involved).
 * - Second factors (`mfa`) pass through untouched: no cache reads them, and a factor
 *   that is added revokes sessions through the user store's generation, which is published.
 * - `findByPrefix` reads through the token cache when there is one.
 * - `changes.generation()` moves when the store's own signal moves or the channel's does
 *   (and on every call while either fails closed).
 *
 * Reads and non-invalidating writes (recording a refresh token, rotation, touch) go
 * straight to the store. `close()` closes the store, not the Redis connections (their
 * owner, `RedisBackend`, closes those).
 */
import type { ApiKeyStore, ChangeKind, JwtStore, KeyStore, Stores, TokenStore, UserStore } from '../types.js';
import { combineSignals, type RedisChanges } from './changes.js';
import type { RedisTokenCache } from './token-cache.js';

/** What `withRedis` puts in front of the stores. */
export interface RedisLayer {
  /** The revocation channel. */
  changes: Pick<RedisChanges, 'publish' | 'generation'>;
  /** The read-through cache of opaque-token lookups, if enabled. */
  tokenCache?: RedisTokenCache | null | undefined;
}

/** Wrap `stores`; see the module comment. */
export function withRedis(stores: Stores, layer: RedisLayer): Stores {
  const cache = layer.tokenCache ?? null;
  /** Invalidate after a write: the token cache first, so a receiver of the message never reads an old entry. */
  const invalidate = async (what: ChangeKind, tokens: boolean): Promise<void> => {
    if (tokens && cache) await cache.invalidate();
    await layer.changes.publish(what);
  };
  /**
   * Run a write; invalidate when `changed(result)` says so, or when it failed. User and
   * token writes can revoke opaque tokens (the token cache's epoch moves); the others cannot.
   */
  const after = async <T>(
    what: ChangeKind,
    write: () => Promise<T>,
    changed: (result: T) => boolean = () => true,
    tokens = what === 'user' || what === 'token',
  ): Promise<T> => {
    let result: T;
    try {
      result = await write();
    } catch (e) {
      await invalidate(what, tokens);
      throw e;
    }
    if (changed(result)) await invalidate(what, tokens);
    return result;
  };
  const s = stores;

  const users: UserStore = {
    getById: (id) => s.users.getById(id),
    getByUsername: (username) => s.users.getByUsername(username),
    findByEmail: (email) => s.users.findByEmail(email),
    ...(s.users.findByUsernameIgnoringCase ? { findByUsernameIgnoringCase: (username: string) => s.users.findByUsernameIgnoringCase!(username) } : {}),
    // A new user: another instance may hold "no such user" in its caches (no token can be cached yet).
    create: (user) => after('user', () => s.users.create(user), () => true, false),
    // `lastLogin` alone changes nothing about who may authenticate.
    update: (id, patch, generation) =>
      Object.entries(patch).every(([k, v]) => k === 'lastLogin' || v === undefined)
        ? s.users.update(id, patch, generation)
        : after('user', () => s.users.update(id, patch, generation), (u) => u !== null),
    bumpGeneration: (id, patch, expected) => after('user', () => s.users.bumpGeneration(id, patch, expected), (u) => u !== null),
    delete: (id) => after('user', () => s.users.delete(id), (deleted) => deleted),
    list: () => s.users.list(),
    passwordProfiles: (limit) => s.users.passwordProfiles(limit),
  };

  const tokens: TokenStore = {
    async create(token, limit, generation) {
      const created =
        limit?.action === 'evictOldest'
          ? await after('token', () => s.tokens.create(token, limit, generation))
          : await s.tokens.create(token, limit, generation);
      await cache?.created(created.prefix);
      return created;
    },
    findByPrefix: (prefix) => (cache ? cache.lookup(prefix, () => s.tokens.findByPrefix(prefix)) : s.tokens.findByPrefix(prefix)),
    touch: (id, lastUsedAt, expiresAt) => s.tokens.touch(id, lastUsedAt, expiresAt),
    get: (id) => s.tokens.get(id),
    delete: (id) => after('token', () => s.tokens.delete(id), (deleted) => deleted),
    deleteForUser: (userId, id) => after('token', () => s.tokens.deleteForUser(userId, id), (deleted) => deleted),
    deleteAllForUser: (userId) => after('token', () => s.tokens.deleteAllForUser(userId), (n) => n > 0),
    listForUser: (userId) => s.tokens.listForUser(userId),
    deleteExpired: (now) => after('token', () => s.tokens.deleteExpired(now), (n) => n > 0),
  };

  const jwt: JwtStore = {
    recordOutstanding: (token, familyNotAfter, generation) => s.jwt.recordOutstanding(token, familyNotAfter, generation),
    getOutstanding: (jti) => s.jwt.getOutstanding(jti),
    getFamily: (id) => s.jwt.getFamily(id),
    blacklist: (token, now) => after('family', () => s.jwt.blacklist(token, now), (added) => added),
    rotate: (input) => after('family', () => s.jwt.rotate(input), (r) => r.kind === 'reused'),
    revokeFamily: (familyId, now, reason) => after('family', () => s.jwt.revokeFamily(familyId, now, reason)),
    revokeAllForUser: (userId, now, reason) => after('family', () => s.jwt.revokeAllForUser(userId, now, reason)),
    denyAccessToken: (jti, expiresAt) => after('denylist', () => s.jwt.denyAccessToken(jti, expiresAt)),
    isAccessTokenDenied: (jti) => s.jwt.isAccessTokenDenied(jti),
    userEpoch: (userId) => s.jwt.userEpoch(userId),
    bumpUserEpoch: (userId) => after('epoch', () => s.jwt.bumpUserEpoch(userId)),
    deleteExpired: (now) => s.jwt.deleteExpired(now),
  };

  const keys: KeyStore = {
    listKeys: () => s.keys.listKeys(),
    insertKey: (key) => after('key', () => s.keys.insertKey(key)),
    activateKey: (kid) => after('key', () => s.keys.activateKey(kid), (ok) => ok),
    retireKey: (kid, now) => after('key', () => s.keys.retireKey(kid, now), (ok) => ok),
  };

  const inner = s.apiKeys;
  const apiKeys: ApiKeyStore | undefined = inner && {
    create: (key) => inner.create(key),
    findByLookupId: (lookupId) => inner.findByLookupId(lookupId),
    get: (id) => inner.get(id),
    list: (userId) => inner.list(userId),
    touch: (id, lastUsedAt) => inner.touch(id, lastUsedAt),
    revoke: (id, now) => after('token', () => inner.revoke(id, now), (ok) => ok, false),
    revokeAllForUser: (userId, now) => after('token', () => inner.revokeAllForUser(userId, now), (n) => n > 0, false),
    update: (id, patch) => after('token', () => inner.update(id, patch), (k) => k !== null, false),
  };

  // Second factors, MFA tickets, trusted devices and passkeys pass through: no cache holds them.
  const mfa = {
    ...(s.mfa ? { mfa: s.mfa } : {}),
    ...(s.mfaTickets ? { mfaTickets: s.mfaTickets } : {}),
    ...(s.trustedDevices ? { trustedDevices: s.trustedDevices } : {}),
    ...(s.passkeys ? { passkeys: s.passkeys } : {}),
  };
  return { users, tokens, jwt, keys, ...(apiKeys ? { apiKeys } : {}), ...mfa, changes: combineSignals(stores.changes, layer.changes), close: () => stores.close() };
}
