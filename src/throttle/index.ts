/**
 * Throttling (DRF `rest_framework.throttling` plus login throttling), wired from settings.
 *
 * ```ts
 * const throttling = createThrottling(settings, { clock });
 * // engine / guards: { clientAddress: throttling.clientAddress }
 * // a route: { throttles: [throttling.anon, throttling.user] } or
 * //          { throttles: [throttling.scoped], throttleScope: 'login' }
 * // login endpoints: throttling.login.check / failure / success / issueDevice
 * ```
 */
import type { EventSink } from '../core/events.js';
import type { Clock } from '../core/clock.js';
import type { ClientAddressResolver } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import { MemoryThrottleStore } from '../stores/memory/throttle.js';
import type { ThrottleStore } from '../stores/types.js';
import { trustedProxyResolver } from './client-address.js';
import { DeviceCookies } from './device.js';
import { LoginThrottle } from './login.js';
import { AnonRateThrottle, ScopedRateThrottle, UserRateThrottle } from './rate-throttles.js';

export { parseRate, type Rate } from './rate.js';
export { trustedProxyResolver, TrustedProxyError } from './client-address.js';
export { addressIdent, canonicalAddress, formatIp, parseIp, parseRange, rangeContains, type IpAddress, type IpRange } from './ip.js';
export { AnonRateThrottle, UserRateThrottle, ScopedRateThrottle, clientIdent, type RateThrottleOptions } from './rate-throttles.js';
export { LoginThrottle, normalizeUsername, usernameId, type LoginCheck, type LoginClient, type LoginThrottleOptions } from './login.js';
export { DeviceCookies, type DeviceCookiesOptions } from './device.js';
export { MemoryThrottleStore, type MemoryThrottleStoreOptions } from '../stores/memory/throttle.js';

/** Everything throttling needs, built once per application. */
export interface Throttling {
  /** The store every throttle below shares. */
  store: ThrottleStore;
  /** `http.trustedProxies` applied: give it to the engine and to guards. */
  clientAddress: ClientAddressResolver;
  /** `AnonRateThrottle` at `throttle.rates.anon` (null or absent: never refuses). */
  anon: AnonRateThrottle;
  /** `UserRateThrottle` at `throttle.rates.user` (null or absent: never refuses). */
  user: UserRateThrottle;
  /** `ScopedRateThrottle` over every `throttle.rates` entry. */
  scoped: ScopedRateThrottle;
  /** Failed-login throttling (`throttle.login*`); disabled when `loginEnabled` is false. */
  login: LoginThrottle;
}

/** Options of `createThrottling`: the application's clock and, optionally, a shared store. */
export interface CreateThrottlingOptions {
  clock: Clock;
  /** A shared store (e.g. Redis, later); default a `MemoryThrottleStore` of `throttle.maxEntries` keys. */
  store?: ThrottleStore;
  /** Told of login lock-outs (`login_locked`). */
  events?: EventSink;
}

/**
 * Build the throttles, the trusted-proxy resolver and the login throttle from validated
 * settings. Throws at start, never per request: `TrustedProxyError` for an invalid
 * `http.trustedProxies` entry (e.g. a prefix beyond /32 or /128), `RangeError` for an
 * invalid rate (settings validation normally refuses those first).
 */
export function createThrottling(settings: Settings, options: CreateThrottlingOptions): Throttling {
  const t = settings.throttle;
  const store = options.store ?? new MemoryThrottleStore({ maxEntries: t.maxEntries });
  const { clock } = options;
  // Device cookies need the server secret (createGatehouse requires one) and a lifetime.
  const devices =
    settings.secretKey && t.deviceCookieLifetime !== null
      ? new DeviceCookies({ secretKey: settings.secretKey, name: t.deviceCookieName, lifetimeMs: t.deviceCookieLifetime, clock })
      : null;
  return {
    store,
    clientAddress: trustedProxyResolver(settings.http.trustedProxies),
    anon: new AnonRateThrottle({ store, clock, rate: t.rates.anon ?? null }),
    user: new UserRateThrottle({ store, clock, rate: t.rates.user ?? null }),
    scoped: new ScopedRateThrottle({ store, clock, rates: t.rates }),
    login: new LoginThrottle({
      store,
      clock,
      usernameRate: t.loginUsernameRate,
      addressRate: t.loginAddressRate,
      maxBackoffMs: t.loginMaxBackoff,
      cleanAddressTries: t.loginCleanAddressTries,
      devices,
      enabled: t.loginEnabled,
      ...(options.events ? { events: options.events } : {}),
    }),
  };
}
