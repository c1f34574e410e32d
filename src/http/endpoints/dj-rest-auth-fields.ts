/**
 * dj-rest-auth's serializer fields: DRF `CharField` / `EmailField` checks (src/http/fields.ts)
 * followed by each field's own check (`validate_<field>`, which may ask the account
 * service), every field's errors reported together in declaration order, as a DRF
 * serializer does; the object-level checks (`validate()`) run only once every field
 * passed, in the route.
 */
import { INVALID_EMAIL, isValidEmail } from '../../accounts/email-address.js';
import { ValidationError } from '../../core/errors.js';
import { collectCharFields, throwFieldErrors, type CharFieldSpec } from '../fields.js';
import type { HandlerContext } from '../route.js';
import { djRestAuthError } from './dj-rest-auth-errors.js';

/** Django's `SetPasswordForm` (password change, reset confirm): U+2019. */
export const FORM_MISMATCH = 'The two password fields didn’t match.';
/** dj-rest-auth's `RegisterSerializer.validate`: ASCII apostrophe. */
export const SERIALIZER_MISMATCH = "The two password fields didn't match.";

export interface Field extends CharFieldSpec {
  /** The field's own check once its `CharField` checks passed (not on a blank optional value): its messages. */
  check?: (value: string) => string[] | Promise<string[]>;
}

/** Validate `fields` of the request body; throws one `ValidationError` naming every bad field. */
export async function readFields(ctx: HandlerContext, fields: readonly Field[]): Promise<Record<string, string>> {
  const { values, errors } = collectCharFields(await ctx.body(), fields);
  for (const field of fields) {
    const value = values[field.name];
    const messages = field.check && value ? await field.check(value) : [];
    if (messages.length === 0) continue;
    errors[field.name] = messages;
    delete values[field.name];
  }
  throwFieldErrors(errors, fields.map((f) => f.name));
  return values;
}

/** DRF `EmailField` (no length of its own; Django's `EmailValidator` caps what it reads). */
export const emailField = (name: string, options: Pick<CharFieldSpec, 'required' | 'allowBlank'> = {}): Field => ({
  name,
  ...options,
  validate: (value) => (isValidEmail(value) ? [] : [INVALID_EMAIL]),
});

/** A password `CharField` (trimmed, as DRF's default; `maxLength` 128 where the serializer declares it). */
export const passwordField = (name: string, maxLength?: number): Field => ({ name, ...(maxLength === undefined ? {} : { maxLength }) });

/**
 * A field checked by an account operation: the messages its refusal puts on this field
 * (`djRestAuthError`); any other refusal is thrown.
 */
export const checkedBy =
  (name: string, operation: (value: string) => Promise<unknown> | unknown) =>
  async (value: string): Promise<string[]> => {
    try {
      await operation(value);
      return [];
    } catch (e) {
      const mapped = djRestAuthError(e, 'password1');
      if (mapped instanceof ValidationError && mapped.fields[name]) return mapped.fields[name];
      throw mapped;
    }
  };

/** The two new passwords must match (`validate()`); the message and field are the route's. */
export function requireSamePasswords(first: string, second: string, mismatch: ValidationError): void {
  if (first !== second) throw mismatch;
}
