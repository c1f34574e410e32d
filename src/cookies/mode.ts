/**
 * Cookie mode as one object built from the settings: which cookies exist and with
 * which attributes, when they may be sent (the Secure rule), and the CSRF checks of
 * cookie-authenticated requests, login, refresh and logout. Framework-free: the JWT
 * endpoints and `JWTCookieAuthentication` call it; it knows nothing about JWTs beyond
 * the session id they carry.
 */
import { DetailError, PermissionDenied } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { RequestView } from '../core/request.js';
import type { Settings } from '../core/settings.js';
import { cookiePrefix, expiredCookie, serializeCookie, type CookieAttributes } from './cookie.js';
import {
  CsrfTokens,
  REASON_CSRF_TOKEN_INCORRECT,
  REASON_CSRF_TOKEN_MISSING,
  REASON_NO_CSRF_COOKIE,
  randomId,
  sameString,
  type CsrfPurpose,
} from './csrf.js';
import { OriginPolicy, OriginSettingError, isLocalhostRequest, isLoopbackAddress } from './origin.js';

/** The claim carrying the session id (the refresh family id) in cookie-mode tokens. */
export const SESSION_CLAIM = 'sid';

/** Suffix of the pre-session cookie's name (after `cookies.refreshName`). */
export const PRESESSION_SUFFIX = '-presession';

/**
 * 400 for a request whose `Host` is not localhost while `cookies.secure` is false:
 * cookies without `Secure` are only ever sent to localhost.
 */
export class InsecureCookieHost extends DetailError {
  readonly status = 400;
  readonly code = 'insecure_cookie_host';
  constructor() {
    super('Cookies without the Secure flag are only set for localhost (cookies.secure is false).');
  }
}

/** `CSRF Failed: <reason>` (403), as DRF's `SessionAuthentication.enforce_csrf`. */
export function csrfFailed(reason: string): PermissionDenied {
  return new PermissionDenied(`CSRF Failed: ${reason}`);
}

