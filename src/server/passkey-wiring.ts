/**
 * Passkeys in the server (`passkeys.enabled`): the service on the store's passkeys, the
 * `webauthn` second factor, and the routes — management authenticated as `/api/me/` is
 * (never by an API key), login throttled as the password logins are (scope `login`) and
 * issuing what dj-rest-auth's `login/` issues (`signIn`: Token, JWT pair, or cookie mode,
 * by `accounts.djRestAuthJwt`) through the login gate, which lets a passkey login (user
 * verification required) through as multi-factor. Disabled: nothing, and the WebAuthn library is not loaded.
 */
import type { Audit } from '../core/audit.js';
import type { Authenticator } from '../core/authenticator.js';
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { ClientAddressResolver } from '../core/pipeline.js';
import type { Settings } from '../core/settings.js';
import type { Throttle } from '../core/throttle.js';
import type { CookieMode } from '../cookies/mode.js';
import type { JwtService } from '../jwt/service.js';
import type { MfaGate } from '../mfa/gate.js';
import type { SecondFactors } from '../mfa/types.js';
import type { User } from '../core/user.js';
import type { Stores } from '../stores/types.js';
import type { OpaqueTokenService } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import type { Route } from '../http/route.js';
import type { PasskeyService } from '../passkeys/service.js';
import type { WebAuthnFactor } from '../passkeys/factor.js';
import { EMAIL_NOT_VERIFIED, mayLogIn, signIn, type SessionEnv } from '../http/endpoints/dj-rest-auth-login.js';
import { jwtEnv } from '../http/endpoints/jwt.js';
import { passkeyRoutes } from '../http/endpoints/passkeys.js';

export interface PasskeyWiring {
  service: PasskeyService;
  factor: WebAuthnFactor;
  routes: Route[];
}

export interface PasskeyWiringDeps {
  stores: Stores;
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  audit: Audit;
  events: EventSink;
  clock: Clock;
  clientAddress: ClientAddressResolver;
  cookies?: CookieMode;
  secretKey: string;
  /** `[JWT, Token]`, as `/api/me/`. */
  authenticators: readonly Authenticator[];
  loginThrottle: Throttle;
  /** The login gate: a passkey login passes it as multi-factor (`LoginAttempt.passkey`). */
  gate: MfaGate;
  /** The second factors (`mfa.enabled`): the `webauthn` method is registered there and told of enrolments. */
  factors?: SecondFactors;
}

/** Thrown when `passkeys.enabled` but the store has no passkeys. */
export class PasskeyStoreMissing extends Error {
  constructor() {
    super('passkeys.enabled needs a store with passkeys (memory, SQLite or PostgreSQL)');
  }
}

export async function wirePasskeys(settings: Settings, deps: PasskeyWiringDeps): Promise<PasskeyWiring | null> {
  const s = settings.passkeys;
  if (!s.enabled) return null;
  if (!deps.stores.passkeys || s.rpId === null) throw new PasskeyStoreMissing();
  const [{ PasskeyService }, { WebAuthnFactor }, { userHandleKey }] = await Promise.all([
    import('../passkeys/service.js'),
    import('../passkeys/factor.js'),
    import('../passkeys/user-handle.js'),
  ]);
  const config = { ...s, rpId: s.rpId, userHandleKey: userHandleKey(deps.secretKey) };
  const service = new PasskeyService(deps.stores.passkeys, deps.stores.users, config, deps.clock, deps.events);
  const env = sessionEnv(settings, deps);
  const routes = passkeyRoutes({
    passkeys: service,
    authenticators: deps.authenticators,
    loginThrottle: deps.loginThrottle,
    challenge: env.jwtEnv.challenge,
    issue: (ctx, authenticate) =>
      signIn(env, ctx, { endpoint: 'passkey-login', passkey: true, authenticate: () => verifiedAddress(env, authenticate) }, 200),
  });
  const factor = new WebAuthnFactor(service);
  const factors = deps.factors;
  if (factors) {
    factors.register(factor);
    service.useFactorHooks({ enrolled: (user) => factors.enrolled(user, 'webauthn'), removed: async (user) => factors.removed?.(user, 'webauthn') });
  }
  return { service, factor, routes };
}

/** With mandatory e-mail verification, a passkey logs in only an account whose address was verified (as a password does). */
async function verifiedAddress(env: SessionEnv, authenticate: () => Promise<User>): Promise<User> {
  const user = await authenticate();
  if (!mayLogIn(env, user)) throw ValidationError.nonField(EMAIL_NOT_VERIFIED);
  return user;
}

/** What dj-rest-auth's login works with, from the server's settings. */
function sessionEnv(settings: Settings, deps: PasskeyWiringDeps): SessionEnv {
  const { users, jwt, audit, clientAddress } = deps;
  return {
    users,
    tokens: deps.tokens,
    jwt,
    audit,
    clientAddress,
    loginField: settings.accounts.loginField,
    emailVerification: settings.accounts.emailVerification,
    useJwt: settings.accounts.djRestAuthJwt,
    ...(deps.cookies ? { cookies: deps.cookies } : {}),
    jwtEnv: jwtEnv({ users, jwt, audit, clientAddress, gate: deps.gate }),
  };
}
