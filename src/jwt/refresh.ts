/**
 * simplejwt's refresh, sliding refresh, verify and blacklist views as operations. A
 * refresh with rotation is decided by `decideRotation` inside the store's lock: one winner
 * among concurrent callers; a retry within `reuseGrace` gets the same replacement; a token
 * that was rotated away (the predecessor or older) revokes its whole family.
 */
import { AuthenticationFailed } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { noEvents, type EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import type { NewOutstandingToken, Stores } from '../stores/types.js';
import { TOKEN_BLACKLISTED, TokenError, checkExp, jtiOf, userIdOf, type Claims, type JwtSettings, type TokenKind } from './claims.js';
import { NO_ACTIVE_ACCOUNT_FOR_TOKEN, PASSWORD_CHANGED, invalidToken } from './errors.js';
import { newJti, type IssuedToken, type JwtIssuer } from './issuer.js';
import type { JwtRevocation } from './revocation.js';
import { decideRotation } from './rotation.js';
import type { JwtUsers } from './users.js';
import type { JwtVerifier } from './verifier.js';

export interface RefresherOptions {
  settings: JwtSettings;
  stores: Stores;
  clock: Clock;
  users: JwtUsers;
  revocation: JwtRevocation;
  verifier: JwtVerifier;
  issuer: JwtIssuer;
  /** Told of refreshes, rotations and blacklisting. */
  events?: EventSink;
}

/** What `/api/token/refresh/` hands out. */
export interface Refreshed {
  access: IssuedToken;
  /** With rotation: the replacement refresh token. */
  refresh?: IssuedToken;
}

export class JwtRefresher {
  private readonly s: JwtSettings;
  private readonly events: EventSink;

  constructor(private readonly o: RefresherOptions) {
    this.s = o.settings;
    this.events = o.events ?? noEvents;
  }

  /** `validate` with simplejwt's view answer: a `TokenError` becomes 401 `token_not_valid`. */
  async validated(token: string, kind: TokenKind | null): Promise<Claims> {
    try {
      return await this.o.verifier.validate(token, kind);
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
  }

  /**
   * The user named by a refresh/sliding token, refused as simplejwt ≥ 5.4 (master for
   * deleted users): 401 `No active account found for the given token.`; with
   * `checkRevokeToken`, a stale revocation claim blacklists the token and answers
   * `The user's password has been changed.`
   */
  private async liveUser(claims: Claims, kind: 'refresh' | 'sliding'): Promise<User> {
    const id = userIdOf(claims, this.s);
    const user = id === null ? null : await this.o.users.find(id);
    if (!user || !this.o.users.canAuthenticate(user)) throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT_FOR_TOKEN);
    if (this.s.checkRevokeToken) {
      const current = await this.o.revocation.revokeClaimFor(user, this.o.stores.changes.generation());
      if (claims[this.s.revokeTokenClaim] !== current) {
        const row = this.recordOf(claims, kind, user.id);
        if (row !== null) await this.o.stores.jwt.blacklist(row, this.o.clock.now());
        throw new AuthenticationFailed(PASSWORD_CHANGED);
      }
    }
    return user;
  }

  /** The outstanding-token row of a presented token (recorded if the server never saw it), or null without a `jti`. */
  private recordOf(claims: Claims, kind: 'refresh' | 'sliding', userId: number | null): NewOutstandingToken | null {
    const jti = jtiOf(claims, this.s);
    if (jti === null) return null;
    const expClaim = kind === 'sliding' ? this.s.slidingTokenRefreshExpClaim : 'exp';
    const exp = typeof claims[expClaim] === 'number' ? (claims[expClaim] as number) : Math.floor(this.o.clock.now() / 1000);
    return { jti, userId, tokenType: kind, familyId: null, createdAt: this.o.clock.now(), expiresAt: exp * 1000 };
  }

  /**
   * `POST /api/token/refresh/`. Without rotation: a new access token. With rotation: a
   * new refresh token too (same claims, new `jti`/`iat`/`exp`, never past the family's
   * absolute end), as the store's rotation decided.
   */
  async refresh(token: string): Promise<Refreshed> {
    const claims = await this.validated(token, 'refresh');
    const user = await this.liveUser(claims, 'refresh');
    const iat = Math.floor(this.o.clock.now() / 1000);
    if (!this.s.rotateRefreshTokens) {
      const access = await this.o.issuer.access(claims, iat);
      this.events({ event: 'token_refreshed', userId: user.id });
      return { access };
    }
    const current = this.recordOf(claims, 'refresh', user.id);
    if (current === null) {
      // Nothing to rotate by (jtiClaim disabled): simplejwt's plain rotation.
      const exp = iat + Math.floor(this.s.refreshTokenLifetime / 1000);
      const refreshed = { access: await this.o.issuer.access(claims, iat), refresh: await this.o.issuer.reissue(claims, iat, exp) };
      this.events({ event: 'token_rotated', userId: user.id, familyId: null, grace: false });
      return refreshed;
    }
    return this.rotate(claims, current, iat);
  }

  private async rotate(claims: Claims, current: NewOutstandingToken, iat: number): Promise<Refreshed> {
    const jwt = this.o.stores.jwt;
    const known = await jwt.getOutstanding(current.jti);
    const family = known?.familyId ? await jwt.getFamily(known.familyId) : null;
    const max = this.s.refreshMaxLifetime;
    const notAfter = family ? family.notAfter : max === null ? null : this.o.clock.now() + max;
    let exp = iat + Math.floor(this.s.refreshTokenLifetime / 1000);
    if (notAfter !== null) exp = Math.min(exp, Math.floor(notAfter / 1000));
    if (exp <= iat) throw invalidToken(TOKEN_BLACKLISTED);
    const now = this.o.clock.now();
    const next = { jti: newJti(), userId: current.userId, tokenType: 'refresh' as const, familyId: null, createdAt: now, expiresAt: exp * 1000, iat, exp };
    const policy = this.o.revocation.policy;
    const result = await jwt.rotate({ current, next, now, familyNotAfter: notAfter, decide: (state) => decideRotation(state, policy, now) });
    const familyId = known?.familyId ?? null;
    const userId = current.userId as number;
    switch (result.kind) {
      case 'rotated': {
        const refreshed = { access: await this.o.issuer.access(claims, iat), refresh: await this.o.issuer.reissue(claims, iat, exp, next.jti) };
        this.events({ event: 'token_rotated', userId, familyId, grace: false });
        return refreshed;
      }
      case 'grace': {
        const r = result.replacement;
        const refreshed = { access: await this.o.issuer.access(claims, iat), refresh: await this.o.issuer.reissue(claims, r.iat, r.exp, r.jti) };
        this.events({ event: 'token_rotated', userId, familyId, grace: true });
        return refreshed;
      }
      case 'reused':
        this.o.revocation.familyRevoked(userId, familyId);
        throw invalidToken(TOKEN_BLACKLISTED);
      default:
        throw invalidToken(TOKEN_BLACKLISTED);
    }
  }

  /** `POST /api/token/sliding/refresh/`: same claims and `jti`, new `exp`/`iat`, until `refresh_exp`. */
  async refreshSliding(token: string): Promise<IssuedToken> {
    const claims = await this.validated(token, 'sliding');
    try {
      checkExp(claims, this.s.slidingTokenRefreshExpClaim, Math.floor(this.o.clock.now() / 1000), this.s);
    } catch (e) {
      throw e instanceof TokenError ? invalidToken(e.message) : e;
    }
    await this.liveUser(claims, 'sliding');
    const iat = Math.floor(this.o.clock.now() / 1000);
    return this.o.issuer.reissue(claims, iat, iat + Math.floor(this.s.slidingTokenLifetime / 1000));
  }

  /**
   * `POST /api/token/verify/`: an untyped check (signature, `exp`, `jti`). A recorded
   * token that was rotated away revokes its family here too. Returns false when the token
   * no longer stands and `blacklistAfterRotation` is on (simplejwt then answers 400
   * `non_field_errors`: it consults the blacklist only then). Throws `invalidToken` otherwise.
   */
  async verify(token: string): Promise<boolean> {
    const claims = await this.validated(token, null);
    const status = await this.o.revocation.status(claims);
    return !this.s.blacklistAfterRotation || status === null || status === 'valid';
  }

  /** `POST /api/token/blacklist/`: blacklist a refresh token and revoke its family. */
  async blacklist(token: string): Promise<void> {
    const claims = await this.validated(token, 'refresh');
    const id = userIdOf(claims, this.s);
    const user = id === null ? null : await this.o.users.find(id);
    const row = this.recordOf(claims, 'refresh', user?.id ?? null);
    if (row !== null && !(await this.o.revocation.blacklist(row))) throw invalidToken(TOKEN_BLACKLISTED);
    this.events({ event: 'token_blacklisted', userId: user?.id ?? null });
  }
}
