/**
 * simplejwt's token views as routes: obtain pair, refresh, verify, blacklist, sliding
 * obtain and refresh. Like simplejwt they have no authenticators (an `Authorization`
 * header is ignored) but answer 401 with `WWW-Authenticate: Bearer realm="api"`.
 *
 * In cookie mode (`deps.cookies`, dj-rest-auth's JWT-in-cookie mode, docs/cookie-mode.md)
 * obtain and refresh set the tokens as HttpOnly cookies instead of returning them,
 * read the refresh token from its cookie, and are CSRF-protected; `logout/` clears the
 * cookies and revokes the session, and `csrf/` hands out the CSRF cookie a login needs.
 */
import { noAudit, type Audit } from '../../core/audit.js';
import { AuthenticationFailed, ValidationError, type JsonObject } from '../../core/errors.js';
import { drfDateTime } from '../../core/json.js';
import type { RequestView } from '../../core/request.js';
import type { User } from '../../core/user.js';
import { setCookieHeaders } from '../../cookies/cookie.js';
import type { CookieMode } from '../../cookies/mode.js';
import { TOKEN_BLACKLISTED, TokenError, type Claims } from '../../jwt/claims.js';
import { NO_ACTIVE_ACCOUNT, invalidToken, type JwtService } from '../../jwt/service.js';
import type { UserService } from '../../users/service.js';
import type { LoginAttempt, MfaGate, VerifiedLogin } from '../../mfa/gate.js';
import { validateCharFields } from '../fields.js';
import { issueForLogin, passwordLogin, usernameField } from './credentials.js';
import type { HandlerContext, HandlerResult, MetadataField, Route } from '../route.js';

export interface JwtEndpointDeps {
  /** The client address for the login throttle (default: the socket peer). */
  clientAddress?: (req: RequestView) => string;
  users: UserService;
  jwt: JwtService;
  audit?: Audit;
  /** Cookie mode (`cookies.enabled`); the `JwtService` must then add the session claim. */
  cookies?: CookieMode;
  /** The login gate (second factors): every login passes through it. */
  gate: MfaGate;
}

/** What every handler here works with: the deps with their defaults filled in (`jwtEnv`). */
export interface JwtEnv {
  users: UserService;
  jwt: JwtService;
  audit: Audit;
  clientAddress: (req: RequestView) => string;
  /** `WWW-Authenticate` of every 401 (simplejwt's `Bearer realm="api"`). */
  challenge: string;
  gate: MfaGate;
}
type Env = JwtEnv;

/** The deps with their defaults, for the route builders below (also used by other layouts' JWT routes, e.g. djoser's). */
export function jwtEnv(deps: JwtEndpointDeps): JwtEnv {
  return {
    users: deps.users,
    jwt: deps.jwt,
    audit: deps.audit ?? noAudit,
    clientAddress: deps.clientAddress ?? ((req) => req.remoteAddress),
    challenge: `${deps.jwt.settings.authHeaderTypes[0]} realm="api"`,
    gate: deps.gate,
  };
}

const field = (name: string, label: string): MetadataField => ({ name, label });

/** dj-rest-auth's answers in cookie mode. */
export const NO_VALID_REFRESH = 'No valid refresh token found.';
export const REFRESH_NOT_IN_COOKIE = 'Refresh token was not included in cookie data.';
export const LOGGED_OUT = 'Successfully logged out.';

const expOf = (claims: Claims): number => claims.exp as number;
const expiration = (exp: number) => drfDateTime(exp * 1000);

/** simplejwt's `TokenObtainSerializer` fields: `USERNAME_FIELD` (labelled as DRF labels a field by its name) and `password`. */
const obtainFieldsFor = (name: 'username' | 'email') => [field(name, name === 'email' ? 'Email' : 'Username'), field('password', 'Password')];
/** simplejwt's `TokenRefreshSerializer`: `refresh`, and `access` (read-only: the answer's). */
const refreshFields = [field('refresh', 'Refresh'), { name: 'access', label: 'Access', readOnly: true }];
const tokenFields = [field('token', 'Token')];
const obtainDescription = 'Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.';
const refreshDescription = 'Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.';

