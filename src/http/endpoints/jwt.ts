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
import { AuthenticationFailed, ValidationError, type JsonObject } from '../../core/errors.js';
import { drfDateTime } from '../../core/json.js';
import type { RequestView } from '../../core/request.js';
import type { User } from '../../core/user.js';
import { setCookieHeaders } from '../../cookies/cookie.js';
import type { CookieMode } from '../../cookies/mode.js';
import { TOKEN_BLACKLISTED, TokenError, type Claims } from '../../jwt/claims.js';
import { NO_ACTIVE_ACCOUNT, invalidToken, type JwtService } from '../../jwt/service.js';
import type { UserService } from '../../users/service.js';
import { validateCharFields } from '../fields.js';
import { issueForLogin, passwordLogin } from './credentials.js';
import type { HandlerContext, MetadataField, Route } from '../route.js';
import type { AuditEvent } from './opaque.js';

export interface JwtEndpointDeps {
  /** The client address for the login throttle (default: the socket peer). */
  clientAddress?: (req: import('../../core/request.js').RequestView) => string;
  users: UserService;
  jwt: JwtService;
  audit?: (event: AuditEvent) => void;
  /** Cookie mode (`cookies.enabled`); the `JwtService` must then add the session claim. */
  cookies?: CookieMode;
}

const field = (name: string, label: string): MetadataField => ({ name, label });

/** dj-rest-auth's answers in cookie mode. */
export const NO_VALID_REFRESH = 'No valid refresh token found.';
export const REFRESH_NOT_IN_COOKIE = 'Refresh token was not included in cookie data.';
export const LOGGED_OUT = 'Successfully logged out.';

const expOf = (claims: Claims): number => claims.exp as number;

const obtainFields = [field('username', 'Username'), field('password', 'Password')];
const refreshFields = [field('refresh', 'Refresh')];
const obtainDescription = 'Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.';
const refreshDescription = 'Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.';

type Login = (ctx: HandlerContext, endpoint: string) => Promise<User>;

/** Obtain tokens for a logged-in user; a login whose user's credentials changed while it ran fails as wrong credentials do. */
const obtainFor = <T>(audit: (event: AuditEvent) => void, endpoint: string, issue: () => Promise<T>): Promise<T> =>
  issueForLogin(issue, () => {
    audit({ event: 'login_failed', endpoint });
    return new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
  });

