/**
 * Minting tokens (simplejwt's `Token.for_user`, `RefreshToken.access_token`): claims in
 * simplejwt's key order, `aud`/`iss` appended as PyJWT does, signed by the key ring's
 * current signer. Every issued token comes back with what callers need to know about it
 * (`exp`, `jti`, session), so nothing downstream decodes a payload.
 */
import { randomBytes } from 'node:crypto';
import type { JsonValue } from '../core/errors.js';
import type { User } from '../core/user.js';
import { jtiOf, type Claims, type JwtSettings, type TokenKind } from './claims.js';
import { sign } from './jws/index.js';
import type { VerifierOptions } from './verifier.js';

/** Extra claims for a user at obtain time (simplejwt's custom `get_token` use case). */
export type ClaimsHook = (user: User) => Record<string, JsonValue> | Promise<Record<string, JsonValue>>;

/** A signed token and what its claims say about it. */
export interface IssuedToken {
  token: string;
  /** Epoch seconds. */
  exp: number;
  jti: string | null;
  /** The session (refresh family) id it carries, or null. */
  family: string | null;
}

/** What the issuer needs: the verifier's collaborators, plus the claims hook and the session claim. */
export interface IssuerOptions extends VerifierOptions {
  claims?: ClaimsHook;
  sessionClaim: string | null;
}

export const newJti = (): string => randomBytes(16).toString('hex');

/**
 * An empty claim set without a prototype: claims are copied in by assignment, and on an
 * ordinary object a claim named `__proto__` would replace the prototype instead of being
 * copied (the signed payload parser gives every object a null prototype for the same reason).
 */
export const newClaims = (): Claims => Object.create(null) as Claims;

/** Reserved claims a custom-claims hook may not set. */
const RESERVED = new Set(['exp', 'iat', 'nbf', 'jti', 'aud', 'iss']);

export class JwtIssuer {
  private readonly s: JwtSettings;

  constructor(private readonly o: IssuerOptions) {
    this.s = o.settings;
  }

  /** The current time in epoch seconds (PyJWT's integer `now`). */
  nowSeconds(): number {
    return Math.floor(this.o.clock.now() / 1000);
  }

  /** Sign `claims` and describe the result. */
  async issue(claims: Claims): Promise<IssuedToken> {
    const payload: Claims = { ...claims };
    if (this.s.audience !== null) payload.aud = this.s.audience;
    if (this.s.issuer !== null) payload.iss = this.s.issuer;
    const token = sign(payload, await this.o.keys.signer());
    const family = this.o.sessionClaim ? claims[this.o.sessionClaim] : undefined;
    return { token, exp: claims.exp as number, jti: jtiOf(claims, this.s), family: typeof family === 'string' ? family : null };
  }

  /** The base claims of a new token of `kind` (simplejwt's key order). */
  private base(kind: TokenKind, iat: number, lifetimeMs: number): Claims {
    const claims = newClaims();
    if (this.s.tokenTypeClaim !== null) claims[this.s.tokenTypeClaim] = kind;
    claims.exp = iat + Math.floor(lifetimeMs / 1000);
    claims.iat = iat;
    if (this.s.jtiClaim !== null) claims[this.s.jtiClaim] = newJti();
    return claims;
  }

  /** Claims describing the user: id, revocation claim, custom claims. */
  private async userClaims(user: User): Promise<Claims> {
    const claims = newClaims();
    claims[this.s.userIdClaim] = this.o.users.idValue(user);
    if (this.s.checkRevokeToken) {
      claims[this.s.revokeTokenClaim] = await this.o.revocation.revokeClaimFor(user, this.o.stores.changes.generation());
    }
    if (this.o.claims) {
      for (const [k, v] of Object.entries(await this.o.claims(user))) {
        if (!RESERVED.has(k) && k !== this.s.tokenTypeClaim && k !== this.s.jtiClaim && k !== this.o.sessionClaim) claims[k] = v;
      }
    }
    return claims;
  }

  /** An access token derived from refresh claims (simplejwt `RefreshToken.access_token`, 5.5.1: fresh `iat`). */
  access(refreshClaims: Claims, iat = this.nowSeconds()): Promise<IssuedToken> {
    const access = this.base('access', iat, this.s.accessTokenLifetime);
    const skip = new Set(['exp', 'iat', 'aud', 'iss', this.s.tokenTypeClaim, this.s.jtiClaim]);
    for (const [k, v] of Object.entries(refreshClaims)) if (!skip.has(k)) access[k] = v;
    return this.issue(access);
  }

  /**
   * `POST /api/token/`: a refresh + access pair; the refresh token starts a new family (recorded first).
   * Throws `StaleGeneration` when the user's credential generation moved since `user` was read
   * (src/stores/generation.ts): nothing is recorded, and the login must fail.
   */
  async pair(user: User): Promise<{ refresh: IssuedToken; access: IssuedToken }> {
    const iat = this.nowSeconds();
    const refresh = { ...this.base('refresh', iat, this.s.refreshTokenLifetime), ...(await this.userClaims(user)) };
    const max = this.s.refreshMaxLifetime;
    const notAfter = max === null ? null : this.o.clock.now() + max;
    if (notAfter !== null) refresh.exp = Math.min(refresh.exp as number, Math.floor(notAfter / 1000));
    const familyId = newJti();
    if (this.o.sessionClaim) refresh[this.o.sessionClaim] = familyId;
    const jti = jtiOf(refresh, this.s);
    if (jti !== null) {
      await this.o.stores.jwt.recordOutstanding(
        { jti, userId: user.id, tokenType: 'refresh', familyId, createdAt: this.o.clock.now(), expiresAt: (refresh.exp as number) * 1000 },
        notAfter,
        user.credentialGeneration,
      );
    }
    return { refresh: await this.issue(refresh), access: await this.access(refresh, iat) };
  }

  /** `POST /api/token/sliding/` (recorded, so it can be blacklisted). */
  async sliding(user: User): Promise<IssuedToken> {
    const iat = this.nowSeconds();
    const claims = this.base('sliding', iat, this.s.slidingTokenLifetime);
    claims[this.s.slidingTokenRefreshExpClaim] = iat + Math.floor(this.s.slidingTokenRefreshLifetime / 1000);
    Object.assign(claims, await this.userClaims(user));
    const jti = jtiOf(claims, this.s);
    if (jti !== null) {
      await this.o.stores.jwt.recordOutstanding({
        jti,
        userId: user.id,
        tokenType: 'sliding',
        familyId: null,
        createdAt: this.o.clock.now(),
        expiresAt: (claims[this.s.slidingTokenRefreshExpClaim] as number) * 1000,
      }, null, user.credentialGeneration);
    }
    return this.issue(claims);
  }

  /** The same claims with a new `iat`/`exp` (and `jti` when given): a rotated refresh or refreshed sliding token. */
  reissue(claims: Claims, iat: number, exp: number, jti?: string): Promise<IssuedToken> {
    const next: Claims = { ...claims, exp, iat };
    if (jti !== undefined && this.s.jtiClaim !== null) next[this.s.jtiClaim] = jti;
    return this.issue(next);
  }
}
