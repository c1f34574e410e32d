/**
 * API key format: `<prefix><lookup id>_<secret><checksum>`, e.g.
 * `gk_Ab3dE6gH_<32 base62 characters><6 base62 characters>`.
 *
 * - prefix: recognisable and configurable (`apiKeys.prefix`, default `gk_`), so secret
 *   scanners can find leaked keys (as GitHub's `ghp_`);
 * - lookup id: 8 base62 characters, not secret, the index the store finds the row by;
 * - secret: 32 base62 characters from `crypto.randomBytes` (≈ 190 bits), rejection-sampled
 *   so every character is uniform;
 * - checksum: CRC32 of everything before it, as 6 base62 characters (zero-padded), so a
 *   scanner can tell a real key from a look-alike offline. It is NOT a secret and proves
 *   nothing about authenticity: the store's digest does that.
 *
 * `parseApiKey` is the one place that decides whether a presented string is a key of
 * ours: wrong prefix, length, alphabet or checksum → null, before any store lookup
 * (docs/security.md #154). It runs in time linear in the input, which is capped at
 * `API_KEY_MAX` by the caller.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const LOOKUP_ID_LENGTH = 8;
export const SECRET_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
/** Longest string ever examined as a key (prefixes are at most 16 characters). */
export const API_KEY_MAX = 128;

/** `n` uniform base62 characters from the CSPRNG (bytes ≥ 248 are dropped: no modulo bias). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** CRC32 of `text` (UTF-8) as 6 base62 characters, most significant first. */
export function checksum(text: string): string {
  let n = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** A new key's parts. */
export interface ApiKeyParts {
  key: string;
  lookupId: string;
}

export function generateApiKey(prefix: string): ApiKeyParts {
  const lookupId = randomBase62(LOOKUP_ID_LENGTH);
  const body = `${prefix}${lookupId}_${randomBase62(SECRET_LENGTH)}`;
  return { key: body + checksum(body), lookupId };
}

const isBase62 = (s: string): boolean => /^[0-9A-Za-z]*$/.test(s);

/**
 * The lookup id of a well-formed key with a valid checksum, else null. Nothing here
 * depends on a stored value, so a refusal costs the same whatever is in the store.
 */
export function parseApiKey(key: string, prefix: string): string | null {
  const expected = prefix.length + LOOKUP_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
  if (key.length !== expected || !key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  const lookupId = rest.slice(0, LOOKUP_ID_LENGTH);
  if (rest[LOOKUP_ID_LENGTH] !== '_') return null;
  const secretAndSum = rest.slice(LOOKUP_ID_LENGTH + 1);
  if (!isBase62(lookupId) || !isBase62(secretAndSum)) return null;
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  return checksum(body) === key.slice(-CHECKSUM_LENGTH) ? lookupId : null;
}
