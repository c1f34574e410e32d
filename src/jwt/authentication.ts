/**
 * simplejwt's `JWTAuthentication` and `JWTStatelessUserAuthentication`:
 * `Authorization: Bearer <jwt>`, parsed exactly as simplejwt does (scheme compared
 * byte for byte, case-sensitive; any other scheme is "not mine").
 */
import type { Authenticator } from '../core/authenticator.js';
import { AuthenticationFailed, type JsonValue } from '../core/errors.js';
import { firstWordIs, firstWordStart, splitWhitespace, type RequestView } from '../core/request.js';
import type { Principal, User } from '../core/user.js';
import { TOKEN_BLACKLISTED, TokenError, checkTokenClaims, jtiOf, type Claims, type TokenKind } from './claims.js';
import { JwtService, NOT_VALID_FOR_ANY, NO_USER_ID, PASSWORD_CHANGED, invalidToken } from './service.js';

export const BAD_HEADER = 'Authorization header must contain two space-delimited values';

/** `HTTP_AUTHORIZATION` (Django META key) or `Authorization` → `authorization`. */
export function headerNameOf(setting: string): string {
  const name = setting.startsWith('HTTP_') ? setting.slice(5).replace(/_/g, '-') : setting;
  return name.toLowerCase();
}

/** What `request.auth` is for a JWT: the validated token. */
export interface JwtAuth {
  kind: TokenKind;
  claims: Claims;
}

/** Parsing and validation shared by both authenticators. */
abstract class JwtAuthenticationBase implements Authenticator {
  abstract readonly name: string;
  protected readonly headerName: string;
  protected readonly types: readonly string[];
  private readonly challengeValue: string;

  constructor(protected readonly service: JwtService) {
    this.headerName = headerNameOf(service.settings.authHeaderName);
    this.types = service.settings.authHeaderTypes;
    this.challengeValue = `${this.types[0]} realm="api"`;
  }

  challenge(): string {
    return this.challengeValue;
  }

  /**
   * The validated token of a request, null when its header is absent or of another scheme.
   * Fast path: `<type> <token>` whose token is in the verified cache needs no split (a
   * cached token has no whitespace, so the header splits into exactly those two parts).
   */
  protected token(req: RequestView): JwtAuth | Promise<JwtAuth> | null {
    const header = req.headers[this.headerName];
    if (header === undefined) return null;
    const end = this.schemeEnd(header);
    if (end < 0) return null;
    const kinds = this.service.settings.authTokenClasses;
    if (header.charCodeAt(end) === 32 /* space */) {
      const now = this.service.nowMs();
      let cached: Claims | undefined;
      try {
        cached = this.service.cachedDecode(header.slice(end + 1), now, this.service.generation());
      } catch (e) {
        throw this.allFailed(kinds, e);
      }
      if (cached) return this.typed(cached, kinds, Math.floor(now / 1000));
    }
    return this.validated(this.split(header));
  }

  /** simplejwt's `get_raw_token`: exactly two whitespace-separated parts, else 401 `bad_authorization_header`. */
  private split(header: string): string {
    const parts = splitWhitespace(header);
    if (parts.length !== 2) throw new AuthenticationFailed(BAD_HEADER, { code: 'bad_authorization_header' }, 'bad_authorization_header');
    return parts[1] as string;
  }

  /** Where the header's first word ends when it is one of `authHeaderTypes`, else -1. (Another scheme's header is not split.) */
  private schemeEnd(header: string): number {
    for (const type of this.types) {
      if (header.startsWith(type) && header.charCodeAt(type.length) === 32) return type.length; // `Bearer <token>`, the common shape
      if (firstWordIs(header, type)) return firstWordStart(header) + type.length;
    }
    return -1;
  }

  /**
   * simplejwt `get_validated_token`: the token as each of `authTokenClasses` in order;
   * the first that validates wins, else 401 with one `messages` entry per class.
   * Synchronous for access tokens whose signature is cached.
   */
  protected validated(raw: string): JwtAuth | Promise<JwtAuth> {
    const kinds = this.service.settings.authTokenClasses;
    let decoded: Claims | Promise<Claims>;
    try {
      decoded = this.service.decode(raw);
    } catch (e) {
      throw this.allFailed(kinds, e);
    }
    if (decoded instanceof Promise) return decoded.then((c) => this.typed(c, kinds), (e: unknown) => Promise.reject(this.allFailed(kinds, e)));
    return this.typed(decoded, kinds);
  }

  private allFailed(kinds: readonly TokenKind[], e: unknown): unknown {
    if (!(e instanceof TokenError)) return e;
    return invalidToken(NOT_VALID_FOR_ANY, kinds.map((k) => JwtService.message(k, e.message)));
  }

