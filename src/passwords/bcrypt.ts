/**
 * Django's bcrypt hashers (verification only; Gatehouse never creates bcrypt hashes):
 *
 * - `bcrypt_sha256$$2b$12$<53 chars>`: bcrypt of the lowercase hex SHA-256 of the UTF-8
 *   password (64 ASCII bytes), so long passwords are not truncated.
 * - `bcrypt$$2b$12$<53 chars>`: plain bcrypt of the UTF-8 password. bcrypt reads at most
 *   72 bytes, so two passwords that differ only after byte 72 both match (Django
 *   behaves the same). `needsRehash` is always true for it, so the first successful
 *   login replaces it by an untruncated hash. A password containing NUL never matches
 *   (python-bcrypt refuses NUL, so Django cannot have produced such a hash).
 *
 * `$2b$`, `$2a$` and `$2y$` are accepted, as python-bcrypt does; `$2x$` is refused.
 * The comparison is done by `@node-rs/bcrypt` `verify` (async, constant-time).
 */
import { createHash } from 'node:crypto';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

export type BcryptAlgorithm = 'bcrypt' | 'bcrypt_sha256';

/** A parsed Django bcrypt hash string. */
export interface BcryptHash {
  readonly kind: 'bcrypt';
  readonly algorithm: BcryptAlgorithm;
  /** The bcrypt string itself (`$2b$12$...`). */
  readonly bcrypt: string;
  /** log2 rounds. */
  readonly cost: number;
}

const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;

/**
 * Parse `bcrypt_sha256$<bcrypt>` / `bcrypt$<bcrypt>`. Returns null (never throws) for
 * anything else, including a cost outside 4..`maxCost`.
 */
export function parseBcrypt(encoded: string, maxCost: number): BcryptHash | null {
  const dollar = encoded.indexOf('$');
  if (dollar < 0) return null;
  const algorithm = encoded.slice(0, dollar);
  if (algorithm !== 'bcrypt' && algorithm !== 'bcrypt_sha256') return null;
  const bcrypt = encoded.slice(dollar + 1);
  const m = BCRYPT.exec(bcrypt);
  if (!m) return null;
  const cost = Number(m[1]);
  if (cost < 4 || cost > Math.min(31, maxCost)) return null;
  return { kind: 'bcrypt', algorithm, bcrypt, cost };
}

/** What Django feeds bcrypt for `bcrypt_sha256`: hex(SHA-256(password)) as ASCII bytes. */
export function sha256HexBytes(password: Uint8Array): Buffer {
  return Buffer.from(createHash('sha256').update(password).digest('hex'), 'ascii');
}

/**
 * Check `password` against the stored bcrypt string. Resolves false on mismatch, on
 * a NUL byte for plain bcrypt, and on any library error; never rejects.
 */
export async function verifyBcrypt(parsed: BcryptHash, password: Uint8Array): Promise<boolean> {
  let input: Uint8Array;
  if (parsed.algorithm === 'bcrypt_sha256') input = sha256HexBytes(password);
  else if (password.includes(0)) return false;
  else input = password;
  try {
    return await bcryptVerify(input, parsed.bcrypt);
  } catch {
    return false;
  }
}
