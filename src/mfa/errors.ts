/**
 * The login gate's answers that are not a credential (docs/mfa.md, "Logging in with a
 * second factor"): `MfaRequired` on a first call, `MfaRefused` on a second call whose
 * ticket or proof is not accepted. Both are 401 with `WWW-Authenticate: MFA realm="api"`
 * (a 401 always names a scheme; this one is answered in the body, with the ticket).
 */
import { ApiError, type JsonObject, type JsonValue } from '../core/errors.js';
import type { MfaMethodName } from './types.js';

export const MFA_CHALLENGE = 'MFA realm="api"';
export const MFA_REQUIRED = 'A second factor is required.';

/** What a first call of a user with a second factor is told. */
export interface MfaTicketAnswer {
  ticket: string;
  methods: MfaMethodName[];
  /** Seconds the ticket stays valid. */
  expiresIn: number;
  /** `SecondFactors.challenges(user)`: e.g. `webauthn` request options. */
  challenges: Partial<Record<MfaMethodName, JsonValue>>;
}

/** 401 `{"detail","code":"mfa_required","mfa_ticket","methods","expires_in",…challenges}`: no credential yet. */
export class MfaRequired extends ApiError {
  readonly status = 401;
  readonly code = 'mfa_required';
  constructor(readonly answer: MfaTicketAnswer) {
    super(MFA_REQUIRED);
  }
  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': MFA_CHALLENGE };
  }
  body(): JsonValue {
    const { ticket, methods, expiresIn, challenges } = this.answer;
    const body: JsonObject = { detail: MFA_REQUIRED, code: this.code, mfa_ticket: ticket, methods: [...methods], expires_in: expiresIn };
    for (const [name, challenge] of Object.entries(challenges)) if (challenge !== undefined) body[name] = challenge;
    return body;
  }
}

/** Why a second call got nothing: the ticket's state, or the proof. */
export type MfaRefusal =
  | 'mfa_ticket_invalid'
  | 'mfa_ticket_expired'
  | 'mfa_ticket_used'
  | 'mfa_ticket_exhausted'
  | 'mfa_ticket_wrong_endpoint'
  | 'mfa_ticket_wrong_client'
  | 'mfa_code_invalid';

const DETAILS: Record<MfaRefusal, string> = {
  mfa_ticket_invalid: 'The MFA ticket is not valid; log in again.',
  mfa_ticket_expired: 'The MFA ticket has expired; log in again.',
  mfa_ticket_used: 'The MFA ticket was already used; log in again.',
  mfa_ticket_exhausted: 'Too many wrong codes for this MFA ticket; log in again.',
  mfa_ticket_wrong_endpoint: 'The MFA ticket was issued by another login endpoint.',
  mfa_ticket_wrong_client: 'The MFA ticket was issued to another client.',
  mfa_code_invalid: 'The second factor is not valid.',
};

/** 401 `{"detail","code"}`, `code` saying which of `MfaRefusal`. */
export class MfaRefused extends ApiError {
  readonly status = 401;
  constructor(readonly code: MfaRefusal) {
    super(DETAILS[code]);
  }
  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': MFA_CHALLENGE };
  }
  body(): JsonValue {
    return { detail: this.message, code: this.code };
  }
}
