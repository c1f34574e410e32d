/**
 * API key service: create (the key is returned once), authenticate, list, update, revoke;
 * each change reported as a security event (src/apikeys/events.ts).
 *
 * Authentication (`authenticateKey`) is the one function every path calls:
 * 1. a key longer than `API_KEY_MAX` is refused; a key found in the verified-key cache
 *    (bounded, keyed by the key's SHA-256; only keys that passed 2 and 3 are put there)
 *    goes to 4 without being parsed again — the parse costs as much as the rest of a
 *    cached lookup;
 * 2. otherwise `parseApiKey` refuses a malformed key or a bad checksum before any store
 *    access (a drf-api-key `<prefix>.<secret>` passes only `parseDrfApiKey`: src/apikeys/legacy.ts);
 * 3. the row is found by its lookup id; its digest is compared in constant time;
 * 4. revoked, expired, or an inactive owner → the same `InvalidApiKey` (401);
 * 5. last use is written at most once per `minRefreshInterval`.
 * Every cache entry is tied to the store's change generation, so a revocation or an
 * update is honoured on the very next request (`changing`).
 */
import type { Clock } from '../core/clock.js';
import { noEvents, type ApiKeyActor, type EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import { ValidationError } from '../core/errors.js';
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore, ApiKeyWithUser, Stores } from '../stores/types.js';
import { apiKeyFieldErrors, changesTo, normalized } from './attributes.js';
import { APPLICATION, apiKeyEvent } from './events.js';
import { API_KEY_MAX, generateApiKey, parseApiKey } from './format.js';
import { apiKeyDigest, apiKeyDigestMatches } from './digest.js';
import { InvalidApiKey } from './errors.js';
import { serviceUser } from './principal.js';
import { isDjangoHash, parseDrfApiKey, type DjangoHashCheck } from './legacy.js';

export interface ApiKeyOptions {
  /** Recognisable key prefix (`apiKeys.prefix`). */
  prefix: string;
  /** Least ms between two last-used writes of one key. */
  minRefreshInterval: number;
  /** Entries in the lookup cache; 0 disables it. */
  cacheSize: number;
  /** Checks imported drf-api-key rows (Django hashes); absent: such rows never match. */
  checkDjangoHash?: DjangoHashCheck;
  /** Where creations, changes and revocations are reported (`apikey_*` security events). */
  events?: EventSink;
}

/** What a valid key proves: `(request.user, request.auth)`. */
export interface ApiKeyPrincipal {
  user: User;
  key: ApiKeyRecord;
}

/** A key as created: the plaintext exists only here, once. */
export interface IssuedApiKey {
  key: string;
  record: ApiKeyRecord;
}

export interface NewApiKey {
  name: string;
  userId: number | null;
  scopes?: string[];
  /** Epoch ms, or null. */
  expiresAt?: number | null;
  rate?: string | null;
}

/** Why an update of a revoked key is refused. */
export const REVOKED = 'This API key is revoked; it cannot be changed.';

interface CacheEntry {
  found: ApiKeyWithUser;
  generation: number;
}

export class ApiKeyService {
  private readonly store: ApiKeyStore;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly events: EventSink;

  constructor(
    private readonly stores: Stores,
    private readonly options: ApiKeyOptions,
    private readonly clock: Clock,
  ) {
    if (!stores.apiKeys) throw new Error('apiKeys.enabled needs a store with API keys (memory or SQLite)');
    this.store = stores.apiKeys;
    this.events = options.events ?? noEvents;
  }

  /** Create a key; throws `ValidationError` for bad attributes. */
  async create(input: NewApiKey, actor: ApiKeyActor = APPLICATION): Promise<IssuedApiKey> {
    const now = this.clock.now();
    const errors = apiKeyFieldErrors(input, now);
    if (input.userId !== null && !(await this.stores.users.getById(input.userId))) errors.user = [`Invalid pk "${input.userId}" - object does not exist.`];
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    const { key, lookupId } = generateApiKey(this.options.prefix);
    const attributes = normalized({ name: input.name, scopes: input.scopes ?? [] });
    const record = await this.store.create({
      lookupId,
      digest: apiKeyDigest(key),
      name: attributes.name as string,
      userId: input.userId,
      scopes: attributes.scopes ?? [],
      createdAt: now,
      expiresAt: input.expiresAt ?? null,
      rate: input.rate ?? null,
    });
    this.events(apiKeyEvent('apikey_created', record, actor));
    return { key, record };
  }

  /** The principal of a presented key, or `InvalidApiKey`. Synchronous on a cache hit needing no write. */
  authenticateKey(key: string): ApiKeyPrincipal | Promise<ApiKeyPrincipal> {
    if (key.length > API_KEY_MAX) throw new InvalidApiKey();
    const digest = apiKeyDigest(key);
    const generation = this.stores.changes.generation();
    const cached = this.cache.get(digest);
    // Only a key that was parsed and matched its row is ever cached: a hit needs no second parse.
    if (cached && cached.generation === generation) return this.accept(cached.found);
    const lookupId = parseApiKey(key, this.options.prefix) ?? parseDrfApiKey(key);
    if (lookupId === null) throw new InvalidApiKey();
    return this.lookup(key, lookupId, digest, generation).then((found) => this.accept(found));
  }

