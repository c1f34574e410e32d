/**
 * The throttle contract (DRF's `BaseThrottle`), framework-free. Implementations live in
 * `src/throttle/`; the pipeline runs them after authentication and permissions.
 */
import type { RequestView } from './request.js';
import type { Principal } from './user.js';

/** What a throttle sees. */
export interface ThrottleContext {
  req: RequestView;
  principal: Principal | null;
  /** The client's address as resolved through the trusted proxies (IPv6 not yet bucketed). */
  clientAddress: string;
  /** The route's throttle scope (DRF `throttle_scope`), for `ScopedRateThrottle`. */
  scope?: string;
}

/** `null`: allowed (and counted); otherwise refused, with the seconds to wait (or null when unknown). */
export type ThrottleDecision = null | { wait: number | null };

export interface Throttle {
  allow(ctx: ThrottleContext): ThrottleDecision | Promise<ThrottleDecision>;
}
