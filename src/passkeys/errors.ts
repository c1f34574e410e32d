/**
 * The passkey layer's typed errors. A malformed credential or field is a 400
 * (`ValidationError`, built in src/passkeys/input.ts); an assertion that does not prove
 * the user is one 401 with one message (`PasskeyRefused`): unknown credential, used or
 * expired challenge, wrong origin or RP ID, bad signature, counter regression look the
 * same to the caller (the reason goes to the security events only).
 */
import { AuthenticationFailed } from '../core/errors.js';

export const PASSKEY_REFUSED = 'The passkey could not be verified.';

/** Why an assertion was refused: in the `passkey_refused` event, never in the answer. */
export type RefusalReason =
  | 'challenge'
  | 'unknown_credential'
  | 'other_user'
  | 'inactive_user'
  | 'user_handle'
  | 'verification'
  | 'counter_regression'
  | 'concurrent_use';

export class PasskeyRefused extends AuthenticationFailed {
  constructor(readonly reason: RefusalReason) {
    super(PASSKEY_REFUSED, undefined, 'passkey_refused');
  }
}
