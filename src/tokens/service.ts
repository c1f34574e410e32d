/**
 * Opaque token service (DRF authtoken + knox): issue, look up, refresh, revoke.
 *
 * Lookups go through a bounded in-memory cache keyed by the key's digest. Every entry
 * remembers the store's change generation; any revocation, user change or write by
 * another process moves the generation, so a revoked token is refused on the very
 * next request. Expiry is checked on every use, cached or not.
 */
import { AuthenticationFailed, TokenLimitExceeded } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { User } from '../core/user.js';
import { TokenLimitReached, type Stores, type TokenRecord, type TokenWithUser } from '../stores/types.js';
import { generateKey, keyDigest, keyPrefix, storedDigestMatches } from './keys.js';

export interface OpaqueTokenOptions {
  /** Lifetime of new tokens in ms, or null (knox `TOKEN_TTL`). */
  ttl: number | null;
  /** Extend expiry on use (knox `AUTO_REFRESH`). */
  autoRefresh: boolean;
  /** Least ms between two writes for one token (knox `MIN_REFRESH_INTERVAL`). */
  minRefreshInterval: number;
  /** Absolute lifetime in ms from creation, or null. */
  maxLifetime: number | null;
  /** Most unexpired tokens per user, or null. */
  tokenLimitPerUser: number | null;
  /** Entries in the lookup cache; 0 disables it. */
  cacheSize: number;
}

/** A token as created: the plaintext key exists only here, once. */
export interface IssuedToken {
  key: string;
  record: TokenRecord;
}

/** The result of a successful lookup: `(user, token)` as DRF's `(request.user, request.auth)`. */
export interface TokenPrincipal {
  user: User;
  token: TokenRecord;
}

/** Longest client label stored with a token. */
const LABEL_MAX = 200;
/** Longest key looked up at all; longer input cannot be a key of ours or DRF's. */
const KEY_MAX = 256;

export const INVALID_TOKEN = 'Invalid token.';
export const USER_INACTIVE = 'User inactive or deleted.';

interface CacheEntry {
  found: TokenWithUser;
  generation: number;
}

export class OpaqueTokenService {
  private readonly cache = new Map<string, CacheEntry>();
  private hits = 0;
  private misses = 0;

