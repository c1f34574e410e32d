/**
 * The JWT service: simplejwt's token kinds and views as framework-free operations —
 * obtain (pair, sliding), refresh (with rotation, refresh families and reuse
 * detection), verify, blacklist — plus the per-request validation that the
 * authenticators use.
 *
 * Revocation state (blacklist, families, the access denylist, per-user epochs) is
 * always read from the store, never from the verified-token cache: the cache only
 * remembers that a token's signature was good.
 */
import { createHmac, hash, hkdfSync, randomBytes } from 'node:crypto';
import { AuthenticationFailed, type JsonObject, type JsonValue } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { User } from '../core/user.js';
import type { Stores } from '../stores/types.js';
import type { JwtKeys } from './keyring/index.js';
import {
  TOKEN_BLACKLISTED,
  TOKEN_CLASS,
  TOKEN_INVALID,
  TokenError,
  checkExp,
  checkRegisteredClaims,
  checkTokenClaims,
  jtiOf,
  type Claims,
  type JwtSettings,
  type TokenKind,
} from './claims.js';
import { JwsError, sign } from './jws/index.js';

export const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials';
export const NO_ACTIVE_ACCOUNT_FOR_TOKEN = 'No active account found for the given token.';
export const PASSWORD_CHANGED = "The user's password has been changed.";
export const NO_USER_ID = 'Token contained no recognizable user identification';
export const NOT_VALID_FOR_ANY = 'Given token not valid for any token type';

/** simplejwt's `InvalidToken`: 401 `{"detail": msg, "code": "token_not_valid"}`. */
export function invalidToken(message: string, messages?: JsonValue[]): AuthenticationFailed {
  const extra: JsonObject = { code: 'token_not_valid' };
  if (messages) extra.messages = messages;
  return new AuthenticationFailed(message, extra, 'token_not_valid');
}

/** Extra claims for a user at obtain time (simplejwt's custom `get_token` use case). */
export type ClaimsHook = (user: User) => Record<string, JsonValue> | Promise<Record<string, JsonValue>>;

export interface JwtServiceOptions {
  settings: JwtSettings;
  /** The server secret; keys for the revocation claim are derived from it (never used raw). */
  secretKey: string;
  keys: JwtKeys;
  stores: Stores;
  clock: Clock;
  /** Custom claims added to refresh (and so access) and sliding tokens at obtain. */
  claims?: ClaimsHook;
  /** simplejwt `USER_AUTHENTICATION_RULE`: may this user authenticate? Checked after `checkUserIsActive`, which it cannot loosen. */
  userAuthenticationRule?: (user: User) => boolean;
  /**
   * Cookie mode: the name of a session-id claim (`sid`) added to every new pair — the
   * refresh family id, kept through rotation and copied into the access tokens — so a
   * CSRF token can be bound to the session and a whole session revoked at once.
   * Default: none (tokens exactly as simplejwt's).
   */
  sessionClaim?: string | null;
}

interface VerifiedEntry {
  claims: Claims;
  generation: number;
  /** Epoch ms after which the entry must not be used (the token's `exp`). */
  until: number;
}

/** A validated token: its kind and claims. */
export interface ValidatedToken {
  kind: TokenKind;
  claims: Claims;
  token: string;
}

const newJti = (): string => randomBytes(16).toString('hex');
/** Users (and revocation-claim values) kept for the per-request path. */
const USER_CACHE_SIZE = 10_000;

/**
 * The verified-token cache's key: the token's SHA-256, so the cache never holds a usable
 * token. (Hashing only the signature and comparing the rest in the clear was measured
 * slower: V8 compares a 200-character string more slowly than SHA-256 hashes it.)
 */
const cacheKey = (token: string): string => hash('sha256', token, 'binary');

/**
 * A refused token (`JwsError`) becomes simplejwt's `Token is invalid`; anything else (a
 * failing store while reloading the key ring) is rethrown and answered 503, never
 * "valid" and never a 401 that would make clients drop good tokens.
 */
