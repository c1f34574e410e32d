/**
 * `Set-Cookie` serialisation, byte for byte as Django's `HttpResponse.set_cookie` /
 * `delete_cookie` write it (Python's `Morsel.OutputString`: attributes in the sorted
 * order Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure), which is what
 * dj-rest-auth's cookie mode sends (drf-wire.md §10).
 */
import { HTTP_TOKEN } from '../core/request.js';

/** RFC 6265 `cookie-octet`s (no quote, comma, semicolon, backslash, space, controls). */
const VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/** Most bytes a browser keeps for one cookie's name + value (RFC 6265 §6.1, docs/security.md #70). */
export const MAX_COOKIE_BYTES = 4096;

export type SameSite = 'Strict' | 'Lax' | 'None';

export interface CookieAttributes {
  /** `Domain=`; null: a host-only cookie. */
  domain: string | null;
  /** `Path=`; null: none, so the browser scopes the cookie to the directory of the URL that set it. */
  path: string | null;
  httpOnly: boolean;
  secure: boolean;
  sameSite: SameSite;
}

/** Thrown when a cookie cannot be sent as asked (a bug or a configuration error, never client input). */
export class CookieError extends Error {
  override readonly name = 'CookieError';
}

/** `Sat, 28 Nov 2026 19:20:51 GMT` (Django's `http_date`, RFC 1123). */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

function attributes(attrs: CookieAttributes, expires: string, maxAge: number, withHttpOnly: boolean): string {
  let out = '';
  if (attrs.domain !== null) out += `; Domain=${attrs.domain}`;
  out += `; expires=${expires}`;
  if (withHttpOnly && attrs.httpOnly) out += '; HttpOnly';
  out += `; Max-Age=${maxAge}`;
  if (attrs.path !== null) out += `; Path=${attrs.path}`;
  out += `; SameSite=${attrs.sameSite}`;
  if (attrs.secure) out += '; Secure';
  return out;
}

/**
 * `name=value; [Domain=…; ]expires=…; [HttpOnly; ]Max-Age=N; Path=…; SameSite=…[; Secure]`.
 * `maxAge` in whole seconds (negative is sent as 0); `now` in epoch ms (for `expires`).
 * Throws `CookieError` for a name or value outside RFC 6265 or longer than 4096 bytes.
 */
export function serializeCookie(name: string, value: string, maxAge: number, now: number, attrs: CookieAttributes): string {
  if (!HTTP_TOKEN.test(name)) throw new CookieError(`invalid cookie name ${JSON.stringify(name)}`);
  if (!VALUE.test(value)) throw new CookieError(`invalid characters in the value of cookie ${name}`);
  if (Buffer.byteLength(name) + Buffer.byteLength(value) + 1 > MAX_COOKIE_BYTES) {
    throw new CookieError(`cookie ${name} would be longer than ${MAX_COOKIE_BYTES} bytes (too many custom claims?)`);
  }
  const seconds = Math.max(0, Math.floor(maxAge));
  return `${name}=${value}${attributes(attrs, httpDate(now + seconds * 1000), seconds, true)}`;
}

/**
 * The deletion Django's `delete_cookie` writes: `name=""; expires=Thu, 01 Jan 1970
 * 00:00:00 GMT; Max-Age=0; Path=…; SameSite=…` with the same Domain and Path as the
 * cookie it removes (a cookie is only replaced by one with the same name, domain and
 * path). `Secure` is added when the cookie was secure (Django adds it only for
 * `__Secure-`/`__Host-` names and `SameSite=None`; browsers ignore a non-secure
 * overwrite of a secure cookie from an insecure origin, so it never hurts).
 */
export function expiredCookie(name: string, attrs: CookieAttributes): string {
  if (!HTTP_TOKEN.test(name)) throw new CookieError(`invalid cookie name ${JSON.stringify(name)}`);
  return `${name}=""${attributes(attrs, 'Thu, 01 Jan 1970 00:00:00 GMT', 0, false)}`;
}

/**
 * Response headers carrying several `Set-Cookie` lines.
 *
 * Cookies cannot be folded into one line (RFC 6265 §3): the value is an array, one
 * header line per element, on every adapter (`ResponseHeaders`).
 */
export function setCookieHeaders(cookies: readonly string[]): { 'Set-Cookie': string[] } {
  return { 'Set-Cookie': [...cookies] };
}

/** Does a cookie named `name` have a `__Secure-` / `__Host-` prefix (case-sensitive, as browsers check)? */
export function cookiePrefix(name: string): '__Host-' | '__Secure-' | null {
  if (name.startsWith('__Host-')) return '__Host-';
  if (name.startsWith('__Secure-')) return '__Secure-';
  return null;
}
