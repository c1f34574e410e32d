/**
 * `ApiKeyRateThrottle`: a request authenticated by an API key with a rate of its own
 * (`rate`, a DRF rate string) is counted in the bucket `throttle_apikey_<key id>`; any
 * other request is not this throttle's business (allowed, not counted). Over the rate →
 * the pipeline's 429 with `Retry-After`, as every DRF rate throttle.
 */
import type { Clock } from '../core/clock.js';
import { then, type MaybePromise } from '../core/maybe.js';
import type { Throttle, ThrottleContext, ThrottleDecision } from '../core/throttle.js';
import type { ThrottleStore } from '../stores/types.js';
import { parseRate } from '../throttle/rate.js';
import { apiKeyOf } from './authentication.js';

export class ApiKeyRateThrottle implements Throttle {
  constructor(private readonly store: ThrottleStore, private readonly clock: Clock) {}

  allow(ctx: ThrottleContext): MaybePromise<ThrottleDecision> {
    const key = apiKeyOf(ctx.principal);
    const rate = key?.rate ? parseRate(key.rate) : null;
    if (!key || !rate) return null;
    const hit = this.store.hit(`throttle_apikey_${key.id}`, rate.num, rate.durationMs, this.clock.now());
    return then(hit, (h) => (h.allowed ? null : { wait: h.wait }));
  }
}
