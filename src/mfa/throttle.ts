/**
 * Wrong second-factor proofs, counted per user with the login throttle's backoff counters
 * (`ThrottleStore.recordFailure` / `backoff`, the policy of `policyOf`): `mfa.failureRate`
 * `N/period` allows N wrong proofs; the N-th locks for `period / N`, each further one
 * doubles the lock up to `throttle.loginMaxBackoff`; the counter is forgotten a period
 * after the last failure or the lock's end. A success does not clear it (as the login
 * throttle's USERNAME counter: one good code does not wipe out the evidence of guessing).
 * Always on, whatever `throttle.loginEnabled` says: six digits must not be guessable.
 */
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import { then } from '../core/maybe.js';
import type { BackoffPolicy, ThrottleStore } from '../stores/types.js';
import { policyOf, startedLock } from '../throttle/login.js';

export class ProofThrottle {
  private readonly policy: BackoffPolicy;

  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: Clock,
    rate: string,
    maxBackoffMs: number,
    private readonly events: EventSink,
  ) {
    this.policy = policyOf(rate, maxBackoffMs, 'mfa.failureRate');
  }

  static key(userId: number): string {
    return `mfa_user_${userId}`;
  }

  /** Seconds the user must wait before a proof is judged again; null when not locked. */
  async lockedFor(userId: number): Promise<number | null> {
    const now = this.clock.now();
    const state = await this.store.backoff(ProofThrottle.key(userId), now);
    return state && state.lockedUntil > now ? (state.lockedUntil - now) / 1000 : null;
  }

  /** Count one wrong proof; a lock it starts is a `login_locked` event (counter `mfa`). */
  async failure(userId: number): Promise<void> {
    const now = this.clock.now();
    await then(this.store.recordFailure(ProofThrottle.key(userId), this.policy, now), (state) => {
      if (!startedLock(state, this.policy, now)) return;
      this.events({ event: 'login_locked', counter: 'mfa', userId, failures: state.failures, lockedSeconds: (state.lockedUntil - now) / 1000 });
    });
  }
}
