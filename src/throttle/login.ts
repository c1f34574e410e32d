/**
 * Login throttling: online password guessing is slowed, and an attacker cannot use the
 * throttle to lock the real user out. DRF has nothing like it (its `ScopedRateThrottle`
 * on a login view counts every POST, right password or not).
 *
 * Design (OWASP "Slow Down Online Guessing Attacks with Device Cookies", with Keycloak's
 * temporary lock-out: a bounded wait and a reset after a quiet period):
 *
 * Counters. Each is a backoff counter in the `ThrottleStore` (`recordFailure` /
 * `backoff` / `reset`, unchanged): a rate `N/period` allows N failures; the N-th locks
 * for `period / N`; a counter is forgotten one `period` after its last failure or, if
 * later, after its lock ends (the quiet period, Keycloak's "failure reset time").
 * - ADDRESS `login_address_<ident>` (IPv6 by /64), `throttle.loginAddressRate`; each
 *   further failure doubles the lock up to `throttle.loginMaxBackoff`.
 * - PAIR `login_pair_<username id>_<ident>`: one username from one address,
 *   `throttle.loginUsernameRate`, doubling up to `loginMaxBackoff`.
 * - USERNAME `login_username_<username id>`: one username from every untrusted client,
 *   `throttle.loginUsernameRate`, but its lock NEVER grows: every lock is `period / N`
 *   (6 minutes at the default `10/h`). A failure per hour thus locks it 6 minutes an
 *   hour, not for ever; an hour without failures forgets it.
 * - DEVICE `login_device_<nonce>`: one device cookie, `throttle.loginUsernameRate`,
 *   doubling up to `loginMaxBackoff`.
 *
 * Who is judged by what. An attempt is TRUSTED when it carries a device cookie
 * (`./device.ts`) this server issued, for this username, still within its lifetime;
 * anything else (no cookie, another username's, a bad signature, expired) is UNTRUSTED.
 * - Trusted: refused while its DEVICE counter is locked; nothing else is consulted, so
 *   neither an attack on the username nor on the address locks a known device out.
 *   A failure counts in DEVICE only; a success resets DEVICE.
 * - Untrusted: refused with 429 while ADDRESS is locked; refused while PAIR is locked;
 *   refused while USERNAME is locked unless the address is CLEAN for this username
 *   (PAIR holds fewer than `throttle.loginCleanAddressTries` failures). A failure counts
 *   in ADDRESS, PAIR and USERNAME; a success resets PAIR only (USERNAME is the evidence of
 *   an attack from elsewhere: one success does not clear it).
 * - Every success earns a new device cookie (`issueDevice`), sent as an extra
 *   `Set-Cookie` header; clients that keep no cookies stay untrusted, nothing else changes.
 *
 * Answers stay uniform: a refusal other than ADDRESS's answers exactly like a wrong
 * password (the caller still spends one hash), for known and unknown usernames alike —
 * nothing here looks a user up. ADDRESS's refusal is 429 (`Throttled`), which says
 * nothing about accounts. A refused attempt is still reported as a failure: locked
 * counters do not count it, the others do (the attacker's address pays for it).
 *
 * Usernames are bucketed by `usernameId`: trimmed, NFKC, case-folded (see
 * `normalizeUsername`). A username longer than Django's 150 characters can never exist,
 * so it is not normalised at all (NFKC is quadratic on long runs of combining marks):
 * it gets a bucket of its own, named by a digest of the raw form.
 *
 * `check` and `failure` are separate store calls: simultaneous attempts that all pass
 * `check` before any `failure` lands are each verified (bounded by the password hasher's
 * concurrency and queue); every one of their failures is then counted. Store failures
 * propagate (the endpoint answers 503).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { noEvents, type EventSink } from '../core/events.js';
import { then } from '../core/maybe.js';
import type { BackoffPolicy, BackoffState, ThrottleStore } from '../stores/types.js';
import { DeviceCookies } from './device.js';
import { addressIdent } from './ip.js';
import { parseRate } from './rate.js';

/** Who attempts a login, as the login throttle sees it. */
export interface LoginClient {
  /** The client address (resolved through `http.trustedProxies`). */
  address: string;
  /** The device cookie's value as the client sent it; absent: an untrusted client. */
  device?: string | undefined;
}

/** The answer of `LoginThrottle.check`. */
export interface LoginCheck {
  /** False when a counter that judges this attempt is locked: do not check the password. */
  allowed: boolean;
  /** Seconds until the refusing counters accept (the longer lock); null when allowed. */
  wait: number | null;
  /** Refused by the username's counters (USERNAME, PAIR or DEVICE): answer like a wrong password. */
  usernameLocked: boolean;
  /** Refused by the client address's counter: answer 429. */
  addressLocked: boolean;
  /** The attempt carried a valid device cookie for this username. */
  trusted: boolean;
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
  /** `throttle.loginCleanAddressTries` (default 3): tries a clean address gets while USERNAME is locked. */
  cleanAddressTries?: number;
  /** Device cookies (`throttle.deviceCookie*`); absent or null: every client is untrusted. */
  devices?: DeviceCookies | null;
  /** `throttle.loginEnabled`; when false every check allows and nothing is recorded. */
  enabled?: boolean;
  /** Told of every lock a failure starts (`login_locked`). */
  events?: EventSink;
}

