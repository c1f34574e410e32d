/**
 * `django.core.signing.dumps` / `loads` with a `TimestampSigner` (SHA-256, no
 * compression): `<b64 JSON>:<unix time base 62>:<b64 HMAC-SHA256(key = SHA256(salt +
 * "signer" + secret))>`, base64url without padding. `loads` answers the value, or null
 * for a bad signature, a malformed value or an age over `maxAgeMs`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(n: number): string {
  let out = '';
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out;
}

function fromBase62(s: string): number | null {
  let n = 0;
  for (const c of s) {
    const d = BASE62.indexOf(c);
    if (d < 0) return null;
    n = n * 62 + d;
  }
  return Number.isSafeInteger(n) ? n : null;
}

function signature(value: string, key: string, salt: string): string {
  const hmacKey = createHash('sha256').update(`${salt}signer${key}`, 'utf8').digest();
  return createHmac('sha256', hmacKey).update(value, 'utf8').digest('base64url');
}

export interface SigningOptions {
  key: string;
  salt: string;
  clock: Clock;
}

export function dumps(value: unknown, options: SigningOptions): string {
  const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const stamped = `${payload}:${base62(Math.floor(options.clock.now() / 1000))}`;
  return `${stamped}:${signature(stamped, options.key, options.salt)}`;
}

export function loads(signed: string, options: SigningOptions & { maxAgeMs: number }): unknown {
  const match = /^([A-Za-z0-9_-]{1,200}):([0-9A-Za-z]{1,12}):([A-Za-z0-9_-]{43})$/.exec(signed);
  if (!match) return null;
  const stamped = `${match[1]}:${match[2]}`;
  const expected = Buffer.from(signature(stamped, options.key, options.salt), 'latin1');
  if (!timingSafeEqual(expected, Buffer.from(match[3]!, 'latin1'))) return null;
  const timestamp = fromBase62(match[2]!);
  if (timestamp === null || options.clock.now() / 1000 - timestamp > options.maxAgeMs / 1000) return null;
  try {
    return JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}
