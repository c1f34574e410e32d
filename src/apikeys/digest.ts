/**
 * What is stored of an API key: the hex SHA-256 of the whole key (with its lookup id in
 * its own column). A plain hash, not an HMAC keyed by `secretKey`, as opaque tokens
 * (docs/security.md #155): the secret part has ≈ 190 random bits, so a leaked digest
 * cannot be brute-forced either way, and a plain hash survives a rotation of `secretKey`
 * (an HMAC would silently invalidate every key the day the server secret changes).
 * Compared in constant time.
 */
import { hash } from 'node:crypto';
import { digestsEqual } from '../tokens/keys.js';

export function apiKeyDigest(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Constant-time comparison of a stored digest with a presented key's. */
export function apiKeyDigestMatches(stored: string, digest: string): boolean {
  return digestsEqual(stored, digest);
}
