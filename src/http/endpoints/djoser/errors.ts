/**
 * djoser's answers to the account service's refusals, decided in one function
 * (`djoserFailure`): each `AccountError` code becomes djoser's field, message and status,
 * and an `AccountEmailFailed` becomes a typed 503 that says what was done. Any other
 * error is returned unchanged (the engine renders it).
 */
import { ApiError, DetailError, ValidationError, type JsonValue } from '../../../core/errors.js';
import { INVALID_EMAIL } from '../../../accounts/email-address.js';
import { AccountEmailFailed, AccountError } from '../../../accounts/types.js';

export const INVALID_PASSWORD = 'Invalid password.';
export const INVALID_UID = "Invalid user id or user doesn't exist.";
export const INVALID_TOKEN = 'Invalid token for given user.';
export const STALE_TOKEN = 'Stale token for given user.';
export const PASSWORD_MISMATCH = "The two password fields didn't match.";
export const USERNAME_TAKEN = 'A user with that username already exists.';
export const EMAIL_TAKEN = 'A user with that email address already exists.';

/** djoser's activation of a user that needs none: 403 `Stale token for given user.` */
export class StaleToken extends DetailError {
  readonly status = 403;
  readonly code = 'stale_token';
  constructor() {
    super(STALE_TOKEN);
  }
}

/** The change was made but its e-mail was not sent: 503 `{"detail": ..., "code": "email_failed"}`. */
export class EmailNotSent extends ApiError {
  readonly status = 503;
  readonly code = 'email_failed';
  body(): JsonValue {
    return { detail: this.message, code: this.code };
  }
}

/** The request fields a route names its password and username in (sign-up: `password`, `username`). */
export interface ErrorFields {
  password: 'password' | 'new_password';
  username: 'username' | 'new_username';
}

/** The error to throw for `e` on a route whose fields are `fields`. */
export function djoserFailure(e: unknown, fields: ErrorFields): unknown {
  if (e instanceof AccountEmailFailed) return new EmailNotSent(e.message);
  if (!(e instanceof AccountError)) return e;
  switch (e.code) {
    case 'wrong_password':
      return new ValidationError({ current_password: [INVALID_PASSWORD] });
    case 'weak_password':
      return new ValidationError({ [fields.password]: e.messages });
    case 'invalid_username':
      return new ValidationError({ [fields.username]: e.messages });
    case 'username_taken':
      return new ValidationError({ [fields.username]: orDefault(e, USERNAME_TAKEN) });
    case 'invalid_email':
      return new ValidationError({ email: [INVALID_EMAIL] });
    case 'email_taken':
      return new ValidationError({ email: orDefault(e, EMAIL_TAKEN) });
    case 'invalid_uid':
      return new ValidationError({ uid: [INVALID_UID] });
    case 'invalid_token':
    case 'invalid_key':
      return new ValidationError({ token: [INVALID_TOKEN] });
    case 'stale_token':
      return new StaleToken();
    default:
      return e;
  }
}

/** The error's own messages, else `message`. */
const orDefault = (e: AccountError, message: string) => (e.messages.length > 0 ? e.messages : [message]);

/** Run an account operation; its refusal is thrown as djoser answers it. */
export async function asDjoser<T>(fields: ErrorFields, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    throw djoserFailure(e, fields);
  }
}
