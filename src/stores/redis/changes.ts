/**
 * The revocation channel: a Redis pub/sub channel that tells every instance "something
 * that decides whether a credential is accepted changed — drop your caches".
 *
 * After each local invalidating write (see `withRedis`), the instance PUBLISHes
 * `{"from": <instance id>, "what": <kind>}` on `<prefix>changes`. Each instance keeps one
 * dedicated subscriber connection; a message from another instance moves its counter, so
 * every cache keyed by `generation()` (opaque-token lookups, verified JWTs, users, denylist
 * answers, session states) misses on the next request. Its own messages are ignored: its
 * own writes already moved the store's signal.
 *
 * Fail closed: while the subscriber is not connected and subscribed — before the first
 * connect, after an error, a Redis restart, a heartbeat left unanswered — messages may be
 * missed, so `generation()` returns a new value on every call (every cache misses, every
 * request reads the database). Once subscribed again the counter moves once more
 * (anything read while deaf may be stale) and caching resumes. The same as the
 * PostgreSQL listener (`../postgres/changes.ts`).
 *
 * `combineSignals` makes one `ChangeSignal` of several (the store's own and this one).
 */
import type { Redis } from 'ioredis';
import type { ChangeKind, ChangeSignal } from '../types.js';
import { isReady } from './connection.js';

export interface RedisChangesOptions {
  /** The pub/sub channel, e.g. `gatehouse:changes`. */
  channel: string;
  /** This instance's id; messages carrying it are its own. */
  instanceId: string;
  /** How often the subscriber connection is probed with PING, ms (default 5000; 0: never). */
  heartbeatMs?: number;
  /** Called with the subscriber's connection errors (never thrown). */
  onError?: ((error: Error) => void) | undefined;
}

/** The cross-instance change signal over Redis pub/sub; see the module comment. */
export class RedisChanges implements ChangeSignal {
  private n = 0;
  private live = false;
  private closed = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private probing = false;
  private waiters: Array<() => void> = [];
  /** Messages received from other instances (diagnostics and tests). */
  received = 0;

  /**
   * `publisher` sends (any client); `subscriber` is dedicated to this signal (it enters
   * subscriber mode) and is owned by it: `close()` ends it.
   */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly o: RedisChangesOptions,
  ) {
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('close', () => this.deaf());
    subscriber.on('end', () => this.deaf());
    subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    subscriber.on('error', (e: Error) => {
      try {
        this.o.onError?.(e);
      } catch {
        // a reporting callback must not break the signal
      }
    });
    const every = o.heartbeatMs ?? 5000;
    if (every > 0) {
      this.heartbeat = setInterval(() => this.probe(), every);
      this.heartbeat.unref();
    }
    if (isReady(subscriber)) void this.subscribe();
  }

  /** Synchronous and cheap; a new value on every call while not subscribed (fail closed). */
  generation(): number {
    return this.live ? this.n : ++this.n;
  }

  /** Is the subscriber connected and subscribed? */
  get connected(): boolean {
    return this.live;
  }

  /** Resolve once subscribed, or after `timeoutMs`: whether subscribed. */
  whenSubscribed(timeoutMs: number): Promise<boolean> {
    if (this.live) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(this.live);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(this.live);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }

  /**
   * Tell the other instances that `what` changed. Never rejects: resolves false when
   * Redis could not be reached (the other instances then rely on the store's own signal,
   * and on their own reconnect bump if they were cut off too).
   */
  async publish(what: ChangeKind): Promise<boolean> {
    if (this.closed || !isReady(this.publisher)) return false;
    try {
      await this.publisher.publish(this.o.channel, JSON.stringify({ from: this.o.instanceId, what }));
      return true;
    } catch {
      return false;
    }
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.o.channel);
      if (this.closed || !isReady(this.subscriber)) return;
      this.live = true;
      this.n++; // whatever was read while not subscribed may predate a missed message
      for (const wake of this.waiters.splice(0)) wake();
    } catch (e) {
      // Not subscribed: stay closed; the next 'ready' (after a reconnect) tries again.
      this.deaf();
      if (!this.closed) this.o.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private deaf(): void {
    this.live = false;
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.o.channel) return;
    let from: unknown;
    try {
      from = (JSON.parse(message) as { from?: unknown } | null)?.from;
    } catch {
      from = undefined; // not ours: an operator's PUBLISH also moves the counter
    }
    if (from === this.o.instanceId) return;
    this.received++;
    this.n++;
  }

  /** A PING unanswered within the command timeout: the connection is deaf; reconnect. */
  private probe(): void {
    if (!this.live || this.probing) return;
    this.probing = true;
    this.subscriber
      .ping()
      .catch(() => {
        if (this.closed) return;
        this.deaf();
        this.subscriber.disconnect(true);
      })
      .finally(() => {
        this.probing = false;
      });
  }

  /** Stop listening for good (ends the subscriber connection). */
  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.subscriber.disconnect(false);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * One signal from several: a counter that moves whenever any of them returns a value
 * different from the last one seen (so it fails closed when any of them does). Works for
 * any signals, monotonic or not.
 */
export function combineSignals(...signals: ChangeSignal[]): ChangeSignal {
  const last = signals.map(() => Number.NaN);
  let n = 0;
  return {
    generation(): number {
      let moved = false;
      for (let i = 0; i < signals.length; i++) {
        const g = (signals[i] as ChangeSignal).generation();
        if (g !== last[i]) {
          last[i] = g;
          moved = true;
        }
      }
      if (moved) n++;
      return n;
    },
  };
}
