/**
 * The reference application: settings → stores → services → routes → engine.
 * `gatehouse serve` and the tests build it the same way.
 */
import { createHmac } from 'node:crypto';
import type { Authenticator } from '../core/authenticator.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Settings } from '../core/settings.js';
import type { ClientAddressResolver } from '../core/pipeline.js';
import { isPostgresUrl, isUrl, redactUrl } from '../stores/url.js';
import type { RedisBackend } from '../stores/redis/index.js';
import { MemoryThrottleStore } from '../stores/memory/throttle.js';
import { createThrottling, type Throttling } from '../throttle/index.js';
import { FailoverThrottleStore } from '../throttle/failover.js';
import { Engine } from '../http/engine.js';
import { createGuard, type Guard, type GuardPolicy } from '../http/guard.js';
import { CorsPolicy } from '../http/cors.js';
import { jwksRoutes } from '../http/endpoints/jwks.js';
import { jwtRoutes } from '../http/endpoints/jwt.js';
import { opaqueTokenRoutes } from '../http/endpoints/opaque.js';
import type { AuditEvent } from '../core/audit.js';
import { CookieMode, SESSION_CLAIM, cookieSettingsProblems } from '../cookies/mode.js';
import { JWTAuthentication } from '../jwt/authentication.js';
import { JWTCookieAuthentication } from '../jwt/cookie-authentication.js';
import { createJwtKeys } from '../jwt/keyring/index.js';
import { JwtService, type ClaimsHook } from '../jwt/service.js';
import type { User } from '../core/user.js';
import { healthRoutes, userRoutes } from '../http/endpoints/user.js';
import { PasswordHasher } from '../passwords/index.js';
import type { Stores, ThrottleStore } from '../stores/types.js';
import { TokenAuthentication } from '../tokens/authentication.js';
import { OpaqueTokenService } from '../tokens/service.js';
import { UserService } from '../users/service.js';
import { measureStoredProfiles } from '../users/measure-profiles.js';
import { BasicAuthentication } from '../users/basic-authentication.js';
import { createLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { accessLog, metricsRoute, securityEvents } from './observability.js';
import { resolveSecret, SecretRequired, UnsafeSecretFile } from './secret.js';
import type { EventSink } from '../core/events.js';
import { then } from '../core/maybe.js';
import type { ObservedRequest } from '../http/engine.js';
import { AccountService } from '../accounts/service.js';
import { createEmailBackend, EmailConfigError } from '../email/backend.js';
import { EmailTemplateError } from '../email/templates.js';
import type { EmailBackend } from '../email/types.js';
import { CommonPasswordsFileError } from '../passwords/validators.js';
import { accountRoutes, accountRoutesProblem, accountThrottle } from './account-routes.js';
import { wireApiKeys } from './apikey-wiring.js';
import { noSecondFactors } from '../mfa/no-factors.js';
import { MfaStoresMissing, wireGate } from './mfa-gate-wiring.js';
import type { MfaGate } from '../mfa/gate.js';
import type { TrustedDevices } from '../mfa/trusted-devices.js';
import { wireMfa, type MfaWiring } from './mfa-wiring.js';
import type { ApiKeyService } from '../apikeys/service.js';
import type { ApiKeyAuthentication } from '../apikeys/authentication.js';
import { PasskeyStoreMissing, wirePasskeys } from './passkey-wiring.js';
import type { PasskeyService } from '../passkeys/service.js';
import type { WebAuthnFactor } from '../passkeys/factor.js';

export interface Gatehouse {
  settings: Settings;
  stores: Stores;
  users: UserService;
  tokens: OpaqueTokenService;
  jwt: JwtService;
  /** API keys (`apiKeys.enabled`), else absent. */
  apiKeys?: ApiKeyService;
  /** Passkeys (`passkeys.enabled`), else absent; `factor` is the `webauthn` second factor. */
  passkeys?: { service: PasskeyService; factor: WebAuthnFactor };
  /**
   * Second factors (`mfa.enabled`), else absent: `factors` is the one `SecondFactors`
   * (src/mfa/types.ts), `service` the management operations (docs/mfa.md).
   */
  mfa?: Pick<MfaWiring, 'factors' | 'service'>;
  /**
   * The account operations (sign-up, activation, e-mail verification, password change and
   * reset, username, profile, deletion): what the djoser and dj-rest-auth route sets call.
   */
  accounts: AccountService;
  /** The e-mail backend (`email.*`, or `CreateOptions.email`). */
  email: EmailBackend;
  /** The token endpoints (and `/api/me/`, `/healthz`): mount them with an adapter. */
  engine: Engine;
  /**
   * The authenticators the endpoints use, to compose policies of your own
   * (`jwtCookie` in cookie mode: the access cookie, CSRF-checked, or the header).
   */
  authenticators: {
    jwt: JWTAuthentication;
    token: TokenAuthentication;
    jwtCookie?: JWTCookieAuthentication;
    apiKey?: ApiKeyAuthentication;
    /** HTTP Basic for routes of your own: refuses users with a second factor (docs/mfa.md). */
    basic: BasicAuthentication;
  };
  /**
   * The login gate every credential-issuing endpoint passes through (`gate.pass`; a passkey
   * login: `gate.passkey`), and the trusted devices (null when `mfa.trustedDevices.enabled` is off).
   */
  login: { gate: MfaGate; trustedDevices: TrustedDevices | null };
  /** Cookie mode (`cookies.enabled`): cookie attributes, CSRF checks. */
  cookies?: CookieMode;
  /** Throttles built from `throttle.*` (anon, user, scoped, login) and their store. */
  throttling: Throttling;
  /** The Redis connections (`redis.url`), or null. */
  redis: RedisBackend | null;
  /** The client address as the throttles see it (socket, or `X-Forwarded-For` through `http.trustedProxies`). */
  clientAddress: ClientAddressResolver;
  /**
   * A guard for a route of your own: DRF's pipeline with this policy. Authenticators
   * default to `[JWT, Token]` (as `/api/me/`), plus `ApiKeyAuthentication` and the per-key
   * throttle when `apiKeys.enabled`; permissions to none.
   */
  guard(policy?: GuardPolicy): Guard;
  /**
   * The security-event emitter the services were given (to the logger, masked; and to the
   * metrics): for events of your own, e.g. `{ event: 'cli', command: 'createuser', username }`.
   */
  events: EventSink;
  /**
   * The start-up measurement of the stored hashes' cost profiles (docs/security.md #117),
   * running in the background: resolves (never rejects) to how many profiles were timed,
   * after which every failed login is padded to the costliest of them.
   */
  passwordProfilesMeasured: Promise<number>;
  close(): Promise<void>;
}

export interface CreateOptions {
  clock?: Clock;
  /** Where errors, security events and (`log.access`) requests are logged; default pino on stderr at `logLevel`. */
  logger?: Logger;
  /** Use these stores instead of opening `settings.database`. */
  stores?: Stores;
  /** A shared throttle store (e.g. Redis); default in memory. */
  throttleStore?: ThrottleStore;
  /** Custom claims for new JWTs (e.g. roles). */
  claims?: ClaimsHook;
  /**
   * simplejwt's `USER_AUTHENTICATION_RULE`: may this user obtain, refresh and use JWTs?
   * Applied on top of `jwt.checkUserIsActive` (an inactive user stays refused while it is on).
   */
  userAuthenticationRule?: (user: User) => boolean;
  /** Send account e-mails through this backend instead of the one `email.*` names (tests: `MemoryEmailBackend`). */
  email?: EmailBackend;
}

/** Thrown when the application cannot start from these settings (a message for the operator). */
export class StartupError extends Error {}

/**
 * Open the stores named by `settings.database`: a `postgres://` / `postgresql://` URL ⇒
 * PostgreSQL (several instances may share it), anything else ⇒ a SQLite file.
 * The store's module (and its driver, `pg` or `better-sqlite3`) is loaded here, on
 * first use: importing Gatehouse loads no database driver.
 */
export async function openStores(
  settings: Settings,
  options: { onError?: (e: Error, where: 'pool' | 'listener') => void } = {},
): Promise<Stores> {
  if (isPostgresUrl(settings.database)) {
    const { PostgresStores } = await import('../stores/postgres/index.js');
    return PostgresStores.open(settings.database, options.onError ? { onError: options.onError } : {});
  }
  refuseUnsupportedDatabase(settings.database);
  const { SqliteStores } = await import('../stores/sqlite/index.js');
  return SqliteStores.open(settings.database);
}

/** Login endpoints (DRF's `throttle_scope`: `login`) and the other token endpoints (`token`). */
const THROTTLE_SCOPES: Record<string, string> = {
  '/api-token-auth/': 'login',
  '/api/auth/login/': 'login',
  '/api/token/': 'login',
  '/api/token/sliding/': 'login',
  '/api/token/refresh/': 'token',
  '/api/token/verify/': 'token',
  '/api/token/blacklist/': 'token',
  '/api/token/sliding/refresh/': 'token',
};

/** The services on top of a set of stores. */
export function createServices(settings: Settings, stores: Stores, clock: Clock = systemClock) {
  const p = settings.passwords;
  const hasher = new PasswordHasher({
    algorithm: p.algorithm,
    argon2: { memoryCost: p.argon2MemoryCost, timeCost: p.argon2TimeCost, parallelism: p.argon2Parallelism },
    pbkdf2Iterations: p.pbkdf2Iterations,
    maxConcurrent: p.maxConcurrent,
    maxQueue: p.maxQueue,
  }, { floorMs: p.failedLoginMinTime });
  const users = new UserService(stores, hasher, clock, { loginField: settings.accounts.loginField });
  const tokens = new OpaqueTokenService(stores, settings.tokens, clock);
  return { users, tokens };
}

/**
 * `secretKey`, or — as `gatehouse serve` does — the secret kept in `<database>.secret`
 * (mode 0600), generated there on first start and logged once; so an application built
 * from `loadSettings()` alone starts, and keeps its secret across restarts. A server URL
 * as the database needs a configured secret (every instance must share it).
 */
function secretFor(settings: Settings, logger: Logger | undefined): string {
  try {
    const { secret, file, generated } = resolveSecret(settings.secretKey, settings.database);
    if (generated) {
      const message = `no secretKey configured: generated one into ${file} (mode 0600); keep it safe, or set GATEHOUSE_SECRET_KEY`;
      if (logger) logger.warn({ file }, message);
      else process.emitWarning(message);
    }
    return secret;
  } catch (e) {
    if (e instanceof SecretRequired || e instanceof UnsafeSecretFile) throw new StartupError(e.message);
    throw e;
  }
}

/** A URL that names no store Gatehouse has (a SQLite path or a postgres:// URL). */
function refuseUnsupportedDatabase(database: string): void {
  if (isUrl(database)) throw new StartupError(`database "${redactUrl(database)}": only SQLite file paths and postgres:// URLs are supported`);
}

/**
 * Everything the settings alone can refuse, checked before anything is written (the
 * generated secret file, the SQLite database): a start that fails leaves no trace.
 */
export function refuseBadSettings(settings: Settings): void {
  if (!isPostgresUrl(settings.database)) refuseUnsupportedDatabase(settings.database);
  if (settings.cookies.enabled) {
    const problems = cookieSettingsProblems(settings);
    if (problems.length > 0) throw new StartupError(`Invalid cookie mode settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const accountProblem = accountRoutesProblem(settings);
  if (accountProblem) throw new StartupError(accountProblem);
}

/** Build the whole application. Throws `StartupError` (bad keys, missing secret) or `JwtKeyConfigError`. */
export async function createGatehouse(settings: Settings, options: CreateOptions = {}): Promise<Gatehouse> {
  const clock = options.clock ?? systemClock;
  refuseBadSettings(settings);
  const secretKey = secretFor(settings, options.logger);
  const cookieMode = settings.cookies.enabled ? new CookieMode({ settings, secretKey, clock }) : undefined;
  const logger = options.logger ?? createLogger(settings.logLevel, 'stderr');
  // Loaded only when metrics are on (the entry stays lean).
  const metrics = settings.metrics.enabled ? new (await import('./metrics.js')).Metrics() : null;
  const events = securityEvents(settings, logger, metrics);
  const openedStores =
    options.stores ??
    (await openStores(settings, {
      onError: (e, where) => logger?.warn({ err: { name: e.name, message: e.message }, where }, 'postgres connection error'),
    }));
  const baseStores = metrics ? metrics.timeStores(openedStores) : openedStores;
  let redis: RedisBackend | null = null;
  try {
    redis = await openRedis(settings, logger);
    const tokenCache = settings.redis.tokenCache
      ? { ttlMs: settings.redis.tokenCacheTtl, secret: createHmac('sha256', secretKey).update('gatehouse redis token cache').digest() }
      : null;
    const stores = redis ? redis.wrap(baseStores, { tokenCache, clock }) : baseStores;
    const { users, tokens } = createServices(settings, stores, clock);
    users.useEvents(events);
    // In the background: the first failed login is padded to the costliest stored profile (#117).
    const passwordProfilesMeasured = measureStoredProfiles(stores.users, users.hasher);
    const throttleStore = options.throttleStore ?? (redis && settings.throttle.store === 'redis' ? sharedThrottleStore(settings, redis, logger) : undefined);
    const throttling = createThrottling(settings, { clock, events, ...(throttleStore ? { store: throttleStore } : {}) });
    if (settings.throttle.loginEnabled) users.useLoginThrottle(throttling.login);
    const keys = await createJwtKeys({ settings: settings.jwt, secretKey, stores, clock, onWarning: (message) => logger?.warn({}, message) });
    const jwt = new JwtService({
      settings: settings.jwt,
      secretKey,
      keys,
      stores,
      clock,
      ...(options.claims ? { claims: options.claims } : {}),
      ...(options.userAuthenticationRule ? { userAuthenticationRule: options.userAuthenticationRule } : {}),
      // Cookie mode: every pair carries its session id (the refresh family), for CSRF binding and session revocation.
      ...(cookieMode ? { sessionClaim: SESSION_CLAIM } : {}),
      events,
    });
    metrics?.cache('opaque_token', () => tokens.cacheStats());
    metrics?.cache('jwt_verified', () => jwt.verifier.cacheStats());
    users.onCredentialsChanged((user, reason) => jwt.revokeAllForUser(user.id, reason));
    const tokenAuthentication = new TokenAuthentication(tokens, settings.tokens.keyword);
    const clientAddress: ClientAddressResolver = throttling.clientAddress;
    const jwtAuthentication = new JWTAuthentication(jwt);
    const jwtCookieAuthentication = cookieMode ? new JWTCookieAuthentication(jwt, cookieMode) : undefined;
    // In cookie mode the JWT authenticator also reads the access cookie (CSRF-checked for unsafe methods).
    const primaryJwt: Authenticator = jwtCookieAuthentication ?? jwtAuthentication;
    const audit = endpointEvents(events);
    const email = options.email ?? startupStep(() => createEmailBackend(settings.email, { logger }));
    const accounts = startupStep(
      () => new AccountService({ settings, secretKey, stores, users, email, throttleStore: throttling.store, clock, events }),
    );
    // JWT first, as the oracle's `/api/hello/`: its challenge (`Bearer realm="api"`) is the route's.
    const meAuthenticators: Authenticator[] = [primaryJwt, tokenAuthentication];
    const apiKeys = wireApiKeys(settings, { stores, users, clock, throttleStore: throttling.store, managementAuthenticators: meAuthenticators, events });
    const mfa = wireMfa(settings, { stores, users, clock, events, secretKey, throttling, managementAuthenticators: meAuthenticators });
    const guardAuthenticators: Authenticator[] = apiKeys ? [...meAuthenticators, apiKeys.authentication] : meAuthenticators;
    const login = startupStep(() =>
      wireGate(settings, {
        stores,
        users,
        factors: mfa ? mfa.factors : noSecondFactors,
        clock,
        secretKey,
        clientAddress,
        audit,
        managementAuthenticators: meAuthenticators,
      }),
    );
    const { gate } = login;
    const passkeys = await startupStepAsync(() =>
      wirePasskeys(settings, {
        stores,
        users,
        tokens,
        jwt,
        audit,
        events,
        clock,
        clientAddress,
        ...(cookieMode ? { cookies: cookieMode } : {}),
        secretKey,
        authenticators: meAuthenticators,
        loginThrottle: throttling.scoped,
        gate,
        ...(mfa ? { factors: mfa.factors } : {}),
      }),
    );
    const engine = new Engine(
      [
        ...healthRoutes(),
        ...opaqueTokenRoutes({
          users,
          tokens,
          tokenAuthentication,
          // DRF's default classes [SessionAuthentication, BasicAuthentication]: Basic runs, but the first class has no challenge (403).
          basicAuthentication: new BasicAuthentication(users, { challenge: false, clientAddress, loginEndpoint: true }),
          audit,
          clientAddress,
          gate,
          logoutAllAuthenticators: [primaryJwt],
        }),
        ...jwtRoutes({ users, jwt, audit, clientAddress, gate, ...(cookieMode ? { cookies: cookieMode } : {}) }),
        ...jwksRoutes(keys),
        ...userRoutes(meAuthenticators),
        ...accountRoutes({
          accounts,
          users,
          tokens,
          jwt,
          authenticators: meAuthenticators,
          tokenAuthentication,
          settings,
          audit,
          clientAddress,
          gate,
          ...(cookieMode ? { cookies: cookieMode } : {}),
          accountThrottle: accountThrottle(settings, throttling.store, clock),
          scopedThrottle: throttling.scoped,
        }),
        ...(apiKeys ? apiKeys.routes : []),
        ...(passkeys ? passkeys.routes : []),
        ...(mfa ? mfa.routes : []),
        ...login.routes,
        ...(metrics ? [metricsRouteOrStartupError(metrics, settings, clientAddress)] : []),
      ].map((route) =>
        // Token endpoints take scoped throttles (`throttle.rates.login` / `.token`; none by default, as DRF).
        THROTTLE_SCOPES[route.path] ? { ...route, throttles: [throttling.scoped], throttleScope: THROTTLE_SCOPES[route.path] } : route,
      ),
      { maxBodySize: settings.http.maxBodySize, clientAddress, logger, ...corsOption(settings), ...requestObserver(settings, logger, metrics) },
    );
    const guard = (policy: GuardPolicy = {}): Guard =>
      observedGuard(
        createGuard(
          { authenticators: guardAuthenticators, ...policy, ...(apiKeys ? { throttles: [apiKeys.throttle, ...(policy.throttles ?? [])] } : {}) },
          { clientAddress, logger },
        ),
        metrics,
      );
    return {
      settings,
      stores,
      users,
      tokens,
      jwt,
      ...(apiKeys ? { apiKeys: apiKeys.service } : {}),
      ...(passkeys ? { passkeys: { service: passkeys.service, factor: passkeys.factor } } : {}),
      ...(mfa ? { mfa: { factors: mfa.factors, service: mfa.service } } : {}),
      accounts,
      email,
      engine,
      authenticators: {
        jwt: jwtAuthentication,
        token: tokenAuthentication,
        ...(jwtCookieAuthentication ? { jwtCookie: jwtCookieAuthentication } : {}),
        ...(apiKeys ? { apiKey: apiKeys.authentication } : {}),
        basic: new BasicAuthentication(users, { clientAddress }),
      },
      login: { gate, trustedDevices: login.trustedDevices },
      ...(cookieMode ? { cookies: cookieMode } : {}),
      clientAddress,
      throttling,
      redis,
      guard,
      events,
      passwordProfilesMeasured,
      close: async () => {
        try {
          await accounts.settled();
          await email.close?.();
        } finally {
          try {
            await stores.close();
          } finally {
            await redis?.close();
          }
        }
      },
    };
  } catch (e) {
    await redis?.close();
    if (!options.stores) await baseStores.close();
    throw e;
  }
}

/** Run a construction step whose configuration errors are the operator's (unreadable files, bad validator names). */
function startupStep<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof EmailConfigError || e instanceof EmailTemplateError || e instanceof CommonPasswordsFileError || e instanceof RangeError || e instanceof MfaStoresMissing) {
      throw new StartupError(e.message);
    }
    throw e;
  }
}

/** An asynchronous construction step whose configuration errors are the operator's. */
async function startupStepAsync<T>(build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (e) {
    if (e instanceof PasskeyStoreMissing) throw new StartupError(e.message);
    throw e;
  }
}

/**
 * The engine's CORS policy from `cors.*` (none while no origin is listed). In cookie mode
 * with CSRF on, the CSRF header is allowed too: the page must send it on every unsafe request.
 */
function corsOption(settings: Settings): { cors?: CorsPolicy } {
  const { cors, cookies } = settings;
  if (cors.allowedOrigins.length === 0) return {};
  const csrfHeader = cookies.enabled && cookies.csrf ? [cookies.csrfHeaderName] : [];
  return { cors: new CorsPolicy({ ...cors, allowedHeaders: [...cors.allowedHeaders, ...csrfHeader] }) };
}

/**
 * The endpoints' events into the one sink. Failed logins and logout-all are left out:
 * the services emit those themselves, with what the endpoints do not know (the
 * username tried, the client address; logouts-all from any caller).
 */
function endpointEvents(events: EventSink): (event: AuditEvent) => void {
  return (e) => {
    if (e.event === 'login' && e.userId !== undefined) events({ event: 'login', endpoint: e.endpoint, userId: e.userId, ...(e.tokenId !== undefined ? { tokenId: e.tokenId } : {}) });
    else if (e.event === 'logout' || e.event === 'token_revoked') events({ event: e.event, endpoint: e.endpoint, userId: e.userId, tokenId: e.tokenId });
    else if (e.event === 'mfa_required' && e.userId !== undefined) events({ event: 'mfa_required', endpoint: e.endpoint, userId: e.userId });
    else if (e.event === 'mfa_refused') events({ event: 'mfa_refused', endpoint: e.endpoint, userId: e.userId, reason: e.reason ?? 'unknown' });
  };
}

/** `GET /metrics`; an address range no parser accepts stops the start with the operator's message. */
function metricsRouteOrStartupError(metrics: Metrics, settings: Settings, clientAddress: ClientAddressResolver) {
  try {
    return metricsRoute(metrics, settings, clientAddress);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
}

/** A guard whose outcomes are counted when metrics are on. */
function observedGuard(guard: Guard, metrics: Metrics | null): Guard {
  if (!metrics) return guard;
  return (req) =>
    then(guard(req), (outcome) => {
      metrics.guard(outcome);
      return outcome;
    });
}

/** `EngineOptions.observe`: the access log (`log.access`) and the request metrics, when either is on. */
function requestObserver(settings: Settings, logger: Logger, metrics: Metrics | null): { observe?: (r: ObservedRequest) => void } {
  const log = settings.log.access ? accessLog(logger) : null;
  if (!log && !metrics) return {};
  return {
    observe: (r) => {
      log?.(r);
      metrics?.request(r);
    },
  };
}

/**
 * Connect to `redis.url` (null when unset). An unreachable Redis does not stop the start:
 * the instance runs degraded (caches bypassed, throttles per `throttle.onStoreFailure`)
 * and reconnects by itself; each change of the connection is logged once, without the
 * URL's password. A URL that is not `redis://` / `rediss://` is a `StartupError`.
 * `ioredis` is loaded here, only when a Redis URL is configured.
 */
async function openRedis(settings: Settings, logger: Logger | undefined): Promise<RedisBackend | null> {
  const url = settings.redis.url;
  if (url === null) return null;
  const redacted = redactUrl(url);
  const { RedisBackend, RedisUrlError } = await import('../stores/redis/index.js');
  try {
    return await RedisBackend.open(url, {
      keyPrefix: settings.redis.keyPrefix,
      timeoutMs: settings.redis.timeout,
      onError: (e, where) => logger?.debug({ err: { name: e.name, message: e.message }, where }, 'redis connection error'),
      onConnectionChange: (up) => {
        if (up) logger?.info({ redis: redacted }, 'redis connected');
        else logger?.warn({ redis: redacted }, 'redis unreachable: revocation-dependent caches bypassed (the database is read) until it is back');
      },
    });
  } catch (e) {
    if (e instanceof RedisUrlError) throw new StartupError(`redis.url: ${e.message}`);
    throw e;
  }
}

/** Redis throttle counters, with `throttle.onStoreFailure` while Redis is unreachable. */
function sharedThrottleStore(settings: Settings, redis: RedisBackend, logger: Logger | undefined): ThrottleStore {
  return new FailoverThrottleStore({
    primary: redis.throttleStore(),
    fallback: new MemoryThrottleStore({ maxEntries: settings.throttle.maxEntries }),
    mode: settings.throttle.onStoreFailure,
    available: () => redis.connected,
    onOutage: (e, mode) =>
      logger?.warn(
        { err: e ? { name: e.name, message: e.message } : undefined, redis: redis.url, onStoreFailure: mode },
        mode === 'local'
          ? 'redis unreachable: throttle counters kept per instance until it is back'
          : 'redis unreachable: throttled requests answered 503 until it is back',
      ),
    onRecovery: () => logger?.info({ redis: redis.url }, 'redis throttle counters shared again'),
  });
}
