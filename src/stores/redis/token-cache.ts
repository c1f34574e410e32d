/**
 * An optional read-through cache of opaque-token lookups (`TokenStore.findByPrefix`) in
 * Redis (`redis.tokenCache`), shared by every instance: a lookup that one instance read
 * from the database is answered from Redis by the others for `ttlMs`.
 *
 * It never serves a revoked token:
 *
 * - Every entry is stamped with a global epoch (`<prefix>tc:epoch`) read before the
 *   database, and is written only if the epoch is still the same (one Lua script), so a
 *   revocation that lands while a lookup is reading the database is never overwritten
 *   by that lookup's stale answer.
 * - Every invalidating write (`invalidate()`: logout, logout-all, password change,
 *   deactivation, deletion, … see `withRedis`) increments the epoch BEFORE the revoking
 *   call returns: every entry, on every instance, is stale from then on.
 * - A writer that could not reach Redis (another process, the CLI, an instance cut off)
 *   still moved its store's change signal (PostgreSQL NOTIFY, SQLite `data_version`):
 *   each instance increments the epoch when it sees its store's signal move, before it
 *   reads from the cache again. And after its own connection to Redis comes back, an
 *   instance increments the epoch before using the cache again.
 * - While Redis is unreachable the cache is bypassed: the database is read.
 *
 * Entries also carry a per-prefix version that token creation increments, so a new token
 * whose (non-secret, 8-character) prefix collides with a cached one is found at once.
 * Rows with an expiry in the past are re-read from the database (auto-refresh may have
 * extended them elsewhere). No empty answers are cached. Password hashes never go to
 * Redis: a user read from the cache carries the unusable password `!`. Entries are
 * HMAC-signed (with the token prefix, stamps and their end time): someone who can write
 * to Redis cannot make a key valid, and can replay a genuine entry for at most `ttlMs`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import type { User } from '../../core/user.js';
import type { ChangeSignal, TokenRecord, TokenWithUser } from '../types.js';
import { isReady } from './connection.js';

/** KEYS epoch, version, entry. → {epoch, version, entry | false}. */
const GET = `
local e = redis.call('GET', KEYS[1]) or '0'
local v = redis.call('GET', KEYS[2]) or '0'
return {e, v, redis.call('GET', KEYS[3])}
`;

/** KEYS epoch, version, entry; ARGV epoch, version, entry, ttlMs. → 1 when written. */
const SET = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
return 1
`;

/** KEYS version; ARGV ttlMs. Token created: lookups of this prefix read the database. */
const CREATED = `
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

type Runner = (...args: string[]) => Promise<unknown>;

export interface RedisTokenCacheOptions {
  /** Prefix of the cache's keys (`<prefix>tc:…`). */
  keyPrefix: string;
  /** How long an entry lives, ms. */
  ttlMs: number;
  /** The store's own change signal (not the combined one): when it moves, the epoch does. */
  signal: ChangeSignal;
  /** For expiry checks of cached rows and entries. */
  clock: Clock;
  /**
   * Key of the entries' HMAC-SHA256 (e.g. derived from `secretKey`): whoever can write to
   * Redis cannot forge an entry (make a key valid), only replay a genuine one for at most
   * `ttlMs`.
   */
  secret: string | Buffer;
}

/** The serialised form of a row: dates as epoch ms, no password hash. */
interface CachedRow {
  token: TokenRecord;
  user: Omit<User, 'password' | 'lastLogin' | 'dateJoined'> & { lastLogin: number | null; dateJoined: number };
}

const toCached = ({ token, user }: TokenWithUser): CachedRow => {
  const { password: _password, lastLogin, dateJoined, ...rest } = user;
  return { token, user: { ...rest, lastLogin: lastLogin ? lastLogin.getTime() : null, dateJoined: dateJoined.getTime() } };
};

const fromCached = ({ token, user }: CachedRow): TokenWithUser => ({
  token,
  user: { ...user, password: '!', lastLogin: user.lastLogin === null ? null : new Date(user.lastLogin), dateJoined: new Date(user.dateJoined) },
});

function parseRows(text: string): TokenWithUser[] | null {
  try {
    const rows = JSON.parse(text) as unknown;
    if (!Array.isArray(rows) || rows.length === 0) return null;
    return (rows as CachedRow[]).map(fromCached);
  } catch {
    return null;
  }
}

