/** simplejwt's view and authenticator messages, and its `InvalidToken` error. */
import { AuthenticationFailed, type JsonObject, type JsonValue } from '../core/errors.js';
import { TOKEN_CLASS, type TokenKind } from './claims.js';

export const NO_ACTIVE_ACCOUNT = 'No active account found with the given credentials';
export const NO_ACTIVE_ACCOUNT_FOR_TOKEN = 'No active account found for the given token.';
export const PASSWORD_CHANGED = "The user's password has been changed.";
export const NO_USER_ID = 'Token contained no recognizable user identification';
export const NOT_VALID_FOR_ANY = 'Given token not valid for any token type';

/** simplejwt's `InvalidToken`: 401 `{"detail": msg, "code": "token_not_valid"}`. */
export function invalidToken(message: string, messages?: JsonValue[]): AuthenticationFailed {
  const extra: JsonObject = { code: 'token_not_valid' };
  if (messages) extra.messages = messages;
  return new AuthenticationFailed(message, extra, 'token_not_valid');
}

/** The messages entry of simplejwt's `Given token not valid for any token type`. */
export function kindMessage(kind: TokenKind, message: string): JsonValue {
  return { token_class: TOKEN_CLASS[kind], token_type: kind, message };
}

/** `Given token not valid for any token type`, one entry per kind, all with `message`. */
export function notValidForAny(kinds: readonly TokenKind[], message: string): AuthenticationFailed {
  return invalidToken(NOT_VALID_FOR_ANY, kinds.map((k) => kindMessage(k, message)));
}
