/**
 * Mounting the account route sets: djoser's at `accounts.djoser`, dj-rest-auth's at
 * `accounts.djRestAuth` (each null: not mounted).
 *
 * - A mounted set needs `accounts.domain` (the front end the e-mailed links point to):
 *   without it the start fails with a `StartupError` that says so (links are never built
 *   from a request's Host).
 * - Every route of a set without throttles of its own gets the account throttle
 *   (`accountThrottle`): DRF's `ScopedRateThrottle` with scope `accounts`, rate
 *   `throttle.rates.accounts` — `30/hour` when the key is absent, none when null —
 *   counting only anonymous POST/PUT/PATCH/DELETE requests, per client address.
 */
import type { Clock } from '../core/clock.js';
import type { Settings } from '../core/settings.js';
import type { Throttle, ThrottleContext, ThrottleDecision } from '../core/throttle.js';
import type { MaybePromise } from '../core/maybe.js';
import type { AccountRouteDeps, AccountRouteSet } from '../accounts/routes-deps.js';
import type { Route } from '../http/route.js';
import type { ThrottleStore } from '../stores/types.js';
import { ScopedRateThrottle } from '../throttle/rate-throttles.js';
import { djoserRoutes } from '../http/endpoints/djoser.js';
import { djRestAuthRoutes } from '../http/endpoints/dj-rest-auth.js';

export const ACCOUNT_THROTTLE_SCOPE = 'accounts';
/** `throttle.rates.accounts` when the key is absent. */
export const DEFAULT_ACCOUNT_RATE = '30/hour';

/** The route sets, by the setting that names their prefix. */
const ROUTE_SETS: readonly { setting: 'djoser' | 'djRestAuth'; routes: AccountRouteSet }[] = [
  { setting: 'djoser', routes: djoserRoutes },
  { setting: 'djRestAuth', routes: djRestAuthRoutes },
];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The account throttle: anonymous unsafe requests only, scope `accounts`. */
export function accountThrottle(settings: Settings, store: ThrottleStore, clock: Clock): Throttle {
  const rates = settings.throttle.rates;
  const rate = Object.hasOwn(rates, ACCOUNT_THROTTLE_SCOPE) ? (rates[ACCOUNT_THROTTLE_SCOPE] ?? null) : DEFAULT_ACCOUNT_RATE;
  const scoped = new ScopedRateThrottle({ store, clock, rates: { [ACCOUNT_THROTTLE_SCOPE]: rate } });
  return {
    allow(ctx: ThrottleContext): MaybePromise<ThrottleDecision> {
      if (ctx.principal || SAFE_METHODS.has(ctx.req.method)) return null;
      return scoped.allow({ ...ctx, scope: ACCOUNT_THROTTLE_SCOPE });
    },
  };
}

/** Why the account routes cannot be mounted with these settings, or null. */
export function accountRoutesProblem(settings: Settings): string | null {
  const { djoser, djRestAuth, domain } = settings.accounts;
  if ((djoser !== null || djRestAuth !== null) && domain === null) {
    return 'accounts.domain is required when account routes are mounted (accounts.djoser / accounts.djRestAuth): set it to the front end the e-mailed links point to, e.g. "app.example.com"';
  }
  return null;
}

/** The mounted account routes; every route without throttles gets the account throttle. */
export function accountRoutes(deps: AccountRouteDeps): Route[] {
  const routes: Route[] = [];
  for (const set of ROUTE_SETS) {
    const prefix = deps.settings.accounts[set.setting];
    if (prefix !== null) routes.push(...set.routes(deps, prefix));
  }
  return routes.map((route) => (route.throttles ? route : { ...route, throttles: [deps.accountThrottle], throttleScope: ACCOUNT_THROTTLE_SCOPE }));
}
