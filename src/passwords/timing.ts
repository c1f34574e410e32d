/**
 * Equal-cost failed logins: every failed password check lasts as long as the costliest
 * verification this process has seen.
 *
 * The cost of a verification depends on the stored hash: PBKDF2 with 600,000 or
 * 1,000,000 iterations, Django's argon2 parameters, bcrypt_sha256 at cost 12, scrypt… may
 * take 5–12× what a hash of the current policy takes. A wrong password for such a user,
 * against the one `burn` an unknown username costs, would tell that the user exists
 * (and, with an old hash, that they have not logged in since the policy changed).
 *
 * Design: padding to a common target latency, not extra hashing.
 *
 * - Every verification (right or wrong password, real hash or the `burn` dummy) is timed
 *   inside its hashing slot and recorded under its *profile*: algorithm and cost
 *   parameters (`pbkdf2_sha256$600000`, `argon2id$m=65536,t=3,p=4`, `bcrypt_sha256$12`…).
 *   Each profile keeps a smoothed cost and its variation (the estimator TCP uses for its
 *   retransmission timeout, RFC 6298: mean + 4 × mean deviation).
 * - The *target* is the largest estimate over all profiles seen.
 * - Every failure — unknown username, wrong password, unusable or malformed hash,
 *   refused password, inactive user, locked account — sleeps, after its own hashing,
 *   until `target` milliseconds after the hashing started. So, seen from the client,
 *   all failures take the same time whatever the stored hash, and the padding costs no
 *   CPU (an attacker cannot turn it into hashing work).
 * - Successful logins are not padded: whoever sent the right password already knows the
 *   account exists.
 *
 * Start-up: `createGatehouse` times one verification of every cost profile stored in the
 * database (src/users/measure-profiles.ts, docs/security.md #117), so the first failure
 * is already padded to the costliest stored profile. What remains: a profile first
 * written while the process runs is measured on its first verification, answered at
 * its own cost; a floor (`floorMs`) closes that gap for operators who know their
 * costliest legacy format.
 * Time spent queueing for a hashing slot counts toward the target, so under a full
 * queue failures are not padded further.
 */

/** Clock and sleep for `FailureTiming`; injectable so tests can see what was padded. */
export interface FailureTimingOptions {
  /** Monotonic milliseconds (default `performance.now`). */
  now?: () => number;
  /** Wait `ms` milliseconds (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Smallest target in ms (default 0: only measured costs count). */
  floorMs?: number;
}

/** One profile's cost estimate (RFC 6298's SRTT and RTTVAR). */
interface Estimate {
  mean: number;
  deviation: number;
}

/** Profiles remembered at most; beyond, the cheapest is forgotten (it never sets the target). */
const MAX_PROFILES = 64;
/** A sample above this many times the mean is clamped (a GC pause must not raise the target for good). */
const OUTLIER_FACTOR = 4;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const estimateOf = (e: Estimate): number => e.mean + 4 * e.deviation;

export class FailureTiming {
  readonly #profiles = new Map<string, Estimate>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #floor: number;

  constructor(options: FailureTimingOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? realSleep;
    this.#floor = options.floorMs ?? 0;
  }

  /** The current time on this timing's clock (ms); pass it to `pad` later. */
  now(): number {
    return this.#now();
  }

  /** Record that one verification under `profile` took `ms` milliseconds of hashing. */
  record(profile: string, ms: number): void {
    const e = this.#profiles.get(profile);
    if (e === undefined) {
      if (this.#profiles.size >= MAX_PROFILES) this.#forgetCheapest();
      // RFC 6298 starts at mean + 4 × (R / 2) = 3R; R / 4 (2R) is margin enough for one sample.
      this.#profiles.set(profile, { mean: ms, deviation: ms / 4 });
      return;
    }
    const sample = Math.min(ms, OUTLIER_FACTOR * e.mean + 1);
    e.deviation = 0.75 * e.deviation + 0.25 * Math.abs(e.mean - sample);
    e.mean = 0.875 * e.mean + 0.125 * sample;
  }

  /** How long (ms) a failed check lasts: the largest estimate over every profile seen. */
  target(): number {
    let t = this.#floor;
    for (const e of this.#profiles.values()) t = Math.max(t, estimateOf(e));
    return t;
  }

  /** The profiles seen and their estimates (ms), costliest first: diagnostics and tests. */
  estimates(): Array<{ profile: string; ms: number }> {
    return [...this.#profiles].map(([profile, e]) => ({ profile, ms: estimateOf(e) })).sort((a, b) => b.ms - a.ms);
  }

  /**
   * Sleep until `target()` ms after `startedAt` (a `now()` reading taken before the
   * hashing began). Returns what it padded to and how long it slept.
   */
  async pad(startedAt: number): Promise<{ target: number; slept: number }> {
    const target = this.target();
    const slept = Math.max(0, target - (this.#now() - startedAt));
    if (slept > 0) await this.#sleep(slept);
    return { target, slept };
  }

  #forgetCheapest(): void {
    let cheapest: string | undefined;
    let cost = Infinity;
    for (const [profile, e] of this.#profiles) {
      if (estimateOf(e) < cost) {
        cost = estimateOf(e);
        cheapest = profile;
      }
    }
    if (cheapest !== undefined) this.#profiles.delete(cheapest);
  }
}
