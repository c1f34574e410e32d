/**
 * Password hashing for Gatehouse: Django-compatible hash formats (reads every format
 * Django's stock hashers write, writes argon2id or pbkdf2_sha256), rehash-on-login
 * decisions, equal-cost failed logins (`FailureTiming`) and bounded hashing concurrency.
 *
 * ```ts
 * const hasher = new PasswordHasher();             // argon2id m=19456 t=2 p=1
 * const stored = await hasher.hash(password);      // 'argon2$argon2id$v=19$…'
 * const started = hasher.timing.now();
 * const { valid, needsRehash } = await hasher.verify(password, stored);
 * if (!valid) await hasher.failed(started);        // padded to the costliest hash seen
 * if (valid && needsRehash) await save(await hasher.hash(password));
 * if (!user) await hasher.burn(password);          // unknown user: the same time
 * ```
 *
 * `PasswordValidators` runs Django's password validators on a new password (`./validators.ts`).
 *
 * Map `PasswordHasherBusy` to 503, `PasswordTooLong` / `PasswordNotWellFormed` (from
 * `hash()` only) to 400.
 */
export { PasswordHasher, type VerifyResult } from './hasher.js';
export { PasswordHasherBusy, PasswordTooLong, PasswordNotWellFormed } from './errors.js';
export { defaultPasswordPolicy, type PasswordPolicy, type PasswordPolicyInput, type Argon2Params } from './policy.js';
export { MAX_PASSWORD_BYTES } from './encoding.js';
export { FailureTiming, type FailureTimingOptions } from './timing.js';
export { PasswordValidators, CommonPasswordsFileError, PASSWORD_VALIDATOR_NAMES, type PasswordValidatorOptions, type PasswordValidatorName } from './validators.js';
