/**
 * Second factors in the server (`mfa.enabled`): the store, the per-user proof throttle,
 * the `SecondFactors` composite with the TOTP and recovery-code methods registered, the
 * management service and its routes. The login gate and passkeys take `factors` from here
 * (`Gatehouse.mfa`). Disabled: nothing; no store is required.
 */
import type { Authenticator } from '../core/authenticator.js';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import type { Throttling } from '../throttle/index.js';
import type { Stores } from '../stores/types.js';
import type { UserService } from '../users/service.js';
import type { Route } from '../http/route.js';
import { MfaFactors } from '../mfa/factors.js';
import { RecoveryCodes } from '../mfa/recovery.js';
import { MfaService } from '../mfa/service.js';
import { ProofThrottle } from '../mfa/throttle.js';
import { TotpMethod } from '../mfa/totp.js';
import { mfaRoutes } from '../http/endpoints/mfa.js';

/** What `Gatehouse.mfa` exposes. */
export interface MfaWiring {
  /** The one `SecondFactors`: register methods (passkeys), list, challenge, verify, enrolled. */
  factors: MfaFactors;
  /** Management: status, TOTP enrolment and removal, recovery codes, the administrator's reset. */
  service: MfaService;
  totp: TotpMethod;
  recovery: RecoveryCodes;
  routes: Route[];
}

export interface MfaWiringDeps {
  stores: Stores;
  users: UserService;
  clock: Clock;
  events: EventSink;
  secretKey: string;
  throttling: Throttling;
  /** The user's own credentials (JWT, opaque token): never API keys. */
  managementAuthenticators: readonly Authenticator[];
}

export function wireMfa(settings: Settings, deps: MfaWiringDeps): MfaWiring | null {
  const s = settings.mfa;
  if (!s.enabled) return null;
  const store = deps.stores.mfa;
  if (!store) throw new Error('mfa.enabled needs a store with second factors (memory, SQLite or PostgreSQL)');
  const { clock, events, throttling } = deps;
  const throttle = new ProofThrottle(throttling.store, clock, s.failureRate, settings.throttle.loginMaxBackoff, events);
  const totp = new TotpMethod(store, deps.secretKey, { ...s.totp, issuer: s.issuer }, clock);
  const recovery = new RecoveryCodes(store, deps.secretKey, s.recoveryCodes.count);
  const factors = new MfaFactors({
    throttle,
    events,
    revokeSessions: (user) => deps.users.logoutAll(user),
    // No factor left: the recovery codes go, and so do the trusted devices (docs/mfa.md).
    forgetRecoveryCodes: async (user) => {
      await recovery.removeAll(user);
      await deps.stores.trustedDevices?.deleteAllForUser(user.id);
    },
  });
  factors.register(totp);
  factors.register(recovery);
  const service = new MfaService({ factors, totp, recovery, users: deps.users, throttleStore: throttling.store, clock, events });
  const routes = mfaRoutes({ mfa: service, authenticators: deps.managementAuthenticators, clientAddress: throttling.clientAddress }).map((route) => ({
    ...route,
    throttles: [throttling.user, throttling.scoped],
    throttleScope: 'mfa',
  }));
  return { factors, service, totp, recovery, routes };
}
