/**
 * Encryption at rest of ring keys (HMAC secrets, PKCS#8 private keys).
 *
 * AES-256-GCM under a key derived from the server `secretKey` with HKDF-SHA256
 * (info "gatehouse jwt key encryption v1"; the mechanism is src/core/sealing.ts): one secret per purpose (docs/security.md #105) —
 * the raw `secretKey` (which may also be the default HS signing key) never encrypts
 * anything, and the derived key is used for nothing else. Each entry has a random
 * 12-byte IV, and its `kid` and `alg` are bound as additional authenticated data, so
 * a ciphertext moved to another row (or relabelled with another algorithm) does not
 * decrypt. Because only the holder of `secretKey` can produce a valid entry, a row
 * written into the database by anyone else is refused rather than trusted.
 *
 * Stored form (one string): `gh1.<iv>.<ciphertext>.<tag>`, each part base64url.
 *
 * Failure modes: {@link RingCipher.open} throws JwtKeyConfigError for an unknown
 * format and for an entry that does not authenticate ("was secretKey changed?").
 */
import { secretSealer } from '../../core/sealing.js';
import { JwtKeyConfigError } from './errors.js';

const VERSION = 'gh1';
const PURPOSE = { version: VERSION, info: 'gatehouse jwt key encryption v1', salt: 'gatehouse key ring' };

/** Message of the error thrown when an entry does not decrypt. */
export const CANNOT_DECRYPT = 'cannot decrypt the key ring: was secretKey changed?';

/** Seals and opens ring entries under one `secretKey`. */
export interface RingCipher {
  /** Encrypts `plaintext` for the ring entry (`kid`, `alg`). */
  seal(kid: string, alg: string, plaintext: Uint8Array): string;
  /**
   * Decrypts a ring entry (the caller should zero the returned buffer after use).
   * @throws JwtKeyConfigError unknown format, or the entry does not authenticate.
   */
  open(kid: string, alg: string, sealed: string): Buffer;
}

/**
 * A cipher for the ring of the server whose secret is `secretKey` (src/core/sealing.ts,
 * the entry labelled by its kid and algorithm).
 * @throws JwtKeyConfigError when `secretKey` is empty.
 */
export function ringCipher(secretKey: string): RingCipher {
  if (typeof secretKey !== 'string' || secretKey.length === 0) throw new JwtKeyConfigError('secretKey is empty: the key ring cannot be encrypted.');
  const sealer = secretSealer(secretKey, PURPOSE);
  const label = (kid: string, alg: string) => `${kid}\0${alg}`;
  return Object.freeze({
    seal: (kid: string, alg: string, plaintext: Uint8Array): string => sealer.seal(label(kid, alg), plaintext),
    open(kid: string, alg: string, sealed: string): Buffer {
      const opened = sealer.open(label(kid, alg), sealed);
      if (opened === 'format') {
        throw new JwtKeyConfigError(`key ring entry "${kid}" is not in a known format (expected ${VERSION}); it was not written by this version of Gatehouse.`);
      }
      if (opened === 'authentication') throw new JwtKeyConfigError(CANNOT_DECRYPT);
      return opened;
    },
  });
}
