/**
 * dj-rest-auth's `login/` and `logout/`, and the credentials a login or a sign-up hands
 * out: the opaque token of `/api-token-auth/` (Token mode, `{"key"}`) or a JWT pair
 * (`accounts.djRestAuthJwt`, `{"access","refresh","user"}`; in cookie mode the tokens go
 * into the cookie-mode cookies instead, as on `/api/token/`).
 *
 * Login (`LoginSerializer`): `username` and `email` optional and blank-allowed, `email`
 * checked as an address, `password` required; the field `accounts.loginField` names must
 * be given (`Must include "username" and "password".`); then the password; then, with
 * mandatory verification, the address (`E-mail is not verified.`, only after the password
 * matched). A login updates `last_login` (dj-rest-auth's session login does), which
 * invalidates outstanding reset links.
 *
 * Logout answers 200 `{"detail":"Successfully logged out."}` also anonymously; it revokes
 * the opaque token presented, and in JWT mode blacklists the refresh token of the body or,
 * unlike dj-rest-auth 4.0.1, of the refresh cookie (docs/security.md #152).
 */
import type { Audit } from '../../core/audit.js';
import { AuthenticationFailed, ValidationError } from '../../core/errors.js';
import type { RequestView } from '../../core/request.js';
import type { Settings } from '../../core/settings.js';
import type { Principal, User } from '../../core/user.js';
import type { CookieMode } from '../../cookies/mode.js';
import { TOKEN_BLACKLISTED } from '../../jwt/claims.js';
import type { JwtService } from '../../jwt/service.js';
import type { TokenRecord } from '../../stores/types.js';
import type { OpaqueTokenService } from '../../tokens/service.js';
import type { UserService } from '../../users/service.js';
import type { LoginAttempt } from '../../mfa/gate.js';
import type { HandlerContext, HandlerResult } from '../route.js';
import { UNABLE_TO_LOG_IN, issueForLogin, passwordLogin } from './credentials.js';
import { emailField, passwordField, readFields, type Field } from './dj-rest-auth-fields.js';
import { LOGGED_OUT, cookieLogout, cookieSessionLogin, type JwtEnv } from './jwt.js';
import { issueLoginToken } from './opaque.js';
import { userDetails } from './user.js';

export type LoginField = Settings['accounts']['loginField'];
export type EmailVerification = Settings['accounts']['emailVerification'];

export const EMAIL_NOT_VERIFIED = 'E-mail is not verified.';
export const REFRESH_NOT_INCLUDED = 'Refresh token was not included in request data.';
export const TOKEN_INVALID_OR_EXPIRED = 'Token is invalid or expired';

const MUST_INCLUDE: Record<LoginField, string> = {
  username: 'Must include "username" and "password".',
  email: 'Must include "email" and "password".',
  either: 'Must include either "username" or "email" and "password".',
};

/** What login, logout and sign-up work with. */
export interface SessionEnv {
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  audit: Audit;
  clientAddress: (req: RequestView) => string;
  loginField: LoginField;
  emailVerification: EmailVerification;
  /** JWT mode (`accounts.djRestAuthJwt`). */
  useJwt: boolean;
  /** Cookie mode (`cookies.enabled`), with JWT mode: the tokens travel in cookies. */
  cookies?: CookieMode;
  /** simplejwt's routes' environment, for the cookie-mode session shared with `/api/token/`. */
  jwtEnv: JwtEnv;
}

const LOGIN_FIELDS: readonly Field[] = [
  { name: 'username', required: false, allowBlank: true },
  emailField('email', { required: false, allowBlank: true }),
  passwordField('password'),
];

/** The value that names the user, by `accounts.loginField` (allauth's `_validate_username` / `_validate_email` / `_validate_username_email`). */
function loginName(values: Record<string, string>, field: LoginField): string {
  const name = field === 'username' ? values.username : field === 'email' ? values.email : values.email || values.username;
  if (!name) throw ValidationError.nonField(MUST_INCLUDE[field]);
  return name;
}

/** A refused login: audited, then the layout's message. */
function refuse(env: SessionEnv, message: string): never {
  env.audit({ event: 'login_failed', endpoint: 'dj-rest-auth-login' });
  throw ValidationError.nonField(message);
}

/** With mandatory verification, only users whose address was verified log in. */
export function mayLogIn(env: Pick<SessionEnv, 'emailVerification'>, user: User): boolean {
  return env.emailVerification !== 'mandatory' || user.emailVerified === true;
}

