/**
 * Django's scrypt hasher (Django ≥ 4.0, verification only):
 * `scrypt$<n>$<salt>$<r>$<p>$<base64 hash>`, i.e. `"%s$%d$%s$%d$%d$%s" % (algorithm,
 * n, salt, r, p, hash)`, the hash being padded base64 of `hashlib.scrypt(password,
 * salt=salt.encode(), n, r, p, dklen=64)`. Defaults n=2**14, r=8, p=1 (p=5 from
 * Django 5.1).
 */
import { scrypt } from 'node:crypto';
import { constantTimeEqualStrings, encodeBase64, parseCanonicalInt } from './encoding.js';
import type { CostLimits } from './policy.js';

/** A parsed Django scrypt hash string. */
export interface ScryptHash {
  readonly kind: 'scrypt';
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  /** The stored base64 hash text. */
  readonly hash: string;
}

/** Django's dklen. */
const SCRYPT_KEY_LENGTH = 64;

/** Bytes OpenSSL needs for scrypt(n, r, p): V (128·r·(n+2)) plus B (128·r·p). */
function scryptMemory(n: number, r: number, p: number): number {
  return 128 * r * (n + 2) + 128 * r * p;
}

/**
 * Parse `scrypt$…`. Returns null (never throws) for anything else: wrong field count,
 * empty salt or hash, n not a power of two ≥ 2, non-canonical numbers, or a cost above
 * `limits` (n, r, p, memory).
 */
export function parseScrypt(encoded: string, limits: CostLimits): ScryptHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText, salt, rText, pText, hash] = parts as [string, string, string, string, string, string];
  const n = parseCanonicalInt(nText, limits.scryptMaxN);
  const r = parseCanonicalInt(rText, limits.scryptMaxR);
  const p = parseCanonicalInt(pText, limits.scryptMaxP);
  if (n === null || r === null || p === null || salt.length === 0 || hash.length === 0) return null;
  if (n < 2 || (n & (n - 1)) !== 0) return null;
  if (scryptMemory(n, r, p) > limits.scryptMaxMemoryBytes) return null;
  return { kind: 'scrypt', n, r, p, salt, hash };
}

/**
 * Recompute the hash with the stored parameters and compare the base64 text in
 * constant time. `maxmem` is raised to what the parameters need (Node's default of
 * 32 MiB refuses N ≥ 2^15 with r=8). Resolves false on mismatch or a crypto error;
 * never rejects.
 */
export async function verifyScrypt(parsed: ScryptHash, password: Uint8Array): Promise<boolean> {
  const { n, r, p } = parsed;
  let derived: Buffer;
  try {
    derived = await new Promise<Buffer>((resolve, reject) => {
      scrypt(
        password,
        Buffer.from(parsed.salt, 'utf8'),
        SCRYPT_KEY_LENGTH,
        { N: n, r, p, maxmem: scryptMemory(n, r, p) + 1024 * 1024 },
        (err, key) => (err ? reject(err) : resolve(key)),
      );
    });
  } catch {
    return false;
  }
  return constantTimeEqualStrings(encodeBase64(derived, true), parsed.hash);
}