/** The simplejwt views under `/api/token/`. */
export function jwtRoutes(deps: JwtEndpointDeps, prefix = '/api/token'): Route[] {
  const { users, jwt } = deps;
  const audit = deps.audit ?? (() => {});
  const challenge = `${jwt.settings.authHeaderTypes[0]} realm="api"`;
  const common = { challenge, noStore: true } as const;

  /** simplejwt `TokenObtainSerializer.validate`: both fields trimmed (its PasswordField keeps CharField's default). */
  const login = async (ctx: HandlerContext, endpoint: string) => {
    const { username, password } = validateCharFields(await ctx.body(), [{ name: 'username' }, { name: 'password' }]) as {
      username: string;
      password: string;
    };
    const user = await passwordLogin(users, ctx, username, password, deps.clientAddress?.(ctx.req) ?? ctx.req.remoteAddress);
    if (!user || !jwt.canAuthenticate(user)) {
      audit({ event: 'login_failed', endpoint });
      throw new AuthenticationFailed(NO_ACTIVE_ACCOUNT);
    }
    if (jwt.settings.updateLastLogin) await users.touchLastLogin(user);
    return user;
  };

  const one = async (ctx: HandlerContext, name: string) => (validateCharFields(await ctx.body(), [{ name }]) as Record<string, string>)[name] as string;

  const routes: Route[] = [
    {
      ...common,
      path: `${prefix}/`,
      name: 'Token Obtain Pair',
      description: 'Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.',
      fields: [field('username', 'Username'), field('password', 'Password')],
      methods: {
        POST: async (ctx) => {
          const user = await login(ctx, 'token-obtain');
          const pair = await obtainFor(audit, 'token-obtain', () => jwt.obtainPair(user));
          audit({ event: 'login', endpoint: 'token-obtain', userId: user.id });
          return { body: { refresh: pair.refresh, access: pair.access } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/refresh/`,
      name: 'Token Refresh',
      description: 'Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.',
      fields: [field('refresh', 'Refresh')],
      methods: {
        POST: async (ctx) => {
          const result = await jwt.refresh(await one(ctx, 'refresh'));
          return { body: result.refresh === undefined ? { access: result.access.token } : { access: result.access.token, refresh: result.refresh.token } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/verify/`,
      name: 'Token Verify',
      description: 'Takes a token and indicates if it is valid.  This view provides no\ninformation about a token\'s fitness for a particular use.',
      fields: [field('token', 'Token')],
      methods: {
        POST: async (ctx) => {
          if (!(await jwt.verify(await one(ctx, 'token')))) throw ValidationError.nonField(TOKEN_BLACKLISTED);
          return { body: {} };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/blacklist/`,
      name: 'Token Blacklist',
      description: 'Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.',
      fields: [field('refresh', 'Refresh')],
      methods: {
        POST: async (ctx) => {
          await jwt.blacklist(await one(ctx, 'refresh'));
          audit({ event: 'logout', endpoint: 'token-blacklist' });
          return { body: {} };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/`,
      name: 'Token Obtain Sliding',
      description: 'Takes a set of user credentials and returns a sliding JSON web token to\nprove the authentication of those credentials.',
      fields: [field('username', 'Username'), field('password', 'Password')],
      methods: {
        POST: async (ctx) => {
          const user = await login(ctx, 'token-sliding');
          const token = await obtainFor(audit, 'token-sliding', () => jwt.obtainSliding(user));
          audit({ event: 'login', endpoint: 'token-sliding', userId: user.id });
          return { body: { token } };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/sliding/refresh/`,
      name: 'Token Refresh Sliding',
      description: 'Takes a sliding JSON web token and returns a new, refreshed version if the\ntoken\'s refresh period has not expired.',
      fields: [field('token', 'Token')],
      methods: {
        POST: async (ctx) => ({ body: { token: await jwt.refreshSliding(await one(ctx, 'token')) } }),
      },
    },
  ];
  if (!deps.cookies) return routes;
  // Cookie mode: obtain and refresh answer with cookies; logout and csrf are added.
  const cookie = cookieRoutes(deps, deps.cookies, prefix, login);
  const replaced = new Set(cookie.map((r) => r.path));
  return [...cookie, ...routes.filter((r) => !replaced.has(r.path))];
}

/**
 * Cookie mode's obtain, refresh, logout and CSRF routes (dj-rest-auth's `LoginView`,
 * `get_refresh_view()` and `LogoutView` under simplejwt's paths).
 *
 * - Tokens travel only in HttpOnly cookies; the JSON bodies keep the keys with empty
 *   values (`"refresh": ""` as dj-rest-auth, and `"access": ""`, catalogue 71) plus the
 *   expirations the page cannot read from the cookies.
 * - Bodies are JSON only (a form or `text/plain` post is 415: no simple-request
 *   bypass, catalogue 75).
 * - Login, refresh and logout are CSRF-protected (catalogue 77): login against a
 *   pre-session (`GET <prefix>/csrf/`), refresh and logout against the session of the
 *   refresh token used.
 * - Login never adopts the cookies it finds: it mints a new session and revokes the
 *   ones the browser held (fixation, catalogue 79).
 */
function cookieRoutes(deps: JwtEndpointDeps, mode: CookieMode, prefix: string, login: Login): Route[] {
  const { jwt } = deps;
  const audit = deps.audit ?? (() => {});
  const challenge = `${jwt.settings.authHeaderTypes[0]} realm="api"`;
  const common = { challenge, noStore: true, parsers: ['json'] } as const;

  /** Claims of a verified token, or null when it does not verify (store failures still throw). */
  const verified = async (token: string, kind: 'access' | 'refresh' | null): Promise<Claims | null> => {
    try {
      return kind === null ? await jwt.decode(token) : await jwt.validate(token, kind);
    } catch (e) {
      if (e instanceof TokenError) return null;
      throw e;
    }
  };

  /** The sessions the browser holds: the `sid` of its verified access and refresh cookies. */
  const heldSessions = async (req: RequestView): Promise<string[]> => {
    const sids = new Set<string>();
    for (const token of [mode.accessCookie(req), mode.refreshCookie(req)]) {
      const claims = token === null ? null : await verified(token, null);
      const sid = claims ? jwt.sessionOf(claims) : null;
      if (sid !== null) sids.add(sid);
    }
    return [...sids];
  };

  /** The refresh token of a refresh/logout: the body's `refresh` field if present (400 when blank), else the cookie. */
  const refreshToken = async (ctx: HandlerContext): Promise<string | null> => {
    const data = await ctx.body();
    if (Object.hasOwn(data, 'refresh')) return (validateCharFields(data, [{ name: 'refresh' }]) as { refresh: string }).refresh;
    return mode.refreshCookie(ctx.req);
  };

  const expiration = (exp: number) => drfDateTime(exp * 1000);

  return [
    {
      ...common,
      path: `${prefix}/`,
      name: 'Token Obtain Pair',
      description: obtainDescription,
      fields: obtainFields,
      methods: {
        POST: async (ctx) => {
          mode.assertMaySetCookies(ctx.req);
          await ctx.body(); // 415 / 400 before anything else
          const held = await heldSessions(ctx.req);
          mode.checkLogin(ctx.req, held);
          const user = await login(ctx, 'token-obtain');
          // Fixation: whatever session this browser carried ends here.
          for (const sid of held) await jwt.revokeSession(sid, 'login');
          const { refresh, access } = await obtainFor(audit, 'token-obtain', () => jwt.issuePair(user));
          const cookies = [mode.setAccess(access.token, access.exp), mode.setRefresh(refresh.token, refresh.exp)];
          if (refresh.family !== null) cookies.push(...mode.setSessionCsrf(refresh.family, refresh.exp));
          if (mode.csrfEnabled) cookies.push(mode.clearPresession());
          audit({ event: 'login', endpoint: 'token-obtain', userId: user.id });
          return {
            headers: setCookieHeaders(cookies),
            body: { refresh: '', access: '', access_expiration: expiration(access.exp), refresh_expiration: expiration(refresh.exp) },
          };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/refresh/`,
      name: 'Token Refresh',
      description: refreshDescription,
      fields: refreshFields,
      methods: {
        POST: async (ctx) => {
          mode.assertMaySetCookies(ctx.req);
          const token = await refreshToken(ctx);
          if (token === null) throw invalidToken(NO_VALID_REFRESH);
          let claims: Claims;
          try {
            // Nothing changes before the CSRF check, except that a rotated-away token revokes its
            // family (reuse): its holder could present it without any browser.
            claims = await jwt.validate(token, 'refresh');
          } catch (e) {
            throw e instanceof TokenError ? invalidToken(e.message) : e;
          }
          const sid = jwt.sessionOf(claims);
          mode.checkSession(ctx.req, sid);
          const { access, refresh } = await jwt.refresh(token);
          const cookies = [mode.setAccess(access.token, access.exp)];
          const refreshExp = refresh === undefined ? expOf(claims) : refresh.exp;
          if (refresh !== undefined) cookies.push(mode.setRefresh(refresh.token, refresh.exp));
          if (sid !== null) cookies.push(...mode.setSessionCsrf(sid, refreshExp));
          const body: JsonObject = { access: '', access_expiration: expiration(access.exp) };
          if (refresh !== undefined) body.refresh_expiration = expiration(refreshExp);
          return { headers: setCookieHeaders(cookies), body };
        },
      },
    },
    {
      ...common,
      path: `${prefix}/logout/`,
      name: 'Logout',
      description: 'Clears the token cookies and blacklists the refresh token (its whole session).',
      fields: [{ ...field('refresh', 'Refresh'), required: false }],
      methods: {
        POST: async (ctx) => {
          await ctx.body();
          mode.precheck(ctx.req);
          const token = await refreshToken(ctx);
          const clear = setCookieHeaders(mode.clearAll());
          // dj-rest-auth clears the cookies whatever happens next (plus the challenge every 401 needs).
          const refused = (detail: string) => ({ status: 401, headers: { ...clear, 'WWW-Authenticate': challenge }, body: { detail } });
          if (token === null) return refused(REFRESH_NOT_IN_COOKIE);
          let claims: Claims;
          try {
            claims = await jwt.validate(token, 'refresh');
          } catch (e) {
            if (e instanceof TokenError) return refused(e.message);
            throw e;
          }
          mode.checkSession(ctx.req, jwt.sessionOf(claims));
          try {
            await jwt.blacklist(token);
          } catch (e) {
            if (e instanceof AuthenticationFailed) return refused(e.detail);
            throw e;
          }
          audit({ event: 'logout', endpoint: 'token-logout' });
          return { headers: clear, body: { detail: LOGGED_OUT } };
        },
      },
    },
    ...(mode.csrfEnabled
      ? [
          {
            path: `${prefix}/csrf/`,
            name: 'CSRF Cookie',
            description: 'Sets the CSRF cookie: bound to the session the browser holds, else to a new pre-session (for login).',
            noStore: true,
            methods: {
              GET: async (ctx: HandlerContext) => {
                mode.assertMaySetCookies(ctx.req);
                let cookies: string[] | null = null;
                // The live session the browser holds (refresh cookie first: it lives longer), else a pre-session.
                for (const [token, kind] of [[mode.refreshCookie(ctx.req), 'refresh'], [mode.accessCookie(ctx.req), 'access']] as const) {
                  const claims = token === null ? null : await verified(token, kind);
                  const sid = claims ? jwt.sessionOf(claims) : null;
                  if (claims && sid !== null && !(await jwt.isSessionRevoked(sid))) {
                    cookies = mode.setSessionCsrf(sid, expOf(claims));
                    break;
                  }
                }
                return { headers: setCookieHeaders(cookies ?? mode.setPresession()), body: { detail: 'CSRF cookie set.' } };
              },
            },
          } satisfies Route,
        ]
      : []),
  ];
}
