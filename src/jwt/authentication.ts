/**
 * simplejwt's `JWTAuthentication` and `JWTStatelessUserAuthentication`:
 * `Authorization: Bearer <jwt>`, parsed exactly as simplejwt does (scheme compared
 * byte for byte, case-sensitive; any other scheme is "not mine"). `authenticate` is
 * simplejwt's four steps — `get_header`, `get_raw_token`, `get_validated_token`,
 * `get_user` — with the clock, the change signal and the token's hash read once for all
 * of them; the work is the verifier's (`verifier.ts`).
 */
import type { Authenticator } from '../core/authenticator.js';
import { AuthenticationFailed } from '../core/errors.js';
import { isPromise, type MaybePromise } from '../core/maybe.js';
import { firstWordIs, firstWordStart, splitWhitespace, type RequestView } from '../core/request.js';
import type { Principal, User } from '../core/user.js';
import { numericUserId, userIdOf } from './claims.js';
import { NO_USER_ID, invalidToken } from './errors.js';
import type { JwtService } from './service.js';
import type { JwtAuth, JwtVerifier } from './verifier.js';

export type { JwtAuth } from './verifier.js';

export const BAD_HEADER = 'Authorization header must contain two space-delimited values';

/** `HTTP_AUTHORIZATION` (Django META key) or `Authorization` → `authorization`. */
export function headerNameOf(setting: string): string {
  const name = setting.startsWith('HTTP_') ? setting.slice(5).replace(/_/g, '-') : setting;
  return name.toLowerCase();
}

/** The steps shared by both authenticators; `get_user` is theirs. */
abstract class JwtAuthenticationBase implements Authenticator {
  abstract readonly name: string;
  protected readonly headerName: string;
  protected readonly types: readonly string[];
  protected readonly verifier: JwtVerifier;
  private readonly challengeValue: string;

  constructor(protected readonly service: JwtService) {
    this.verifier = service.verifier;
    this.headerName = headerNameOf(service.settings.authHeaderName);
    this.types = service.settings.authHeaderTypes;
    this.challengeValue = `${this.types[0]} realm="api"`;
  }

  challenge(): string {
    return this.challengeValue;
  }

  authenticate(req: RequestView): Principal<JwtAuth> | null | Promise<Principal<JwtAuth>> {
    const raw = this.rawToken(req);
    if (raw === null) return null;
    const now = this.verifier.now();
    const generation = this.verifier.generation();
    const validated = this.getValidatedToken(raw, now, generation);
    if (isPromise(validated)) return validated.then((auth) => this.getUser(auth, generation));
    return this.getUser(validated, generation);
  }

  /** The raw token of a request (`get_header` + `get_raw_token`), null when it carries none of ours. */
  protected rawToken(req: RequestView): string | null {
    const header = this.getHeader(req);
    return header === undefined ? null : this.getRawToken(header);
  }

  /** simplejwt's `get_header`. */
  protected getHeader(req: RequestView): string | undefined {
    return req.headers[this.headerName];
  }

  /**
   * simplejwt's `get_raw_token`: null for another scheme's header (not split at all);
   * exactly two whitespace-separated parts, else 401 `bad_authorization_header`. The
   * common shape, `<type> <token>` with a token the verifier has verified before, needs
   * no split: a verified token holds no whitespace, so the split would give just that.
   */
  protected getRawToken(header: string): string | null {
    const end = this.schemeEnd(header);
    if (end < 0) return null;
    if (header.charCodeAt(end) === 32) {
      const rest = header.slice(end + 1);
      if (this.verifier.isKnown(rest)) return rest;
    }
    const parts = splitWhitespace(header);
    if (parts.length !== 2) throw new AuthenticationFailed(BAD_HEADER, { code: 'bad_authorization_header' }, 'bad_authorization_header');
    return parts[1] as string;
  }

  /** Where the header's first word ends when it is one of `authHeaderTypes`, else -1. */
  private schemeEnd(header: string): number {
    for (const type of this.types) {
      if (header.startsWith(type) && header.charCodeAt(type.length) === 32) return type.length; // `Bearer <token>`, the common shape
      if (firstWordIs(header, type)) return firstWordStart(header) + type.length;
    }
    return -1;
  }

  /** simplejwt's `get_validated_token` (see `JwtVerifier.validated`). */
  protected getValidatedToken(raw: string, now: number, generation: number): MaybePromise<JwtAuth> {
    return this.verifier.validated(raw, now, generation);
  }

  /** simplejwt's `get_user`. */
  protected abstract getUser(auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>>;
}

/**
 * `JWTAuthentication`: the user is looked up in the store (cached, invalidated by the
 * store's change signal). 401 bodies as simplejwt: `user_not_found`, `user_inactive`,
 * `password_changed` (with `checkRevokeToken`), `token_not_valid` (also for a token of a
 * revoked cookie-mode session). Challenge: `WWW-Authenticate: Bearer realm="api"`.
 */
export class JWTAuthentication extends JwtAuthenticationBase {
  readonly name = 'JWTAuthentication';

  protected getUser(auth: JwtAuth, generation: number): MaybePromise<Principal<JwtAuth>> {
    return this.verifier.user(auth, generation);
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

  protected getUser(auth: JwtAuth): Principal<JwtAuth> {
    const s = this.service.settings;
    const id = userIdOf(auth.claims, s);
    const numeric = numericUserId(id ?? '', s);
    // No lookup to refuse an id that names no one: a non-canonical id (`"01"`) is no id.
    if (id === null || (s.userIdField === 'id' && s.strictUserId && numeric === null)) throw invalidToken(NO_USER_ID);
    const c = auth.claims;
    const user: User = {
      id: numeric ?? 0,
      username: typeof c.username === 'string' ? c.username : s.userIdField === 'username' ? String(id) : '',
      email: '',
      emailVerified: false,
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
