/**
 * CSRF tokens for cookie mode: OWASP's "Signed Double-Submit Cookie".
 *
 * A token is `<random>.<exp>.<mac>`: 144 random bits, an expiry (epoch seconds) and an
 * HMAC-SHA256 over (purpose, session id, random, expiry) with a key derived by HKDF
 * from the server `secretKey` for this purpose only (never the JWT signing key,
 * docs/security.md #105). The client echoes the cookie's value in a header; the server checks
 * that header and cookie are equal AND that the MAC binds the token to the session the
 * request authenticates with. A token from another session, an expired one, or any
 * value an attacker picks for both cookie and header (naive double submit) is refused
 * (docs/security.md #73).
 *
 * Two purposes, so a token of one kind is never accepted as the other:
 * - `session`: bound to the `sid` claim of the JWTs (the refresh family id);
 * - `pre`: bound to a random pre-session id kept in an HttpOnly cookie, for login
 *   (there is no session yet; OWASP "login CSRF ... pre-sessions").
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export type CsrfPurpose = 'session' | 'pre';

const TOKEN = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** Django's reasons (`CsrfViewMiddleware`, 4.x), after `CSRF Failed: `. */
export const REASON_NO_CSRF_COOKIE = 'CSRF cookie not set.';
export const REASON_CSRF_TOKEN_MISSING = 'CSRF token missing.';
export const REASON_CSRF_TOKEN_INCORRECT = 'CSRF token incorrect.';

/** A fresh random id (144 bits, base64url): pre-session ids. */
export function randomId(): string {
  return randomBytes(18).toString('base64url');
}

/** Constant-time string equality (lengths may differ; that much leaks). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', 'csrf token hmac v1', 32));
  }

  private mac(purpose: CsrfPurpose, sid: string, random: string, exp: number): string {
    // Length-prefixed fields: no two inputs share an encoding.
    return createHmac('sha256', this.key)
      .update(`gatehouse-csrf-v1\n${purpose}\n${sid.length}:${sid}\n${random}\n${exp}`)
      .digest('base64url');
  }

  /** A new token for a session (or pre-session) id, valid until `exp` (epoch seconds). */
  issue(purpose: CsrfPurpose, sid: string, exp: number): string {
    const random = randomBytes(18).toString('base64url');
    return `${random}.${exp}.${this.mac(purpose, sid, random, exp)}`;
  }

  /** Is `token` a well-formed, unexpired token of `purpose` for `sid` at `now` (epoch seconds)? */
  verify(token: string, purpose: CsrfPurpose, sid: string, now: number): boolean {
    const m = TOKEN.exec(token);
    if (!m) return false;
    const exp = Number(m[2]);
    const expected = this.mac(purpose, sid, m[1] as string, exp);
    // The MAC is compared first, in constant time, whatever the expiry.
    return sameString(expected, m[3] as string) && now < exp;
  }
}
