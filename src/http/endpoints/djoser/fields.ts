/**
 * djoser's serializer fields, shared by its routes: the e-mail field (Django's
 * `EmailValidator`), the password fields (DRF `CharField`s: trimmed, as djoser declares
 * them), uid and token; the serializers' own field checks (the current password, a new
 * username), which report with the other field errors; and the checks every password
 * serializer ends with — the password validators, then the retype comparison.
 */
import { EMAIL_MAX_LENGTH, INVALID_EMAIL, isValidEmail } from '../../../accounts/email-address.js';
import { AccountError, type AccountOperations, type PasswordOwner } from '../../../accounts/types.js';
import type { User } from '../../../core/user.js';
import { ValidationError } from '../../../core/errors.js';
import type { BodyData } from '../../body.js';
import { collectCharFields, throwFieldErrors, type CharFieldSpec, type FieldPass } from '../../fields.js';
import type { DjoserEnv } from './env.js';
import { djoserFailure, PASSWORD_MISMATCH, type ErrorFields } from './errors.js';

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
 * The end of a password serializer's `validate()`: Django's validators on the password
 * field (`fields.password`; `owner` for the similarity check), refused as `djoserFailure`
 * answers `weak_password`, then, with `retype`, the comparison (`The two password fields
 * didn't match.`).
 */
export function checkNewPassword(
  accounts: AccountOperations,
  values: Record<string, string>,
  fields: ErrorFields,
  retype: string | null,
  owner?: PasswordOwner,
): string {
  const password = values[fields.password]!;
  const weak = accounts.validatePassword(password, owner);
  if (weak.length > 0) throw djoserFailure(new AccountError('weak_password', weak), fields);
  if (retype !== null && values[retype] !== password) throw ValidationError.nonField(PASSWORD_MISMATCH);
  return password;
}

/** The password fields of a serializer: the new one and, with `retype`, its retype. */
export const passwordFields = (field: string, retype: string | null): CharFieldSpec[] =>
  retype === null ? [charField(field)] : [charField(field), charField(retype)];

/**
 * A serializer's own check of a field in the field pass: the account service's refusal is
 * recorded as the field's errors (djoser's messages, `djoserFailure`); anything else is thrown.
 */
export async function fieldCheck(pass: FieldPass, fields: ErrorFields, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (e) {
    const mapped = djoserFailure(e, fields);
    if (!(mapped instanceof ValidationError)) throw mapped;
    Object.assign(pass.errors, mapped.fields);
  }
}

/**
 * A new username checked in the field pass (`fields.username`: `username` or
 * `new_username`); the normalised name replaces it. `email`: the address of the account
 * the name is for, when known (see `AccountOperations.checkNewUsername`).
 */
export const newUsernameCheck = (env: DjoserEnv, pass: FieldPass, fields: ErrorFields, email?: string) =>
  fieldCheck(pass, fields, async () => {
    const name = fields.username;
    const value = pass.values[name];
    if (value !== undefined) pass.values[name] = await env.accounts.checkNewUsername(value, email === undefined ? {} : { email });
  });

/** The caller's password checked in the field pass (`current_password`: `Invalid password.`). */
export const currentPasswordCheck = (env: DjoserEnv, user: User, pass: FieldPass, fields: ErrorFields) =>
  fieldCheck(pass, fields, async () => {
    const current = pass.values.current_password;
    if (current !== undefined && !(await env.accounts.checkCurrentPassword(user, current))) throw new AccountError('wrong_password');
  });
