/**
 * Encryption at rest of secrets that must be recovered (JWT ring keys, TOTP secrets).
 *
 * AES-256-GCM under a key derived from the server `secretKey` with HKDF-SHA256, one
 * derived key per purpose (`info`, `salt`): the raw `secretKey` never encrypts anything,
 * and a key derived for one purpose opens nothing of another (docs/security.md #105).
 * Each entry has a random 12-byte IV; the caller's `label` (what the entry belongs to:
 * a ring key's kid and algorithm, a TOTP secret's user) is bound as additional
 * authenticated data, so a ciphertext moved to another row does not decrypt.
 *
 * Stored form (one string): `<version>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** What a sealed entry is for: the HKDF parameters and the entry's version tag. */
export interface SealingPurpose {
  version: string;
  info: string;
  salt: string;
}

/** Why `open` refused an entry. */
export type OpenFailure = 'format' | 'authentication';

export interface SecretSealer {
  /** Encrypts `plaintext` for the entry named `label`. */
  seal(label: string, plaintext: Uint8Array): string;
  /** Decrypts an entry named `label` (zero the buffer after use), or why it cannot. */
  open(label: string, sealed: string): Buffer | OpenFailure;
}

/** A sealer for one purpose under `secretKey` (non-empty: the caller checks). */
export function secretSealer(secretKey: string, purpose: SealingPurpose): SecretSealer {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), purpose.salt, purpose.info, 32));
  const aad = (label: string) => Buffer.from(`${purpose.version}\0${label}`, 'utf8');
  return Object.freeze({
    seal(label: string, plaintext: Uint8Array): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(label));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return [purpose.version, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(label: string, sealed: string): Buffer | OpenFailure {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      if (parts.length !== 4 || parts[0] !== purpose.version || !parts.slice(1).every((p) => B64URL.test(p))) return 'format';
      const iv = Buffer.from(parts[1] as string, 'base64url');
      const body = Buffer.from(parts[2] as string, 'base64url');
      const tag = Buffer.from(parts[3] as string, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return 'authentication';
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(label));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        return 'authentication';
      }
    },
  });
}
