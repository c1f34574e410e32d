/**
 * Login throttling (catalogue 86–87): failed logins counted per username and per client
 * address, with exponential backoff. DRF has nothing like it; its `ScopedRateThrottle` on
 * a login view counts every POST, right password or not.
 *
 * Two buckets, each a backoff counter in the `ThrottleStore` (`recordFailure`):
 * - `login_username_<sha256 of the normalised username>` with `throttle.loginUsernameRate`;
 * - `login_address_<address ident>` (IPv6 by /64) with `throttle.loginAddressRate`.
 *
 * A rate `N/period` allows N failures; the N-th locks the bucket for `period / N`; each
 * further failure (one can only happen after the lock ends) doubles the lock, up to
 * `throttle.loginMaxBackoff`. A bucket is forgotten one `period` after its last failure
 * or, if later, after its lock ends. With the defaults (`10/h`, `100/h`, `1h`): the 10th
 * failure on a username locks it 6 minutes, then 12, 24, 48, 60, 60… (a persistent
 * attacker gets one try per hour); an hour without failures after a lock starts afresh.
 * An address gets 100 failures, then 36 s, 72 s, ….
 *
 * Nothing here knows whether a username exists: unknown usernames get buckets like known
 * ones, so every answer is the same for both.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { BackoffPolicy, BackoffState, ThrottleStore } from '../stores/types.js';
import { addressIdent } from './ip.js';
import { parseRate } from './rate.js';

/** The answer of `LoginThrottle.check`. */
export interface LoginCheck {
  /** False when either bucket is locked: do not check the password. */
  allowed: boolean;
  /** Seconds until both buckets accept (the longer lock); null when allowed. */
  wait: number | null;
  /** The username's bucket is locked. */
  usernameLocked: boolean;
  /** The client address's bucket is locked. */
  addressLocked: boolean;
}

/** Construction options of `LoginThrottle` (`createThrottling` fills them from `throttle.*`). */
export interface LoginThrottleOptions {
  store: ThrottleStore;
  clock: Clock;
  /** `throttle.loginUsernameRate`, e.g. `"10/h"`. */
  usernameRate: string;
  /** `throttle.loginAddressRate`, e.g. `"100/h"`. */
  addressRate: string;
  /** `throttle.loginMaxBackoff` in ms. */
  maxBackoffMs: number;
  /** `throttle.loginEnabled`; when false every check allows and nothing is recorded. */
  enabled?: boolean;
}

/**
 * The username as the throttle buckets it: trimmed (Unicode white space), NFKC-normalised
 * (as Django's `normalize_username`), then case-folded (upper- then lower-casing, which
 * folds `ß`→`ss`, `ſ`→`s`, the Kelvin sign → `k`, final sigma → `σ`; locale-independent)
 * and NFKC again. So `Alice`, ` alice ` and `ALICE` share one bucket — an attacker cannot
 * multiply their attempts by varying case — even though Django usernames are
 * case-sensitive (two accounts differing only in case share a bucket too).
 */
export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

function policyOf(rate: string, maxBackoffMs: number, name: string): BackoffPolicy {
  const parsed = parseRate(rate);
  if (!parsed) throw new RangeError(`${name} must be a rate`);
  const baseMs = parsed.num > 0 ? parsed.durationMs / parsed.num : parsed.durationMs;
  return Object.freeze({ limit: parsed.num, windowMs: parsed.durationMs, baseMs: Math.min(baseMs, maxBackoffMs), maxMs: maxBackoffMs });
}

const OPEN: LoginCheck = Object.freeze({ allowed: true, wait: null, usernameLocked: false, addressLocked: false });

const lockedAt = (state: BackoffState | null, now: number): number => (state && state.lockedUntil > now ? state.lockedUntil - now : 0);

/**
 * Failed-login throttling for the login endpoints (`/api-token-auth/`, knox login,
 * `/api/token/`, …). Per attempt:
 *
 * 1. `check(username, address)` BEFORE verifying the password (read-only). Not `allowed`
 *    ⇒ answer without verifying it (see the integration notes in the report: 429
 *    `Throttled(wait)`, identical for right and wrong passwords, known and unknown users).
 * 2. `failure(username, address)` after any failed login (wrong password, unknown user,
 *    inactive user): counts in both buckets. A failure while a bucket is locked is not
 *    counted in it, so calling it for refused attempts is harmless.
 * 3. `success(username, address)` after a successful login: clears that username's bucket
 *    only (the address keeps its count, so owning one account does not reset an
 *    attacker's address).
 *
 * `check` and `failure` are separate store calls: simultaneous attempts that all pass
 * `check` before any `failure` lands are each verified (bounded by the password hasher's
 * concurrency and queue); every one of their failures is then counted, so a burst only
 * lengthens the lock. Store failures propagate (the endpoint answers 503).
 * Throws `RangeError` at construction for an invalid rate or a non-positive backoff.
 */
export class LoginThrottle {
  readonly enabled: boolean;
  readonly usernamePolicy: BackoffPolicy;
  readonly addressPolicy: BackoffPolicy;
  private readonly store: ThrottleStore;
  private readonly clock: Clock;

  constructor(options: LoginThrottleOptions) {
    if (!(options.maxBackoffMs > 0)) throw new RangeError('loginMaxBackoff must be positive');
    this.store = options.store;
    this.clock = options.clock;
    this.enabled = options.enabled !== false;
    this.usernamePolicy = policyOf(options.usernameRate, options.maxBackoffMs, 'loginUsernameRate');
    this.addressPolicy = policyOf(options.addressRate, options.maxBackoffMs, 'loginAddressRate');
  }

  /** The store key of a username's bucket (a digest: bounded size, no raw usernames in the store). */
  static usernameKey(username: string): string {
    return `login_username_${createHash('sha256').update(normalizeUsername(username), 'utf8').digest('hex')}`;
  }

  /** The store key of an address's bucket (`addressIdent`: IPv6 by /64). */
  static addressKey(clientAddress: string): string {
    return `login_address_${addressIdent(clientAddress)}`;
  }

  /**
   * May this attempt be verified? Read-only. `wait` (seconds) is the longer remaining lock
   * of the two buckets; `usernameLocked` / `addressLocked` say which refuse.
   */
  async check(username: string, clientAddress: string): Promise<LoginCheck> {
    if (!this.enabled) return OPEN;
    const now = this.clock.now();
    const [user, address] = await Promise.all([
      this.store.backoff(LoginThrottle.usernameKey(username), now),
      this.store.backoff(LoginThrottle.addressKey(clientAddress), now),
    ]);
    const userMs = lockedAt(user, now);
    const addressMs = lockedAt(address, now);
    if (userMs === 0 && addressMs === 0) return OPEN;
    return { allowed: false, wait: Math.max(userMs, addressMs) / 1000, usernameLocked: userMs > 0, addressLocked: addressMs > 0 };
  }

  /** Record a failed login in the username's and the address's buckets. */
  async failure(username: string, clientAddress: string): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now();
    await Promise.all([
      this.store.recordFailure(LoginThrottle.usernameKey(username), this.usernamePolicy, now),
      this.store.recordFailure(LoginThrottle.addressKey(clientAddress), this.addressPolicy, now),
    ]);
  }

  /** A successful login: forget that username's failures (the address bucket is kept). */
  async success(username: string, clientAddress: string): Promise<void> {
    void clientAddress;
    if (!this.enabled) return;
    await this.store.reset(LoginThrottle.usernameKey(username));
  }
}