/** The fields, the password, the verification gate: the user logging in. */
async function loginUser(env: SessionEnv, ctx: HandlerContext): Promise<User> {
  const values = await readFields(ctx, LOGIN_FIELDS);
  const name = loginName(values, env.loginField);
  const user = await passwordLogin(env.users, ctx, name, values.password!, env.clientAddress(ctx.req));
  if (!user) refuse(env, UNABLE_TO_LOG_IN);
  if (!mayLogIn(env, user)) refuse(env, EMAIL_NOT_VERIFIED);
  return user;
}

/** POST `login/`. */
export function login(env: SessionEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const eligible = (user: User) => user.isActive && mayLogIn(env, user);
  return signIn(env, ctx, { endpoint: 'dj-rest-auth-login', authenticate: () => loginUser(env, ctx), eligible }, 200);
}

/**
 * What a login or a sign-up answers once the gate let `attempt` through (src/mfa/gate.ts):
 * `{"key"}` (Token mode) or `{"access","refresh","user"}` (JWT mode); `last_login` is
 * updated once the credential is stored. In JWT + cookie mode the pair goes into the
 * cookie-mode cookies (`{"access":"","refresh":"","user",…expirations}`), after the login
 * CSRF check and with the browser's earlier sessions ended (`cookieSessionLogin`), for a
 * sign-up as for a login (docs/security.md #71).
 */
export async function signIn(env: SessionEnv, ctx: HandlerContext, attempt: LoginAttempt, status: number): Promise<HandlerResult> {
  if (env.useJwt && env.cookies) {
    const session = await cookieSessionLogin(env.jwtEnv, env.cookies, ctx, attempt);
    await env.users.touchLastLogin(session.user);
    return { status, headers: session.headers, body: { access: '', refresh: '', user: userDetails(session.user), ...session.expirations } };
  }
  const verified = await env.jwtEnv.gate.pass(ctx, attempt);
  const touch = (user: User) => env.users.touchLastLogin(user);
  if (!env.useJwt) {
    const { key } = await issueLoginToken({ tokens: env.tokens, audit: env.audit }, ctx, verified, { onLimit: 'evictOldest', after: touch });
    return { status, body: { key } };
  }
  const pair = await issueForLogin(verified, env.audit, (user) => env.jwt.obtainPair(user), () => ValidationError.nonField(UNABLE_TO_LOG_IN));
  await touch(verified.user);
  return { status, body: { access: pair.access, refresh: pair.refresh, user: userDetails(verified.user) } };
}

/** The opaque token the request was authenticated with, if any (JWT principals carry claims). */
function presentedToken(principal: Principal | null): TokenRecord | null {
  const auth = principal?.auth;
  return auth && typeof auth === 'object' && 'digest' in auth ? (auth as TokenRecord) : null;
}

/** POST `logout/`. */
export async function logout(env: SessionEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const token = presentedToken(ctx.principal);
  if (token) await env.tokens.revoke(token.id);
  if (!env.useJwt) {
    env.audit({ event: 'logout', endpoint: 'dj-rest-auth-logout', userId: ctx.principal?.user.id, tokenId: token?.id });
    return { body: { detail: LOGGED_OUT } };
  }
  if (env.cookies) return cookieLogout(env.jwtEnv, env.cookies, ctx);
  return blacklistRefresh(env, ctx);
}

/** JWT-mode logout without cookies: the body's `refresh` is blacklisted (dj-rest-auth 4.0.1's messages). */
async function blacklistRefresh(env: SessionEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const data = await ctx.body();
  const refused = (detail: string): HandlerResult => ({ status: 401, headers: { 'WWW-Authenticate': env.jwtEnv.challenge }, body: { detail } });
  const refresh = data.refresh;
  if (refresh === undefined) return refused(REFRESH_NOT_INCLUDED);
  if (typeof refresh !== 'string') return refused(TOKEN_INVALID_OR_EXPIRED);
  try {
    await env.jwt.blacklist(refresh);
  } catch (e) {
    if (!(e instanceof AuthenticationFailed)) throw e;
    return refused(e.detail === TOKEN_BLACKLISTED ? TOKEN_BLACKLISTED : TOKEN_INVALID_OR_EXPIRED);
  }
  env.audit({ event: 'logout', endpoint: 'dj-rest-auth-logout', userId: ctx.principal?.user.id });
  return { body: { detail: LOGGED_OUT } };
}
