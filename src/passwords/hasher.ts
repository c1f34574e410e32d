/**
 * `PasswordHasher`: Django-compatible password hashing and verification.
 *
 * New hashes use the policy's algorithm (argon2id by default, or pbkdf2_sha256 for a
 * database shared with Django) in Django's own encoded format. Verification accepts
 * every format Django's default and bcrypt hashers write (pbkdf2_sha256, pbkdf2_sha1,
 * argon2 in all its variants, bcrypt_sha256, bcrypt, scrypt) and reports Django's
 * `must_update` decision as `needsRehash`.
 *
 * All work runs off the event loop (node:crypto callbacks, @node-rs async functions)
 * and through one semaphore per hasher (`maxConcurrent` running, `maxQueue` waiting,
 * the rest refused with `PasswordHasherBusy`). Passwords are never logged, stored or
 * put into error messages.
 */
import { hashArgon2, parseArgon2, verifyArgon2, argon2NeedsUpdate, type Argon2Hash } from './argon2.js';
import { parseBcrypt, verifyBcrypt, type BcryptHash } from './bcrypt.js';
import { MAX_PASSWORD_BYTES, SALT_LENGTH, passwordBytes, randomString } from './encoding.js';
import { PasswordNotWellFormed, PasswordTooLong } from './errors.js';
import { derivePbkdf2, encodePbkdf2, parsePbkdf2, pbkdf2NeedsUpdate, verifyPbkdf2, type Pbkdf2Hash } from './pbkdf2.js';
import { costLimits, resolvePolicy, type CostLimits, type PasswordPolicy, type PasswordPolicyInput } from './policy.js';
import { parseScrypt, verifyScrypt, type ScryptHash } from './scrypt.js';
import { Semaphore } from './semaphore.js';
import { FailureTiming, type FailureTimingOptions } from './timing.js';

/** Result of `PasswordHasher.verify`. `needsRehash` is only ever true when `valid` is. */
export interface VerifyResult {
  valid: boolean;
  needsRehash: boolean;
}

/** Any stored hash this module can check. */
export type ParsedPasswordHash = Pbkdf2Hash | Argon2Hash | BcryptHash | ScryptHash;

/** Django's unusable-password marker (`UNUSABLE_PASSWORD_PREFIX`). */
const UNUSABLE_PREFIX = '!';
/** Django's `UNUSABLE_PASSWORD_SUFFIX_LENGTH`. */
const UNUSABLE_SUFFIX_LENGTH = 40;
/** Longest encoded hash considered (Django's column is varchar(128)). */
const MAX_ENCODED_LENGTH = 1024;

const INVALID: Readonly<VerifyResult> = Object.freeze({ valid: false, needsRehash: false });

/**
 * Parse any supported Django hash string. Returns null (never throws) for unusable
 * passwords (`!…`), empty strings, unknown algorithms, malformed strings and hashes
 * whose cost exceeds `limits`.
 */
export function parsePasswordHash(encoded: string, limits: CostLimits): ParsedPasswordHash | null {
  if (typeof encoded !== 'string' || encoded.length === 0 || encoded.length > MAX_ENCODED_LENGTH) return null;
  const dollar = encoded.indexOf('$');
  if (dollar <= 0) return null;
  switch (encoded.slice(0, dollar)) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return parsePbkdf2(encoded, limits.pbkdf2MaxIterations);
    case 'argon2':
      return parseArgon2(encoded, limits);
    case 'bcrypt_sha256':
    case 'bcrypt':
      return parseBcrypt(encoded, limits.bcryptMaxCost);
    case 'scrypt':
      return parseScrypt(encoded, limits);
    default:
      return null;
  }
}

/** The cost profile of a parsed hash: its algorithm and cost parameters (`FailureTiming`). */
export function costProfile(parsed: ParsedPasswordHash): string {
  switch (parsed.kind) {
    case 'pbkdf2':
      return `${parsed.algorithm}$${parsed.iterations}`;
    case 'argon2':
      return `${parsed.type}$v=${parsed.version}$m=${parsed.memoryCost},t=${parsed.timeCost},p=${parsed.parallelism}`;
    case 'bcrypt':
      return `${parsed.algorithm}$${parsed.cost}`;
    case 'scrypt':
      return `scrypt$n=${parsed.n},r=${parsed.r},p=${parsed.p}`;
  }
}

/** Check a password against a parsed hash. Resolves false on mismatch; never rejects. */
function verifyParsed(parsed: ParsedPasswordHash, password: Uint8Array): Promise<boolean> {
  switch (parsed.kind) {
    case 'pbkdf2':
      return verifyPbkdf2(parsed, password);
    case 'argon2':
      return verifyArgon2(parsed, password);
    case 'bcrypt':
      return verifyBcrypt(parsed, password);
    case 'scrypt':
      return verifyScrypt(parsed, password);
  }
}

