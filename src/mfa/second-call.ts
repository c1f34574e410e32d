/**
 * The body of a login's second call: `mfa_ticket` plus exactly one proof — `code` (TOTP),
 * `recovery_code`, or `webauthn` (the assertion JSON) — and optional `remember_device`.
 * Every field is capped; anything else is a 400 with DRF-style field errors.
 */
import { ValidationError, type JsonValue } from '../core/errors.js';
import type { BodyData } from '../http/body.js';
import { validateCharFields } from '../http/fields.js';
import type { SecondFactorProof } from './types.js';

export const TICKET_MAX = 128;
export const CODE_MAX = 64;
/** The serialized WebAuthn assertion (a few hundred bytes with the usual authenticators). */
export const WEBAUTHN_MAX = 8_192;

export const ONE_PROOF = 'Give exactly one of "code", "recovery_code" or "webauthn".';
const NOT_A_BOOLEAN = 'Must be a valid boolean.';
const TOO_LARGE = `Ensure this value has at most ${WEBAUTHN_MAX} bytes.`;
const NOT_AN_OBJECT = 'Expected an object.';

export interface SecondCall {
  ticket: string;
  proof: SecondFactorProof;
  rememberDevice: boolean;
}

/** Is this body a second call (it names an `mfa_ticket`)? */
export const isSecondCall = (data: BodyData): boolean => Object.hasOwn(data, 'mfa_ticket');

/** DRF `BooleanField`'s accepted spellings; absent: false. */
function rememberDevice(data: BodyData): boolean {
  const v = data.remember_device;
  if (v === undefined || v === false || v === 'false' || v === 'False' || v === '0' || v === 0) return false;
  if (v === true || v === 'true' || v === 'True' || v === '1' || v === 1) return true;
  throw new ValidationError({ remember_device: [NOT_A_BOOLEAN] });
}

function webauthnProof(value: unknown): SecondFactorProof {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError({ webauthn: [NOT_AN_OBJECT] });
  if (Buffer.byteLength(JSON.stringify(value)) > WEBAUTHN_MAX) throw new ValidationError({ webauthn: [TOO_LARGE] });
  return { method: 'webauthn', response: value as JsonValue };
}

/** The proof the body carries (exactly one kind). */
function proofOf(data: BodyData): SecondFactorProof {
  const given = (['code', 'recovery_code', 'webauthn'] as const).filter((k) => Object.hasOwn(data, k));
  if (given.length !== 1) throw ValidationError.nonField(ONE_PROOF);
  const kind = given[0] as 'code' | 'recovery_code' | 'webauthn';
  if (kind === 'webauthn') return webauthnProof(data.webauthn);
  const code = validateCharFields(data, [{ name: kind, maxLength: CODE_MAX }])[kind] as string;
  return kind === 'code' ? { method: 'totp', code } : { method: 'recovery_code', code };
}

/** Read a second call's fields (the caller checked `isSecondCall`). */
export function readSecondCall(data: BodyData): SecondCall {
  const { mfa_ticket: ticket } = validateCharFields(data, [{ name: 'mfa_ticket', maxLength: TICKET_MAX }]) as { mfa_ticket: string };
  return { ticket, proof: proofOf(data), rememberDevice: rememberDevice(data) };
}
