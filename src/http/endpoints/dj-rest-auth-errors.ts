/**
 * dj-rest-auth's answers to the account service's refusals: the one place where an
 * `AccountError` code becomes a field and a message of this layout, and where
 * `AccountEmailFailed` becomes a typed 503.
 *
 * - `wrong_password` → `old_password`: `Your old password was entered incorrectly. Please enter it again.`
 * - `weak_password` → the route's password field (`new_password2` on change and reset
 *   confirm; `password1` on sign-up for the checks made without a user, `non_field_errors`
 *   for those made once the user exists — dj-rest-auth runs the similarity check in `save()`)
 * - `invalid_username`, `username_taken` → `username`
 * - `invalid_uid` → `{"uid":["Invalid value"]}`; `invalid_token`, `stale_token` → `{"token":["Invalid value"]}`
 * - `invalid_key` → 404 `{"detail":"Not found."}` (allauth's `get_object_or_404`)
 * - `invalid_email` → `email`: `Enter a valid email address.`; `email_taken` → `email`:
 *   `A user is already registered with this e-mail address.` (only where the layout may tell)
 * - `AccountEmailFailed` → 503 `{"detail":"<what was done>, but the e-mail could not be sent; ask for it again later.","code":"email_failed"}`
 *   (djoser's `EmailNotSent`: one typed answer for both layouts)
 */
import { INVALID_EMAIL } from '../../accounts/email-address.js';
import { AccountEmailFailed, AccountError } from '../../accounts/types.js';
import { NotFound, ValidationError, type ApiError } from '../../core/errors.js';
import { EmailNotSent } from './djoser/errors.js';

export const OLD_PASSWORD_WRONG = 'Your old password was entered incorrectly. Please enter it again.';
export const USERNAME_TAKEN = 'A user with that username already exists.';
export const INVALID_VALUE = 'Invalid value';
export const EMAIL_TAKEN = 'A user is already registered with this e-mail address.';

/** Where a route puts the password validators' messages. */
export type PasswordField = 'new_password2' | 'password1' | 'non_field_errors';

/**
 * The layout's error for a refusal of the account service, or `error` itself when it is
 * not one (a typed API error passes through; anything else stays a 503 of the engine).
 */
export function djRestAuthError(error: unknown, passwordField: PasswordField): unknown {
  if (error instanceof AccountEmailFailed) return new EmailNotSent(error.message);
  return error instanceof AccountError ? refusal(error, passwordField) : error;
}

/** An `AccountError` as this layout's field error (every code has its answer: the switch is exhaustive). */
function refusal(error: AccountError, passwordField: PasswordField): ApiError {
  const at = (field: string, messages: string[]): ApiError => new ValidationError({ [field]: messages });
  switch (error.code) {
    case 'wrong_password':
      return at('old_password', [OLD_PASSWORD_WRONG]);
    case 'weak_password':
      return at(passwordField, error.messages);
    case 'invalid_username':
      return at('username', error.messages);
    case 'username_taken':
      return at('username', error.messages.length > 0 ? error.messages : [USERNAME_TAKEN]);
    case 'invalid_uid':
      return at('uid', [INVALID_VALUE]);
    case 'invalid_token':
    case 'stale_token':
      return at('token', [INVALID_VALUE]);
    case 'invalid_key':
      return new NotFound();
    case 'invalid_email':
      return at('email', [INVALID_EMAIL]);
    case 'email_taken':
      return at('email', [EMAIL_TAKEN]);
  }
}

/** Run an account operation; its refusals become this layout's errors (`djRestAuthError`). */
export async function accountCall<T>(operation: () => Promise<T>, passwordField: PasswordField): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    throw djRestAuthError(e, passwordField);
  }
}