/**
 * Hashes and verifies passwords in Django's formats under a `PasswordPolicy`.
 * One instance per process is intended: the concurrency bound is per instance.
 */
export class PasswordHasher {
  /** The resolved, frozen policy. */
  readonly policy: PasswordPolicy;
  readonly #limits: CostLimits;
  readonly #gate: Semaphore;
  /** How long failed checks last (see `timing.ts`): every verification is recorded there. */
  readonly timing: FailureTiming;
  /** The dummy hash `burn()` verifies against, once computed. */
  #dummy: ParsedPasswordHash | undefined;
  #dummyPending: Promise<ParsedPasswordHash> | undefined;

  /**
   * `policy` fields override `defaultPasswordPolicy` (argon2 fields one by one).
   * Throws RangeError for an unknown algorithm or an out-of-range number. `timing`: the
   * clock, sleep and floor of the failed-check padding (tests inject a fake sleep).
   */
  constructor(policy?: PasswordPolicyInput, timing?: FailureTiming | FailureTimingOptions) {
    this.policy = resolvePolicy(policy);
    this.timing = timing instanceof FailureTiming ? timing : new FailureTiming(timing);
    this.#limits = costLimits(this.policy);
    this.#gate = new Semaphore(this.policy.maxConcurrent, this.policy.maxQueue);
  }

  /**
   * A new hash of `password` in Django's format for `policy.algorithm`:
   * `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` or
   * `pbkdf2_sha256$<iterations>$<22-char salt>$<base64 hash>`, with a fresh random salt
   * (two hashes of one password differ). The password is used exactly (UTF-8, no
   * normalization or trimming; empty, Unicode and NUL are fine).
   *
   * Rejects with `PasswordTooLong` (> 4096 UTF-8 bytes), `PasswordNotWellFormed` (lone
   * surrogate), TypeError (not a string), or `PasswordHasherBusy` (too much work queued).
   */
  async hash(password: string): Promise<string> {
    const bytes = passwordBytes(password);
    if (bytes === 'not-a-string') throw new TypeError('password must be a string');
    if (bytes === 'too-long') throw new PasswordTooLong(MAX_PASSWORD_BYTES);
    if (bytes === 'not-well-formed') throw new PasswordNotWellFormed();
    return this.#gate.run(() => this.#encodeNew(bytes));
  }

