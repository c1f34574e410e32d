/**
 * DRF's rate throttles (`rest_framework.throttling`): `AnonRateThrottle`,
 * `UserRateThrottle`, `ScopedRateThrottle`, on a `ThrottleStore`.
 *
 * Each request consults the store once (`hit`: DRF's `allow_request` + `wait`, atomic);
 * the pipeline (`checkThrottles`) asks every throttle of the route and answers 429
 * `Throttled` with the longest wait — `{"detail":"Request was throttled. Expected
 * available in N seconds."}` and `Retry-After: N`, N = ceil(wait), as DRF.
 * Cache keys are DRF's: `throttle_<scope>_<ident>`, the ident being the user's pk or the
 * client's address (`addressIdent`: IPv6 by /64, IPv4-mapped as IPv4).
 */
import type { Clock } from '../core/clock.js';
import { then, type MaybePromise } from '../core/maybe.js';
import type { Throttle, ThrottleContext, ThrottleDecision } from '../core/throttle.js';
import type { ThrottleHit, ThrottleStore } from '../stores/types.js';
import { addressIdent } from './ip.js';
import { parseRate, type Rate } from './rate.js';

/** What every rate throttle needs. */
export interface RateThrottleOptions {
  store: ThrottleStore;
  clock: Clock;
}

const toDecision = (hit: ThrottleHit): ThrottleDecision => (hit.allowed ? null : { wait: hit.wait });

/** One `hit` on the store, as the pipeline wants it; synchronous while the store is. */
function consult(store: ThrottleStore, key: string, rate: Rate, now: number): MaybePromise<ThrottleDecision> {
  return then(store.hit(key, rate.num, rate.durationMs, now), toDecision);
}

/** DRF `get_ident` for throttling: the resolved client address, bucketed. */
export function clientIdent(ctx: ThrottleContext): string {
  return addressIdent(ctx.clientAddress);
}

/** DRF `UserRateThrottle.get_cache_key`'s ident: the user's pk, else the client's address. */
function userOrAddress(ctx: ThrottleContext): string {
  return ctx.principal ? String(ctx.principal.user.id) : clientIdent(ctx);
}

/**
 * DRF `AnonRateThrottle` (scope `anon`): counts only anonymous requests, keyed by client
 * address (`throttle_anon_<address>`); authenticated requests always pass. A null rate
 * disables it. Throws `RangeError` at construction for an invalid rate; a store failure
 * propagates (the engine answers 503).
 */
export class AnonRateThrottle implements Throttle {
  readonly scope = 'anon';
  readonly rate: Rate | null;
  constructor(private readonly options: RateThrottleOptions & { rate: string | null }) {
    this.rate = parseRate(options.rate);
  }
  allow(ctx: ThrottleContext): MaybePromise<ThrottleDecision> {
    if (!this.rate || ctx.principal) return null;
    return consult(this.options.store, `throttle_${this.scope}_${clientIdent(ctx)}`, this.rate, this.options.clock.now());
  }
}

/**
 * DRF `UserRateThrottle` (scope `user`): every request, keyed by the user's pk
 * (`throttle_user_<pk>`), or by client address when anonymous. A null rate disables it.
 * Throws `RangeError` at construction for an invalid rate; a store failure propagates.
 */
export class UserRateThrottle implements Throttle {
  readonly scope = 'user';
  readonly rate: Rate | null;
  constructor(private readonly options: RateThrottleOptions & { rate: string | null }) {
    this.rate = parseRate(options.rate);
  }
  allow(ctx: ThrottleContext): MaybePromise<ThrottleDecision> {
    if (!this.rate) return null;
    return consult(this.options.store, `throttle_${this.scope}_${userOrAddress(ctx)}`, this.rate, this.options.clock.now());
  }
}

/**
 * DRF `ScopedRateThrottle`: the route's `throttleScope` (`ThrottleContext.scope`) picks the
 * rate in `rates` (`throttle.rates`); keyed by user pk or client address
 * (`throttle_<scope>_<ident>`), so routes sharing a scope share a budget. A route without
 * a scope, or a scope whose rate is null or absent, is not throttled — where DRF raises
 * `ImproperlyConfigured` for an absent scope. Every rate is validated at construction
 * (`RangeError`); a store failure propagates.
 */
export class ScopedRateThrottle implements Throttle {
  private readonly rates = new Map<string, Rate | null>();
  constructor(private readonly options: RateThrottleOptions & { rates: Readonly<Record<string, string | null>> }) {
    for (const [scope, rate] of Object.entries(options.rates)) this.rates.set(scope, parseRate(rate));
  }
  /** The rate of a scope, or null when it is not throttled. */
  rateOf(scope: string): Rate | null {
    return this.rates.get(scope) ?? null;
  }
  allow(ctx: ThrottleContext): MaybePromise<ThrottleDecision> {
    if (!ctx.scope) return null;
    const rate = this.rateOf(ctx.scope);
    if (!rate) return null;
    return consult(this.options.store, `throttle_${ctx.scope}_${userOrAddress(ctx)}`, rate, this.options.clock.now());
  }
}
