/**
 * Password hashing policy: which algorithm and parameters new hashes get, how many
 * hashes may run at once, and the upper bounds on the cost of stored hashes that
 * `verify()` is willing to compute.
 */

/** argon2id cost parameters. */
export interface Argon2Params {
  /** Memory in KiB (`m=`). */
  memoryCost: number;
  /** Passes (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

export interface PasswordPolicy {
  /** Algorithm for new hashes. */
  algorithm: 'argon2id' | 'pbkdf2_sha256';
  /** argon2id parameters for new hashes; default OWASP: 19456 KiB, t=2, p=1. */
  argon2: Argon2Params;
  /** PBKDF2-HMAC-SHA256 iterations for new hashes; default 1_000_000 (Django 5.2 LTS). */
  pbkdf2Iterations: number;
  /** Max hashing operations running at once (bounded memory, docs/security.md #91); default 4. */
  maxConcurrent: number;
  /** Max operations waiting for a slot; beyond that hash/verify reject with PasswordHasherBusy; default 64. */
  maxQueue: number;
}

/** What the `PasswordHasher` constructor accepts: any subset, `argon2` fields included. */
export type PasswordPolicyInput = Partial<Omit<PasswordPolicy, 'argon2'>> & { argon2?: Partial<Argon2Params> };

/** The defaults: argon2id m=19456 t=2 p=1 (OWASP), PBKDF2 1,000,000, 4 running, 64 waiting. */
export const defaultPasswordPolicy: PasswordPolicy = Object.freeze({
  algorithm: 'argon2id',
  argon2: Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 }),
  pbkdf2Iterations: 1_000_000,
  maxConcurrent: 4,
  maxQueue: 64,
});

/** Length in bytes of new argon2 hashes (argon2-cffi ≥ 21.2 and @node-rs/argon2 default). */
export const ARGON2_HASH_LENGTH = 32;

/**
 * Merge `input` over the defaults and validate it. Returns a frozen policy. Throws
 * RangeError naming the first bad field (unknown algorithm, non-integer or out-of-range
 * number). Minimum strengths (OWASP) are the settings layer's business, not checked here.
 */
export function resolvePolicy(input: PasswordPolicyInput = {}): PasswordPolicy {
  const d = defaultPasswordPolicy;
  const policy: PasswordPolicy = {
    algorithm: input.algorithm ?? d.algorithm,
    argon2: {
      memoryCost: input.argon2?.memoryCost ?? d.argon2.memoryCost,
      timeCost: input.argon2?.timeCost ?? d.argon2.timeCost,
      parallelism: input.argon2?.parallelism ?? d.argon2.parallelism,
    },
    pbkdf2Iterations: input.pbkdf2Iterations ?? d.pbkdf2Iterations,
    maxConcurrent: input.maxConcurrent ?? d.maxConcurrent,
    maxQueue: input.maxQueue ?? d.maxQueue,
  };
  if (policy.algorithm !== 'argon2id' && policy.algorithm !== 'pbkdf2_sha256') {
    throw new RangeError(`passwords.algorithm must be 'argon2id' or 'pbkdf2_sha256'`);
  }
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`passwords.${name} must be an integer in ${min}..${max}`);
  };
  int('argon2.parallelism', policy.argon2.parallelism, 1, 255);
  int('argon2.memoryCost', policy.argon2.memoryCost, 8 * policy.argon2.parallelism, 4_194_304);
  int('argon2.timeCost', policy.argon2.timeCost, 1, 100);
  int('pbkdf2Iterations', policy.pbkdf2Iterations, 1, 100_000_000);
  int('maxConcurrent', policy.maxConcurrent, 1, 1024);
  int('maxQueue', policy.maxQueue, 0, 1_000_000);
  Object.freeze(policy.argon2);
  return Object.freeze(policy);
}

/**
 * Upper bounds on the work a stored hash may ask for. A stored hash beyond them is
 * treated as malformed (`valid: false`) instead of tying up a thread for minutes or
 * allocating gigabytes. Each bound is at least the policy's own value.
 */
export interface CostLimits {
  pbkdf2MaxIterations: number;
  argon2MaxMemoryKiB: number;
  argon2MaxTime: number;
  argon2MaxParallelism: number;
  bcryptMaxCost: number;
  scryptMaxN: number;
  scryptMaxR: number;
  scryptMaxP: number;
  scryptMaxMemoryBytes: number;
}

/** The cost limits for a policy (see `CostLimits`). */
export function costLimits(policy: PasswordPolicy): CostLimits {
  return {
    pbkdf2MaxIterations: Math.max(10_000_000, policy.pbkdf2Iterations),
    argon2MaxMemoryKiB: Math.max(1_048_576, policy.argon2.memoryCost),
    argon2MaxTime: Math.max(16, policy.argon2.timeCost),
    argon2MaxParallelism: Math.max(64, policy.argon2.parallelism),
    bcryptMaxCost: 16,
    scryptMaxN: 2 ** 20,
    scryptMaxR: 32,
    scryptMaxP: 16,
    scryptMaxMemoryBytes: 1024 * 1024 * 1024,
  };
}
