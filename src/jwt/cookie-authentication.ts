/**
 * dj-rest-auth's `JWTCookieAuthentication` (drf-wire.md §3.5), safer by default:
 *
 * - an `Authorization` header, when present, is used exactly as `JWTAuthentication`
 *   uses it and the cookie is ignored — even when the header is garbage or of another
 *   scheme (no fall-through to the cookie, catalogue 68);
 * - without the header, the access cookie is the token; wire errors are those of
 *   `JWTAuthentication` (same 401 bodies, same `Bearer realm="api"` challenge);
 * - unsafe methods (POST, PUT, PATCH, DELETE) authenticated by the cookie must pass the
 *   CSRF checks (`Sec-Fetch-Site`, `Origin`/`Referer`, a signed double-submit token
 *   bound to the token's session): 403 `CSRF Failed: …` otherwise (catalogue 72–74).
 *   Requests authenticated by the header need no CSRF token (a page cannot make a
 *   browser send one cross-site);
 * - a token carrying a session id (`sid`, cookie mode) is refused once its session is
 *   revoked (logout, reuse detection, logout-all): the access cookie dies with the
 *   refresh token (catalogue 78), answered as a blacklisted token.
 */
import type { Authenticator } from '../core/authenticator.js';
import { SAFE_METHODS, type RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { CookieMode } from '../cookies/mode.js';
import { JWTAuthentication, type JwtAuth } from './authentication.js';
import { TOKEN_BLACKLISTED } from './claims.js';
import { JwtService, NOT_VALID_FOR_ANY, invalidToken } from './service.js';

/** `JWTAuthentication` reading its token from the header when present, else from the access cookie. */
class HeaderOrCookie extends JWTAuthentication {
  constructor(service: JwtService, private readonly mode: CookieMode) {
    super(service);
  }

  /** Is there an `Authorization` (or `jwt.authHeaderName`) header at all? */
  hasHeader(req: RequestView): boolean {
    return req.headers[this.headerName] !== undefined;
  }

  protected override token(req: RequestView): JwtAuth | Promise<JwtAuth> | null {
    if (this.hasHeader(req)) return super.token(req);
    const raw = this.mode.accessCookie(req);
    return raw === null ? null : this.validated(raw);
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
    const principal = this.inner.authenticate(req);
    if (principal === null) return null;
    return principal instanceof Promise ? principal.then((p) => this.session(req, p, csrf)) : this.session(req, principal, csrf);
  }

  /** The session checks: not revoked; for cookie-authenticated unsafe methods, the CSRF token bound to it. */
  private session(req: RequestView, principal: Principal<JwtAuth>, csrf: boolean): Principal<JwtAuth> | Promise<Principal<JwtAuth>> {
    const sid = this.service.sessionOf(principal.auth.claims);
    const finish = (revoked: boolean): Principal<JwtAuth> => {
      if (revoked) {
        throw invalidToken(
          NOT_VALID_FOR_ANY,
          this.service.settings.authTokenClasses.map((k) => JwtService.message(k, TOKEN_BLACKLISTED)),
        );
      }
      if (csrf) this.mode.checkSession(req, sid);
      return principal;
    };
    if (sid === null) return finish(false);
    const revoked = this.service.isSessionRevoked(sid);
    return revoked instanceof Promise ? revoked.then(finish) : finish(revoked);
  }
}
