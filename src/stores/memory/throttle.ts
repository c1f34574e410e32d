/**
 * The in-memory `ThrottleStore`: DRF's sliding-window histories and the login throttle's
 * backoff counters in one bounded map.
 *
 * - Bounded: at most `maxEntries` keys; writing a new key past that drops the key written
 *   least recently (a `Map` keeps write order: a write deletes and re-inserts its key).
 * - O(1) amortised per call: a history is a queue with a moving head (compacted when the
 *   dead prefix is more than half of it); each write also looks at up to two of the least
 *   recently written keys and drops them when expired; `prune(now)` sweeps everything.
 * - Atomic: every method runs synchronously to completion (single-threaded JavaScript),
 *   so concurrent requests cannot interleave inside one.
 *
 * Memory per key is one number per request allowed in the window (as DRF's list in the
 * cache), so the total is bounded by `maxEntries` × the largest rate's `num`.
 *
 * The two state transitions are exported as pure functions (`hitHistory`,
 * `failureTransition`): they ARE the `ThrottleStore` contract, and the Redis scripts of a
 * later store must match them.
 */
import type { BackoffPolicy, BackoffState, ThrottleHit, ThrottleStore } from '../types.js';

/** A DRF history: allowed requests' times, oldest first, live from `head`. */
interface HistoryEntry {
  kind: 'history';
  times: number[];
  head: number;
  expiresAt: number;
}

interface BackoffEntry {
  kind: 'backoff';
  failures: number;
  lockedUntil: number;
  expiresAt: number;
}

type Entry = HistoryEntry | BackoffEntry;

const ALLOWED: ThrottleHit = Object.freeze({ allowed: true, wait: null }) as ThrottleHit;
/** Least recently written keys examined for expiry on each write. */
const SWEEP_PER_WRITE = 2;

/**
 * DRF `SimpleRateThrottle.allow_request` + `wait()` on a history (oldest first, live from
 * `head`). Returns the answer and the new head (expired times dropped); on `allowed` the
 * caller appends `now`. Pure: never mutates `times`.
 */
export function hitHistory(
  times: readonly number[],
  head: number,
  limit: number,
  durationMs: number,
  now: number,
): { hit: ThrottleHit; head: number } {
  let h = head;
  while (h < times.length && (times[h] as number) <= now - durationMs) h++;
  const remaining = times.length - h;
  if (remaining < limit) return { hit: ALLOWED, head: h };
  const left = remaining > 0 ? durationMs - (now - (times[h] as number)) : durationMs;
  const available = limit - remaining + 1;
  return { hit: { allowed: false, wait: available <= 0 ? null : left / available / 1000 }, head: h };
}

/**
 * The backoff counter after one failure at `now` (see `ThrottleStore.recordFailure`), and
 * when it may be forgotten. `prev` is the stored state, or null when absent or forgotten.
 */
export function failureTransition(
  prev: BackoffState | null,
  policy: BackoffPolicy,
  now: number,
): { state: BackoffState; expiresAt: number; counted: boolean } {
  if (prev && now < prev.lockedUntil) return { state: prev, expiresAt: prev.lockedUntil + policy.windowMs, counted: false };
  const failures = (prev?.failures ?? 0) + 1;
  let lockedUntil = 0;
  if (failures >= policy.limit) {
    const exponent = failures - policy.limit;
    // 2^52 ms is already far beyond any lock: capping the exponent keeps the number finite.
    const lock = Math.min(policy.baseMs * 2 ** Math.min(exponent, 52), policy.maxMs);
    lockedUntil = now + lock;
  }
  // Forgotten a window after the last failure, or after the end of the lock if later.
  return { state: { failures, lockedUntil }, expiresAt: Math.max(now, lockedUntil) + policy.windowMs, counted: true };
}

/** Construction options of `MemoryThrottleStore`. */
export interface MemoryThrottleStoreOptions {
  /** Most keys kept (`throttle.maxEntries`); at least 1. */
  maxEntries: number;
}

/**
 * In-memory throttle state for one process. Answers synchronously. Not shared between
 * processes or servers: use a shared store (Redis) when several instances serve one API.
 * Throws `RangeError` when `maxEntries` is not a positive integer.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  constructor(options: MemoryThrottleStoreOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, not ${String(options.maxEntries)}`);
    }
    this.maxEntries = options.maxEntries;
  }

  /** Keys currently held (expired ones may linger until swept or evicted). */
  get size(): number {
    return this.entries.size;
  }

  hit(key: string, limit: number, durationMs: number, now: number): ThrottleHit {
    const found = this.entries.get(key);
    const entry = found?.kind === 'history' && now < found.expiresAt ? found : undefined;
    const { hit, head } = hitHistory(entry?.times ?? [], entry?.head ?? 0, limit, durationMs, now);
    // DRF writes the cache only on success: a refused request changes nothing.
    if (!hit.allowed) return hit;
    let next: HistoryEntry;
    if (entry) {
      next = entry;
      next.head = head;
      if (next.head > 16 && next.head * 2 > next.times.length) {
        next.times = next.times.slice(next.head);
        next.head = 0;
      }
    } else {
      next = { kind: 'history', times: [], head: 0, expiresAt: 0 };
    }
    next.times.push(now);
    next.expiresAt = now + durationMs;
    this.write(key, next, now);
    return hit;
  }

  recordFailure(key: string, policy: BackoffPolicy, now: number): BackoffState {
    const prev = this.backoff(key, now);
    const { state, expiresAt, counted } = failureTransition(prev, policy, now);
    if (counted) this.write(key, { kind: 'backoff', failures: state.failures, lockedUntil: state.lockedUntil, expiresAt }, now);
    return { failures: state.failures, lockedUntil: state.lockedUntil };
  }

  backoff(key: string, now: number): BackoffState | null {
    const entry = this.entries.get(key);
    if (entry?.kind !== 'backoff' || now >= entry.expiresAt) return null;
    return { failures: entry.failures, lockedUntil: entry.lockedUntil };
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drop every expired key now (O(n)); returns how many. */
  prune(now: number): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (now >= entry.expiresAt) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Forget everything (tests, or an operator's "unlock all"). */
  clear(): void {
    this.entries.clear();
  }

  private write(key: string, entry: Entry, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Opportunistic expiry of the least recently written keys.
    let looked = 0;
    for (const [oldKey, old] of this.entries) {
      if (looked++ >= SWEEP_PER_WRITE || oldKey === key) break;
      if (now >= old.expiresAt) this.entries.delete(oldKey);
      else break;
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