  /** The first of `kinds` the claims are valid as; `now` in epoch seconds. */
  private typed(claims: Claims, kinds: readonly TokenKind[], now = this.service.now()): JwtAuth | Promise<JwtAuth> {
    const s = this.service.settings;
    if (kinds.length === 1 && kinds[0] === 'access') {
      // The common case, synchronous when the denylist answer (if any) is cached.
      try {
        checkTokenClaims(claims, 'access', now, s);
      } catch (e) {
        throw this.allFailed(kinds, e);
      }
      const jti = s.accessTokenDenylist ? jtiOf(claims, s) : null;
      if (jti === null) return { kind: 'access', claims };
      const denied = this.service.isAccessTokenDenied(jti);
      const decide = (d: boolean): JwtAuth => {
        if (d) throw this.allFailed(kinds, new TokenError(TOKEN_BLACKLISTED));
        return { kind: 'access', claims };
      };
      return denied instanceof Promise ? denied.then(decide) : decide(denied);
    }
    return this.typedAsync(claims, kinds);
  }

  private async typedAsync(claims: Claims, kinds: readonly TokenKind[]): Promise<JwtAuth> {
    const messages: JsonValue[] = [];
    for (const kind of kinds) {
      try {
        if (kind === 'sliding') await this.service.checkBlacklist(claims);
        checkTokenClaims(claims, kind, this.service.now(), this.service.settings);
        if (kind === 'access' && this.service.settings.accessTokenDenylist) {
          const jti = jtiOf(claims, this.service.settings);
          if (jti !== null && (await this.service.isAccessTokenDenied(jti))) throw new TokenError(TOKEN_BLACKLISTED);
        }
        return { kind, claims };
      } catch (e) {
        if (!(e instanceof TokenError)) throw e;
        messages.push(JwtService.message(kind, e.message));
      }
    }
    throw invalidToken(NOT_VALID_FOR_ANY, messages);
  }

  abstract authenticate(req: RequestView): Principal<JwtAuth> | null | Promise<Principal<JwtAuth>>;
}

/**
 * `JWTAuthentication`: the user is looked up in the store (cached, invalidated by the
 * store's change signal). 401 bodies as simplejwt: `user_not_found`, `user_inactive`,
 * `password_changed` (with `checkRevokeToken`), `token_not_valid`.
 * Challenge: `WWW-Authenticate: Bearer realm="api"`.
 */
export class JWTAuthentication extends JwtAuthenticationBase {
  readonly name = 'JWTAuthentication';

  authenticate(req: RequestView): Principal<JwtAuth> | null | Promise<Principal<JwtAuth>> {
    const auth = this.token(req);
    if (auth === null) return null;
    return auth instanceof Promise ? auth.then((a) => this.withUser(a)) : this.withUser(auth);
  }

  private withUser(auth: JwtAuth): Principal<JwtAuth> | Promise<Principal<JwtAuth>> {
    const id = this.service.userIdOf(auth.claims);
    if (id === null) throw invalidToken(NO_USER_ID);
    const user = this.service.cachedUser(id);
    if (user instanceof Promise) return user.then((u) => this.check(u, auth));
    return this.check(user, auth);
  }

  private check(user: User | null, auth: JwtAuth): Principal<JwtAuth> | Promise<Principal<JwtAuth>> {
    if (!user) throw new AuthenticationFailed('User not found', { code: 'user_not_found' }, 'user_not_found');
    if (!this.service.canAuthenticate(user)) throw new AuthenticationFailed('User is inactive', { code: 'user_inactive' }, 'user_inactive');
    if (this.service.settings.checkRevokeToken) {
      return this.service.revokeClaimValid(auth.claims, user).then((ok) => {
        if (!ok) throw new AuthenticationFailed(PASSWORD_CHANGED, { code: 'password_changed' }, 'password_changed');
        return { user, auth };
      });
    }
    return { user, auth };
  }
}

/**
 * `JWTStatelessUserAuthentication` (alias `JWTTokenUserAuthentication`): no store
 * lookup; the user is built from the claims (simplejwt's `TokenUser`: active, staff and
 * superuser from `is_staff` / `is_superuser` claims, username from `username`). A token
 * of a deleted user is accepted, as in simplejwt: use short access lifetimes.
 */
export class JWTStatelessUserAuthentication extends JwtAuthenticationBase {
  readonly name = 'JWTStatelessUserAuthentication';

  authenticate(req: RequestView): Principal<JwtAuth> | null | Promise<Principal<JwtAuth>> {
    const auth = this.token(req);
    if (auth === null) return null;
    return auth instanceof Promise ? auth.then((a) => this.tokenUser(a)) : this.tokenUser(auth);
  }

  private tokenUser(auth: JwtAuth): Principal<JwtAuth> {
    const id = this.service.userIdOf(auth.claims);
    if (id === null) throw invalidToken(NO_USER_ID);
    const c = auth.claims;
    const numeric = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : 0;
    const user: User = {
      id: numeric,
      username: typeof c.username === 'string' ? c.username : this.service.settings.userIdField === 'username' ? String(id) : '',
      email: '',
      firstName: '',
      lastName: '',
      isActive: true,
      isStaff: c.is_staff === true,
      isSuperuser: c.is_superuser === true,
      lastLogin: null,
      dateJoined: new Date(0),
      password: '!',
    };
    return { user, auth };
  }
}
