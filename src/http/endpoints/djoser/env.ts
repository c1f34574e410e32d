/**
 * What djoser's routes receive (`DjoserDeps`), the same with djoser's options read from
 * the settings (`DjoserEnv`), and the route shape they share: the project's default authentication
 * classes on every route, and djoser's per-action permission.
 *
 * djoser chooses the permission from the viewset action: the actions a route answers
 * anonymously (sign-up, activation, resets, token login) are `AllowAny`; every other
 * method, including one the route does not answer, runs the view's default
 * `CurrentUserOrAdmin` first — so an anonymous `GET users/activation/` is 401 and an
 * authenticated one 405.
 */
import type { AccountRouteDeps } from '../../../accounts/routes-deps.js';
import type { Permission } from '../../../core/pipeline.js';
import type { Handler, Route } from '../../route.js';

/**
 * What djoser's routes are built from: the account route sets' deps (the `login` and
 * `token` throttle scopes go to the token routes through `scopedThrottle`).
 */
export type DjoserDeps = Pick<AccountRouteDeps, 'accounts' | 'users' | 'tokens' | 'jwt' | 'authenticators' | 'settings' | 'audit' | 'clientAddress' | 'scopedThrottle' | 'gate'>;

/** The djoser settings the routes follow, from `accounts.*`. */
export interface DjoserOptions {
  /** `USER_CREATE_PASSWORD_RETYPE`, `SET_PASSWORD_RETYPE`, `PASSWORD_RESET_CONFIRM_RETYPE`: `re_password` / `re_new_password`. */
  retypePassword: boolean;
  /** E-mail addresses are unique: sign-up answers without `id`, so a taken address looks like a new account. */
  uniqueEmail: boolean;
}

export interface DjoserEnv extends DjoserDeps {
  options: DjoserOptions;
}

export const djoserEnv = (deps: DjoserDeps): DjoserEnv => {
  const a = deps.settings.accounts;
  return { ...deps, options: { retypePassword: a.retypePassword, uniqueEmail: a.uniqueEmail } };
};

/** Authenticated callers, or anyone for the methods in `open` (HEAD counts as GET). */
function actionPermission(open: ReadonlySet<string>): Permission {
  return {
    hasPermission: ({ req, principal }) => principal !== null || open.has(req.method === 'HEAD' ? 'GET' : req.method),
  };
}

/**
 * A djoser route: `handlers` by method; the methods in `open` answer anonymous callers,
 * every other one (routed or not) needs an authenticated caller. `open: 'any'`: a plain
 * `AllowAny` view (`token/login/`), whose unrouted methods are 405 for everyone.
 */
export function djoserRoute(env: DjoserEnv, path: string, name: string, handlers: Partial<Record<string, Handler>>, open: readonly string[] | 'any' = []): Route {
  return {
    path,
    name,
    authenticators: env.authenticators,
    permissions: open === 'any' ? [] : [actionPermission(new Set(open))],
    methods: handlers,
  };
}
