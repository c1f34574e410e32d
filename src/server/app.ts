/**
 * The reference application: settings → stores → services → routes → engine.
 * `gatehouse serve` and the tests build it the same way.
 */
import type { Authenticator } from '../core/authenticator.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Settings } from '../core/settings.js';
import { socketAddress, type ClientAddressResolver } from '../core/pipeline.js';
import { Engine } from '../http/engine.js';
import { createGuard, type Guard, type GuardPolicy } from '../http/guard.js';
import { jwksRoutes } from '../http/endpoints/jwks.js';
import { jwtRoutes } from '../http/endpoints/jwt.js';
import { opaqueTokenRoutes, type AuditEvent } from '../http/endpoints/opaque.js';
import { JWTAuthentication } from '../jwt/authentication.js';
import { createJwtKeys } from '../jwt/keyring/index.js';
import { JwtService, type ClaimsHook } from '../jwt/service.js';
import { healthRoutes, userRoutes } from '../http/endpoints/user.js';
import { PasswordHasher } from '../passwords/index.js';
import { SqliteStores } from '../stores/sqlite/index.js';
import type { Stores } from '../stores/types.js';
import { TokenAuthentication } from '../tokens/authentication.js';
import { OpaqueTokenService } from '../tokens/service.js';
import { UserService } from '../users/service.js';
import type { Logger } from './logger.js';

export interface Gatehouse {
  settings: Settings;
  stores: Stores;
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  /** The token endpoints (and `/api/me/`, `/healthz`): mount them with an adapter. */
  engine: Engine;
  /** The authenticators the endpoints use, to compose policies of your own. */
  authenticators: { jwt: JWTAuthentication; token: TokenAuthentication };
  /** The client address as the throttles see it (socket, or `X-Forwarded-For` through `http.trustedProxies`). */
  clientAddress: ClientAddressResolver;
  /**
   * A guard for a route of your own: DRF's pipeline with this policy. Authenticators
   * default to `[JWT, Token]` (as `/api/me/`); permissions and throttles to none.
   */
  guard(policy?: GuardPolicy): Guard;
  close(): Promise<void>;
}

export interface CreateOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use these stores instead of opening `settings.database`. */
  stores?: Stores;
  /** Custom claims for new JWTs (e.g. roles). */
  claims?: ClaimsHook;
}

/** Thrown when the application cannot start from these settings (a message for the operator). */
export class StartupError extends Error {}

/** Open the stores named by the settings. */
export function openStores(settings: Settings): Stores {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(settings.database)) {
    throw new Error(`database "${settings.database.replace(/\/\/[^@/]*@/, '//***@')}": only SQLite file paths are supported in this version`);
  }
  return SqliteStores.open(settings.database);
}

/** The services on top of a set of stores. */
export function createServices(settings: Settings, stores: Stores, clock: Clock = systemClock) {
  const p = settings.passwords;
  const hasher = new PasswordHasher({
    algorithm: p.algorithm,
    argon2: { memoryCost: p.argon2MemoryCost, timeCost: p.argon2TimeCost, parallelism: p.argon2Parallelism },
    pbkdf2Iterations: p.pbkdf2Iterations,
    maxConcurrent: p.maxConcurrent,
    maxQueue: p.maxQueue,
  });
  const users = new UserService(stores, hasher, clock);
  const tokens = new OpaqueTokenService(stores, settings.tokens, clock);
  return { users, tokens };
}

/** Build the whole application. Throws `StartupError` (bad keys, missing secret) or `JwtKeyConfigError`. */
export async function createGatehouse(settings: Settings, options: CreateOptions = {}): Promise<Gatehouse> {
  const clock = options.clock ?? systemClock;
  if (!settings.secretKey) throw new StartupError('secretKey is not set (GATEHOUSE_SECRET_KEY, or let `gatehouse serve` generate one)');
  const secretKey = settings.secretKey;
  const stores = options.stores ?? openStores(settings);
  try {
    const { users, tokens } = createServices(settings, stores, clock);
    const logger = options.logger;
    const keys = await createJwtKeys({ settings: settings.jwt, secretKey, stores, clock, onWarning: (message) => logger?.warn({}, message) });
    const jwt = new JwtService({ settings: settings.jwt, secretKey, keys, stores, clock, ...(options.claims ? { claims: options.claims } : {}) });
    users.onCredentialsChanged((user) => jwt.revokeAllForUser(user.id, 'password_change'));
    const tokenAuthentication = new TokenAuthentication(tokens, settings.tokens.keyword);
    const clientAddress: ClientAddressResolver = socketAddress;
    const jwtAuthentication = new JWTAuthentication(jwt);
    const audit = (event: AuditEvent) => logger?.info({ audit: event }, event.event);
    // JWT first, as the oracle's `/api/hello/`: its challenge (`Bearer realm="api"`) is the route's.
    const meAuthenticators: Authenticator[] = [jwtAuthentication, tokenAuthentication];
    const engine = new Engine(
      [
        ...healthRoutes(),
        ...opaqueTokenRoutes({
          users,
          tokens,
          tokenAuthentication,
          audit,
          logoutAllAuthenticators: [jwtAuthentication],
          onLogoutAll: (user) => jwt.revokeAllForUser(user.id, 'logout_all'),
        }),
        ...jwtRoutes({ users, jwt, audit }),
        ...jwksRoutes(keys),
        ...userRoutes(meAuthenticators),
      ],
      { maxBodySize: settings.http.maxBodySize, clientAddress, ...(logger ? { logger } : {}) },
    );
    const guard = (policy: GuardPolicy = {}): Guard =>
      createGuard({ authenticators: meAuthenticators, ...policy }, { clientAddress, ...(logger ? { logger } : {}) });
    return {
      settings,
      stores,
      users,
      tokens,
      jwt,
      engine,
      authenticators: { jwt: jwtAuthentication, token: tokenAuthentication },
      clientAddress,
      guard,
      close: () => stores.close(),
    };
  } catch (e) {
    if (!options.stores) await stores.close();
    throw e;
  }
}