function asTokenError(e: unknown): unknown {
  return e instanceof JwsError ? new TokenError(TOKEN_INVALID) : e;
}

/** Reserved claims a custom-claims hook may not set. */
/**
 * An empty claim set without a prototype: claims are copied in by assignment, and on an
 * ordinary object a claim named `__proto__` would replace the prototype instead of being
 * copied (the signed payload parser gives every object a null prototype for the same reason).
 */
const newClaims = (): Claims => Object.create(null) as Claims;

const RESERVED = new Set(['exp', 'iat', 'nbf', 'jti', 'aud', 'iss']);

export class JwtService {
  readonly settings: JwtSettings;
  private readonly revokeKey: Buffer;
  private readonly cache = new Map<string, VerifiedEntry>();
  private readonly userCache = new Map<number | string, { user: User | null; generation: number }>();
  private readonly revokeCache = new Map<number, { value: string; password: string; generation: number }>();
  private readonly deniedCache = new Map<string, { denied: boolean; generation: number }>();
  private readonly sessionCache = new Map<string, { revoked: boolean; generation: number; local: number }>();
  /**
   * Moves whenever this service revokes a family (blacklist, reuse detection, session
   * revocation, logout-all): the store's change signal does not move for those, so the
   * session answers are cached per (change generation, this counter).
   */
  private sessionRevocations = 0;

  constructor(private readonly o: JwtServiceOptions) {
    this.settings = o.settings;
    this.revokeKey = Buffer.from(hkdfSync('sha256', o.secretKey, 'gatehouse', 'jwt revoke claim v1', 32));
  }

  private nowSeconds(): number {
    return Math.floor(this.o.clock.now() / 1000);
  }