/** Django's `AbstractUser.username` `max_length` (characters, i.e. code points). */
export const USERNAME_MAX_CODE_POINTS = 150;

/** More than `USERNAME_MAX_CODE_POINTS` code points? Reads at most 300 UTF-16 units. */
function longerThanAnyUsername(s: string): boolean {
  if (s.length <= USERNAME_MAX_CODE_POINTS) return false;
  if (s.length > 2 * USERNAME_MAX_CODE_POINTS) return true;
  let n = 0;
  for (const _ of s) if (++n > USERNAME_MAX_CODE_POINTS) return true;
  return false;
}

/**
 * The username as the throttle buckets it: trimmed (Unicode white space), NFKC-normalised
 * (as Django's `normalize_username`), then case-folded (upper- then lower-casing, which
 * folds `ß`→`ss`, `ſ`→`s`, the Kelvin sign → `k`, final sigma → `σ`; locale-independent)
 * and NFKC again. So `Alice`, ` alice ` and `ALICE` share one bucket — an attacker cannot
 * multiply their attempts by varying case — even though Django usernames are
 * case-sensitive (two accounts differing only in case share a bucket too).
 * Returns null, without normalising, for a username of more than 150 code points
 * (after trimming): no account can have it, and NFKC's cost is quadratic in runs of
 * combining marks.
 */