  private async lookup(key: string, lookupId: string, digest: string, generation: number): Promise<ApiKeyWithUser | null> {
    const found = await this.store.findByLookupId(lookupId);
    const match = found && (await this.matches(found.key.digest, key, digest)) ? found : null;
    if (match && this.options.cacheSize > 0) {
      if (this.cache.size >= this.options.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(digest, { found: match, generation });
    }
    return match;
  }

  /** Does the stored digest belong to the presented key? A Django hash (an imported key) is checked by the hasher (#158). */
  private async matches(stored: string, key: string, digest: string): Promise<boolean> {
    if (!isDjangoHash(stored)) return apiKeyDigestMatches(stored, digest);
    return parseDrfApiKey(key) !== null && this.options.checkDjangoHash !== undefined && this.options.checkDjangoHash(key, stored);
  }

  /** The checks of every use, cached or not. */
  private accept(found: ApiKeyWithUser | null): ApiKeyPrincipal | Promise<ApiKeyPrincipal> {
    const now = this.clock.now();
    if (!found || !isUsable(found, now)) throw new InvalidApiKey();
    const { key } = found;
    const user = found.user ?? serviceUser(key);
    if (key.lastUsedAt !== null && now - key.lastUsedAt < this.options.minRefreshInterval) return { user, key };
    key.lastUsedAt = now;
    return this.store.touch(key.id, now).then(() => ({ user, key }));
  }

  /** Keys of one owner, or every key (`userId` undefined), oldest first; revoked ones included. */
  list(userId?: number): Promise<ApiKeyRecord[]> {
    return this.store.list(userId);
  }

  get(id: number): Promise<ApiKeyRecord | null> {
    return this.store.get(id);
  }

  /** Revoke one key; false when unknown or already revoked. */
  async revoke(id: number, actor: ApiKeyActor = APPLICATION): Promise<boolean> {
    if (!(await this.changing(() => this.store.revoke(id, this.clock.now())))) return false;
    const record = await this.store.get(id);
    if (record) this.events(apiKeyEvent('apikey_revoked', record, actor));
    return true;
  }

  /** Revoke every key of a user (`apiKeys.revokeOnPasswordChange`); one event per key revoked. */
  async revokeAllForUser(userId: number, actor: ApiKeyActor = APPLICATION): Promise<number> {
    const now = this.clock.now();
    const revokedBefore = new Set((await this.store.list(userId)).filter((k) => k.revokedAt !== null).map((k) => k.id));
    const n = await this.changing(() => this.store.revokeAllForUser(userId, now));
    if (n === 0) return 0;
    for (const k of await this.store.list(userId)) {
      if (k.revokedAt === now && !revokedBefore.has(k.id)) this.events(apiKeyEvent('apikey_revoked', k, actor));
    }
    return n;
  }

  /**
   * Change a key's name, scopes, rate or expiry (who may change what is the caller's rule:
   * `requireUpdatable` over HTTP; the CLI is the operator). Null when unknown; a revoked key
   * cannot be changed; bad attributes throw `ValidationError`. Only what differs is
   * written and reported (`apikey_updated`, `changed`); the verified-key cache is dropped
   * as for a revocation, so the next request sees the new scopes and rate.
   */
  async update(id: number, patch: ApiKeyPatch, actor: ApiKeyActor = APPLICATION): Promise<ApiKeyRecord | null> {
    const errors = apiKeyFieldErrors(patch, this.clock.now());
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    const key = await this.store.get(id);
    if (!key) return null;
    if (key.revokedAt !== null) throw ValidationError.nonField(REVOKED);
    const changes = changesTo(key, patch);
    const changed = Object.keys(changes);
    if (changed.length === 0) return key;
    const updated = await this.changing(() => this.store.update(id, changes));
    if (updated) this.events(apiKeyEvent('apikey_updated', updated, actor, changed));
    return updated;
  }

  /**
   * Every write that changes what a key may do (revocation, a change of scopes or rate)
   * goes through here, the one place the verified-key cache is dropped: emptied before the
   * write, and the store moves its change signal with it, so a lookup that read the old row
   * meanwhile is cached under a stale generation (never served), here and on every other
   * instance.
   */
  private changing<T>(write: () => Promise<T>): Promise<T> {
    this.cache.clear();
    return write();
  }
}

/** Not revoked, not expired, and an owner (if any) that is active: the one usability rule. */
export function isUsable({ key, user }: ApiKeyWithUser, now: number): boolean {
  if (key.revokedAt !== null) return false;
  if (key.expiresAt !== null && key.expiresAt <= now) return false;
  if (key.userId !== null && (user === null || !user.isActive)) return false;
  return true;
}
