/**
 * The reference application: settings → stores → services → routes → engine.
 * `gatehouse serve` and the tests build it the same way.
 */
import type { Authenticator } from '../core/authenticator.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Settings } from '../core/settings.js';
import { Engine } from '../http/engine.js';
import { opaqueTokenRoutes, type AuditEvent } from '../http/endpoints/opaque.js';
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
  engine: Engine;
  close(): Promise<void>;
}

export interface CreateOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use these stores instead of opening `settings.database`. */
  stores?: Stores;
}

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

/** Build the whole application. */
export function createGatehouse(settings: Settings, options: CreateOptions = {}): Gatehouse {
  const clock = options.clock ?? systemClock;
  const stores = options.stores ?? openStores(settings);
  const { users, tokens } = createServices(settings, stores, clock);
  const tokenAuthentication = new TokenAuthentication(tokens, settings.tokens.keyword);
  const logger = options.logger;
  const audit = (event: AuditEvent) => logger?.info({ audit: event }, event.event);
  const meAuthenticators: Authenticator[] = [tokenAuthentication];
  const engine = new Engine(
    [
      ...healthRoutes(),
      ...opaqueTokenRoutes({ users, tokens, tokenAuthentication, audit }),
      ...userRoutes(meAuthenticators),
    ],
    { maxBodySize: settings.http.maxBodySize, ...(logger ? { logger } : {}) },
  );
  return { settings, stores, users, tokens, engine, close: () => stores.close() };
}
