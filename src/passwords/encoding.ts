/**
 * Small shared helpers for the hashers: password bytes, Django-style random strings
 * and salts, strict base64, strict decimals and constant-time comparison.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';

/** Longest password accepted, in UTF-8 bytes (longer ones: hash throws, verify is false). */
export const MAX_PASSWORD_BYTES = 4096;

/** Django's `RANDOM_STRING_CHARS`: `string.ascii_letters + string.digits`. */
export const RANDOM_STRING_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Django's `BasePasswordHasher.salt_entropy`. */
export const SALT_ENTROPY_BITS = 128;

/** Characters of a new salt: ceil(128 / log2(62)) = 22, as Django ≥ 3.2. */
export const SALT_LENGTH = Math.ceil(SALT_ENTROPY_BITS / Math.log2(RANDOM_STRING_CHARS.length));

/** Why a password string cannot be hashed (or verified). */
export type PasswordProblem = 'not-a-string' | 'too-long' | 'not-well-formed';

/**
 * The UTF-8 bytes of a password, exactly as Django's `password.encode()`: no
 * normalization, no trimming, no case folding; NUL and any other code point kept.
 * Returns a problem instead when the value is not a string, is longer than
 * `MAX_PASSWORD_BYTES` bytes, or contains a lone surrogate (no UTF-8 form). Never throws.
 */
export function passwordBytes(password: unknown): Buffer | PasswordProblem {
  if (typeof password !== 'string') return 'not-a-string';
  // Every UTF-16 code unit takes at least one UTF-8 byte: a cheap early bound.
  if (password.length > MAX_PASSWORD_BYTES) return 'too-long';
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length > MAX_PASSWORD_BYTES) return 'too-long';
  // Lone surrogates are encoded as U+FFFD; a round trip tells them apart.
  if (bytes.toString('utf8') !== password) return 'not-well-formed';
  return bytes;
}

/**
 * A random string of `length` characters from [a-zA-Z0-9], like Django's
 * `get_random_string` (CSPRNG, no modulo bias). Throws RangeError for a bad length.
 */
export function randomString(length: number): string {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('length must be a non-negative integer');
  let out = '';
  for (let i = 0; i < length; i++) out += RANDOM_STRING_CHARS[randomInt(RANDOM_STRING_CHARS.length)];
  return out;
}

/**
 * Django's `must_update_salt`: true when a salt of `chars` characters carries fewer
 * than 128 bits if each character counted log2(62) bits (i.e. fewer than 22 chars).
 */
export function saltTooShort(chars: number): boolean {
  return chars * Math.log2(RANDOM_STRING_CHARS.length) < SALT_ENTROPY_BITS;
}

/** Length of a string in code points (Python's `len()` on a `str`). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * A positive decimal integer in canonical spelling (no sign, no leading zero, no
 * spaces, at most `max`), as Python's `%d` writes it. Returns null for anything else,
 * so a re-encoded hash string is byte-identical to the stored one.
 */
export function parseCanonicalInt(s: string, max: number): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

/**
 * Decode standard base64 (`+/` alphabet) in canonical form: with `padded`, the exact
 * output of Python's `base64.b64encode`; without, the unpadded form argon2 uses.
 * Returns null when the text is not exactly what encoding the bytes would produce.
 */
export function decodeBase64Strict(s: string, padded: boolean): Buffer | null {
  const re = padded ? /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ : /^[A-Za-z0-9+/]*$/;
  if (s.length === 0 || !re.test(s)) return null;
  const bytes = Buffer.from(s, 'base64');
  return encodeBase64(bytes, padded) === s ? bytes : null;
}

/** Standard base64 of `bytes`, with or without `=` padding. */
export function encodeBase64(bytes: Uint8Array, padded: boolean): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return padded ? s : s.replace(/=+$/, '');
}

/**
 * Constant-time equality of two byte strings (`crypto.timingSafeEqual`). Inputs of
 * different lengths are unequal; the comparison still runs (on `a` against itself) so
 * that the time does not depend on where the inputs differ.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** `constantTimeEqual` on the UTF-8 bytes of two strings (Django's `constant_time_compare`). */
export function constantTimeEqualStrings(a: string, b: string): boolean {
  return constantTimeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