/**
 * simplejwt `TokenObtainSerializer.validate`: the `USERNAME_FIELD` (`usernameField`) and
 * `password`, both trimmed (its PasswordField keeps CharField's default).
 */
async function login(env: Env, ctx: HandlerContext, endpoint: string): Promise<User> {
  const name = usernameField(env.users.loginField);
  const fields = validateCharFields(await ctx.body(), [{ name }, { name: 'password' }]) as Record<string, string>;
  const user = await passwordLogin(env.users, ctx, fields[name] as string, fields.password as string, env.clientAddress(ctx.req));
  if (!user || !env.jwt.canAuthenticate(user)) {
    env.audit({ event: 'login_failed', endpoint });
    throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
  }
  return user;
}

/** A simplejwt login at `endpoint`, for the gate: the password check above, and `canAuthenticate` again on a second call. */
const loginAttempt = (env: Env, ctx: HandlerContext, endpoint: string): LoginAttempt => ({
  endpoint,
  authenticate: () => login(env, ctx, endpoint),
  eligible: (user) => env.jwt.canAuthenticate(user),
});

/**
 * Obtain tokens for a verified login (then `last_login` with `jwt.updateLastLogin`); a
 * login whose user's credentials changed while it ran fails as wrong credentials do.
 */
const obtain = <T>(env: Env, login: VerifiedLogin, issue: (user: User) => Promise<T>): Promise<T> =>
  issueForLogin(login, env.audit, issue, () => new AuthenticationFailed(NO_ACTIVE_ACCOUNT));

/** `last_login` after a simplejwt login, when `jwt.updateLastLogin`. */
const touchLogin = async (env: Env, login: VerifiedLogin): Promise<void> => {
  if (env.jwt.settings.updateLastLogin) await env.users.touchLastLogin(login.user);
};

/** The one required, trimmed string field of a token endpoint's body. */
const one = async (ctx: HandlerContext, name: string) => (validateCharFields(await ctx.body(), [{ name }]) as Record<string, string>)[name] as string;

/** simplejwt's views share these: no authenticators, their own challenge, never cached. */
const viewPolicy = (env: Env) => ({ challenge: env.challenge, noStore: true }) as const;

/** simplejwt `TokenObtainPairView` at `path` (`endpoint` names it in audit events). */
export function obtainPairRoute(env: Env, path: string, endpoint = 'token-obtain'): Route {
  return {
    ...viewPolicy(env),
    path,
    name: 'Token Obtain Pair',
    description: obtainDescription,
    fields: obtainFieldsFor(usernameField(env.users.loginField)),
    methods: {
      POST: async (ctx) => {
        const verified = await env.gate.pass(ctx, loginAttempt(env, ctx, endpoint));
        const pair = await obtain(env, verified, (user) => env.jwt.obtainPair(user));
        await touchLogin(env, verified);
        return { body: { refresh: pair.refresh, access: pair.access } };
      },
    },
  };
}

/** simplejwt `TokenRefreshView` at `path`. */
export function refreshRoute(env: Env, path: string): Route {
  return {
    ...viewPolicy(env),
    path,
    name: 'Token Refresh',
    description: refreshDescription,
    fields: refreshFields,
    methods: {
      POST: async (ctx): Promise<HandlerResult> => {
        const result = await env.jwt.refresh(await one(ctx, 'refresh'));
        return { body: result.refresh === undefined ? { access: result.access.token } : { access: result.access.token, refresh: result.refresh.token } };
      },
    },
  };
}

/** simplejwt `TokenVerifyView` at `path`. */
export function verifyRoute(env: Env, path: string): Route {
  return {
    ...viewPolicy(env),
    path,
    name: 'Token Verify',
    description: 'Takes a token and indicates if it is valid.  This view provides no\ninformation about a token\'s fitness for a particular use.',
    fields: tokenFields,
    methods: {
      POST: async (ctx) => {
        if (!(await env.jwt.verify(await one(ctx, 'token')))) throw ValidationError.nonField(TOKEN_BLACKLISTED);
        return { body: {} };
      },
    },
  };
}

