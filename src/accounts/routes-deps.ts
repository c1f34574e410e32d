/**
 * What the account route sets (djoser's, src/http/endpoints/djoser.ts; dj-rest-auth's,
 * src/http/endpoints/dj-rest-auth.ts) are built from: the account service, the services
 * their login and logout routes use, the authenticators of "me"-style routes, the
 * settings, the audit sink, the client-address resolver and cookie mode. The server
 * (src/server/account-routes.ts) builds one and mounts each set at its prefix.
 */
import type { Audit } from '../core/audit.js';
import type { Authenticator } from '../core/authenticator.js';
import type { ClientAddressResolver } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import type { Throttle } from '../core/throttle.js';
import type { CookieMode } from '../cookies/mode.js';
import type { JwtService } from '../jwt/service.js';
import type { TokenAuthentication } from '../tokens/authentication.js';
import type { OpaqueTokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import type { AccountOperations } from './types.js';
import type { MfaGate } from '../mfa/gate.js';

export interface AccountRouteDeps {
  accounts: AccountOperations;
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  /**
   * The authenticators of routes that need a user, in DRF's default order as `/api/me/`
   * has them: `[JWT, Token]` (the JWT one reads the access cookie in cookie mode).
   */
  authenticators: readonly Authenticator[];
  /** The opaque-token authenticator alone (djoser's `token/logout/`, dj-rest-auth's Token mode). */
  tokenAuthentication: TokenAuthentication;
  settings: Settings;
  audit: Audit;
  clientAddress: ClientAddressResolver;
  /** Cookie mode (`cookies.enabled`). */
  cookies?: CookieMode;
  /** The login gate (second factors): every login and sign-up that issues a credential passes through it. */
  gate: MfaGate;
  /**
   * Per-client throttle of the account endpoints: scope `accounts`
   * (`throttle.rates.accounts`, default `30/hour`), counting anonymous unsafe requests.
   * The server adds it to every route of a set that has no throttle of its own.
   */
  accountThrottle: Throttle;
  /**
   * DRF's `ScopedRateThrottle` over `throttle.rates` (`Gatehouse.throttling.scoped`): a
   * route set gives its login routes `{ throttles: [scopedThrottle], throttleScope: 'login' }`
   * as the token endpoints have; such routes keep their own throttles.
   */
  scopedThrottle: Throttle;
}

/** A route set: its routes under `prefix` (no trailing slash, e.g. `/auth`). */
export type AccountRouteSet = (deps: AccountRouteDeps, prefix: string) => import('../http/route.js').Route[];
