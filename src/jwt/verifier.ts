/**
 * Verifying JWTs: PyJWT's `decode` behind a verified-signature cache, simplejwt's
 * `Token.verify` per kind, and the per-request path of `JWTAuthentication` — raw token →
 * cached or verified claims → token kind (+ denylist) → user → revocation claim →
 * session — with one clock read, one SHA-256 and one change-signal read per request,
 * synchronous (no promise) when every answer is cached.
 *
 * The cache only remembers that a signature was good: time, audience and issuer checks run
 * on every use, and revocation state is never taken from it.
 */
import { hash } from 'node:crypto';
import { AuthenticationFailed, type JsonValue } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { isPromise, type MaybePromise } from '../core/maybe.js';
import type { Principal, User } from '../core/user.js';
import type { Stores } from '../stores/types.js';
import { BoundedCache } from './cache.js';
import {
  TOKEN_BLACKLISTED,
  TOKEN_INVALID,
  TokenError,
  checkRegisteredClaims,
  checkTokenClaims,
  jtiOf,
  userIdOf,
  type Claims,
  type JwtSettings,
  type TokenKind,
} from './claims.js';
import { NOT_VALID_FOR_ANY, NO_USER_ID, PASSWORD_CHANGED, invalidToken, kindMessage, notValidForAny } from './errors.js';
import { JwsError } from './jws/index.js';
import type { JwtKeys } from './keyring/index.js';
import type { JwtRevocation } from './revocation.js';
import type { JwtUsers } from './users.js';

/** What `request.auth` is for a JWT: the validated token. */
export interface JwtAuth {
  kind: TokenKind;
  claims: Claims;
}

export interface VerifierOptions {
  settings: JwtSettings;
  keys: JwtKeys;
  stores: Stores;
  clock: Clock;
  users: JwtUsers;
  revocation: JwtRevocation;
}

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

const userNotFound = () => new AuthenticationFailed('User not found', { code: 'user_not_found' }, 'user_not_found');
const userInactive = () => new AuthenticationFailed('User is inactive', { code: 'user_inactive' }, 'user_inactive');
const passwordChanged = () => new AuthenticationFailed(PASSWORD_CHANGED, { code: 'password_changed' }, 'password_changed');

export class JwtVerifier {
  private readonly s: JwtSettings;
  private readonly cache: BoundedCache<string, Claims>;
  private readonly accessOnly: boolean;
  /**
   * The key `isKnown` just computed, for the `claims` call that follows it in the same
   * request (synchronously), so the token is hashed once; forgotten at that call, so no
   * token outlives its request here.
   */
  private pendingToken = '';
  private pendingKey = '';

  constructor(private readonly o: VerifierOptions) {
    this.s = o.settings;
    this.cache = new BoundedCache(o.settings.verifiedCacheSize);
    this.accessOnly = o.settings.authTokenClasses.length === 1 && o.settings.authTokenClasses[0] === 'access';
  }

  /** The clock, epoch ms (read once per request). */
  now(): number {
    return this.o.clock.now();
  }

  /** The store's change generation (read once per request). */
  generation(): number {
    return this.o.stores.changes.generation();
  }

  /** The verified-signature cache's lookups so far (metrics). */
  cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  /** Forget every verified signature (a user's tokens were all revoked). */
  forget(): void {
    this.cache.clear();
  }

  // ---------------------------------------------------------------- decoding

  /** The cache key of `token`: its SHA-256 (or the one `isKnown` just computed for it). */
  private keyOf(token: string): string {
    const key = token === this.pendingToken ? this.pendingKey : cacheKey(token);
    this.pendingToken = '';
    this.pendingKey = '';
    return key;
  }

  /**
   * Was `token` verified before (and is it still cached)? Such a token passed the strict
   * compact grammar, so it holds no whitespace. No verification; the hash is kept for the
   * `claims` call that follows.
   */
  isKnown(token: string): boolean {
    if (this.cache.maxSize === 0 || token.length > this.s.maxTokenBytes) return false;
    const key = cacheKey(token);
    if (!this.cache.has(key)) return false;
    this.pendingToken = token;
    this.pendingKey = key;
    return true;
  }

  /**
   * Signature and registered claims (PyJWT's `decode`) at `now` (epoch ms): from the cache
   * when this token was verified before at this generation and has not expired, else
   * verified by the key ring and cached until its `exp`. One hash. Throws `TokenError`.
   */
  claims(token: string, now: number, generation: number): MaybePromise<Claims> {
    if (token.length > this.s.maxTokenBytes) throw new TokenError(TOKEN_INVALID);
    const key = this.cache.maxSize > 0 ? this.keyOf(token) : '';
    const hit = key ? this.cache.get(key, generation, now) : undefined;
    if (hit !== undefined) {
      checkRegisteredClaims(hit, Math.floor(now / 1000), this.s);
      return hit;
    }
    const epoch = this.cache.epoch;
    let verified;
    try {
      verified = this.o.keys.verify(token);
    } catch (e) {
      throw asTokenError(e);
    }
    if (isPromise(verified)) {
      return verified.then(
        (v) => this.remember(v.payload, key, generation, now, epoch),
        (e: unknown) => Promise.reject(asTokenError(e)),
      );
    }
    return this.remember(verified.payload, key, generation, now, epoch);
  }