export function normalizeUsername(username: string): string | null {
  const trimmed = username.trim();
  if (longerThanAnyUsername(trimmed)) return null;
  return trimmed.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The id of a username's counters and device cookies: the SHA-256 of the normalised
 * username (hex), or `long-` + the SHA-256 of the raw form when it is longer than any
 * username can be. Bounded size; no raw usernames in the store. Linear time.
 */
export function usernameId(username: string): string {
  const normal = normalizeUsername(username);
  return normal === null ? `long-${sha256(username)}` : sha256(normal);
}

/** The backoff policy of a rate `N/period` (N failures, then `period / N` doubling up to `maxBackoffMs`); throws `RangeError`. */
export function policyOf(rate: string, maxBackoffMs: number, name: string): BackoffPolicy {
  const parsed = parseRate(rate);
  if (!parsed) throw new RangeError(`${name} must be a rate`);
  const baseMs = parsed.num > 0 ? parsed.durationMs / parsed.num : parsed.durationMs;
  return Object.freeze({ limit: parsed.num, windowMs: parsed.durationMs, baseMs: Math.min(baseMs, maxBackoffMs), maxMs: maxBackoffMs });
}

/**
 * Did this failure start a lock, rather than meet one already running (not counted, the
 * state answered unchanged)? A counted failure that locks sets `lockedUntil` to now plus
 * exactly its lock; an uncounted one returns a lock that started earlier (only a refused
 * attempt in the very millisecond the lock started is reported as starting it again).
 */
export function startedLock(state: BackoffState, policy: BackoffPolicy, now: number): boolean {
  if (state.failures < policy.limit || state.lockedUntil <= now) return false;
  return state.lockedUntil - now === Math.min(policy.baseMs * 2 ** Math.min(state.failures - policy.limit, 52), policy.maxMs);
}

const lockedFor = (state: BackoffState | null, now: number): number => (state && state.lockedUntil > now ? state.lockedUntil - now : 0);

function answer(trusted: boolean, usernameMs: number, addressMs: number): LoginCheck {
  if (usernameMs === 0 && addressMs === 0) return { allowed: true, wait: null, usernameLocked: false, addressLocked: false, trusted };
  return { allowed: false, wait: Math.max(usernameMs, addressMs) / 1000, usernameLocked: usernameMs > 0, addressLocked: addressMs > 0, trusted };
}

/** The counters that judge one attempt (see the module comment). */
type Judged = { trusted: true; device: string } | { trusted: false; username: string; pair: string; address: string };

/**
 * Failed-login throttling for the login endpoints (`/api-token-auth/`, knox login,
 * `/api/token/`, …). Per attempt:
 *
 * 1. `check(username, client)` BEFORE verifying the password (read-only). `addressLocked`
 *    ⇒ 429 `Throttled(wait)`; otherwise not `allowed` ⇒ answer as a wrong password.
 * 2. `failure(username, client)` after any failed or refused login.
 * 3. `success(username, client)` after a successful login, then `issueDevice(username)`
 *    for the client's new device cookie.
 *
 * Throws `RangeError` at construction for an invalid rate, a non-positive backoff or a
 * negative `cleanAddressTries`.
 */
export class LoginThrottle {
  readonly enabled: boolean;
  /** ADDRESS. */
  readonly addressPolicy: BackoffPolicy;
  /** PAIR and DEVICE. */
  readonly usernamePolicy: BackoffPolicy;
  /** USERNAME: `usernamePolicy` whose lock never grows. */
  readonly usernameWidePolicy: BackoffPolicy;
  readonly cleanAddressTries: number;
  /** Device cookies; null when they are off. */
  readonly devices: DeviceCookies | null;
  private readonly store: ThrottleStore;
  private readonly clock: Clock;
  private readonly events: EventSink;

  constructor(options: LoginThrottleOptions) {
    if (!(options.maxBackoffMs > 0)) throw new RangeError('loginMaxBackoff must be positive');
    const clean = options.cleanAddressTries ?? 3;
    if (!Number.isSafeInteger(clean) || clean < 0) throw new RangeError('loginCleanAddressTries must be a non-negative integer');
    this.store = options.store;
    this.clock = options.clock;
    this.enabled = options.enabled !== false;
    this.cleanAddressTries = clean;
    this.devices = options.devices ?? null;
    this.events = options.events ?? noEvents;
    this.usernamePolicy = policyOf(options.usernameRate, options.maxBackoffMs, 'loginUsernameRate');
    this.usernameWidePolicy = Object.freeze({ ...this.usernamePolicy, maxMs: this.usernamePolicy.baseMs });
    this.addressPolicy = policyOf(options.addressRate, options.maxBackoffMs, 'loginAddressRate');
  }

  /** USERNAME's store key. */
  static usernameKey(username: string): string {
    return `login_username_${usernameId(username)}`;
  }

  /** ADDRESS's store key (`addressIdent`: IPv6 by /64). */
  static addressKey(clientAddress: string): string {
    return `login_address_${addressIdent(clientAddress)}`;
  }

  /** PAIR's store key. */
  static pairKey(username: string, clientAddress: string): string {
    return `login_pair_${usernameId(username)}_${addressIdent(clientAddress)}`;
  }

  /** Which counters judge this attempt: DEVICE for a valid device cookie, else the untrusted ones. */
  private judge(username: string, client: string | LoginClient): Judged {
    const { address, device } = typeof client === 'string' ? { address: client, device: undefined } : client;
    const id = usernameId(username);
    const nonce = this.devices && device !== undefined ? this.devices.verify(device, id) : null;
    if (nonce !== null) return { trusted: true, device: `login_device_${nonce}` };
    const ident = addressIdent(address);
    return { trusted: false, username: `login_username_${id}`, pair: `login_pair_${id}_${ident}`, address: `login_address_${ident}` };
  }

  /** May this attempt be verified? Read-only. A bare string is an untrusted client's address. */
  async check(username: string, client: string | LoginClient): Promise<LoginCheck> {
    if (!this.enabled) return answer(false, 0, 0);
    const now = this.clock.now();
    const j = this.judge(username, client);
    if (j.trusted) return answer(true, lockedFor(await this.store.backoff(j.device, now), now), 0);
    const [user, pair, address] = await Promise.all([this.store.backoff(j.username, now), this.store.backoff(j.pair, now), this.store.backoff(j.address, now)]);
    const clean = (pair?.failures ?? 0) < this.cleanAddressTries;
    const usernameMs = Math.max(lockedFor(pair, now), clean ? 0 : lockedFor(user, now));
    return answer(false, usernameMs, lockedFor(address, now));
  }

  /** Record a failed (or refused) login in the counters that judge it; a lock it starts is an event. */
  async failure(username: string, client: string | LoginClient): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now();
    const j = this.judge(username, client);
    const address = typeof client === 'string' ? client : client.address;
    const record = (key: string, policy: BackoffPolicy, counter: 'address' | 'username' | 'pair' | 'device') =>
      then(this.store.recordFailure(key, policy, now), (state) => {
        if (!startedLock(state, policy, now)) return;
        const who = counter === 'address' ? { address } : counter === 'device' ? { username } : { username, address };
        this.events({ event: 'login_locked', counter, ...who, failures: state.failures, lockedSeconds: (state.lockedUntil - now) / 1000 });
      });
    if (j.trusted) {
      await record(j.device, this.usernamePolicy, 'device');
      return;
    }
    await Promise.all([
      record(j.username, this.usernameWidePolicy, 'username'),
      record(j.pair, this.usernamePolicy, 'pair'),
      record(j.address, this.addressPolicy, 'address'),
    ]);
  }

  /** A successful login: forget DEVICE (trusted) or PAIR (untrusted); USERNAME and ADDRESS are kept. */
  async success(username: string, client: string | LoginClient): Promise<void> {
    if (!this.enabled) return;
    const j = this.judge(username, client);
    await this.store.reset(j.trusted ? j.device : j.pair);
  }

  /** A new device cookie value for a client that just logged in as `username`; null when device cookies are off. */
  issueDevice(username: string): string | null {
    return this.enabled && this.devices ? this.devices.issue(usernameId(username)) : null;
  }
}