  /** The lookup cache's answers so far (metrics): hits, misses (store reads), entries. */
  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.cache.size };
  }

  constructor(
    private readonly stores: Stores,
    private readonly options: OpaqueTokenOptions,
    private readonly clock: Clock,
  ) {}

  /** Expiry for a token created at `createdAt`: the sooner of ttl and maxLifetime. */
  private initialExpiry(createdAt: number): number | null {
    const { ttl, maxLifetime } = this.options;
    const candidates = [ttl, maxLifetime].filter((v): v is number => v !== null);
    return candidates.length ? createdAt + Math.min(...candidates) : null;
  }

  /**
   * Create a token for a user. With `tokenLimitPerUser`, `onLimit: 'refuse'` throws
   * `TokenLimitExceeded` (knox's 403; the store's `TokenLimitReached` mapped here) and
   * `'evictOldest'` deletes the oldest (DRF clients of `/api-token-auth/` expect a token
   * back). `StaleGeneration` (the user's credentials changed since `user` was read)
   * propagates: what a login answers then is the login endpoint's.
   */
  async issue(user: User, opts: { label?: string | null; onLimit?: 'refuse' | 'evictOldest'; key?: string } = {}): Promise<IssuedToken> {
    const key = opts.key ?? generateKey();
    const now = this.clock.now();
    const limit = this.options.tokenLimitPerUser;
    const fields = {
      userId: user.id,
      prefix: keyPrefix(key),
      digest: keyDigest(key),
      createdAt: now,
      expiresAt: this.initialExpiry(now),
      lastUsedAt: null,
      label: opts.label ? opts.label.slice(0, LABEL_MAX) : null,
    };
    const onLimit = limit === null ? undefined : { max: limit, action: opts.onLimit ?? 'refuse' } as const;
    try {
      return { key, record: await this.stores.tokens.create(fields, onLimit, user.credentialGeneration) };
    } catch (e) {
      throw e instanceof TokenLimitReached ? new TokenLimitExceeded() : e;
    }
  }

  /**
   * DRF's `authenticate_credentials` + knox's expiry handling: the principal for a key,
   * or `AuthenticationFailed('Invalid token.')` / `('User inactive or deleted.')`.
   *
   * Hot path: a cache hit that needs no write completes synchronously (no promise is
   * created), which is most requests; misses and writes return a promise.
   */
  authenticateKey(key: string): TokenPrincipal | Promise<TokenPrincipal> {
    if (key.length === 0 || key.length > KEY_MAX) throw new AuthenticationFailed(INVALID_TOKEN);
    const digest = keyDigest(key);
    const generation = this.stores.changes.generation();
    const cached = this.cache.get(digest);
    if (cached && cached.generation === generation) {
      this.hits++;
      return this.accept(cached.found, digest);
    }
    this.misses++;
    return this.lookup(key, digest, generation).then((found) => this.accept(found, digest));
  }

  /** Checks that apply to every use, cached or not: existence, expiry, active user. */
  private accept(found: TokenWithUser | null, digest: string): TokenPrincipal | Promise<TokenPrincipal> {
    if (!found) throw new AuthenticationFailed(INVALID_TOKEN);
    const { token, user } = found;
    const now = this.clock.now();
    if (token.expiresAt !== null && token.expiresAt <= now) {
      this.cache.delete(digest);
      return this.stores.tokens.delete(token.id).then(() => {
        throw new AuthenticationFailed(INVALID_TOKEN);
      });
    }
    if (!user.isActive) throw new AuthenticationFailed(USER_INACTIVE);
    const write = this.recordUse(token, now);
    return write ? write.then(() => ({ user, token })) : { user, token };
  }

  /**
   * Store lookup by prefix; a constant-time compare picks the row among the matches
   * (an imported knox row is compared by its own SHA-512 digest).
   */
  private async lookup(key: string, digest: string, generation: number): Promise<TokenWithUser | null> {
    let match: TokenWithUser | null = null;
    for (const candidate of await this.stores.tokens.findByPrefix(keyPrefix(key))) {
      if (storedDigestMatches(candidate.token.digest, key, digest)) match = candidate;
    }
    if (match && this.options.cacheSize > 0) {
      if (this.cache.size >= this.options.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(digest, { found: match, generation });
    } else this.cache.delete(digest);
    return match;
  }

  /**
   * Record last use and, with auto-refresh, push the expiry to now + ttl (never past
   * created + maxLifetime). At most one write per token per `minRefreshInterval`;
   * the cached record is updated in place so the next request sees it. Returns the
   * write's promise, or undefined when nothing needs writing.
   */
  private recordUse(token: TokenRecord, now: number): Promise<void> | undefined {
    const { autoRefresh, ttl, maxLifetime, minRefreshInterval } = this.options;
    let newExpiry: number | undefined;
    if (autoRefresh && ttl !== null && token.expiresAt !== null) {
      let candidate = now + ttl;
      if (maxLifetime !== null) candidate = Math.min(candidate, token.createdAt + maxLifetime);
      if (candidate - token.expiresAt >= minRefreshInterval) newExpiry = candidate;
    }
    const stale = token.lastUsedAt === null || now - token.lastUsedAt >= minRefreshInterval;
    if (newExpiry === undefined && !stale) return undefined;
    token.lastUsedAt = now;
    if (newExpiry !== undefined) token.expiresAt = newExpiry;
    return this.stores.tokens.touch(token.id, now, newExpiry);
  }

  /** Revoke one token (logout). */
  async revoke(tokenId: number): Promise<boolean> {
    this.cache.clear();
    return this.stores.tokens.delete(tokenId);
  }

  /** Revoke one of a user's tokens; false when it is not theirs or does not exist. */
  async revokeForUser(userId: number, tokenId: number): Promise<boolean> {
    this.cache.clear();
    return this.stores.tokens.deleteForUser(userId, tokenId);
  }

  /** Revoke every token of a user (logout-all, password change, account deletion). */
  async revokeAll(userId: number): Promise<number> {
    this.cache.clear();
    return this.stores.tokens.deleteAllForUser(userId);
  }

  /** The user's tokens, oldest first, expired ones excluded. */
  async list(userId: number): Promise<TokenRecord[]> {
    const now = this.clock.now();
    return (await this.stores.tokens.listForUser(userId)).filter((t) => t.expiresAt === null || t.expiresAt > now);
  }

  /** Delete every expired token; returns how many. */
  async flushExpired(): Promise<number> {
    return this.stores.tokens.deleteExpired(this.clock.now());
  }
}
