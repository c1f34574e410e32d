/**
 * The login gate in the server (src/mfa/gate.ts): MFA tickets (`mfa.ticketLifetime`,
 * `mfa.ticketAttempts`), trusted devices (`mfa.trustedDevices.*`: the cookie's key derived
 * from the server secret, every device forgotten when the user's credentials change) and
 * their management routes, and the rule that HTTP Basic alone never authenticates a user
 * with a second factor (`UserService.requireSecondFactorWith`).
 */
import { createHmac } from 'node:crypto';
import type { Audit } from '../core/audit.js';
import type { Authenticator } from '../core/authenticator.js';
import type { Clock } from '../core/clock.js';
import type { RequestView } from '../core/request.js';
import type { Settings } from '../core/settings.js';
import type { Route } from '../http/route.js';
import { trustedDeviceRoutes } from '../http/endpoints/trusted-devices.js';
import { MfaGate } from '../mfa/gate.js';
import { MfaTickets } from '../mfa/tickets.js';
import { TrustedDevices } from '../mfa/trusted-devices.js';
import type { SecondFactors } from '../mfa/types.js';
import type { Stores } from '../stores/types.js';
import type { UserService } from '../users/service.js';

export interface GateWiring {
  gate: MfaGate;
  /** Null when `mfa.trustedDevices.enabled` is off. */
  trustedDevices: TrustedDevices | null;
  routes: Route[];
}

export interface GateWiringDeps {
  stores: Stores;
  users: UserService;
  factors: SecondFactors;
  clock: Clock;
  secretKey: string;
  clientAddress: (req: RequestView) => string;
  audit: Audit;
  /** Who may list and revoke their trusted devices: JWT and opaque tokens (not API keys). */
  managementAuthenticators: readonly Authenticator[];
}

/** Thrown when the stores have no MFA ticket or trusted device store (an application's own `Stores`). */
export class MfaStoresMissing extends Error {
  constructor() {
    super('the stores have no mfaTickets / trustedDevices store (src/stores/types.ts): the login gate needs them');
  }
}

export function wireGate(settings: Settings, deps: GateWiringDeps): GateWiring {
  const { stores, users, clock } = deps;
  if (!stores.mfaTickets || !stores.trustedDevices) throw new MfaStoresMissing();
  const s = settings.mfa;
  const tickets = new MfaTickets(stores.mfaTickets, { lifetimeMs: s.ticketLifetime, attempts: s.ticketAttempts, clock });
  const t = s.trustedDevices;
  const key = createHmac('sha256', deps.secretKey).update('gatehouse mfa trusted device').digest();
  const trustedDevices = t.enabled ? new TrustedDevices(stores.trustedDevices, { key, lifetimeMs: t.lifetime, cookieName: t.cookieName, clock }) : null;
  const store = stores.trustedDevices;
  // A password change, reset or logout-all forgets every trusted device (they are void anyway: generation).
  users.onCredentialsChanged(async (user) => {
    await store.deleteAllForUser(user.id);
  });
  const gate = new MfaGate({ factors: deps.factors, tickets, devices: trustedDevices, users, clientAddress: deps.clientAddress, audit: deps.audit });
  users.requireSecondFactorWith((user) => gate.requiresSecondFactor(user));
  const routes = trustedDevices ? trustedDeviceRoutes(trustedDevices, deps.managementAuthenticators) : [];
  return { gate, trustedDevices, routes };
}
