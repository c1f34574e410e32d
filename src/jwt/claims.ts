/**
 * simplejwt's token kinds, messages and claim checks.
 *
 * `checkClaims` reproduces what PyJWT's `decode` and simplejwt's `Token.verify` check,
 * in their order, with simplejwt 5.5's messages: time claims (`exp` must be a finite
 * integer; `nbf`/`iat` must not be in the future; leeway applies), audience and issuer,
 * then `exp` present, `jti` present, token type — and, beyond simplejwt, an `exp` no
 * further ahead than the type's lifetime (`lifetimeSlack`) and a user id claim in its
 * canonical form (`strictUserId`).
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
    // Exact string equality only (never substring).
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
  checkLifetime(claims, expected, now, s);
}

/** The lifetime (ms) of new tokens of `kind`. */
export function lifetimeOf(kind: TokenKind, s: JwtSettings): number {
  return kind === 'access' ? s.accessTokenLifetime : kind === 'refresh' ? s.refreshTokenLifetime : s.slidingTokenLifetime;
}

/** The kind whose lifetime bounds an untyped token: its type claim when it names one, else the longest. */
function boundingKind(claims: Claims, s: JwtSettings): TokenKind {
  const type = s.tokenTypeClaim === null ? undefined : claims[s.tokenTypeClaim];
  if (type === 'access' || type === 'refresh' || type === 'sliding') return type;
  return (['access', 'refresh', 'sliding'] as const).reduce((a, b) => (lifetimeOf(b, s) > lifetimeOf(a, s) ? b : a));
}

/**
 * No token lives longer than this server would have made it: `exp` at most now + the
 * kind's lifetime + leeway + `lifetimeSlack` (a sliding token's refresh deadline likewise),
 * else `Token is invalid`. Off when `lifetimeSlack` is null.
 */
export function checkLifetime(claims: Claims, expected: TokenKind | null, now: number, s: JwtSettings): void {
  if (s.lifetimeSlack === null) return;
  const kind = expected ?? boundingKind(claims, s);
  const margin = s.leeway + s.lifetimeSlack;
  if (isBeyond(claims.exp, now, lifetimeOf(kind, s) + margin)) throw new TokenError(TOKEN_INVALID);
  if (kind === 'sliding' && isBeyond(claims[s.slidingTokenRefreshExpClaim], now, s.slidingTokenRefreshLifetime + margin)) {
    throw new TokenError(TOKEN_INVALID);
  }
}

/** Is a time claim (epoch s) later than `now` + `ms`? */
const isBeyond = (value: unknown, now: number, ms: number): boolean => typeof value === 'number' && value > now + ms / 1000;

/** An id's canonical decimal form: no sign but `-`, no leading zero, no space, no fraction. */
const CANONICAL_ID = /^(?:0|-?[1-9][0-9]{0,15})$/;
/** What older versions accepted (leading zeros too). */
const LENIENT_ID = /^[0-9]{1,15}$/;

/**
 * The user id claim of a token (simplejwt 5.5.1 writes `"1"`, older versions `1`), or
 * null when there is none (simplejwt's `Token contained no recognizable user
 * identification`). Whether it names a user is `numericUserId`'s question.
 */
export function userIdOf(claims: Claims, s: JwtSettings): number | string | null {
  const v = claims[s.userIdClaim];
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * The numeric id named by `userIdOf`'s answer (`userIdField: id`), or null when it names
 * none: with `strictUserId`, only an id's canonical form does (`1`, `"1"`); `"01"`,
 * `"+1"`, `" 1"`, `"1.0"` are not aliases of user 1.
 */
export function numericUserId(id: number | string, s: JwtSettings): number | null {
  if (typeof id === 'number') return id;
  if (!(s.strictUserId ? CANONICAL_ID : LENIENT_ID).test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

/** The token's id as a string (jti values from other issuers may be any JSON). */
export function jtiOf(claims: Claims, s: JwtSettings): string | null {
  if (s.jtiClaim === null) return null;
  const v = claims[s.jtiClaim];
  return typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v);
}
