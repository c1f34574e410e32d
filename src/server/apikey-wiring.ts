/**
 * API keys in the server (`apiKeys.enabled`): the service, its authenticator, the per-key
 * throttle, the management routes, and revocation on password change when
 * `apiKeys.revokeOnPasswordChange`. Disabled: nothing, and no key is accepted anywhere.
 */
import type { Authenticator } from '../core/authenticator.js';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import type { Throttle } from '../core/throttle.js';
import type { Stores, ThrottleStore } from '../stores/types.js';
import type { UserService } from '../users/service.js';
import type { Route } from '../http/route.js';
import { ApiKeyService } from '../apikeys/service.js';
import { ApiKeyAuthentication } from '../apikeys/authentication.js';
import { ApiKeyRateThrottle } from '../apikeys/throttle.js';
import { apiKeyRoutes } from '../http/endpoints/apikeys.js';

export interface ApiKeyWiring {
  service: ApiKeyService;
  authentication: ApiKeyAuthentication;
  throttle: Throttle;
  routes: Route[];
}

export function wireApiKeys(
  settings: Settings,
  deps: { stores: Stores; users: UserService; clock: Clock; throttleStore: ThrottleStore; managementAuthenticators: readonly Authenticator[]; events: EventSink },
): ApiKeyWiring | null {
  const s = settings.apiKeys;
  if (!s.enabled) return null;
  const checkDjangoHash = async (key: string, encoded: string): Promise<boolean> => (await deps.users.hasher.verify(key, encoded)).valid;
  const options = { prefix: s.prefix, minRefreshInterval: s.minRefreshInterval, cacheSize: s.cacheSize, checkDjangoHash, events: deps.events };
  const service = new ApiKeyService(deps.stores, options, deps.clock);
  const authentication = new ApiKeyAuthentication(service, s.header);
  if (s.revokeOnPasswordChange) {
    deps.users.onCredentialsChanged(async (user, reason) => {
      if (reason === 'password_change') await service.revokeAllForUser(user.id, { via: 'password_change' });
    });
  }
  const throttle = new ApiKeyRateThrottle(deps.throttleStore, deps.clock);
  const routes = apiKeyRoutes({
    apiKeys: service,
    authenticators: [...deps.managementAuthenticators, authentication],
    manageScope: s.manageScope,
    prefix: s.prefix,
    clock: deps.clock,
  }).map((route) => ({ ...route, throttles: [throttle] }));
  return { service, authentication, throttle, routes };
}
