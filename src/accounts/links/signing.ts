/**
 * Django's `django.core.signing.dumps` / `loads` (a `TimestampSigner` over compact JSON),
 * as allauth makes its e-mail confirmation keys (`dumps(email_address_pk, salt="account")`):
 *
 *   `<urlsafe-b64(JSON), unpadded>:<unix time, base 62>:<urlsafe-b64(HMAC), unpadded>`
 *
 * HMAC-SHA256 under SHA256(salt + "signer" + secret) of everything before the last ':'.
 * `compress: true` deflates the JSON when that is shorter and marks it with a leading
 * '.' (as Django). JSON is written as Python's `json.dumps(separators=(',', ':'))` writes
 * it (non-ASCII escaped as \uXXXX); floats are JavaScript's spelling (Python writes 1.0
 * as "1.0"), which no Django key uses.
 *
 * `loads` checks, in order: length (`MAX_SIGNED_LENGTH`, before any HMAC), signature
 * (constant-time; Django 3.1/3.2's HMAC-SHA1 signatures accepted unless
 * `legacySha1: false`, docs/security.md #119), then age (`maxAgeSeconds`); it throws
 * `BadSignature` or `SignatureExpired` (a `BadSignature`), never anything else.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { systemClock, type Clock } from '../../core/clock.js';
import { b64url, constantTimeEqual, fromB64url, fromBase62, saltedHmac, toBase62, type HashName } from './mechanics.js';

/** Longest signed value `loads` reads. */
export const MAX_SIGNED_LENGTH = 4096;
/** Largest decompressed payload (a compressed value is signed, so only the key holder can send one). */
const MAX_INFLATED = 64 * 1024;

export class BadSignature extends Error {
  constructor(message = 'Signature does not match') {
    super(message);
    this.name = 'BadSignature';
  }
}

export class SignatureExpired extends BadSignature {
  constructor(readonly ageSeconds: number) {
    super('Signature has expired');
    this.name = 'SignatureExpired';
  }
}

export interface SigningOptions {
  secretKey: string;
  /** Django's `salt`; default `django.core.signing`. */
  salt?: string;
  clock?: Clock;
}

const DEFAULT_SALT = 'django.core.signing';

/** Python's `json.dumps(obj, separators=(',', ':'))` (ensure_ascii). */
function pythonJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('the value cannot be written as JSON');
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function signature(value: string, secretKey: string, salt: string, algorithm: HashName): string {
  return b64url(saltedHmac(`${salt}signer`, value, secretKey, algorithm));
}

/** Django's `signing.dumps(obj, salt=…, compress=…)`. */
export function dumps(value: unknown, options: SigningOptions & { compress?: boolean }): string {
  let data = Buffer.from(pythonJson(value), 'latin1');
  let prefix = '';
  if (options.compress) {
    const compressed = deflateSync(data);
    if (compressed.length < data.length - 1) {
      data = compressed;
      prefix = '.';
    }
  }
  const ts = toBase62(Math.floor((options.clock ?? systemClock).now() / 1000));
  const signed = `${prefix}${b64url(data)}:${ts}`;
  return `${signed}:${signature(signed, options.secretKey, options.salt ?? DEFAULT_SALT, 'sha256')}`;
}

/** Django's `signing.loads(s, salt=…, max_age=…)`. Throws `BadSignature` / `SignatureExpired`. */
export function loads(signed: unknown, options: SigningOptions & { maxAgeSeconds?: number | null; legacySha1?: boolean }): unknown {
  if (typeof signed !== 'string' || signed.length > MAX_SIGNED_LENGTH) throw new BadSignature('Malformed signed value');
  const m = /^(\.?[A-Za-z0-9_-]*):([0-9A-Za-z]{1,11}):([A-Za-z0-9_-]{27}|[A-Za-z0-9_-]{43})$/.exec(signed);
  if (!m) throw new BadSignature('Malformed signed value');
  const [, payload, ts, sig] = m as unknown as [string, string, string, string];
  const value = `${payload}:${ts}`;
  const algorithm: HashName = sig.length === 43 ? 'sha256' : 'sha1';
  if (algorithm === 'sha1' && options.legacySha1 === false) throw new BadSignature();
  if (!constantTimeEqual(signature(value, options.secretKey, options.salt ?? DEFAULT_SALT, algorithm), sig)) throw new BadSignature();
  const timestamp = fromBase62(ts);
  if (timestamp === null) throw new BadSignature('Malformed timestamp');
  const age = (options.clock ?? systemClock).now() / 1000 - timestamp;
  if (options.maxAgeSeconds !== undefined && options.maxAgeSeconds !== null && age > options.maxAgeSeconds) throw new SignatureExpired(age);
  return decodePayload(payload);
}

function decodePayload(payload: string): unknown {
  const compressed = payload.startsWith('.');
  const raw = fromB64url(compressed ? payload.slice(1) : payload);
  if (!raw) throw new BadSignature('Malformed payload');
  try {
    const data = compressed ? inflateSync(raw, { maxOutputLength: MAX_INFLATED }) : raw;
    return JSON.parse(data.toString('latin1')) as unknown;
  } catch {
    throw new BadSignature('Malformed payload');
  }
}
