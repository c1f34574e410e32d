/**
 * A shared throttle store (Redis) with a defined behaviour when it cannot be reached
 * (`throttle.onStoreFailure`):
 *
 * - `'local'` (default): degrade to a per-instance in-memory store — each instance then
 *   enforces the limits on its own, so a client spread over N instances gets up to N
 *   times the rate — with ONE warning per outage (not per request) and one notice when
 *   the shared store answers again.
 * - `'closed'`: refuse with 503 `{"detail": "Service temporarily unavailable."}` and
 *   `Retry-After` (`ServiceUnavailable`), also with one warning per outage.
 *
 * An outage starts with the first failed call (or a call while `available()` says the
 * connection is down) and ends with the first successful call to the shared store.
 * During an outage the shared store is not asked while `available()` is false, and at
 * most once per `probeMs` otherwise (a store that answers slowly, e.g. a stalled network,
 * does not add its timeout to every request).
 */
import { isPromise, type MaybePromise } from '../core/maybe.js';
import { ServiceUnavailable } from '../core/errors.js';
import type { BackoffPolicy, BackoffState, ThrottleHit, ThrottleStore } from '../stores/types.js';

/** What to do when the shared throttle store fails (`throttle.onStoreFailure`). */
export type StoreFailureMode = 'local' | 'closed';

export interface FailoverThrottleStoreOptions {
  /** The shared store. */
  primary: ThrottleStore;
  /** The per-instance store used in `'local'` mode while the shared one is down. */
  fallback: ThrottleStore;
  mode: StoreFailureMode;
  /** Is the shared store's connection up? (Cheap and synchronous.) Default: always. */
  available?: () => boolean;
  /** Called once when an outage starts (the error, or null when the connection was known down). */
  onOutage?: (error: Error | null, mode: StoreFailureMode) => void;
  /** Called once when the shared store answers again. */
  onRecovery?: () => void;
  /** During an outage, least ms between two attempts on a connection that claims to be up (default 1000). */
  probeMs?: number;
  /** `Retry-After` seconds in `'closed'` mode (default 1). */
  retryAfter?: number;
  /** Time source for `probeMs` (default `Date.now`). */
  now?: () => number;
}

type Call<T> = (store: ThrottleStore) => MaybePromise<T>;

/** See the module comment. */
export class FailoverThrottleStore implements ThrottleStore {
  private down = false;
  private lastFailure = 0;
  /** Outages seen so far (diagnostics and tests). */
  outages = 0;

  constructor(private readonly o: FailoverThrottleStoreOptions) {}

  /** Is an outage in progress? */
  get degraded(): boolean {
    return this.down;
  }

  hit(key: string, limit: number, durationMs: number, now: number): ThrottleHit | Promise<ThrottleHit> {
    return this.call((s) => s.hit(key, limit, durationMs, now));
  }

  recordFailure(key: string, policy: BackoffPolicy, now: number): BackoffState | Promise<BackoffState> {
    return this.call((s) => s.recordFailure(key, policy, now));
  }

  backoff(key: string, now: number): BackoffState | null | Promise<BackoffState | null> {
    return this.call((s) => s.backoff(key, now));
  }

  reset(key: string): void | Promise<void> {
    return this.call((s) => s.reset(key));
  }

  private call<T>(fn: Call<T>): MaybePromise<T> {
    const now = (this.o.now ?? Date.now)();
    const up = this.o.available ? this.o.available() : true;
    if (!up || (this.down && now - this.lastFailure < (this.o.probeMs ?? 1000))) return this.failed(fn, null);
    let result: MaybePromise<T>;
    try {
      result = fn(this.o.primary);
    } catch (e) {
      return this.failed(fn, e);
    }
    if (isPromise(result)) {
      return result.then(
        (r) => this.succeeded(r),
        (e: unknown) => this.failed(fn, e),
      );
    }
    return this.succeeded(result);
  }

  private succeeded<T>(result: T): T {
    if (this.down) {
      this.down = false;
      try {
        this.o.onRecovery?.();
      } catch {
        // reporting must not fail the request
      }
    }
    return result;
  }

  private failed<T>(fn: Call<T>, error: unknown): MaybePromise<T> {
    // A call that failed on a connection claiming to be up waits `probeMs` before the next
    // try; a connection known to be down is tried again as soon as it says it is back.
    this.lastFailure = error !== null ? (this.o.now ?? Date.now)() : Number.NEGATIVE_INFINITY;
    if (!this.down) {
      this.down = true;
      this.outages++;
      try {
        this.o.onOutage?.(error === null ? null : error instanceof Error ? error : new Error(String(error)), this.o.mode);
      } catch {
        // reporting must not fail the request
      }
    }
    if (this.o.mode === 'closed') throw new ServiceUnavailable(this.o.retryAfter ?? 1);
    return fn(this.o.fallback);
  }
}