  /**
   * Check `password` against a stored hash in any supported Django format.
   *
   * `valid` is false for a wrong password, an unusable (`!…`), empty, unknown or
   * malformed hash, a stored cost above the safety limits, and a password that is not
   * a string, longer than 4096 UTF-8 bytes or not well-formed (those three return at
   * once, without hashing). For an unusable/unknown/malformed hash the time of a
   * normal verification is spent anyway (as Django does), so such accounts look like
   * wrong passwords.
   *
   * `needsRehash` (only when valid) follows Django's `must_update`: true when the
   * algorithm is not the policy's, or its parameters differ from the policy (PBKDF2
   * iterations; argon2 variant, version, m, t, p, hash length), or the salt is under
   * 128 bits. The caller should then store `await hash(password)`.
   *
   * Never rejects except with `PasswordHasherBusy`.
   */
  async verify(password: string, encoded: string): Promise<VerifyResult> {
    const bytes = passwordBytes(password);
    if (!(bytes instanceof Buffer)) return { ...INVALID };
    const parsed = parsePasswordHash(encoded, this.#limits);
    if (parsed === null) {
      await this.#burnBytes(bytes);
      return { ...INVALID };
    }
    const mustUpdate = this.#mustUpdate(parsed);
    const valid = await this.#gate.run(async () => {
      const started = this.timing.now();
      const ok = await verifyParsed(parsed, bytes);
      if (!ok && mustUpdate) await this.#hardenRuntime(parsed, bytes);
      this.timing.record(costProfile(parsed), this.timing.now() - started);
      return ok;
    });
    return { valid, needsRehash: valid && mustUpdate };
  }

  /**
   * A failed login that named no usable account (unknown user, locked account;
   * docs/security.md #81): one verification of `password` against a dummy hash of the current policy,
   * then `failed()` — so it lasts exactly as long as a wrong password for any user. The
   * dummy hash is computed once, on first use (that first call spends one hash
   * computation instead). Input `verify` would refuse without hashing (not a string,
   * > 4096 bytes, not well-formed) is not hashed, only padded. Rejects only with
   * `PasswordHasherBusy`.
   */
  async burn(password: string): Promise<void> {
    const started = this.timing.now();
    const bytes = passwordBytes(password);
    if (bytes instanceof Buffer) await this.#burnBytes(bytes);
    await this.failed(started);
  }

  /**
   * End a failed password check: wait until the failure target (`timing.target()`, the
   * costliest verification seen) has passed since `startedAt`, a `timing.now()` reading
   * taken before the verification. Every failed login ends here, so all take one time.
   */
  async failed(startedAt: number): Promise<void> {
    await this.timing.pad(startedAt);
  }

  /**
   * Whether `encoded` is a hash `verify` would really check (a supported format within
   * the cost limits): the start-up measurement skips the rest (they cost one `burn`).
   */
  measurable(encoded: string): boolean {
    return parsePasswordHash(encoded, this.#limits) !== null;
  }

  /** A Django unusable password: `!` + 40 random [a-zA-Z0-9] characters. Never matches. */
  static unusable(): string {
    return UNUSABLE_PREFIX + randomString(UNUSABLE_SUFFIX_LENGTH);
  }

  /**
   * Django's `is_password_usable`: false only for strings starting with `!` (and for
   * non-strings). Like Django, an empty or garbage string counts as "usable" here even
   * though it never verifies.
   */
  static isUsable(encoded: string): boolean {
    return typeof encoded === 'string' && !encoded.startsWith(UNUSABLE_PREFIX);
  }

  /** Hash with the policy's algorithm and a fresh Django-style salt (caller holds a slot). */
  #encodeNew(password: Uint8Array): Promise<string> {
    const salt = randomString(SALT_LENGTH);
    if (this.policy.algorithm === 'argon2id') return hashArgon2(password, this.policy.argon2, salt);
    const iterations = this.policy.pbkdf2Iterations;
    return derivePbkdf2(password, salt, iterations, 'pbkdf2_sha256').then((key) => encodePbkdf2('pbkdf2_sha256', iterations, salt, key));
  }

  /** Django's `hasher_changed or preferred.must_update(encoded)` for this policy. */
  #mustUpdate(parsed: ParsedPasswordHash): boolean {
    if (this.policy.algorithm === 'argon2id') {
      return parsed.kind !== 'argon2' || argon2NeedsUpdate(parsed, this.policy.argon2);
    }
    return parsed.kind !== 'pbkdf2' || parsed.algorithm !== 'pbkdf2_sha256' || pbkdf2NeedsUpdate(parsed, this.policy.pbkdf2Iterations);
  }

  /**
   * Django's `harden_runtime` after a wrong password: for a pbkdf2_sha256 hash under a
   * pbkdf2_sha256 policy with fewer iterations, run the missing iterations so the
   * failure takes as long as with a current hash. (Django's argon2 hasher does nothing
   * here; other algorithms differ from the policy, where Django does not try either.)
   */
  async #hardenRuntime(parsed: ParsedPasswordHash, password: Uint8Array): Promise<void> {
    if (this.policy.algorithm !== 'pbkdf2_sha256' || parsed.kind !== 'pbkdf2' || parsed.algorithm !== 'pbkdf2_sha256') return;
    const extra = this.policy.pbkdf2Iterations - parsed.iterations;
    if (extra > 0) await derivePbkdf2(password, parsed.salt, extra, 'pbkdf2_sha256').catch(() => undefined);
  }

  /** `burn()` once the password is known to be hashable. */
  async #burnBytes(password: Uint8Array): Promise<void> {
    if (this.#dummy === undefined) {
      if (this.#dummyPending === undefined) {
        // The first caller computes the dummy; that hash costs what a verify would.
        const pending = this.#gate.run(async () => {
          const started = this.timing.now();
          const encoded = await this.#encodeNew(Buffer.from(randomString(32), 'ascii'));
          const parsed = parsePasswordHash(encoded, this.#limits);
          if (parsed === null) throw new Error('internal error: dummy password hash does not parse');
          this.timing.record(costProfile(parsed), this.timing.now() - started);
          this.#dummy = parsed;
          return parsed;
        });
        this.#dummyPending = pending;
        pending.catch(() => {
          if (this.#dummyPending === pending) this.#dummyPending = undefined;
        });
        await pending;
        return;
      }
      await this.#dummyPending;
    }
    const dummy = this.#dummy;
    if (dummy === undefined) return;
    await this.#gate.run(async () => {
      const started = this.timing.now();
      await verifyParsed(dummy, password);
      this.timing.record(costProfile(dummy), this.timing.now() - started);
    });
  }
}
