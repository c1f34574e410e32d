/**
 * dj-rest-auth's `JWTCookieAuthentication` (drf-wire.md §3.5), safer by default:
 *
 * - an `Authorization` header, when present, is used exactly as `JWTAuthentication`
 *   uses it and the cookie is ignored — even when the header is garbage or of another
 *   scheme (no fall-through to the cookie);
 * - without the header, the access cookie is the token; wire errors are those of
 *   `JWTAuthentication` (same 401 bodies, same `Bearer realm="api"` challenge);
 * - unsafe methods (POST, PUT, PATCH, DELETE) authenticated by the cookie must pass the
 *   CSRF checks (`Sec-Fetch-Site`, `Origin`/`Referer`, a signed double-submit token
 *   bound to the token's session): 403 `CSRF Failed: …` otherwise.
 *   Requests authenticated by the header need no CSRF token (a page cannot make a
 *   browser send one cross-site);
 * - a token carrying a session id (`sid`, cookie mode) is refused once its session is
 *   revoked (logout, reuse detection, logout-all): the access cookie dies with the
 *   refresh token, answered as a blacklisted token (checked on the request path of
 *   `JWTAuthentication`, which this authenticator runs).
 */
import type { Authenticator } from '../core/authenticator.js';
import { then } from '../core/maybe.js';
import { SAFE_METHODS, type RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { CookieMode } from '../cookies/mode.js';
import { JWTAuthentication, type JwtAuth } from './authentication.js';
import type { JwtService } from './service.js';

/** `JWTAuthentication` reading its token from the header when present, else from the access cookie. */
class HeaderOrCookie extends JWTAuthentication {
  constructor(service: JwtService, private readonly mode: CookieMode) {
    super(service);
  }

  /** Is there an `Authorization` (or `jwt.authHeaderName`) header at all? */
  hasHeader(req: RequestView): boolean {
    return this.getHeader(req) !== undefined;
  }

  protected override rawToken(req: RequestView): string | null {
    return this.hasHeader(req) ? super.rawToken(req) : this.mode.accessCookie(req);
  }
}

export class JWTCookieAuthentication implements Authenticator {
  readonly name = 'JWTCookieAuthentication';
  private readonly inner: HeaderOrCookie;

  constructor(private readonly service: JwtService, private readonly mode: CookieMode) {
    this.inner = new HeaderOrCookie(service, mode);
  }

  challenge(): string | null {
    return this.inner.challenge();
  }

  authenticate(req: RequestView): Principal<JwtAuth> | null | Promise<Principal<JwtAuth>> {
    const fromCookie = !this.inner.hasHeader(req);
    const csrf = fromCookie && !SAFE_METHODS.has(req.method);
    if (fromCookie) {
      if (this.mode.accessCookie(req) === null) return null;
      // The checks that need no token first, as dj-rest-auth's `enforce_csrf` runs before validation.
      if (csrf) this.mode.precheck(req);
    }
    // The session's revocation is checked by JWTAuthentication (the verifier's request path).
    const principal = this.inner.authenticate(req);
    if (principal === null || !csrf) return principal;
    return then(principal, (p) => {
      this.mode.checkSession(req, this.service.sessionOf(p.auth.claims));
      return p;
    });
  }
}
