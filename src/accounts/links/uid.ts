/**
 * The user ids in account links.
 *
 * - djoser (Django's `urlsafe_base64_encode(force_bytes(pk))`): URL-safe base 64 of the
 *   decimal pk, unpadded: 1 → `MQ`, 4 → `NA`, 10 → `MTA`, 123 → `MTIz`. Decoding accepts
 *   any base 64 spelling of a decimal pk, padding optional (`MQ==`, `MDE` = "01"), and
 *   refuses anything else: other characters, stray bits, non-digits, more than
 *   `MAX_UID_LENGTH` characters (docs/security.md #119).
 * - allauth (`user_pk_to_url_str` / `url_str_to_user_pk`): base 36 of the pk: 1 → `1`,
 *   35 → `z`, 36 → `10`. Decoding follows Python's `int(s, 36)` as Django's
 *   `base36_to_int` calls it (at most 13 characters, upper or lower case, surrounding
 *   white space, one `+`/`-` sign, single `_` between digits); a pk that is not a positive
 *   safe integer decodes to null (no user has it).
 */
import { fromB64url, toBase36 } from './mechanics.js';

/** Longest uid read (a 20-digit pk is 28 base-64 characters; with padding 28). */
export const MAX_UID_LENGTH = 32;

const isPk = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

function requirePk(pk: number): void {
  if (!isPk(pk)) throw new RangeError('a user pk is a positive safe integer');
}

/** djoser's uid of `pk`. */
export function encodeDjoserUid(pk: number): string {
  requirePk(pk);
  return Buffer.from(String(pk), 'ascii').toString('base64url');
}

/** The pk a djoser uid names, or null. */
export function decodeDjoserUid(uid: string): number | null {
  if (typeof uid !== 'string' || uid.length > MAX_UID_LENGTH) return null;
  const bytes = fromB64url(uid);
  if (!bytes) return null;
  const text = bytes.toString('latin1');
  if (!/^[0-9]{1,20}$/.test(text)) return null;
  const pk = Number(text);
  return isPk(pk) ? pk : null;
}

/** allauth's uid of `pk`. */
export function encodeAllauthUid(pk: number): string {
  requirePk(pk);
  return toBase36(pk);
}

/** Python's white space, as `int()` strips it. */
const PY_SPACE = '[\\t\\n\\v\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
const PY_INT36 = new RegExp(`^${PY_SPACE}([+-]?)([0-9a-z]+(?:_[0-9a-z]+)*)${PY_SPACE}$`, 'i');

/** The pk an allauth uid names, or null. */
export function decodeAllauthUid(uid: string): number | null {
  if (typeof uid !== 'string' || uid.length > 13) return null; // Django's base36_to_int cap
  const m = PY_INT36.exec(uid);
  if (!m || m[1] === '-') return null;
  const pk = parseInt((m[2] as string).replace(/_/g, ''), 36);
  return isPk(pk) ? pk : null;
}