/** Does cookie path `cookiePath` cover request path `path` (RFC 6265 §5.1.4 path-match)? */
export function pathMatches(cookiePath: string, path: string): boolean {
  if (path === cookiePath) return true;
  if (!path.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || path.charAt(cookiePath.length) === '/';
}

/**
 * Problems with the cookie settings, one message each (empty: fine). Checked at start
 * when `cookies.enabled`. Whether `cookies.refreshPath` reaches the refresh endpoint
 * depends on where the endpoints are mounted, so that is checked at mount time
 * (`refreshPathProblems`).
 */
export function cookieSettingsProblems(settings: Settings): string[] {
  const c = settings.cookies;
  const problems: string[] = [];
  if (!c.secure && !isLoopbackAddress(settings.host)) {
    problems.push(`cookies.secure: false is only allowed when the server listens on localhost (host is "${settings.host}")`);
  }
  if (c.sameSite === 'None' && !c.secure) problems.push('cookies.sameSite: "None" requires cookies.secure (browsers refuse it otherwise)');
  const presession = `${c.refreshName}${PRESESSION_SUFFIX}`;
  const names: Array<[string, string, string]> = [
    ['cookies.accessName', c.accessName, '/'],
    ['cookies.refreshName', c.refreshName, c.refreshPath],
    ['cookies.csrfCookieName', c.csrfCookieName, '/'],
  ];
  for (const [key, name, path] of names) {
    const prefix = cookiePrefix(name);
    if (prefix && !c.secure) problems.push(`${key}: a ${prefix} cookie requires cookies.secure`);
    if (prefix === '__Host-' && c.domain !== null) problems.push(`${key}: a __Host- cookie cannot have cookies.domain`);
    if (prefix === '__Host-' && path !== '/') problems.push(`${key}: a __Host- cookie needs Path=/ (cookies.refreshPath is "${path}")`);
  }
  const all = [c.accessName, c.refreshName, c.csrfCookieName, presession];
  if (new Set(all).size !== all.length) problems.push('cookies: accessName, refreshName and csrfCookieName must differ');
  try {
    new OriginPolicy(c.trustedOrigins, c.sameSite);
  } catch (e) {
    if (e instanceof OriginSettingError) problems.push(e.message);
    else throw e;
  }
  if (/^(authorization|cookie|host|origin|referer)$/i.test(c.csrfHeaderName)) problems.push(`cookies.csrfHeaderName: "${c.csrfHeaderName}" is a reserved header`);
  return problems;
}

/**
 * Does `refreshPath` cover the refresh and logout endpoints when the token endpoints are
 * mounted under `mountPrefix` (`''`: at the root, as `gatehouse serve` does)? One message
 * per endpoint the browser would never send the refresh cookie to (empty: fine). Under
 * `/auth`, for example, the refresh endpoint is `/auth/api/token/refresh/`, so the refresh
 * path must be `/auth/api/token/` (or `/auth/`, or `/`).
 */
export function refreshPathProblems(refreshPath: string, mountPrefix: string, tokenPrefix = '/api/token'): string[] {
  const problems: string[] = [];
  for (const endpoint of [`${mountPrefix}${tokenPrefix}/refresh/`, `${mountPrefix}${tokenPrefix}/logout/`]) {
    if (!pathMatches(refreshPath, endpoint)) {
      const hint = mountPrefix ? ` (the endpoints are mounted under "${mountPrefix}": set cookies.refreshPath to "${mountPrefix}${tokenPrefix}/")` : '';
      problems.push(`cookies.refreshPath: "${refreshPath}" must cover ${endpoint}, or the browser never sends the refresh cookie there${hint}`);
    }
  }
  return problems;
}

export interface CookieModeOptions {
  settings: Settings;
  /** The server secret; the CSRF key is derived from it (HKDF, its own purpose). */
  secretKey: string;
  clock: Clock;
}

/** Cookie mode for one application. */
export class CookieMode {
  readonly accessName: string;
  readonly refreshName: string;
  readonly csrfCookieName: string;
  readonly presessionName: string;
  readonly csrfEnabled: boolean;
  readonly secure: boolean;
  private readonly csrfHeader: string;
  private readonly accessAttrs: CookieAttributes;
  private readonly refreshAttrs: CookieAttributes;
  private readonly csrfAttrs: CookieAttributes;
  private readonly origins: OriginPolicy;
  private readonly tokens: CsrfTokens;
  private readonly clock: Clock;
  /** Lifetime of a pre-session (ms): as long as a refresh token would live. */
  private readonly presessionLifetime: number;

  constructor(o: CookieModeOptions) {
    const c = o.settings.cookies;
    this.accessName = c.accessName;
    this.refreshName = c.refreshName;
    this.csrfCookieName = c.csrfCookieName;
    this.presessionName = `${c.refreshName}${PRESESSION_SUFFIX}`;
    this.csrfEnabled = c.csrf;
    this.secure = c.secure;
    this.csrfHeader = c.csrfHeaderName.toLowerCase();
    const base = { domain: c.domain, secure: c.secure, sameSite: c.sameSite };
    this.accessAttrs = { ...base, path: '/', httpOnly: true };
    this.refreshAttrs = { ...base, path: c.refreshPath, httpOnly: true };
    // Readable by the page's scripts: the client echoes it in `csrfHeaderName`.
    this.csrfAttrs = { ...base, path: '/', httpOnly: false };
    this.origins = new OriginPolicy(c.trustedOrigins, c.sameSite);
    this.tokens = new CsrfTokens(o.secretKey);
    this.clock = o.clock;
    this.presessionLifetime = o.settings.jwt.refreshTokenLifetime;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** Problems with mounting the token endpoints under `prefix` (`refreshPathProblems`); empty: fine. */
  mountProblems(prefix: string): string[] {
    return refreshPathProblems(this.refreshAttrs.path ?? '/', prefix);
  }

  // ------------------------------------------------------------ the Secure rule

  /**
   * Cookies are only sent without `Secure` to localhost: with `cookies.secure: false`
   * a request whose `Host` is not `localhost`, `127.0.0.1` or `[::1]` is refused (400)
   * before anything changes.
   */
  assertMaySetCookies(req: RequestView): void {
    if (!this.secure && !isLocalhostRequest(req)) throw new InsecureCookieHost();
  }

  // ------------------------------------------------------------ reading

  /** A cookie's value; an empty value (a deleted cookie) counts as absent. */
  private read(req: RequestView, name: string): string | null {
    const v = req.cookies[name];
    return v === undefined || v === '' ? null : v;
  }

  accessCookie(req: RequestView): string | null {
    return this.read(req, this.accessName);
  }

  refreshCookie(req: RequestView): string | null {
    return this.read(req, this.refreshName);
  }

  // ------------------------------------------------------------ writing

  /** The access cookie: HttpOnly, `Path=/`, `Max-Age` = what is left of the token (`exp` in epoch seconds). */
  setAccess(token: string, exp: number): string {
    return serializeCookie(this.accessName, token, exp - this.nowSeconds(), this.clock.now(), this.accessAttrs);
  }

  /** The refresh cookie: HttpOnly, `Path=cookies.refreshPath`. */
  setRefresh(token: string, exp: number): string {
    return serializeCookie(this.refreshName, token, exp - this.nowSeconds(), this.clock.now(), this.refreshAttrs);
  }

  /** A new session-bound CSRF cookie (readable by scripts) valid until `exp`; none when CSRF is off. */
  setSessionCsrf(sid: string, exp: number): string[] {
    if (!this.csrfEnabled) return [];
    const token = this.tokens.issue('session', sid, exp);
    return [serializeCookie(this.csrfCookieName, token, exp - this.nowSeconds(), this.clock.now(), this.csrfAttrs)];
  }

  /** A new pre-session (login CSRF): an HttpOnly random id and a CSRF cookie bound to it. */
  setPresession(): string[] {
    const id = randomId();
    const lifetime = Math.floor(this.presessionLifetime / 1000);
    const exp = this.nowSeconds() + lifetime;
    const token = this.tokens.issue('pre', id, exp);
    return [
      serializeCookie(this.csrfCookieName, token, lifetime, this.clock.now(), this.csrfAttrs),
      serializeCookie(this.presessionName, id, lifetime, this.clock.now(), this.refreshAttrs),
    ];
  }

  /** Deletion of the pre-session id (after login). */
  clearPresession(): string {
    return expiredCookie(this.presessionName, this.refreshAttrs);
  }

  /** Deletion of the access, refresh and CSRF cookies, each with its own Path and Domain (logout). */
  clearAll(): string[] {
    const out = [expiredCookie(this.accessName, this.accessAttrs), expiredCookie(this.refreshName, this.refreshAttrs)];
    if (this.csrfEnabled) out.push(expiredCookie(this.csrfCookieName, this.csrfAttrs));
    return out;
  }

  // ------------------------------------------------------------ CSRF

  /**
   * The checks that need no session, in Django's order: `Sec-Fetch-Site`, `Origin` (or
   * `Referer`), the CSRF cookie is set, the header is present. Throws 403
   * `CSRF Failed: …`. No-op when `cookies.csrf` is false.
   */
  precheck(req: RequestView): void {
    if (!this.csrfEnabled) return;
    const reason = this.origins.check(req);
    if (reason) throw csrfFailed(reason);
    if (this.read(req, this.csrfCookieName) === null) throw csrfFailed(REASON_NO_CSRF_COOKIE);
    const header = req.headers[this.csrfHeader];
    if (header === undefined || header === '') throw csrfFailed(REASON_CSRF_TOKEN_MISSING);
  }

  /**
   * Double submit (header = cookie) AND the signature binds the token to one of the
   * given (purpose, id) pairs. Throws `CSRF token incorrect.`
   */
  private bound(req: RequestView, bindings: ReadonlyArray<readonly [CsrfPurpose, string]>): void {
    const cookie = this.read(req, this.csrfCookieName) ?? '';
    const header = req.headers[this.csrfHeader] ?? '';
    const now = this.nowSeconds();
    if (sameString(header, cookie) && bindings.some(([purpose, id]) => this.tokens.verify(cookie, purpose, id, now))) return;
    throw csrfFailed(REASON_CSRF_TOKEN_INCORRECT);
  }

  /**
   * Full check of a request acting on session `sid` (the `sid` claim of its token;
   * null when the token has none): `precheck` plus the signed double submit.
   */
  checkSession(req: RequestView, sid: string | null): void {
    if (!this.csrfEnabled) return;
    this.precheck(req);
    this.bound(req, sid === null ? [] : [['session', sid]]);
  }

  /**
   * Full check of a login: the CSRF token must be bound to the pre-session cookie
   * (`GET <prefix>/csrf/`), or to a session the browser already holds (`sids`: the
   * `sid` of its verified access/refresh cookies; re-login while logged in).
   */
  checkLogin(req: RequestView, sids: readonly string[]): void {
    if (!this.csrfEnabled) return;
    this.precheck(req);
    const id = this.read(req, this.presessionName);
    const bindings: Array<readonly [CsrfPurpose, string]> = sids.map((sid) => ['session', sid] as const);
    if (id !== null) bindings.unshift(['pre', id]);
    this.bound(req, bindings);
  }

  /** For tests and tools: the signer (never the JWT key). */
  get csrfTokens(): CsrfTokens {
    return this.tokens;
  }
}
