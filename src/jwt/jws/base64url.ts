/**
 * Strict base64url (RFC 4648 §5, no padding, RFC 7515 §2).
 *
 * Node's own `Buffer.from(s, 'base64url')` is lenient: it skips characters outside
 * the alphabet, accepts `+`, `/` and `=`, and ignores non-zero trailing bits. This
 * module accepts only the canonical encoding: alphabet `A-Z a-z 0-9 - _`, no `=`, no
 * whitespace, length mod 4 ≠ 1, and unused trailing bits equal to zero — which is
 * exactly the set of strings for which `encode(decode(s)) === s`.
 */
import { JwsError } from './errors.js';

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** 6-bit value of each alphabet character, -1 elsewhere (indexed by char code < 128). */
const VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = i;
  return t;
})();

/**
 * True when `s` is canonical unpadded base64url (the empty string included).
 * Never throws.
 */
export function isCanonicalBase64url(s: string): boolean {
  const n = s.length;
  const rem = n & 3;
  if (rem === 1 || !ALPHABET.test(s)) return false;
  if (rem === 0) return true;
  // 2 chars carry 1 byte (4 unused bits), 3 chars carry 2 bytes (2 unused bits).
  const v = VALUE[s.charCodeAt(n - 1)] ?? -1;
  return (v & (rem === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Decodes canonical base64url. Throws `JwsError('malformed')` for anything
 * {@link isCanonicalBase64url} refuses. The error never quotes the input.
 */
export function decodeBase64url(s: string): Buffer {
  if (!isCanonicalBase64url(s)) throw new JwsError('malformed', 'invalid base64url');
  return Buffer.from(s, 'base64url');
}

/** Encodes bytes (or a string as UTF-8) to unpadded base64url. */
export function encodeBase64url(data: Uint8Array | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64url');
}

/** Number of base64url characters that encode `byteLength` bytes without padding. */
export function base64urlLength(byteLength: number): number {
  const rem = byteLength % 3;
  return ((byteLength - rem) / 3) * 4 + (rem === 0 ? 0 : rem + 1);
}
