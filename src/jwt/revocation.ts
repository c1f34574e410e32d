/**
 * Revocation state of JWTs, always read from the store (never from the verified-token
 * cache): the blacklist and refresh families of recorded (refresh, sliding) tokens —
 * judged by `tokenStatus`, the rotation module's one decision — the access-token
 * denylist, the revocation claim (password hash + per-user epoch), cookie-mode sessions.
 *
 * The per-request answers are cached per change generation (synchronous on a hit). A
 * family revocation does not move every store's change signal, so this service clears
 * the session cache itself when it revokes one.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { noEvents, type EventSink } from '../core/events.js';
import type { MaybePromise } from '../core/maybe.js';
import type { User } from '../core/user.js';
import type { NewOutstandingToken, RotationState, Stores } from '../stores/types.js';
import { BoundedCache } from './cache.js';
import { TOKEN_BLACKLISTED, TokenError, jtiOf, type Claims, type JwtSettings } from './claims.js';
import { rotationPolicy, tokenStatus, type RotationPolicy, type TokenStatus } from './rotation.js';
import { USER_CACHE_SIZE } from './users.js';

export interface RevocationOptions {
  settings: JwtSettings;
  /** The server secret; the revocation claim's key is derived from it (never used raw). */
  secretKey: string;
  stores: Stores;
  clock: Clock;
  /** Cookie mode's session-id claim, or null. */
  sessionClaim: string | null;
  /** Told of reuse detected (`refresh_reuse_detected`). */
  events?: EventSink;
}

export class JwtRevocation {
  readonly policy: RotationPolicy;
  private readonly s: JwtSettings;
  private readonly revokeKey: Buffer;
  private readonly revokeCache = new BoundedCache<number, { value: string; password: string }>(USER_CACHE_SIZE);
  private readonly deniedCache = new BoundedCache<string, boolean>(USER_CACHE_SIZE);
  private readonly sessionCache = new BoundedCache<string, boolean>(USER_CACHE_SIZE);

  constructor(private readonly o: RevocationOptions) {
    this.s = o.settings;
    this.policy = rotationPolicy(o.settings);
    this.revokeKey = Buffer.from(hkdfSync('sha256', o.secretKey, 'gatehouse', 'jwt revoke claim v1', 32));
  }

  // ---------------------------------------------------------------- recorded tokens

  /**
   * The standing of a recorded refresh/sliding token (null: never recorded here, nothing
   * to refuse). Presenting a token that was rotated away is reuse: its family is revoked
   * now, whichever endpoint it was presented to.
   */
  async status(claims: Claims): Promise<TokenStatus | null> {
    const jti = jtiOf(claims, this.s);
    if (jti === null) return null;
    const jwt = this.o.stores.jwt;
    const token = await jwt.getOutstanding(jti);
    if (!token) return null;
    const replacement = token.replacedBy === null ? null : await jwt.getOutstanding(token.replacedBy);
    const family = token.familyId === null ? null : await jwt.getFamily(token.familyId);
    const state: RotationState = { token, replacement, family };
    const now = this.o.clock.now();
    const status = tokenStatus(state, this.policy, now);
    if (status === 'reused' && token.familyId !== null) {
      await this.revokeFamily(token.familyId, 'reuse');
      this.reuseDetected(token.userId, token.familyId);
    }
    return status;
  }

  /** simplejwt `BlacklistMixin.check_blacklist`, plus revoked families and reuse: `Token is blacklisted`. */
  async checkRecorded(claims: Claims): Promise<void> {
    const status = await this.status(claims);
    if (status !== null && status !== 'valid' && status !== 'grace') throw new TokenError(TOKEN_BLACKLISTED);
  }

  /** Blacklist a token (recording it if unknown); false when it already was. Its family is revoked too. */
  async blacklist(token: NewOutstandingToken): Promise<boolean> {
    const now = this.o.clock.now();
    if (!(await this.o.stores.jwt.blacklist(token, now))) return false;
    const row = await this.o.stores.jwt.getOutstanding(token.jti);
    if (row?.familyId) await this.revokeFamily(row.familyId, 'blacklist');
    return true;
  }

  /** Revoke a refresh family (a cookie-mode session): every token of it is refused from now on. */
  async revokeFamily(familyId: string, reason: string): Promise<void> {
    await this.o.stores.jwt.revokeFamily(familyId, this.o.clock.now(), reason);
    this.sessionCache.clear();
  }

