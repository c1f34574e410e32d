/**
 * simplejwt's token kinds, messages and claim checks.
 *
 * `checkClaims` reproduces what PyJWT's `decode` and simplejwt's `Token.verify` check,
 * in their order, with simplejwt 5.5's messages: time claims (`exp` must be a finite
 * integer; `nbf`/`iat` must not be in the future; leeway applies), audience and issuer,
 * then `exp` present, `jti` present, token type.
 */
import { ExpectedError } from '../core/expected-error.js';
import type { Settings } from '../core/settings.js';

export type TokenKind = 'access' | 'refresh' | 'sliding';
export type JwtSettings = Settings['jwt'];

/** simplejwt's class name per token kind (the `token_class` of error messages). */
export const TOKEN_CLASS: Record<TokenKind, string> = {
  access: 'AccessToken',
  refresh: 'RefreshToken',
  sliding: 'SlidingToken',
};

export const TOKEN_INVALID = 'Token is invalid';
export const TOKEN_EXPIRED = 'Token is expired';
export const TOKEN_BLACKLISTED = 'Token is blacklisted';
export const WRONG_TYPE = 'Token has wrong type';
export const NO_TYPE = 'Token has no type';
export const NO_ID = 'Token has no id';
export const noClaim = (claim: string) => `Token has no '${claim}' claim`;
export const claimExpired = (claim: string) => `Token '${claim}' claim has expired`;

/** simplejwt's `TokenError`: a token failed validation; the message goes on the wire. */
export class TokenError extends ExpectedError {}

/** A verified token's claims (a null-prototype object from the JWS layer). */
export type Claims = Record<string, unknown>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * PyJWT's registered-claim checks (`exp`, `nbf`, `iat`, `aud`, `iss`) at `now` (epoch
 * seconds, integer). Expired ⇒ `Token is expired`; anything else ⇒ `Token is invalid`.
 */
export function checkRegisteredClaims(claims: Claims, now: number, s: JwtSettings): void {
  const leeway = s.leeway / 1000;
  if (claims.exp !== undefined) {
    if (!isInt(claims.exp)) throw new TokenError(TOKEN_INVALID);
    if (claims.exp <= now - leeway) throw new TokenError(TOKEN_EXPIRED);
  }
  if (claims.nbf !== undefined && (!isNum(claims.nbf) || claims.nbf > now + leeway)) throw new TokenError(TOKEN_INVALID);
  if (claims.iat !== undefined && (!isNum(claims.iat) || claims.iat > now + leeway)) throw new TokenError(TOKEN_INVALID);
  if (s.audience !== null) {
    const wanted = Array.isArray(s.audience) ? s.audience : [s.audience];
    const aud = claims.aud;
    const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : null;
    // Exact string equality only (never substring): catalogue D35.
    if (!given || !given.some((a) => wanted.includes(a))) throw new TokenError(TOKEN_INVALID);
  }
  if (s.issuer !== null && claims.iss !== s.issuer) throw new TokenError(TOKEN_INVALID);
}

/** simplejwt `Token.check_exp(claim)`: present and not passed (with leeway). */
export function checkExp(claims: Claims, claim: string, now: number, s: JwtSettings): void {
  const value = claims[claim];
  if (value === undefined) throw new TokenError(noClaim(claim));
  if (!isNum(value)) throw new TokenError(TOKEN_INVALID);
  if (value <= now - s.leeway / 1000) throw new TokenError(claimExpired(claim));
}

/**
 * simplejwt `Token.verify` after decoding: `exp` present and valid, `jti` present (when
 * `jtiClaim` is set), then the type (`expected` null = untyped, as `UntypedToken`).
 */
export function checkTokenClaims(claims: Claims, expected: TokenKind | null, now: number, s: JwtSettings): void {
  checkExp(claims, 'exp', now, s);
  if (s.jtiClaim !== null && (claims[s.jtiClaim] === undefined || claims[s.jtiClaim] === null)) throw new TokenError(NO_ID);
  if (expected !== null && s.tokenTypeClaim !== null) {
    const type = claims[s.tokenTypeClaim];
    if (type === undefined) throw new TokenError(NO_TYPE);
    if (type !== expected) throw new TokenError(WRONG_TYPE);
  }
}

/** The token's id as a string (jti values from other issuers may be any JSON). */
export function jtiOf(claims: Claims, s: JwtSettings): string | null {
  if (s.jtiClaim === null) return null;
  const v = claims[s.jtiClaim];
  return typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v);
}
