/**
 * The mechanics Django's link tokens share: `salted_hmac` (key = H(key_salt + secret),
 * then HMAC-H), constant-time string comparison, base 36 / base 62 integers and unpadded
 * URL-safe base 64. Inputs reaching the parsers here are already length-capped by their
 * callers; the parsers are linear and strict (canonical forms only).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HashName = 'sha256' | 'sha1';

/** Django's `salted_hmac(key_salt, value, secret, algorithm=…)` digest. */
export function saltedHmac(keySalt: string, value: string | Buffer, secret: string, algorithm: HashName): Buffer {
  const key = createHash(algorithm).update(Buffer.from(keySalt + secret, 'utf8')).digest();
  return createHmac(algorithm, key).update(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).digest();
}

/** Constant-time equality of two strings (length differences return false at once: lengths are public here). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function encode(n: number, digits: string): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('a non-negative safe integer is required');
  let out = '';
  do {
    out = digits[n % digits.length] + out;
    n = Math.floor(n / digits.length);
  } while (n > 0);
  return out;
}

/** The value of `s` in `digits` (canonical: no sign, no leading zero but for "0"), or null past a safe integer. */
function decode(s: string, digits: string): number | null {
  if (s === '' || (s.length > 1 && s[0] === digits[0])) return null;
  let n = 0;
  for (const ch of s) {
    const d = digits.indexOf(ch);
    if (d < 0) return null;
    n = n * digits.length + d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

/** Django's `int_to_base36`. */
export const toBase36 = (n: number): string => encode(n, BASE36);
/** Canonical lower-case base 36 → integer, or null. */
export const fromBase36 = (s: string): number | null => decode(s, BASE36);
/** Django's `baseconv.base62.encode`. */
export const toBase62 = (n: number): string => encode(n, BASE62);
/** Canonical base 62 → integer, or null. */
export const fromBase62 = (s: string): number | null => decode(s, BASE62);

/** Unpadded URL-safe base 64 (Django's `urlsafe_base64_encode` / `signing.b64_encode`). */
export const b64url = (bytes: Buffer): string => bytes.toString('base64url');

/**
 * Strict URL-safe base 64 decoding, padding optional: only the alphabet, a length that
 * is a whole number of bytes, and no stray bits (so each byte string has one spelling).
 */
export function fromB64url(s: string): Buffer | null {
  const bare = s.replace(/={1,2}$/, '');
  if (bare !== s && s.length % 4 !== 0) return null;
  if (!/^[A-Za-z0-9_-]*$/.test(bare) || bare.length % 4 === 1) return null;
  const bytes = Buffer.from(bare, 'base64url');
  return b64url(bytes) === bare ? bytes : null;
}