/** The cache; see the module comment. */
export class RedisTokenCache {
  private readonly run: { get: Runner; set: Runner; created: Runner };
  private readonly epochKey: string;
  /** The store signal's value when the epoch was last moved for it. */
  private seen = Number.NaN;
  /** False from a disconnect until the epoch has been moved after the reconnect. */
  private fresh = false;
  /** Lookups answered from Redis / read from the database (diagnostics and tests). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly client: Redis,
    private readonly o: RedisTokenCacheOptions,
  ) {
    if (!Number.isSafeInteger(o.ttlMs) || o.ttlMs < 1) throw new RangeError(`token cache ttlMs must be a positive integer (got ${o.ttlMs})`);
    this.epochKey = `${o.keyPrefix}tc:epoch`;
    const methods = client as unknown as Record<string, Runner | undefined>;
    const define = (name: string, keys: number, lua: string): Runner => {
      if (!methods[name]) client.defineCommand(name, { numberOfKeys: keys, lua });
      const fn = methods[name] as Runner;
      return (...args) => fn.apply(client, args);
    };
    this.run = { get: define('gatehouseTokenCacheGet', 3, GET), set: define('gatehouseTokenCacheSet', 3, SET), created: define('gatehouseTokenCacheCreated', 1, CREATED) };
    client.on('close', () => {
      this.fresh = false;
    });
  }

  private versionKey(prefix: string): string {
    return `${this.o.keyPrefix}tc:v:${prefix}`;
  }

  private entryKey(prefix: string): string {
    return `${this.o.keyPrefix}tc:e:${prefix}`;
  }

  /**
   * Every entry is stale from now on (on every instance). Resolves false when Redis
   * could not be reached; never rejects.
   */
  async invalidate(): Promise<boolean> {
    if (!isReady(this.client)) return false;
    try {
      await this.client.incr(this.epochKey);
      return true;
    } catch {
      return false;
    }
  }

  /** A token with this prefix was created: lookups of the prefix read the database. Never rejects. */
  async created(prefix: string): Promise<void> {
    if (!isReady(this.client)) return;
    await this.run.created(this.versionKey(prefix), String(2 * this.o.ttlMs + 60_000)).catch(() => {});
  }

  /** Is the cache usable now (connected, and the epoch moved for everything this instance may have missed)? */
  private async usable(): Promise<boolean> {
    if (!isReady(this.client)) return false;
    const g = this.o.signal.generation();
    if (this.fresh && g === this.seen) return true;
    if (!(await this.invalidate())) return false;
    this.seen = g;
    this.fresh = true;
    return true;
  }

  /** `findByPrefix` through the cache: `load` reads the database. Rejects only when `load` does. */
  async lookup(prefix: string, load: () => Promise<TokenWithUser[]>): Promise<TokenWithUser[]> {
    if (!(await this.usable())) return load();
    const keys = [this.epochKey, this.versionKey(prefix), this.entryKey(prefix)] as const;
    let stamp: [string, string];
    try {
      const [epoch, version, entry] = (await this.run.get(...keys)) as [string, string, string | null];
      stamp = [epoch, version];
      const rows = typeof entry === 'string' ? this.open(prefix, epoch, version, entry) : null;
      const now = this.o.clock.now();
      if (rows && rows.every((r) => r.token.expiresAt === null || r.token.expiresAt > now)) {
        this.hits++;
        return rows;
      }
    } catch {
      return load();
    }
    this.misses++;
    const rows = await load();
    if (rows.length > 0) {
      const entry = this.seal(prefix, stamp[0], stamp[1], JSON.stringify(rows.map(toCached)));
      await this.run.set(...keys, ...stamp, entry, String(this.o.ttlMs)).catch(() => {});
    }
    return rows;
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.o.secret).update(text, 'utf8').digest();
  }

  /** `epoch|version|until|mac|json`, the MAC over the token prefix and everything else. */
  private seal(prefix: string, epoch: string, version: string, json: string): string {
    const head = `${epoch}|${version}|${this.o.clock.now() + this.o.ttlMs}`;
    return `${head}|${this.mac(`${prefix}|${head}|${json}`).toString('base64url')}|${json}`;
  }

  /** The rows of an entry, or null when it is stale (another epoch or version), past its end, or not genuine. */
  private open(prefix: string, epoch: string, version: string, entry: string): TokenWithUser[] | null {
    const parts = entry.split('|', 4);
    if (parts.length < 4 || parts[0] !== epoch || parts[1] !== version || !(Number(parts[2]) > this.o.clock.now())) return null;
    const head = `${parts[0]}|${parts[1]}|${parts[2]}`;
    const json = entry.slice(head.length + (parts[3] as string).length + 2);
    const expected = this.mac(`${prefix}|${head}|${json}`);
    const given = Buffer.from(parts[3] as string, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return parseRows(json);
  }
}
