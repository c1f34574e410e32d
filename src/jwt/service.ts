/**
 * The JWT service: simplejwt's token kinds and views as framework-free operations, one
 * facade over the modules that do the work —
 *
 * - `issuer.ts`: minting (pair, sliding, access from refresh, rotated refresh);
 * - `refresh.ts` + `rotation.ts`: refresh with rotation, grace and reuse detection (one
 *   pure decision the stores run under their lock), sliding refresh, verify, blacklist;
 * - `verifier.ts`: decoding behind the verified-signature cache and the per-request path;
 * - `revocation.ts`: blacklist/families, denylist, revocation claim, sessions, cleanup;
 * - `users.ts`: the token's user and `USER_AUTHENTICATION_RULE`.
 */
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { MaybePromise } from '../core/maybe.js';
import type { User } from '../core/user.js';
import type { Stores } from '../stores/types.js';
import { userIdOf, type Claims, type JwtSettings, type TokenKind } from './claims.js';
import { kindMessage } from './errors.js';
import { JwtIssuer, type ClaimsHook, type IssuedToken } from './issuer.js';
import type { JwtKeys } from './keyring/index.js';
import { JwtRefresher, type Refreshed } from './refresh.js';
import { JwtRevocation } from './revocation.js';
import { JwtUsers } from './users.js';
import { JwtVerifier } from './verifier.js';

export {
  NOT_VALID_FOR_ANY,
  NO_ACTIVE_ACCOUNT,
  NO_ACTIVE_ACCOUNT_FOR_TOKEN,
  NO_USER_ID,
  PASSWORD_CHANGED,
  invalidToken,
} from './errors.js';
export type { ClaimsHook, IssuedToken } from './issuer.js';
export type { Refreshed } from './refresh.js';

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
   * CSRF token can be bound to the session and a whole session revoked at once. Needs
   * `jtiClaim` (a session is its recorded family). Default: none (tokens exactly as simplejwt's).
   */
  sessionClaim?: string | null;
  /** Where security events go (refresh, rotation, reuse detected, blacklist); default nowhere. */
  events?: EventSink;
}

/** A validated token: its kind and claims. */
export interface ValidatedToken {
  kind: TokenKind;
  claims: Claims;
  token: string;
}

export class JwtService {
  readonly settings: JwtSettings;
  readonly users: JwtUsers;
  readonly revocation: JwtRevocation;
  readonly verifier: JwtVerifier;
  readonly issuer: JwtIssuer;
  private readonly refresher: JwtRefresher;

  constructor(o: JwtServiceOptions) {
    const sessionClaim = o.sessionClaim ?? null;
    if (sessionClaim !== null && o.settings.jtiClaim === null) {
      throw new Error('cookie mode needs jwt.jtiClaim: a session is the recorded family of its refresh tokens');
    }
    const { settings, stores, clock, keys } = o;
    this.settings = settings;
    this.users = new JwtUsers(settings, stores, o.userAuthenticationRule);
    const events = o.events ? { events: o.events } : {};
    this.revocation = new JwtRevocation({ settings, secretKey: o.secretKey, stores, clock, sessionClaim, ...events });
    const parts = { settings, stores, clock, keys, users: this.users, revocation: this.revocation };
    this.verifier = new JwtVerifier(parts);
    this.issuer = new JwtIssuer({ ...parts, sessionClaim, ...(o.claims ? { claims: o.claims } : {}) });
    this.refresher = new JwtRefresher({ ...parts, verifier: this.verifier, issuer: this.issuer, ...events });
  }

  /** The current time in epoch seconds (PyJWT's integer `now`). */
  now(): number {
    return this.issuer.nowSeconds();
  }

  // ---------------------------------------------------------------- verifying

  /** Signature and registered claims (PyJWT's `decode`), cached. Throws `TokenError`. */
  decode(token: string): MaybePromise<Claims> {
    return this.verifier.decode(token);
  }

  /** Decode and run simplejwt's `Token.verify` for one kind (or untyped: `null`). Throws `TokenError`. */
  validate(token: string, kind: TokenKind | null): Promise<Claims> {
    return this.verifier.validate(token, kind);
  }

  /** The user id in a token in its canonical form, or null. */
  userIdOf(claims: Claims): number | string | null {
    return userIdOf(claims, this.settings);
  }

  /** simplejwt's `USER_AUTHENTICATION_RULE` (after `checkUserIsActive`). */
  canAuthenticate(user: User): boolean {
    return this.users.canAuthenticate(user);
  }

  // ---------------------------------------------------------------- issuing and the views

  /** `POST /api/token/`: a refresh + access pair (the signed tokens). */
  async obtainPair(user: User): Promise<{ refresh: string; access: string }> {
    const pair = await this.issuer.pair(user);
    return { refresh: pair.refresh.token, access: pair.access.token };
  }

  /** `POST /api/token/`, with what each token says (`exp`, `jti`, session). */
  issuePair(user: User): Promise<{ refresh: IssuedToken; access: IssuedToken }> {
    return this.issuer.pair(user);
  }

  /** `POST /api/token/sliding/`. */
  async obtainSliding(user: User): Promise<string> {
    return (await this.issuer.sliding(user)).token;
  }

  /** `POST /api/token/refresh/` (rotation, grace, reuse detection). */
  refresh(token: string): Promise<Refreshed> {
    return this.refresher.refresh(token);
  }

  /** `POST /api/token/sliding/refresh/`. */
  async refreshSliding(token: string): Promise<string> {
    return (await this.refresher.refreshSliding(token)).token;
  }

  /** `POST /api/token/verify/`: false when simplejwt answers 400 `Token is blacklisted`. */
  verify(token: string): Promise<boolean> {
    return this.refresher.verify(token);
  }

  /** `POST /api/token/blacklist/`. */
  blacklist(token: string): Promise<void> {
    return this.refresher.blacklist(token);
  }

  // ---------------------------------------------------------------- revocation

  /** Logout-all / password change (see `JwtRevocation.revokeAllForUser`). */
  async revokeAllForUser(userId: number, reason: 'logout_all' | 'password_change'): Promise<void> {
    await this.revocation.revokeAllForUser(userId, reason);
    this.verifier.forget();
  }

  /** The session id of a token (`sessionClaim`), or null. */
  sessionOf(claims: Claims): string | null {
    return this.revocation.sessionOf(claims);
  }

  /** Has the session been revoked (or is it unknown)? */
  isSessionRevoked(sid: string): MaybePromise<boolean> {
    return this.revocation.isSessionRevoked(sid, this.verifier.generation());
  }

  /** Revoke a whole session (its refresh family). */
  revokeSession(sid: string, reason: string): Promise<void> {
    return this.revocation.revokeFamily(sid, reason);
  }

  /** Deny one access token until it expires (needs `accessTokenDenylist`). */
  denyAccessToken(claims: Claims): Promise<void> {
    return this.revocation.denyAccessToken(claims);
  }

  /** Delete rows no longer needed to refuse any token (see `JwtRevocation.flushExpired`). */
  flushExpired(): Promise<number> {
    return this.revocation.flushExpired();
  }

  /** The messages entry of simplejwt's `Given token not valid for any token type`. */
  static message(kind: TokenKind, message: string) {
    return kindMessage(kind, message);
  }
}