  /** The store revoked a family by itself (reuse detected during a rotation). */
  familyRevoked(userId: number | null, familyId: string | null): void {
    this.sessionCache.clear();
    if (familyId !== null) this.reuseDetected(userId, familyId);
  }

  private reuseDetected(userId: number | null, familyId: string): void {
    (this.o.events ?? noEvents)({ event: 'refresh_reuse_detected', userId, familyId, familyRevoked: true });
  }

  /**
   * Logout-all / password change: the user's epoch moves (refusing every older revocation
   * claim) and every refresh/sliding token is blacklisted — except on a password change
   * with `checkRevokeToken`, where simplejwt's answer is kept: the stale claim refuses each
   * token on its next use with `The user's password has been changed.` and blacklists it then.
   */
  async revokeAllForUser(userId: number, reason: 'logout_all' | 'password_change'): Promise<void> {
    if (!(reason === 'password_change' && this.s.checkRevokeToken)) {
      await this.o.stores.jwt.revokeAllForUser(userId, this.o.clock.now(), reason);
    }
    await this.o.stores.jwt.bumpUserEpoch(userId);
    this.sessionCache.clear();
    this.revokeCache.clear();
  }

  // ---------------------------------------------------------------- per-request answers

  /** The revocation claim's value: HMAC of the password hash and the user's epoch. Synchronous on a hit. */
  revokeClaimFor(user: User, generation: number): MaybePromise<string> {
    const hit = this.revokeCache.get(user.id, generation);
    if (hit !== undefined && hit.password === user.password) return hit.value;
    const epoch = this.revokeCache.epoch;
    return this.o.stores.jwt.userEpoch(user.id).then((n) => {
      const value = createHmac('sha256', this.revokeKey).update(`${user.password}\u0000${n}`).digest('hex').slice(0, 32).toUpperCase();
      this.revokeCache.set(user.id, { value, password: user.password }, generation, Infinity, epoch);
      return value;
    });
  }

  /**
   * Is this access token's `jti` on the denylist? Cached per generation (adding to the
   * denylist moves it). Synchronous on a hit.
   */
  isAccessTokenDenied(jti: string, generation: number): MaybePromise<boolean> {
    const hit = this.deniedCache.get(jti, generation);
    if (hit !== undefined) return hit;
    const epoch = this.deniedCache.epoch;
    return this.o.stores.jwt.isAccessTokenDenied(jti).then((denied) => {
      this.deniedCache.set(jti, denied, generation, Infinity, epoch);
      return denied;
    });
  }

  /** The session id of a token (`sessionClaim`), or null (none configured, or absent). */
  sessionOf(claims: Claims): string | null {
    const name = this.o.sessionClaim;
    if (!name) return null;
    const v = claims[name];
    return typeof v === 'string' && v !== '' ? v : null;
  }

  /**
   * Has the session (refresh family) `sid` been revoked — logout, blacklist, reuse,
   * logout-all? A family this server does not know counts as revoked (fail closed: only
   * this server mints session ids, and it records the family first). Synchronous on a hit.
   */
  isSessionRevoked(sid: string, generation: number): MaybePromise<boolean> {
    const hit = this.sessionCache.get(sid, generation);
    if (hit !== undefined) return hit;
    const epoch = this.sessionCache.epoch;
    return this.o.stores.jwt.getFamily(sid).then((family) => {
      const revoked = family === null || family.revokedAt !== null;
      this.sessionCache.set(sid, revoked, generation, Infinity, epoch);
      return revoked;
    });
  }

  // ---------------------------------------------------------------- denylist, cleanup

  /** Deny one access token until it expires (needs `accessTokenDenylist`). */
  async denyAccessToken(claims: Claims): Promise<void> {
    const jti = jtiOf(claims, this.s);
    const exp = typeof claims.exp === 'number' ? claims.exp : Math.floor(this.o.clock.now() / 1000);
    if (jti !== null) await this.o.stores.jwt.denyAccessToken(jti, exp * 1000);
  }

  /**
   * Delete outstanding/denylist rows expired for longer than the leeway. In cookie mode a
   * family must outlive every access token of it (`isSessionRevoked` needs its row), and
   * an access token minted by the family's last refresh token can be valid for the access
   * lifetime (and two leeways) past that token's expiry: rows are kept that much longer.
   */
  flushExpired(): Promise<number> {
    const keep = this.s.leeway + (this.o.sessionClaim ? this.s.accessTokenLifetime + this.s.leeway : 0);
    return this.o.stores.jwt.deleteExpired(this.o.clock.now() - keep);
  }
}
