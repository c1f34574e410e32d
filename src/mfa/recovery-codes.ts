/**
 * Recovery codes: `xxxxx-xxxxx`, ten characters of Crockford's lower-case base32
 * (`0-9a-z` without `i l o u`): 50 random bits each. Shown once; stored only as
 * HMAC-SHA-256 digests under a key derived from `secretKey` (HKDF, its own purpose), so a
 * copy of the database gives neither the codes nor a way to test guesses offline.
 * Input is normalised before digesting: case, spaces and dashes are ignored and the
 * letters Crockford reads as digits (`o` → 0, `i`/`l` → 1) are mapped.
 */
import { createHmac, hkdfSync, randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 10;
/** Longest input looked at. */
export const RECOVERY_INPUT_MAX = 64;

/** A new code, e.g. `7k2qf-x9m0c`. */
export function generateRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/** The canonical ten characters of a presented code, or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  if (input.length > RECOVERY_INPUT_MAX) return null;
  const text = input.toLowerCase().replace(/[\s-]+/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (text.length !== LENGTH) return null;
  for (const c of text) if (!ALPHABET.includes(c)) return null;
  return text;
}

/** Digests codes for storage and lookup under a key derived from the server secret. */
export function recoveryCodeDigester(secretKey: string): (canonical: string) => string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), 'gatehouse mfa', 'gatehouse recovery code digest v1', 32));
  return (canonical) => createHmac('sha256', key).update(canonical, 'utf8').digest('hex');
}
