/**
 * Encryption at rest of ring keys (HMAC secrets, PKCS#8 private keys).
 *
 * AES-256-GCM under a key derived from the server `secretKey` with HKDF-SHA256
 * (info "gatehouse jwt key encryption v1"): one secret per purpose (docs/security.md #105) —
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
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { JwtKeyConfigError } from './errors.js';

const VERSION = 'gh1';
const HKDF_INFO = 'gatehouse jwt key encryption v1';
const HKDF_SALT = 'gatehouse key ring';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

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
 * A cipher for the ring of the server whose secret is `secretKey`.
 * @throws JwtKeyConfigError when `secretKey` is empty.
 */
export function ringCipher(secretKey: string): RingCipher {
  if (typeof secretKey !== 'string' || secretKey.length === 0) throw new JwtKeyConfigError('secretKey is empty: the key ring cannot be encrypted.');
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
  const aad = (kid: string, alg: string) => Buffer.from(`${VERSION}\0${kid}\0${alg}`, 'utf8');
  return Object.freeze({
    seal(kid: string, alg: string, plaintext: Uint8Array): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(kid, alg));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(kid: string, alg: string, sealed: string): Buffer {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
        throw new JwtKeyConfigError(`key ring entry "${kid}" is not in a known format (expected ${VERSION}); it was not written by this version of Gatehouse.`);
      }
      const iv = Buffer.from(parts[1] as string, 'base64url');
      const body = Buffer.from(parts[2] as string, 'base64url');
      const tag = Buffer.from(parts[3] as string, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new JwtKeyConfigError(CANNOT_DECRYPT);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(kid, alg));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new JwtKeyConfigError(CANNOT_DECRYPT);
      }
    },
  });
}
