/**
 * Django's PBKDF2 hashers: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` and
 * `pbkdf2_sha1$...`. The hash is standard padded base64 of PBKDF2-HMAC over the UTF-8
 * password and the UTF-8 salt, key length = digest size (32 / 20 bytes).
 */
import { pbkdf2 } from 'node:crypto';
import { codePointLength, constantTimeEqualStrings, encodeBase64, parseCanonicalInt, saltTooShort } from './encoding.js';

export type Pbkdf2Algorithm = 'pbkdf2_sha256' | 'pbkdf2_sha1';

/** A parsed PBKDF2 hash string. */
export interface Pbkdf2Hash {
  readonly kind: 'pbkdf2';
  readonly algorithm: Pbkdf2Algorithm;
  readonly iterations: number;
  /** The salt as stored (Django: any non-empty text without `$`). */
  readonly salt: string;
  /** The stored base64 hash text. */
  readonly hash: string;
}

const DIGEST: Record<Pbkdf2Algorithm, { name: 'sha256' | 'sha1'; size: number }> = {
  pbkdf2_sha256: { name: 'sha256', size: 32 },
  pbkdf2_sha1: { name: 'sha1', size: 20 },
};

/**
 * Parse `pbkdf2_sha256$…` / `pbkdf2_sha1$…`. Returns null (never throws) for anything
 * else: wrong field count, empty salt, non-canonical or over-`maxIterations` count,
 * empty hash.
 */
export function parsePbkdf2(encoded: string, maxIterations: number): Pbkdf2Hash | null {
  const parts = encoded.split('$');
  if (parts.length !== 4) return null;
  const [algorithm, iterText, salt, hash] = parts as [string, string, string, string];
  if (algorithm !== 'pbkdf2_sha256' && algorithm !== 'pbkdf2_sha1') return null;
  const iterations = parseCanonicalInt(iterText, maxIterations);
  if (iterations === null || salt.length === 0 || hash.length === 0) return null;
  return { kind: 'pbkdf2', algorithm, iterations, salt, hash };
}

/** PBKDF2 derived key on the libuv thread pool. Rejects only on an internal crypto error. */
export function derivePbkdf2(password: Uint8Array, salt: string, iterations: number, algorithm: Pbkdf2Algorithm): Promise<Buffer> {
  const { name, size } = DIGEST[algorithm];
  return new Promise((resolve, reject) => {
    pbkdf2(password, Buffer.from(salt, 'utf8'), iterations, size, name, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Django's encoding: `"%s$%d$%s$%s" % (algorithm, iterations, salt, b64encode(hash))`. */
export function encodePbkdf2(algorithm: Pbkdf2Algorithm, iterations: number, salt: string, derived: Uint8Array): string {
  return `${algorithm}$${iterations}$${salt}$${encodeBase64(derived, true)}`;
}

/**
 * Recompute the hash with the stored salt and iterations and compare the base64 text
 * in constant time (as Django compares the whole re-encoded string). Resolves false on
 * mismatch or a crypto error; never rejects.
 */
export async function verifyPbkdf2(parsed: Pbkdf2Hash, password: Uint8Array): Promise<boolean> {
  let derived: Buffer;
  try {
    derived = await derivePbkdf2(password, parsed.salt, parsed.iterations, parsed.algorithm);
  } catch {
    return false;
  }
  return constantTimeEqualStrings(encodeBase64(derived, true), parsed.hash);
}

/** Django's `PBKDF2PasswordHasher.must_update`: iterations differ, or the salt has < 128 bits. */
export function pbkdf2NeedsUpdate(parsed: Pbkdf2Hash, iterations: number): boolean {
  return parsed.iterations !== iterations || saltTooShort(codePointLength(parsed.salt));
}
