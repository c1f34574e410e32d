/**
 * The names of Django's four password validators, as `passwords.validators` lists them
 * (the class name, or Django's dotted path to it as in `AUTH_PASSWORD_VALIDATORS`), and
 * their default order: Django's project template's.
 */

export const PASSWORD_VALIDATOR_NAMES = ['UserAttributeSimilarityValidator', 'MinimumLengthValidator', 'CommonPasswordValidator', 'NumericPasswordValidator'] as const;

export type PasswordValidatorName = (typeof PASSWORD_VALIDATOR_NAMES)[number];

/** Django's module of the four (`django.contrib.auth.password_validation.MinimumLengthValidator`). */
export const DJANGO_VALIDATORS_MODULE = 'django.contrib.auth.password_validation.';

/** `MinimumLengthValidator` or its Django dotted path → the class name; anything else → null. */
export function validatorName(name: string): PasswordValidatorName | null {
  const bare = name.startsWith(DJANGO_VALIDATORS_MODULE) ? name.slice(DJANGO_VALIDATORS_MODULE.length) : name;
  return (PASSWORD_VALIDATOR_NAMES as readonly string[]).includes(bare) ? (bare as PasswordValidatorName) : null;
}