  private remember(claims: Claims, key: string, generation: number, now: number, epoch: number): Claims {
    checkRegisteredClaims(claims, Math.floor(now / 1000), this.s);
    if (key && typeof claims.exp === 'number') this.cache.set(key, claims, generation, claims.exp * 1000, epoch);
    return claims;
  }

  /** `claims` now. */
  decode(token: string): MaybePromise<Claims> {
    return this.claims(token, this.now(), this.generation());
  }

  /**
   * Decode and run simplejwt's `Token.verify` for one kind (or untyped: `null`); a
   * recorded refresh/sliding token must still stand (blacklist, family, reuse).
   */
  async validate(token: string, kind: TokenKind | null): Promise<Claims> {
    const claims = await this.decode(token);
    if (kind === 'refresh' || kind === 'sliding') await this.o.revocation.checkRecorded(claims);
    checkTokenClaims(claims, kind, Math.floor(this.now() / 1000), this.s);
    return claims;
  }

  // ---------------------------------------------------------------- the request path

  /**
   * simplejwt's `get_validated_token`: the raw token as each of `authTokenClasses` in
   * order; the first that validates wins, else 401 with one `messages` entry per class.
   * Synchronous for access tokens whose signature (and denylist answer) is cached.
   */
  validated(raw: string, now: number, generation: number): MaybePromise<JwtAuth> {
    let claims: MaybePromise<Claims>;
    try {
      claims = this.claims(raw, now, generation);
    } catch (e) {
      throw this.allFailed(e);
    }
    if (isPromise(claims)) {
      return claims.then(
        (c) => this.typed(c, now, generation),
        (e: unknown) => Promise.reject(this.allFailed(e)),
      );
    }
    return this.typed(claims, now, generation);
  }

  private allFailed(e: unknown): unknown {
    return e instanceof TokenError ? notValidForAny(this.s.authTokenClasses, e.message) : e;
  }

  private typed(claims: Claims, now: number, generation: number): MaybePromise<JwtAuth> {
    if (!this.accessOnly) return this.typedAsync(claims, generation);
    try {
      checkTokenClaims(claims, 'access', Math.floor(now / 1000), this.s);
    } catch (e) {
      throw this.allFailed(e);
    }
    const jti = this.s.accessTokenDenylist ? jtiOf(claims, this.s) : null;
    if (jti === null) return { kind: 'access', claims };
    const denied = this.o.revocation.isAccessTokenDenied(jti, generation);
    if (isPromise(denied)) return denied.then((d) => this.notDenied(d, claims));
    return this.notDenied(denied, claims);
  }

  private notDenied(denied: boolean, claims: Claims): JwtAuth {
    if (denied) throw this.allFailed(new TokenError(TOKEN_BLACKLISTED));
    return { kind: 'access', claims };
  }

  /** Several kinds (sliding tokens accepted): each in order, with its store checks. */
  private async typedAsync(claims: Claims, generation: number): Promise<JwtAuth> {
    const messages: JsonValue[] = [];
    for (const kind of this.s.authTokenClasses) {
      try {
        if (kind === 'sliding') await this.o.revocation.checkRecorded(claims);
        checkTokenClaims(claims, kind, Math.floor(this.now() / 1000), this.s);
        const jti = kind === 'access' && this.s.accessTokenDenylist ? jtiOf(claims, this.s) : null;
        if (jti !== null && (await this.o.revocation.isAccessTokenDenied(jti, generation))) throw new TokenError(TOKEN_BLACKLISTED);
        return { kind, claims };
      } catch (e) {
        if (!(e instanceof TokenError)) throw e;
        messages.push(kindMessage(kind, e.message));
      }
    }
    throw invalidToken(NOT_VALID_FOR_ANY, messages);
  }

  /**
   * `JWTAuthentication.get_user`, then the revocation checks: the user (cached per
   * generation) exists and may authenticate; with `checkRevokeToken`, the revocation
   * claim is current; a token of a cookie-mode session is refused once it is revoked.
   */
  user(auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>> {
    const id = userIdOf(auth.claims, this.s);
    if (id === null) throw invalidToken(NO_USER_ID);
    const user = this.o.users.cached(id, generation);
    if (isPromise(user)) return user.then((u) => this.checkUser(u, auth, generation));
    return this.checkUser(user, auth, generation);
  }

  private checkUser(user: User | null, auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>> {
    if (!user) throw userNotFound();
    if (!this.o.users.canAuthenticate(user)) throw userInactive();
    if (!this.s.checkRevokeToken) return this.checkSession(user, auth, generation);
    const value = this.o.revocation.revokeClaimFor(user, generation);
    if (isPromise(value)) return value.then((v) => this.checkRevokeClaim(v, user, auth, generation));
    return this.checkRevokeClaim(value, user, auth, generation);
  }

  private checkRevokeClaim(value: string, user: User, auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>> {
    if (auth.claims[this.s.revokeTokenClaim] !== value) throw passwordChanged();
    return this.checkSession(user, auth, generation);
  }

  private checkSession(user: User, auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>> {
    const sid = this.o.revocation.sessionOf(auth.claims);
    if (sid === null) return { user, auth };
    const revoked = this.o.revocation.isSessionRevoked(sid, generation);
    if (isPromise(revoked)) return revoked.then((r) => this.live(r, user, auth));
    return this.live(revoked, user, auth);
  }

  private live(revoked: boolean, user: User, auth: JwtAuth): Principal<JwtAuth> {
    if (revoked) throw notValidForAny(this.s.authTokenClasses, TOKEN_BLACKLISTED);
    return { user, auth };
  }
}