  /** The current time in epoch seconds (PyJWT's integer `now`). */
  now(): number {
    return this.nowSeconds();
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Signature and registered claims (PyJWT's `decode`). The signature result is cached
   * by a hash of the token until its `exp`, invalidated when the key ring (or anything
   * in the store) changes; the time and audience checks run on every call.
   * Throws `TokenError`.
   */
  decode(token: string): Claims | Promise<Claims> {
    if (token.length > this.settings.maxTokenBytes) throw new TokenError(TOKEN_INVALID);
    const now = this.o.clock.now();
    const generation = this.o.stores.changes.generation();
    const key = this.settings.verifiedCacheSize > 0 ? cacheKey(token) : '';
    const cached = key ? this.fromCache(key, now, generation) : undefined;
    if (cached) return cached;
    let verified;
    try {
      verified = this.o.keys.verify(token);
    } catch (e) {
      throw asTokenError(e);
    }
    if (verified instanceof Promise) {
      return verified.then(
        (v) => this.afterVerify(v.payload, key, generation, now),
        (e: unknown) => {
          throw asTokenError(e);
        },
      );
    }
    return this.afterVerify(verified.payload, key, generation, now);
  }

  /** The clock in epoch ms, as `cachedDecode` takes it (the authenticator reads it once per request). */
  nowMs(): number {
    return this.o.clock.now();
  }

  /** The store's change generation, as `cachedDecode` and `cachedUser` compare it. */
  generation(): number {
    return this.o.stores.changes.generation();
  }

  /**
   * The claims of `token` if it was verified earlier and its entry is still valid at
   * `now` (epoch ms) and `generation` (the signature work is skipped; the time, audience
   * and issuer checks run), else undefined. Never verifies anything: a miss costs one
   * hash. Throws `TokenError` when the cached token fails the time checks. Cached tokens
   * passed the strict compact grammar, so a hit is also a token without whitespace.
   */
  cachedDecode(token: string, now: number, generation: number): Claims | undefined {
    if (this.settings.verifiedCacheSize === 0 || token.length > this.settings.maxTokenBytes) return undefined;
    return this.fromCache(cacheKey(token), now, generation);
  }

  private fromCache(key: string, now: number, generation: number): Claims | undefined {
    const cached = this.cache.get(key);
    if (cached === undefined || cached.generation !== generation || now >= cached.until) return undefined;
    checkRegisteredClaims(cached.claims, Math.floor(now / 1000), this.settings);
    return cached.claims;
  }

  private afterVerify(claims: Claims, key: string, generation: number, now: number): Claims {
    checkRegisteredClaims(claims, Math.floor(now / 1000), this.settings);
    const exp = claims.exp;
    if (key && typeof exp === 'number') {
      if (this.cache.size >= this.settings.verifiedCacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, { claims, generation, until: exp * 1000 });
    }
    return claims;
  }

  /** Decode and run simplejwt's `Token.verify` for one kind (or untyped: `null`). */
  async validate(token: string, kind: TokenKind | null): Promise<Claims> {
    const claims = await this.decode(token);
    if (kind === 'refresh' || kind === 'sliding') await this.checkBlacklist(claims);
    checkTokenClaims(claims, kind, this.nowSeconds(), this.settings);
    return claims;
  }

  /** simplejwt `BlacklistMixin.check_blacklist`, plus revoked refresh families. */
  async checkBlacklist(claims: Claims): Promise<void> {
    const jti = jtiOf(claims, this.settings);
    if (jti === null) return;
    const row = await this.o.stores.jwt.getOutstanding(jti);
    if (!row) return;
    if (row.blacklistedAt !== null) throw new TokenError(TOKEN_BLACKLISTED);
    if (row.familyId) {
      const family = await this.o.stores.jwt.getFamily(row.familyId);
      if (family?.revokedAt != null) throw new TokenError(TOKEN_BLACKLISTED);
    }
  }

  // ---------------------------------------------------------------- users

  /** The user id in a token, as the user store's key (string ids from 5.5.1, integers from older tokens). */
  userIdOf(claims: Claims): number | string | null {
    const v = claims[this.settings.userIdClaim];
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'string' && v !== '') return v;
    return null;
  }

  /** Look a token's user up in the store; null when not found. */
  async userFor(id: number | string): Promise<User | null> {
    if (this.settings.userIdField === 'username') return this.o.stores.users.getByUsername(String(id));
    const n = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : NaN;
    return Number.isSafeInteger(n) ? this.o.stores.users.getById(n) : null;
  }

  /**
   * simplejwt's `USER_AUTHENTICATION_RULE` at obtain, refresh and on every request. Unlike
   * simplejwt, a custom rule does not replace the `checkUserIsActive` check (simplejwt keeps
   * that check only in `JWTAuthentication`, so a loose rule let inactive users obtain tokens).
   */
  canAuthenticate(user: User): boolean {
    if (this.settings.checkUserIsActive && !user.isActive) return false;
    return this.o.userAuthenticationRule ? this.o.userAuthenticationRule(user) : true;
  }

  /**
   * A user by token id for the per-request authenticator: cached by id, each entry
   * valid only while the store's change generation is unchanged (any user change,
   * deletion or revocation moves it). Synchronous on a hit.
   */
  cachedUser(id: number | string, generation = this.o.stores.changes.generation()): User | null | Promise<User | null> {
    const hit = this.userCache.get(id);
    if (hit && hit.generation === generation) return hit.user;
    return this.userFor(id).then((user) => {
      if (this.userCache.size >= USER_CACHE_SIZE) this.userCache.clear();
      this.userCache.set(id, { user, generation });
      return user;
    });
  }

  /** The revocation claim's value: HMAC of the password hash and the user's epoch (never a hash derivative on its own). */
  async revokeClaimFor(user: User): Promise<string> {
    const generation = this.o.stores.changes.generation();
    const hit = this.revokeCache.get(user.id);
    if (hit && hit.generation === generation && hit.password === user.password) return hit.value;
    const epoch = await this.o.stores.jwt.userEpoch(user.id);
    const value = createHmac('sha256', this.revokeKey).update(`${user.password}\u0000${epoch}`).digest('hex').slice(0, 32).toUpperCase();
    if (this.revokeCache.size >= USER_CACHE_SIZE) this.revokeCache.clear();
    this.revokeCache.set(user.id, { value, password: user.password, generation });
    return value;
  }

  /** Is the token's revocation claim still current for this user? */
  async revokeClaimValid(claims: Claims, user: User): Promise<boolean> {
    return claims[this.settings.revokeTokenClaim] === (await this.revokeClaimFor(user));
  }

  /**
   * Is this access token's `jti` on the denylist? Answers are cached per `jti` while the
   * store's change generation is unchanged (adding to the denylist moves it), so a
   * token used again and again costs one query per change, and a denial is seen on the
   * next request. Synchronous on a hit.
   */
  isAccessTokenDenied(jti: string): boolean | Promise<boolean> {
    const generation = this.o.stores.changes.generation();
    const hit = this.deniedCache.get(jti);
    if (hit && hit.generation === generation) return hit.denied;
    return this.o.stores.jwt.isAccessTokenDenied(jti).then((denied) => {
      if (this.deniedCache.size >= USER_CACHE_SIZE) this.deniedCache.clear();
      this.deniedCache.set(jti, { denied, generation });
      return denied;
    });
  }

  private userIdValue(user: User): string {
    return this.settings.userIdField === 'username' ? user.username : String(user.id);
  }

  // ---------------------------------------------------------------- issuing

  /** Sign claims with the current signer; `aud`/`iss` appended as PyJWT does. */
  private async encode(claims: Claims): Promise<string> {
    const payload: Claims = { ...claims };
    if (this.settings.audience !== null) payload.aud = this.settings.audience;
    if (this.settings.issuer !== null) payload.iss = this.settings.issuer;
    return sign(payload, await this.o.keys.signer());
  }

  /** The base claims of a new token of `kind` (simplejwt's key order). */
  private base(kind: TokenKind, iat: number, lifetimeMs: number): Claims {
    const claims = newClaims();
    if (this.settings.tokenTypeClaim !== null) claims[this.settings.tokenTypeClaim] = kind;
    claims.exp = iat + Math.floor(lifetimeMs / 1000);
    claims.iat = iat;
    if (this.settings.jtiClaim !== null) claims[this.settings.jtiClaim] = newJti();
    return claims;
  }

  /** Claims describing the user: id, revocation claim, custom claims. */
  private async userClaims(user: User): Promise<Claims> {
    const claims = newClaims();
    claims[this.settings.userIdClaim] = this.userIdValue(user);
    if (this.settings.checkRevokeToken) claims[this.settings.revokeTokenClaim] = await this.revokeClaimFor(user);
    if (this.o.claims) {
      for (const [k, v] of Object.entries(await this.o.claims(user))) {
        if (!RESERVED.has(k) && k !== this.settings.tokenTypeClaim && k !== this.settings.jtiClaim && k !== this.o.sessionClaim) claims[k] = v;
      }
    }
    return claims;
  }

  /** An access token derived from refresh claims (simplejwt `RefreshToken.access_token`, 5.5.1: fresh `iat`). */
  private accessFrom(refreshClaims: Claims, iat: number): Claims {
    const access = this.base('access', iat, this.settings.accessTokenLifetime);
    const skip = new Set(['exp', 'iat', 'aud', 'iss', this.settings.tokenTypeClaim, this.settings.jtiClaim]);
    for (const [k, v] of Object.entries(refreshClaims)) if (!skip.has(k)) access[k] = v;
    return access;
  }

  /**
   * `POST /api/token/`: a refresh + access pair; the refresh starts a new family. Throws
   * `StaleGeneration` when the user's credential generation moved since `user` was read
   * (src/stores/generation.ts): nothing is recorded, and the login must fail.
   */
  async obtainPair(user: User): Promise<{ refresh: string; access: string }> {
    const iat = this.nowSeconds();
    const refresh = { ...this.base('refresh', iat, this.settings.refreshTokenLifetime), ...(await this.userClaims(user)) };
    const max = this.settings.refreshMaxLifetime;
    const notAfter = max === null ? null : this.o.clock.now() + max;
    if (notAfter !== null) refresh.exp = Math.min(refresh.exp as number, Math.floor(notAfter / 1000));
    const familyId = newJti();
    if (this.o.sessionClaim) refresh[this.o.sessionClaim] = familyId;
    const jti = jtiOf(refresh, this.settings);
    if (jti !== null) {
      await this.o.stores.jwt.recordOutstanding(
        { jti, userId: user.id, tokenType: 'refresh', familyId, createdAt: this.o.clock.now(), expiresAt: (refresh.exp as number) * 1000 },
        notAfter,
        user.credentialGeneration,
      );
    }
    const access = this.accessFrom(refresh, iat);
    return { refresh: await this.encode(refresh), access: await this.encode(access) };
  }

  /** `POST /api/token/sliding/`. */
  async obtainSliding(user: User): Promise<string> {
    const iat = this.nowSeconds();
    const claims = this.base('sliding', iat, this.settings.slidingTokenLifetime);
    claims[this.settings.slidingTokenRefreshExpClaim] = iat + Math.floor(this.settings.slidingTokenRefreshLifetime / 1000);
    Object.assign(claims, await this.userClaims(user));
    const jti = jtiOf(claims, this.settings);
    if (jti !== null) {
      await this.o.stores.jwt.recordOutstanding({
        jti,
        userId: user.id,
        tokenType: 'sliding',
        familyId: null,
        createdAt: this.o.clock.now(),
        expiresAt: (claims[this.settings.slidingTokenRefreshExpClaim] as number) * 1000,
      }, null, user.credentialGeneration);
    }
    return this.encode(claims);
  }

  /**
   * The user named by a refresh/sliding token, refused as simplejwt ≥ 5.4 (master for
   * deleted users): 401 `No active account found for the given token.`; with
   * `checkRevokeToken`, a stale revocation claim blacklists the token and answers
   * `The user's password has been changed.`
   */
  private async liveUser(claims: Claims, kind: 'refresh' | 'sliding'): Promise<User> {
    const id = this.userIdOf(claims);
    const user = id === null ? null : await this.userFor(id);
    if (!user || !this.canAuthenticate(user)) throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT_FOR_TOKEN);
    if (this.settings.checkRevokeToken && !(await this.revokeClaimValid(claims, user))) {
      const jti = jtiOf(claims, this.settings);
      if (jti !== null) await this.o.stores.jwt.blacklist(this.outstandingOf(claims, jti, kind, user.id), this.o.clock.now());
      throw new AuthenticationFailed(PASSWORD_CHANGED);
    }
    return user;
  }

