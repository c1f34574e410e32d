/**
 * djoser's token routes: `token/login/` and `token/logout/` (`djoser.urls.authtoken`) and
 * `jwt/create|refresh|verify/` (`djoser.urls.jwt`, simplejwt's views — the same route
 * builders as `/api/token/`).
 *
 * `token/login/` is `TokenCreateSerializer`: `password` and the login field
 * (`accounts.loginField`: `email` reads `email`, else `username`), both optional; every failure after the field checks is
 * `Unable to log in with provided credentials.`. It hands out the same DRF-style opaque
 * token as `/api-token-auth/` (`issueLoginToken`) and sets `last_login`, as djoser's
 * `user_logged_in`. `token/logout/` revokes every opaque token of the caller, whichever
 * credential authenticated the call.
 */
import { ValidationError } from '../../../core/errors.js';
import type { User } from '../../../core/user.js';
import type { HandlerContext, HandlerResult, Route } from '../../route.js';
import { UNABLE_TO_LOG_IN, passwordLogin, usernameField } from '../credentials.js';
import { jwtEnv, obtainPairRoute, refreshRoute, verifyRoute } from '../jwt.js';
import { issueLoginToken } from '../opaque.js';
import { djoserRoute, type DjoserEnv } from './env.js';
import { fieldPass } from './fields.js';

const LOGIN_ENDPOINT = 'djoser-token-login';

/** POST `token/login/`. */
async function tokenLogin(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const field = usernameField(env.users.loginField);
  const authenticate = async (): Promise<User> => {
    const values = await fieldPass(await ctx.body(), [
      { name: 'password', required: false },
      { name: field, required: false },
    ]);
    const login = values[field];
    const password = values.password;
    const user = login === undefined || password === undefined ? null : await passwordLogin(env.users, ctx, login, password, env.clientAddress(ctx.req));
    if (!user || !user.isActive) {
      env.audit({ event: 'login_failed', endpoint: LOGIN_ENDPOINT });
      throw ValidationError.nonField(UNABLE_TO_LOG_IN);
    }
    return user;
  };
  const verified = await env.gate.pass(ctx, { endpoint: LOGIN_ENDPOINT, authenticate, eligible: (user) => user.isActive });
  const { key } = await issueLoginToken(env, ctx, verified, { onLimit: 'evictOldest', after: (user) => env.users.touchLastLogin(user) });
  return { body: { auth_token: key } };
}

/** POST `token/logout/`. */
async function tokenLogout(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const user = ctx.principal!.user;
  await env.tokens.revokeAll(user.id);
  env.audit({ event: 'logout', endpoint: 'djoser-token-logout', userId: user.id });
  return { status: 204 };
}

/** `OPTIONS` of `token/login/`: djoser's docstring, and `TokenCreateSerializer`'s fields (both optional; the login field labelled as the user model's). */
function tokenCreateMetadata(env: DjoserEnv): Pick<Route, 'description' | 'fields'> {
  const field = usernameField(env.users.loginField);
  return {
    description: 'Use this endpoint to obtain user authentication token.',
    fields: [
      { name: 'password', label: 'Password', required: false },
      { name: field, label: field === 'email' ? 'Email address' : 'Username', required: false },
    ],
  };
}

/** `token/login/`, `token/logout/` and the JWT views. */
export function tokenRoutes(env: DjoserEnv, prefix: string): Route[] {
  const jwt = jwtEnv({ users: env.users, jwt: env.jwt, audit: env.audit, clientAddress: env.clientAddress, gate: env.gate });
  // The throttle scopes of the token endpoints (`login`, `token`), as under /api/token/.
  const scoped = (route: Route, scope: 'login' | 'token'): Route => ({ ...route, throttles: [env.scopedThrottle], throttleScope: scope });
  return [
    scoped({ ...djoserRoute(env, `${prefix}/token/login/`, 'Token Create', { POST: (ctx) => tokenLogin(env, ctx) }, 'any'), noStore: true, ...tokenCreateMetadata(env) }, 'login'),
    { ...djoserRoute(env, `${prefix}/token/logout/`, 'Token Destroy', { POST: (ctx) => tokenLogout(env, ctx) }), description: 'Use this endpoint to logout user (remove user authentication token).' },
    scoped(obtainPairRoute(jwt, `${prefix}/jwt/create/`, 'djoser-jwt-create'), 'login'),
    scoped(refreshRoute(jwt, `${prefix}/jwt/refresh/`), 'token'),
    scoped(verifyRoute(jwt, `${prefix}/jwt/verify/`), 'token'),
  ];
}
