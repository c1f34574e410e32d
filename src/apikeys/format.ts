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

/** CRC-32 (IEEE 802.3, zlib's) lookup table. */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/**
 * CRC-32 of an ASCII string (the key's characters are checked to be ASCII first), as
 * zlib computes it (a test holds it to `zlib.crc32`). In JavaScript because `zlib.crc32`
 * costs ≈ 240 ns per call on a 44-character string, paid by every key not yet in the
 * verified-key cache (a cached key is not parsed again: src/apikeys/service.ts).
 */
export function crc32Ascii(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = (CRC_TABLE[(c ^ text.charCodeAt(i)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** CRC32 of `text` (ASCII) as 6 base62 characters, most significant first. */
export function checksum(text: string): string {
  let n = crc32Ascii(text);
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

/** One anchored pattern per prefix (settings allow `[a-z0-9_]` prefixes: no escaping needed, checked anyway). */
const patterns = new Map<string, RegExp>();
function patternFor(prefix: string): RegExp {
  let re = patterns.get(prefix);
  if (!re) {
    if (!/^[a-z0-9_]{1,16}$/.test(prefix)) throw new RangeError(`invalid API key prefix ${JSON.stringify(prefix)}`);
    re = new RegExp(`^${prefix}([0-9A-Za-z]{${LOOKUP_ID_LENGTH}})_[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);
    patterns.set(prefix, re);
  }
  return re;
}

/**
 * The lookup id of a well-formed key with a valid checksum, else null. Nothing here
 * depends on a stored value, so a refusal costs the same whatever is in the store.
 */
export function parseApiKey(key: string, prefix: string): string | null {
  const m = patternFor(prefix).exec(key);
  if (!m) return null;
  return crc32Ascii(key.slice(0, key.length - CHECKSUM_LENGTH)) === base62Value(key, key.length - CHECKSUM_LENGTH) ? (m[1] as string) : null;
}

/** The number the base62 digits from `start` to the end of `text` write (already checked to be base62). */
function base62Value(text: string, start: number): number {
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n = n * 62 + (c <= 57 ? c - 48 : c <= 90 ? c - 55 : c - 61);
  }
  return n;
}