  private outstandingOf(claims: Claims, jti: string, kind: 'refresh' | 'sliding', userId: number | null) {
    const expClaim = kind === 'sliding' ? this.settings.slidingTokenRefreshExpClaim : 'exp';
    const exp = typeof claims[expClaim] === 'number' ? (claims[expClaim] as number) : this.nowSeconds();
    return { jti, userId, tokenType: kind, familyId: null, createdAt: this.o.clock.now(), expiresAt: exp * 1000 };
  }

  /**
   * `POST /api/token/refresh/`. Without rotation: a new access token. With rotation: a
   * new refresh token too (same claims, new `jti`/`iat`/`exp`, never past the family's
   * absolute end), rotated atomically in the store: one winner among concurrent
   * callers; a token presented again after rotation revokes its family (reuse
   * detection) unless it is retried within `reuseGrace`, which returns the same
   * replacement.
   */
  async refresh(token: string): Promise<{ access: string; refresh?: string }> {
    let claims: Claims;
    try {
      claims = await this.validate(token, 'refresh');
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
    const user = await this.liveUser(claims, 'refresh');
    const iat = this.nowSeconds();
    const access = this.accessFrom(claims, iat);
    if (!this.settings.rotateRefreshTokens) return { access: await this.encode(access) };

    const jti = jtiOf(claims, this.settings);
    if (jti === null) {
      // Nothing to rotate by (jtiClaim disabled): simplejwt's plain rotation.
      const next = { ...claims, exp: iat + Math.floor(this.settings.refreshTokenLifetime / 1000), iat };
      return { access: await this.encode(access), refresh: await this.encode(next) };
    }
    const current = await this.o.stores.jwt.getOutstanding(jti);
    const family = current?.familyId ? await this.o.stores.jwt.getFamily(current.familyId) : null;
    const max = this.settings.refreshMaxLifetime;
    const notAfter = family ? family.notAfter : max === null ? null : this.o.clock.now() + max;
    let exp = iat + Math.floor(this.settings.refreshTokenLifetime / 1000);
    if (notAfter !== null) exp = Math.min(exp, Math.floor(notAfter / 1000));
    if (exp <= iat) throw invalidToken(TOKEN_BLACKLISTED);
    const nextJti = newJti();
    const next: Claims = { ...claims, exp, iat };
    if (this.settings.jtiClaim !== null) next[this.settings.jtiClaim] = nextJti;
    const result = await this.o.stores.jwt.rotate({
      current: this.outstandingOf(claims, jti, 'refresh', user.id),
      next: { jti: nextJti, userId: user.id, tokenType: 'refresh', familyId: null, createdAt: this.o.clock.now(), expiresAt: exp * 1000, iat, exp },
      now: this.o.clock.now(),
      graceMs: this.settings.reuseGrace,
      reuseDetection: this.settings.reuseDetection,
      blacklistCurrent: this.settings.blacklistAfterRotation,
      familyNotAfter: notAfter,
    });
    switch (result.kind) {
      case 'rotated':
        return { access: await this.encode(access), refresh: await this.encode(next) };
      case 'grace': {
        const again: Claims = { ...claims, exp: result.replacement.exp, iat: result.replacement.iat };
        if (this.settings.jtiClaim !== null) again[this.settings.jtiClaim] = result.replacement.jti;
        return { access: await this.encode(access), refresh: await this.encode(again) };
      }
      default:
        if (result.kind === 'reused') this.sessionRevocations++;
        throw invalidToken(TOKEN_BLACKLISTED);
    }
  }

  /** `POST /api/token/sliding/refresh/`: same claims and `jti`, new `exp`/`iat`, until `refresh_exp`. */
  async refreshSliding(token: string): Promise<string> {
    let claims: Claims;
    try {
      claims = await this.validate(token, 'sliding');
      checkExp(claims, this.settings.slidingTokenRefreshExpClaim, this.nowSeconds(), this.settings);
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
    await this.liveUser(claims, 'sliding');
    const iat = this.nowSeconds();
    return this.encode({ ...claims, exp: iat + Math.floor(this.settings.slidingTokenLifetime / 1000), iat });
  }

  /**
   * `POST /api/token/verify/`: an untyped check (signature, `exp`, `jti`). Returns
   * false when the token is blacklisted and `blacklistAfterRotation` is on (simplejwt
   * then answers 400 `non_field_errors`). Throws `invalidToken` otherwise.
   */
  async verify(token: string): Promise<boolean> {
    let claims: Claims;
    try {
      claims = await this.validate(token, null);
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
    if (!this.settings.blacklistAfterRotation) return true;
    const jti = jtiOf(claims, this.settings);
    const row = jti === null ? null : await this.o.stores.jwt.getOutstanding(jti);
    return !row || row.blacklistedAt === null;
  }

  /** `POST /api/token/blacklist/`: blacklist a refresh token (and revoke its family). */
  async blacklist(token: string): Promise<void> {
    let claims: Claims;
    try {
      claims = await this.validate(token, 'refresh');
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
    const jti = jtiOf(claims, this.settings);
    if (jti === null) return;
    const id = this.userIdOf(claims);
    const user = id === null ? null : await this.userFor(id);
    const now = this.o.clock.now();
    if (!(await this.o.stores.jwt.blacklist(this.outstandingOf(claims, jti, 'refresh', user?.id ?? null), now))) {
      throw invalidToken(TOKEN_BLACKLISTED);
    }
    const row = await this.o.stores.jwt.getOutstanding(jti);
    if (row?.familyId) {
      await this.o.stores.jwt.revokeFamily(row.familyId, now, 'blacklist');
      this.sessionRevocations++;
    }
  }

  /**
   * Logout-all / password change: every access token issued before now is refused
   * through the epoch in the revocation claim (with `checkRevokeToken`), and every
   * refresh and sliding token of the user is blacklisted — except on a password change
   * with `checkRevokeToken`, where simplejwt's answer is kept: the stale claim refuses
   * each token on its next use with `The user's password has been changed.` and
   * blacklists it then.
   */
  async revokeAllForUser(userId: number, reason: 'logout_all' | 'password_change'): Promise<void> {
    if (!(reason === 'password_change' && this.settings.checkRevokeToken)) {
      await this.o.stores.jwt.revokeAllForUser(userId, this.o.clock.now(), reason);
    }
    await this.o.stores.jwt.bumpUserEpoch(userId);
    this.sessionRevocations++;
    this.cache.clear();
  }

  // ---------------------------------------------------------------- sessions (cookie mode)

  /** The session id of a token (`sessionClaim`), or null (none configured, or absent). */
  sessionOf(claims: Claims): string | null {
    if (!this.o.sessionClaim) return null;
    const v = claims[this.o.sessionClaim];
    return typeof v === 'string' && v !== '' ? v : null;
  }

  /**
   * Has the session (refresh family) `sid` been revoked — logout, blacklist, reuse
   * detection, logout-all? Cached per change generation and this service's own
   * revocations, so a revocation is seen on the very next request. Synchronous on a hit.
   */
  isSessionRevoked(sid: string): boolean | Promise<boolean> {
    const generation = this.o.stores.changes.generation();
    const local = this.sessionRevocations;
    const hit = this.sessionCache.get(sid);
    if (hit && hit.generation === generation && hit.local === local) return hit.revoked;
    return this.o.stores.jwt.getFamily(sid).then((family) => {
      const revoked = family?.revokedAt != null;
      if (this.sessionCache.size >= USER_CACHE_SIZE) this.sessionCache.clear();
      this.sessionCache.set(sid, { revoked, generation, local });
      return revoked;
    });
  }

  /** Revoke a whole session (its refresh family): every refresh and access token of it is refused from now on. */
  async revokeSession(sid: string, reason: string): Promise<void> {
    await this.o.stores.jwt.revokeFamily(sid, this.o.clock.now(), reason);
    this.sessionRevocations++;
  }

  /** Deny one access token until it expires (needs `accessTokenDenylist`). */
  async denyAccessToken(claims: Claims): Promise<void> {
    const jti = jtiOf(claims, this.settings);
    if (jti !== null) await this.o.stores.jwt.denyAccessToken(jti, ((claims.exp as number) ?? this.nowSeconds()) * 1000);
  }

  /** Delete outstanding/denylist rows expired for longer than the leeway (catalogue F52). */
  async flushExpired(): Promise<number> {
    return this.o.stores.jwt.deleteExpired(this.o.clock.now() - this.settings.leeway);
  }

  /** The messages entry of simplejwt's `Given token not valid for any token type`. */
  static message(kind: TokenKind, message: string): JsonValue {
    return { token_class: TOKEN_CLASS[kind], token_type: kind, message };
  }
}