/** The simplejwt views under `/api/token/`. */
export function jwtRoutes(deps: JwtEndpointDeps, prefix = '/api/token'): Route[] {
  const env = jwtEnv(deps);
  const { jwt } = env;
  const common = viewPolicy(env);
  const obtainFields = obtainFieldsFor(usernameField(env.users.loginField));

  const routes: Route[] = [
    obtainPairRoute(env, `${prefix}/`),
    refreshRoute(env, `${prefix}/refresh/`),
    verifyRoute(env, `${prefix}/verify/`),
    {
      ...common,
      path: `${prefix}/blacklist/`,
      name: 'Token Blacklist',
      description: 'Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.',
      fields: refreshFields,
      methods: {
        POST: async (ctx) => {
          await jwt.blacklist(await one(ctx, 'refresh'));
          env.audit({ event: 'logout', endpoint: 'token-blacklist' });
          return { body: {} };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/`,
      name: 'Token Obtain Sliding',
      description: 'Takes a set of user credentials and returns a sliding JSON web token to\nprove the authentication of those credentials.',
      fields: obtainFields,
      methods: {
        POST: async (ctx) => {
          const verified = await env.gate.pass(ctx, loginAttempt(env, ctx, 'token-sliding'));
          const token = await obtain(env, verified, (user) => jwt.obtainSliding(user));
          await touchLogin(env, verified);
          return { body: { token } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/refresh/`,
      name: 'Token Refresh Sliding',
      description: 'Takes a sliding JSON web token and returns a new, refreshed version if the\ntoken\'s refresh period has not expired.',
      fields: tokenFields,
      methods: {
        POST: async (ctx) => ({ body: { token: await jwt.refreshSliding(await one(ctx, 'token')) } }),
      },
    },
  ];
  if (!deps.cookies) return routes;
  // Cookie mode: obtain and refresh answer with cookies; logout and csrf are added.
  const cookie = cookieRoutes(env, deps.cookies, prefix);
  const replaced = new Set(cookie.map((r) => r.path));
  return [...cookie, ...routes.filter((r) => !replaced.has(r.path))];
}

/**
 * Cookie mode's obtain, refresh, logout and CSRF routes (dj-rest-auth's `LoginView`,
 * `get_refresh_view()` and `LogoutView` under simplejwt's paths).
 *
 * - Tokens travel only in HttpOnly cookies; the JSON bodies keep the keys with empty
 *   values (`"refresh": ""` as dj-rest-auth, and `"access": ""`, docs/security.md #71) plus
 *   the expirations the page cannot read from the cookies.
 * - Bodies are JSON only (a form or `text/plain` post is 415: no simple-request
 *   bypass, docs/security.md #75).
 * - Login, refresh and logout are CSRF-protected (docs/security.md #77): login against a
 *   pre-session (`GET <prefix>/csrf/`), refresh and logout against the session of the
 *   refresh token used.
 * - Login never adopts the cookies it finds: it mints a new session and revokes the
 *   ones the browser held (fixation, docs/security.md #79).
 */
function cookieRoutes(env: Env, mode: CookieMode, prefix: string): Route[] {
  const obtainFields = obtainFieldsFor(usernameField(env.users.loginField));
  const common = { challenge: env.challenge, noStore: true, parsers: ['json'] } as const;
  const routes: Route[] = [
    { ...common, path: `${prefix}/`, name: 'Token Obtain Pair', description: obtainDescription, fields: obtainFields, methods: { POST: (ctx) => cookieLogin(env, mode, ctx) } },
    { ...common, path: `${prefix}/refresh/`, name: 'Token Refresh', description: refreshDescription, fields: refreshFields, methods: { POST: (ctx) => cookieRefresh(env, mode, ctx) } },
    {
      ...common,
      path: `${prefix}/logout/`,
      name: 'Logout',
      description: 'Clears the token cookies and blacklists the refresh token (its whole session).',
      fields: [{ ...field('refresh', 'Refresh'), required: false }],
      methods: { POST: (ctx) => cookieLogout(env, mode, ctx) },
    },
  ];
  if (!mode.csrfEnabled) return routes;
  routes.push({
    path: `${prefix}/csrf/`,
    name: 'CSRF Cookie',
    description: 'Sets the CSRF cookie: bound to the session the browser holds, else to a new pre-session (for login).',
    noStore: true,
    methods: {
      GET: async (ctx) => {
        mode.assertMaySetCookies(ctx.req);
        const cookies = (await liveSessionCsrf(env.jwt, mode, ctx.req)) ?? mode.setPresession();
        return { headers: setCookieHeaders(cookies), body: { detail: 'CSRF cookie set.' } };
      },
    },
  });
  return routes;
}

/** A token's claims, or why it does not verify (`kind` null: any kind). Store failures still throw. */
async function checkToken(jwt: JwtService, token: string, kind: 'access' | 'refresh' | null): Promise<{ claims: Claims } | { claims: null; detail: string }> {
  try {
    return { claims: kind === null ? await jwt.decode(token) : await jwt.validate(token, kind) };
  } catch (e) {
    if (e instanceof TokenError) return { claims: null, detail: e.message };
    throw e;
  }
}

/** The sessions the browser holds: the `sid` of its verified access and refresh cookies. */
async function heldSessions(jwt: JwtService, mode: CookieMode, req: RequestView): Promise<string[]> {
  const sids = new Set<string>();
  for (const token of [mode.accessCookie(req), mode.refreshCookie(req)]) {
    const claims = token === null ? null : (await checkToken(jwt, token, null)).claims;
    const sid = claims ? jwt.sessionOf(claims) : null;
    if (sid !== null) sids.add(sid);
  }
  return [...sids];
}

/** The refresh token of a refresh/logout: the body's `refresh` field if present (400 when blank), else the cookie. */
async function refreshTokenOf(mode: CookieMode, ctx: HandlerContext): Promise<string | null> {
  const data = await ctx.body();
  if (Object.hasOwn(data, 'refresh')) return (validateCharFields(data, [{ name: 'refresh' }]) as { refresh: string }).refresh;
  return mode.refreshCookie(ctx.req);
}

/** The CSRF cookie of the live session the browser holds (refresh cookie first: it lives longer), or null. */
async function liveSessionCsrf(jwt: JwtService, mode: CookieMode, req: RequestView): Promise<string[] | null> {
  for (const [token, kind] of [[mode.refreshCookie(req), 'refresh'], [mode.accessCookie(req), 'access']] as const) {
    const claims = token === null ? null : (await checkToken(jwt, token, kind)).claims;
    const sid = claims ? jwt.sessionOf(claims) : null;
    if (claims && sid !== null && !(await jwt.isSessionRevoked(sid))) return mode.setSessionCsrf(sid, expOf(claims));
  }
  return null;
}

/** A cookie-mode login's outcome: the user, the `Set-Cookie` headers, and the expirations the page cannot read from HttpOnly cookies. */
export interface CookieSession {
  user: User;
  headers: ReturnType<typeof setCookieHeaders>;
  expirations: { access_expiration: string; refresh_expiration: string };
}

/**
 * A cookie-mode login (here and dj-rest-auth's `login/`): CSRF against the pre-session,
 * the gate (`attempt`: the endpoint's fields and password check; a second factor when the
 * user has one), then a new session in cookies; the sessions the browser held end (fixation).
 */
export async function cookieSessionLogin(env: Env, mode: CookieMode, ctx: HandlerContext, attempt: LoginAttempt): Promise<CookieSession> {
  mode.assertMaySetCookies(ctx.req);
  await ctx.body(); // 415 / 400 before anything else
  const held = await heldSessions(env.jwt, mode, ctx.req);
  mode.checkLogin(ctx.req, held);
  const login = await env.gate.pass(ctx, attempt);
  // Fixation: whatever session this browser carried ends here.
  for (const sid of held) await env.jwt.revokeSession(sid, 'login');
  const { refresh, access } = await obtain(env, login, (user) => env.jwt.issuePair(user));
  const cookies = [mode.setAccess(access.token, access.exp), mode.setRefresh(refresh.token, refresh.exp)];
  if (refresh.family !== null) cookies.push(...mode.setSessionCsrf(refresh.family, refresh.exp));
  if (mode.csrfEnabled) cookies.push(mode.clearPresession());
  return { user: login.user, headers: setCookieHeaders(cookies), expirations: { access_expiration: expiration(access.exp), refresh_expiration: expiration(refresh.exp) } };
}

/** Cookie-mode obtain: the tokens in cookies, the body's token keys empty. */
async function cookieLogin(env: Env, mode: CookieMode, ctx: HandlerContext): Promise<HandlerResult> {
  const session = await cookieSessionLogin(env, mode, ctx, loginAttempt(env, ctx, 'token-obtain'));
  if (env.jwt.settings.updateLastLogin) await env.users.touchLastLogin(session.user);
  return { headers: session.headers, body: { refresh: '', access: '', ...session.expirations } };
}

/** Cookie-mode refresh: the token (body or cookie) verified, CSRF against its session, then new cookies. */
async function cookieRefresh(env: Env, mode: CookieMode, ctx: HandlerContext): Promise<HandlerResult> {
  mode.assertMaySetCookies(ctx.req);
  const token = await refreshTokenOf(mode, ctx);
  if (token === null) throw invalidToken(NO_VALID_REFRESH);
  // Nothing changes before the CSRF check, except that a rotated-away token revokes its
  // family (reuse): its holder could present it without any browser.
  const checked = await checkToken(env.jwt, token, 'refresh');
  if (checked.claims === null) throw invalidToken(checked.detail);
  const { claims } = checked;
  const sid = env.jwt.sessionOf(claims);
  mode.checkSession(ctx.req, sid);
  const { access, refresh } = await env.jwt.refresh(token);
  const cookies = [mode.setAccess(access.token, access.exp)];
  const refreshExp = refresh === undefined ? expOf(claims) : refresh.exp;
  if (refresh !== undefined) cookies.push(mode.setRefresh(refresh.token, refresh.exp));
  if (sid !== null) cookies.push(...mode.setSessionCsrf(sid, refreshExp));
  const body: JsonObject = { access: '', access_expiration: expiration(access.exp) };
  if (refresh !== undefined) body.refresh_expiration = expiration(refreshExp);
  return { headers: setCookieHeaders(cookies), body };
}

/**
 * Cookie-mode logout (here and dj-rest-auth's `logout/` in cookie mode): the cookies are
 * cleared whatever happens; the refresh token (body, else cookie) has its session blacklisted.
 */
export async function cookieLogout(env: Env, mode: CookieMode, ctx: HandlerContext): Promise<HandlerResult> {
  await ctx.body();
  mode.precheck(ctx.req);
  const token = await refreshTokenOf(mode, ctx);
  const clear = setCookieHeaders(mode.clearAll());
  // dj-rest-auth clears the cookies whatever happens next (plus the challenge every 401 needs).
  const refused = (detail: string) => ({ status: 401, headers: { ...clear, 'WWW-Authenticate': env.challenge }, body: { detail } });
  if (token === null) return refused(REFRESH_NOT_IN_COOKIE);
  const checked = await checkToken(env.jwt, token, 'refresh');
  if (checked.claims === null) return refused(checked.detail);
  mode.checkSession(ctx.req, env.jwt.sessionOf(checked.claims));
  try {
    await env.jwt.blacklist(token);
  } catch (e) {
    if (e instanceof AuthenticationFailed) return refused(e.detail);
    throw e;
  }
  env.audit({ event: 'logout', endpoint: 'token-logout' });
  return { headers: clear, body: { detail: LOGGED_OUT } };
}
