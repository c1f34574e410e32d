/**
 * djoser's serializer fields, shared by its routes: the e-mail field (Django's
 * `EmailValidator`), the password fields (DRF `CharField`s: trimmed, as djoser declares
 * them), uid and token, and the checks every serializer pass ends with — the password
 * validators on the password field, then the retype comparison.
 */
import { EMAIL_MAX_LENGTH, INVALID_EMAIL, isValidEmail } from '../../../accounts/email-address.js';
import type { AccountOperations, PasswordOwner } from '../../../accounts/types.js';
import { ValidationError } from '../../../core/errors.js';
import type { BodyData } from '../../body.js';
import { collectCharFields, throwFieldErrors, type CharFieldSpec, type FieldPass } from '../../fields.js';
import { PASSWORD_MISMATCH } from './errors.js';

/** Django's `EmailField` as DRF declares it (254 characters at most). */
export const emailField = (options: { required?: boolean; allowBlank?: boolean } = {}): CharFieldSpec => ({
  name: 'email',
  maxLength: EMAIL_MAX_LENGTH,
  ...options,
  validate: (value) => (isValidEmail(value) ? [] : [INVALID_EMAIL]),
});

/** A plain DRF `CharField` (djoser's password, uid and token fields). */
export const charField = (name: string): CharFieldSpec => ({ name });

/**
 * One serializer pass over `specs`, plus the serializer's own field checks (`extra`: a
 * current password, a new username) added to the same error map; throws all of them
 * together, in declaration order, as DRF does.
 */
export async function fieldPass(
  data: BodyData,
  specs: readonly CharFieldSpec[],
  extra?: (pass: FieldPass) => Promise<void>,
): Promise<Record<string, string>> {
  const pass = collectCharFields(data, specs);
  await extra?.(pass);
  throwFieldErrors(pass.errors, specs.map((s) => s.name));
  return pass.values;
}

/**
 * The end of a password serializer's `validate()`: Django's validators on `field`
 * (`owner` for the similarity check), then, with `retype`, the comparison
 * (`The two password fields didn't match.`).
 */
export function checkNewPassword(
  accounts: AccountOperations,
  values: Record<string, string>,
  names: { field: string; retype: string | null },
  owner?: PasswordOwner,
): string {
  const password = values[names.field]!;
  const weak = accounts.validatePassword(password, owner);
  if (weak.length > 0) throw new ValidationError({ [names.field]: weak });
  if (names.retype !== null && values[names.retype] !== password) throw ValidationError.nonField(PASSWORD_MISMATCH);
  return password;
}

/** The password fields of a serializer: the new one and, with `retype`, its retype. */
export const passwordFields = (field: string, retype: string | null): CharFieldSpec[] =>
  retype === null ? [charField(field)] : [charField(field), charField(retype)];
