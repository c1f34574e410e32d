/**
 * The Redis `ThrottleStore`: DRF's sliding-window histories and the login throttle's
 * backoff counters, shared by every instance on one Redis.
 *
 * Each method is one Lua script (`defineCommand`: EVALSHA, EVAL when the script cache was
 * flushed), so it is atomic per key exactly as the contract requires: with `limit` N,
 * exactly N of any number of simultaneous `hit`s — from any number of instances — are
 * allowed. Times come from the caller (`now`, epoch ms): Redis's clock is never read, so
 * instances agree whatever the clock of the Redis host says.
 *
 * - `hit`: a list under `<prefix><key>`, newest time first (LPUSH); expired times are
 *   popped from the tail (RPOP while `<= now - durationMs`); PEXPIRE `durationMs` after
 *   each recorded time, so idle keys are forgotten. A refused hit writes nothing (DRF).
 * - `recordFailure`: a hash `{f: failures, l: lockedUntil, x: forgetAt}`; `x` is kept so
 *   that "forgotten" is decided with the caller's clock too; PEXPIRE to `forgetAt`.
 * - `backoff`: the hash read (null when absent or `now >= x`); `reset`: DEL.
 *
 * The state transitions are the same as `../memory/throttle.ts`'s pure functions
 * (`hitHistory`, `failureTransition`); one contract suite runs against both. Numbers go
 * into the scripts as the caller's decimal strings and come back as `%.17g` strings, so
 * no precision is lost on the way. A key holding another kind of value (a history used
 * as a counter) is treated as absent and replaced, as the in-memory store does.
 *
 * Failures (Redis unreachable, a timeout) reject; `FailoverThrottleStore` decides what
 * the throttles do then (`throttle.onStoreFailure`).
 */
import type { Redis } from 'ioredis';
import type { BackoffPolicy, BackoffState, ThrottleHit, ThrottleStore } from '../types.js';

/** KEYS[1] history; ARGV limit, durationMs, now. → {1} | {0, remaining, oldest}. */
const HIT = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local kind = redis.call('TYPE', key).ok
if kind ~= 'list' and kind ~= 'none' then redis.call('DEL', key) end
while true do
  local oldest = redis.call('LINDEX', key, -1)
  if not oldest or tonumber(oldest) > now - duration then break end
  redis.call('RPOP', key)
end
local remaining = redis.call('LLEN', key)
if remaining < limit then
  redis.call('LPUSH', key, ARGV[3])
  redis.call('PEXPIRE', key, string.format('%d', math.max(1, math.ceil(duration))))
  return {1}
end
return {0, remaining, redis.call('LINDEX', key, -1) or false}
`;

/** KEYS[1] counter; ARGV limit, windowMs, baseMs, maxMs, now. → {failures, lockedUntil}. */
const FAILURE = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local failures, locked = 0, 0
local kind = redis.call('TYPE', key).ok
if kind == 'hash' then
  local v = redis.call('HMGET', key, 'f', 'l', 'x')
  if v[1] and v[3] and now < tonumber(v[3]) then
    failures = tonumber(v[1])
    locked = tonumber(v[2])
  end
elseif kind ~= 'none' then
  redis.call('DEL', key)
end
local fmt = function(n) return string.format('%.17g', n) end
if now < locked then return {fmt(failures), fmt(locked)} end
failures = failures + 1
locked = 0
if failures >= limit then
  local lock = math.min(base * 2 ^ math.min(failures - limit, 52), max)
  locked = now + lock
end
local forget = math.max(now, locked) + window
redis.call('HSET', key, 'f', fmt(failures), 'l', fmt(locked), 'x', fmt(forget))
redis.call('PEXPIRE', key, string.format('%d', math.max(1, math.ceil(forget - now))))
return {fmt(failures), fmt(locked)}
`;

/** KEYS[1] counter. → {failures, lockedUntil, forgetAt} | false. */
const BACKOFF = `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local v = redis.call('HMGET', KEYS[1], 'f', 'l', 'x')
if not v[1] or not v[2] or not v[3] then return false end
return v
`;

type ScriptResult = Array<string | number | null> | null;
type ScriptRunner = (...args: string[]) => Promise<ScriptResult>;

/** Construction options of `RedisThrottleStore`. */
export interface RedisThrottleStoreOptions {
  /** Prefix of every key (default `gatehouse:`); the caller's key follows it. */
  keyPrefix?: string;
}

const COMMANDS = { hit: 'gatehouseThrottleHit', failure: 'gatehouseThrottleFailure', backoff: 'gatehouseThrottleBackoff' } as const;

/** Define the scripts on a client once (ioredis keeps their SHA and falls back to EVAL). */
function scripts(client: Redis): Record<keyof typeof COMMANDS, ScriptRunner> {
  const lua = { hit: HIT, failure: FAILURE, backoff: BACKOFF };
  const methods = client as unknown as Record<string, ScriptRunner | undefined>;
  const out = {} as Record<keyof typeof COMMANDS, ScriptRunner>;
  for (const name of Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>) {
    if (!methods[COMMANDS[name]]) client.defineCommand(COMMANDS[name], { numberOfKeys: 1, lua: lua[name] });
    const run = methods[COMMANDS[name]] as ScriptRunner;
    out[name] = (...args) => run.apply(client, args);
  }
  return out;
}

const num = (v: string | number | null | undefined): number => (typeof v === 'number' ? v : Number(v));

/** A finite number as the scripts read it (`tonumber`): refused early instead of corrupting state. */
function arg(name: string, v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`throttle ${name} must be a finite number (got ${v})`);
  return String(v);
}

/** The throttle store on Redis; see the module comment. Every method returns a promise. */
export class RedisThrottleStore implements ThrottleStore {
  private readonly run: Record<keyof typeof COMMANDS, ScriptRunner>;
  private readonly prefix: string;

  constructor(
    private readonly client: Redis,
    options: RedisThrottleStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'gatehouse:';
    this.run = scripts(client);
  }

  /** The Redis key of a caller's key. */
  redisKey(key: string): string {
    return this.prefix + key;
  }

  async hit(key: string, limit: number, durationMs: number, now: number): Promise<ThrottleHit> {
    const r = await this.run.hit(this.redisKey(key), arg('limit', limit), arg('duration', durationMs), arg('now', now));
    if (!r || num(r[0]) === 1) return { allowed: true, wait: null };
    // The wait exactly as `hitHistory` computes it, from the oldest time the script saw.
    const remaining = num(r[1]);
    const left = remaining > 0 && r[2] !== null && r[2] !== undefined ? durationMs - (now - num(r[2])) : durationMs;
    const available = limit - remaining + 1;
    return { allowed: false, wait: available <= 0 ? null : left / available / 1000 };
  }

  async recordFailure(key: string, policy: BackoffPolicy, now: number): Promise<BackoffState> {
    const r = await this.run.failure(
      this.redisKey(key),
      arg('limit', policy.limit),
      arg('windowMs', policy.windowMs),
      arg('baseMs', policy.baseMs),
      arg('maxMs', policy.maxMs),
      arg('now', now),
    );
    return { failures: num(r?.[0]), lockedUntil: num(r?.[1]) };
  }

  async backoff(key: string, now: number): Promise<BackoffState | null> {
    const r = await this.run.backoff(this.redisKey(key));
    if (!r || now >= num(r[2])) return null;
    return { failures: num(r[0]), lockedUntil: num(r[1]) };
  }

  async reset(key: string): Promise<void> {
    await this.client.del(this.redisKey(key));
  }
}
