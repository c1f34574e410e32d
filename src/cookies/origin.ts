/**
 * Where a request comes from: the `Host` it was sent to (is it localhost?), the
 * server's own origin, and the `Sec-Fetch-Site` / `Origin` / `Referer` checks of
 * cookie mode (OWASP CSRF cheat sheet "Fetch Metadata" and "Verifying Origin with
 * Standard Headers"; Django's `CsrfViewMiddleware` for the messages).
 */
import type { RequestView } from '../core/request.js';
import type { SameSite } from './cookie.js';

/** Hostnames that always mean this machine. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Is a bind address (`settings.host`) a loopback one: `localhost`, `127.0.0.1`, `::1`? */
export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase());
}

/**
 * The hostname of a `Host` header (`localhost:8000` → `localhost`, `[::1]:8000` →
 * `[::1]`), lower-cased; null when it is not a plain `host[:port]`.
 */
export function hostnameOf(host: string | undefined): string | null {
  if (!host) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]?#]+)(?::(\d{1,5}))?$/.exec(host);
  return m ? (m[1] as string).toLowerCase() : null;
}

/** Was the request sent to `localhost`, `127.0.0.1` or `[::1]` (any port), by its `Host` header? */
export function isLocalhostRequest(req: RequestView): boolean {
  const name = hostnameOf(req.headers.host);
  return name !== null && LOOPBACK_NAMES.has(name);
}

/**
 * `scheme://host[:port]` normalised as browsers serialise an origin (lower case,
 * default port dropped, IDN in punycode); null for anything else (`null`, a path, a
 * query, credentials, other schemes).
 */
export function normalizeOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#\s@]+$/i.test(value)) return null;
  try {
    const url = new URL(value);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

/** One entry of `cookies.trustedOrigins`: an exact origin, or `https://*.example.com` (any subdomain, as Django). */
interface TrustedOrigin {
  scheme: string;
  /** Exact host[:port], or the `.example.com[:port]` suffix of a wildcard. */
  host: string;
  wildcard: boolean;
}

function parseTrusted(origin: string): TrustedOrigin | null {
  const m = /^(https?):\/\/\*(\.[^/?#\s@*]+)$/i.exec(origin);
  if (m) {
    const exact = normalizeOrigin(`${m[1]}://x${m[2]}`);
    if (!exact) return null;
    const url = new URL(exact);
    return { scheme: url.protocol.slice(0, -1), host: url.host.slice(1), wildcard: true };
  }
  const exact = normalizeOrigin(origin);
  if (!exact) return null;
  const url = new URL(exact);
  return { scheme: url.protocol.slice(0, -1), host: url.host, wildcard: false };
}

/** Thrown at start for a `cookies.trustedOrigins` entry that is not an origin. */
export class OriginSettingError extends Error {}

export const REASON_CROSS_SITE = 'Cross-site request refused (Sec-Fetch-Site: cross-site).';
export const REASON_NO_REFERER = 'Referer checking failed - no Referer.';
export const REASON_MALFORMED_REFERER = 'Referer checking failed - Referer is malformed.';
export const REASON_INSECURE_REFERER = 'Referer checking failed - Referer is insecure while host is secure.';
export const originFailed = (origin: string) => `Origin checking failed - ${origin} does not match any trusted origins.`;
export const refererFailed = (referer: string) => `Referer checking failed - ${referer} does not match any trusted origins.`;

/**
 * The cross-site checks every CSRF-protected request passes first:
 *
 * 1. `Sec-Fetch-Site: cross-site` ⇒ refused (unless `SameSite=None` and the `Origin` is
 *    listed in `trustedOrigins`: only then can a cross-site page legitimately send the
 *    cookies at all).
 * 2. `Origin` present ⇒ it must be the server's own origin or a trusted one (`null`
 *    and malformed values never match).
 * 3. no `Origin` ⇒ the `Referer`'s origin must be (an `http:` Referer is refused when
 *    the server's origin is `https:`, as Django).
 *
 * The server's own origin is `https://<Host>`, and also `http://<Host>` when the Host
 * is localhost (the only place cookies may be sent without `Secure`). Behind a proxy
 * that rewrites `Host`, list the public origin in `trustedOrigins`.
 */
export class OriginPolicy {
  private readonly trusted: TrustedOrigin[];

  constructor(trustedOrigins: readonly string[], private readonly sameSite: SameSite) {
    this.trusted = trustedOrigins.map((o) => {
      const t = parseTrusted(o);
      if (!t) throw new OriginSettingError(`cookies.trustedOrigins: ${JSON.stringify(o)} is not an origin such as "https://app.example.com"`);
      return t;
    });
  }

  /** The request's own origins (by its `Host` header). */
  ownOrigins(req: RequestView): string[] {
    const host = req.headers.host;
    const name = hostnameOf(host);
    if (name === null) return [];
    const out: string[] = [];
    const https = normalizeOrigin(`https://${host}`);
    if (https) out.push(https);
    if (LOOPBACK_NAMES.has(name)) {
      const http = normalizeOrigin(`http://${host}`);
      if (http) out.push(http);
    }
    return out;
  }

  /** Is this (normalised) origin listed in `trustedOrigins`? */
  isTrusted(origin: string): boolean {
    const url = new URL(origin);
    const scheme = url.protocol.slice(0, -1);
    for (const t of this.trusted) {
      if (t.scheme !== scheme) continue;
      if (t.wildcard ? url.host.endsWith(t.host) && url.host.length > t.host.length : url.host === t.host) return true;
    }
    return false;
  }

  private allowed(origin: string, req: RequestView): boolean {
    return this.ownOrigins(req).includes(origin) || this.isTrusted(origin);
  }

  /** The CSRF failure reason, or null when the request may come from where it says. */
  check(req: RequestView): string | null {
    const rawOrigin = req.headers.origin;
    const origin = rawOrigin === undefined ? null : normalizeOrigin(rawOrigin);
    if (req.headers['sec-fetch-site']?.trim().toLowerCase() === 'cross-site') {
      if (!(this.sameSite === 'None' && origin !== null && this.isTrusted(origin))) return REASON_CROSS_SITE;
    }
    if (rawOrigin !== undefined) {
      return origin !== null && this.allowed(origin, req) ? null : originFailed(rawOrigin);
    }
    const referer = req.headers.referer;
    if (referer === undefined || referer === '') return REASON_NO_REFERER;
    let url: URL;
    try {
      url = new URL(referer);
    } catch {
      return REASON_MALFORMED_REFERER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return REASON_MALFORMED_REFERER;
    if (this.allowed(url.origin, req)) return null;
    if (url.protocol === 'http:' && this.ownOrigins(req).includes(`https://${url.host}`)) return REASON_INSECURE_REFERER;
    return refererFailed(referer);
  }
}
