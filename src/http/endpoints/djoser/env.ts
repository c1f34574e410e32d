/**
 * What djoser's routes receive (`DjoserDeps`), the same with defaults filled in
 * (`DjoserEnv`), and the route shape they share: the project's default authentication
 * classes on every route, and djoser's per-action permission.
 *
 * djoser chooses the permission from the viewset action: the actions a route answers
 * anonymously (sign-up, activation, resets, token login) are `AllowAny`; every other
 * method, including one the route does not answer, runs the view's default
 * `CurrentUserOrAdmin` first — so an anonymous `GET users/activation/` is 401 and an
 * authenticated one 405.
 */
import type { Audit } from '../../../core/audit.js';
import type { AccountOperations } from '../../../accounts/types.js';
import type { Authenticator } from '../../../core/authenticator.js';
import type { ClientAddressResolver, Permission } from '../../../core/pipeline.js';
import type { Settings } from '../../../core/settings.js';
import type { Throttle } from '../../../core/throttle.js';
import type { JwtService } from '../../../jwt/service.js';
import type { OpaqueTokenService } from '../../../tokens/service.js';
import type { UserService } from '../../../users/service.js';
import type { Handler, Route } from '../../route.js';

/** What djoser's routes are built from (the account route sets' deps, `AccountRouteDeps`). */
export interface DjoserDeps {
  accounts: AccountOperations;
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  /** The project's default authentication classes (`[JWT, Token]`, as `/api/me/`). */
  authenticators: readonly Authenticator[];
  settings: Settings;
  audit: Audit;
  /** The client address for the login throttle. */
  clientAddress: ClientAddressResolver;
  /** DRF's `ScopedRateThrottle` over `throttle.rates`: the login routes take scope `login`, the other token routes `token`. */
  scopedThrottle: Throttle;
}

/** The djoser settings the routes follow, from `accounts.*`. */
export interface DjoserOptions {
  /** `USER_CREATE_PASSWORD_RETYPE`, `SET_PASSWORD_RETYPE`, `PASSWORD_RESET_CONFIRM_RETYPE`: `re_password` / `re_new_password`. */
  retypePassword: boolean;
  /** E-mail addresses are unique: sign-up answers without `id`, so a taken address looks like a new account. */
  uniqueEmail: boolean;
  /** djoser's `LOGIN_FIELD`: the body field `token/login/` reads the login from. */
  loginField: 'username' | 'email';
}

export interface DjoserEnv extends DjoserDeps {
  options: DjoserOptions;
}

export const djoserEnv = (deps: DjoserDeps): DjoserEnv => {
  const a = deps.settings.accounts;
  return { ...deps, options: { retypePassword: a.retypePassword, uniqueEmail: a.uniqueEmail, loginField: a.loginField === 'email' ? 'email' : 'username' } };
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
