/**
 * Django's password validators (`AUTH_PASSWORD_VALIDATORS`): the four stock ones, with
 * Django's messages, collected in the configured order. `validate` returns every message
 * (an empty list: the password is acceptable), as Django's `validate_password` raises
 * them together.
 *
 * - `UserAttributeSimilarityValidator` (`./validation/similarity.ts`):
 *   `The password is too similar to the <username | first name | last name | email address>.`
 *   (only with an owner: Django skips it without a user);
 * - `MinimumLengthValidator`: `This password is too short. It must contain at least N characters.`
 *   (`character` when N is 1), length in code points;
 * - `CommonPasswordValidator` (`./validation/common-passwords.ts`): `This password is too common.`
 *   for `password.lower().strip()` in the list;
 * - `NumericPasswordValidator`: `This password is entirely numeric.` (Python `isdigit()`).
 *
 * ```ts
 * const validators = PasswordValidators.fromSettings(settings.passwords);
 * validators.validate('alice1234', { username: 'alice' }); // ['The password is too similar to the username.']
 * ```
 */
import type { PasswordOwner } from '../accounts/types.js';
import { commonPasswords, DEFAULT_COMMON_PASSWORDS_FILE } from './validation/common-passwords.js';
import { PASSWORD_VALIDATOR_NAMES, validatorName, type PasswordValidatorName } from './validation/names.js';
import { codePointLength, pyIsDigit, pyStrip } from './validation/python-text.js';
import { tooSimilarTo } from './validation/similarity.js';

export { PASSWORD_VALIDATOR_NAMES, DJANGO_VALIDATORS_MODULE, validatorName, type PasswordValidatorName } from './validation/names.js';
export { CommonPasswordsFileError, DEFAULT_COMMON_PASSWORDS_FILE } from './validation/common-passwords.js';
export { MAX_SIMILARITY_LENGTH, quickRatio } from './validation/similarity.js';

export interface PasswordValidatorOptions {
  /** Validators to run, in order (class names or Django dotted paths); default Django's four; `[]`: none. */
  validators?: readonly string[];
  /** `MinimumLengthValidator(min_length)`; default 8. */
  minLength?: number;
  /** `UserAttributeSimilarityValidator(max_similarity)`; default 0.7, at least 0.1 (as Django). */
  similarityMaxRatio?: number;
  /** `CommonPasswordValidator(password_list_path)`; null or absent: Django's list. */
  commonPasswordsFile?: string | null;
}

/** What `passwords.*` in the settings carries. */
export interface PasswordValidatorSettings {
  validators: readonly string[];
  minLength: number;
  similarityMaxRatio: number;
  commonPasswordsFile: string | null;
}

type Check = (password: string, owner: PasswordOwner | undefined) => string | null;

export class PasswordValidators {
  readonly names: readonly PasswordValidatorName[];
  private readonly checks: Check[];
  private readonly listFile: string;

  constructor(options: PasswordValidatorOptions = {}) {
    const minLength = options.minLength ?? 8;
    const maxSimilarity = options.similarityMaxRatio ?? 0.7;
    if (!Number.isInteger(minLength) || minLength < 0) throw new RangeError('minLength must be an integer ≥ 0');
    if (!(maxSimilarity >= 0.1)) throw new RangeError('similarityMaxRatio must be at least 0.1'); // Django's ValueError
    this.listFile = options.commonPasswordsFile ?? DEFAULT_COMMON_PASSWORDS_FILE;
    this.names = (options.validators ?? PASSWORD_VALIDATOR_NAMES).map((name) => {
      const known = validatorName(name);
      if (!known) throw new RangeError(`unknown password validator "${name}" (known: ${PASSWORD_VALIDATOR_NAMES.join(', ')})`);
      return known;
    });
    const listFile = this.listFile;
    const byName: Record<PasswordValidatorName, Check> = {
      UserAttributeSimilarityValidator: (password, owner) => {
        const attribute = tooSimilarTo(password, owner, maxSimilarity);
        return attribute === null ? null : `The password is too similar to the ${attribute}.`;
      },
      MinimumLengthValidator: (password) =>
        codePointLength(password) < minLength ? `This password is too short. It must contain at least ${minLength} character${minLength === 1 ? '' : 's'}.` : null,
      CommonPasswordValidator: (password) => (commonPasswords(listFile).has(pyStrip(password.toLowerCase())) ? 'This password is too common.' : null),
      NumericPasswordValidator: (password) => (pyIsDigit(password) ? 'This password is entirely numeric.' : null),
    };
    this.checks = this.names.map((name) => byName[name]);
  }

  static fromSettings(passwords: PasswordValidatorSettings): PasswordValidators {
    return new PasswordValidators(passwords);
  }

  /** Django's messages for `password`, in validator order; empty: acceptable. */
  validate(password: string, owner?: PasswordOwner): string[] {
    const messages: string[] = [];
    for (const check of this.checks) {
      const message = check(password, owner);
      if (message !== null) messages.push(message);
    }
    return messages;
  }

  /** Read the common-password list now (at start-up) rather than on first use; throws `CommonPasswordsFileError`. */
  load(): this {
    if (this.names.includes('CommonPasswordValidator')) commonPasswords(this.listFile);
    return this;
  }
}
