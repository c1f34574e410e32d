/**
 * Opaque token keys: generation, digest and lookup prefix.
 *
 * A key is 32 bytes from the CSPRNG as 64 lowercase hex characters (256 bits, like
 * knox). Only `prefix` (the first 8 characters, 32 bits, used to find candidate rows)
 * and the SHA-256 digest of the whole key are stored. A plain SHA-256 is enough: the
 * key has 224+ secret bits after the prefix, so there is nothing to brute-force, and
 * unlike a keyed hash it survives a change of `secretKey`. Legacy DRF keys (40 hex,
 * 160 bits) are stored the same way.
 *
 * Tokens imported from django-rest-knox keep knox's digest: the SHA-512 of the token
 * (128 hex characters), so the length of a stored digest says which hash made it
 * (`storedDigestMatches`); knox's `token_key` starts with the same 8-character prefix.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const PREFIX_LENGTH = 8;

/** A new random key: 64 lowercase hex characters. */
export function generateKey(): string {
  return randomBytes(32).toString('hex');
}

/** The non-secret lookup prefix of a key (fewer characters for very short input). */
export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}

/** Hex SHA-256 of the key's UTF-8 bytes. */
export function keyDigest(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Hex SHA-512 of the key's UTF-8 bytes: django-rest-knox 4.2+'s digest (`hash_token`). */
export function knoxDigest(key: string): string {
  return hash('sha512', key, 'hex');
}

/** Length of a knox digest (SHA-512, hex); Gatehouse's own are 64 (SHA-256). */
export const KNOX_DIGEST_LENGTH = 128;

/**
 * Does a stored digest belong to `key`? `sha256` is the key's SHA-256 (computed once
 * per lookup by the caller); a 128-character digest (an imported knox token) is
 * compared with the key's SHA-512. Constant time for a given digest length.
 */
export function storedDigestMatches(stored: string, key: string, sha256: string): boolean {
  return digestsEqual(stored, stored.length === KNOX_DIGEST_LENGTH ? knoxDigest(key) : sha256);
}

/** Constant-time equality of two hex digests (false when lengths differ). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

/** DRF authtoken keys: exactly 40 lowercase hex characters. */
export function isLegacyDrfKey(key: string): boolean {
  return /^[0-9a-f]{40}$/.test(key);
}
