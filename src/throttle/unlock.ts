/**
 * Clearing login lock-outs: the one function every way of unlocking goes through (today
 * `gatehouse unlock USER [--address IP]`), so every clearing is seen as a
 * `login_unlocked` security event — logged like the other events, and counted in the
 * metrics of a process that has them (`gatehouse_login_unlocks_total`).
 *
 * A username's counters are its USERNAME counter and every PAIR counter (that username
 * from one address); an address's is its ADDRESS counter. DEVICE counters are named by the
 * device cookie's nonce, not by a username, and are not cleared (src/cli/locks.ts).
 * The event carries the username (masked as `log.usernames` says when logged) and the
 * address named, how many counters were cleared and how many of them were locked; it is
 * emitted only when a counter was cleared.
 */
import type { EventSink } from '../core/events.js';
import type { ThrottleStore } from '../stores/types.js';
import { addressIdent } from './ip.js';
import { LoginThrottle } from './login.js';

/** Whose lock-outs to clear: a username, an address, or both. */
export interface UnlockRequest {
  username?: string;
  address?: string;
}

export interface UnlockResult {
  /** Counters cleared. */
  cleared: number;
  /** Of those, how many were locked. */
  wereLocked: number;
}

export interface UnlockTarget {
  /** The store the login throttle counts in. */
  store: ThrottleStore;
  /** Every PAIR counter key of a username (they are named by username and address). */
  pairKeys: (username: string) => Promise<string[]>;
}

/** Clear the counters of `who` in `target.store` and emit `login_unlocked` (`by`: who asked). */
export async function unlockLogin(
  target: UnlockTarget,
  who: UnlockRequest,
  options: { events: EventSink; by: 'cli'; now: number },
): Promise<UnlockResult> {
  const keys: string[] = [];
  if (who.username !== undefined) keys.push(LoginThrottle.usernameKey(who.username), ...(await target.pairKeys(who.username)));
  if (who.address !== undefined) keys.push(LoginThrottle.addressKey(who.address));
  let cleared = 0;
  let wereLocked = 0;
  for (const key of keys) {
    const state = await target.store.backoff(key, options.now);
    if (!state) continue;
    if (state.lockedUntil > options.now) wereLocked++;
    await target.store.reset(key);
    cleared++;
  }
  if (cleared > 0) {
    options.events({
      event: 'login_unlocked',
      by: options.by,
      ...(who.username !== undefined ? { username: who.username } : {}),
      ...(who.address !== undefined ? { address: addressIdent(who.address) } : {}),
      cleared,
      wereLocked,
    });
  }
  return { cleared, wereLocked };
}
