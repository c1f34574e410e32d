/**
 * What a browser sends, read before anything else looks at it: `navigator.credentials`
 * results as JSON (`PublicKeyCredential.toJSON()`, or @simplewebauthn/browser's), each
 * field's type, alphabet and size checked, rebuilt with only the members the checks need
 * (nothing else reaches the WebAuthn library). Any problem is a 400 field error.
 */
import { ValidationError } from '../core/errors.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/** Sizes in base64url characters: generous for every algorithm and attestation a browser sends. */
const MAX = {
  credentialId: 1366, // 1023 bytes, the WebAuthn maximum
  clientDataJSON: 4096,
  attestationObject: 12_000, // within `http.maxBodySize` (16 KiB by default) with the rest
  authenticatorData: 4096,
  signature: 4096,
  userHandle: 88, // 64 bytes
  challenge: 128,
} as const;
export const NAME_MAX = 64;
const TRANSPORTS_MAX = 8;
const B64URL = /^[A-Za-z0-9_-]*$/;

const invalid = (field: string, message: string): ValidationError => new ValidationError({ [field]: [message] });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function b64url(value: unknown, max: number, what: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !B64URL.test(value)) {
    throw invalid(field, `${what}: expected base64url text of at most ${max} characters.`);
  }
  return value;
}

/** The members both ceremonies share: `id` = `rawId`, `type` `public-key`, a `response` object. */
function credentialShell(value: unknown, field: string): { id: string; response: Record<string, unknown> } {
  if (!isObject(value)) throw invalid(field, 'Expected the credential as a JSON object.');
  const id = b64url(value.id, MAX.credentialId, 'id', field);
  if (value.rawId !== id) throw invalid(field, 'rawId: must equal id.');
  if (value.type !== 'public-key') throw invalid(field, 'type: must be "public-key".');
  if (!isObject(value.response)) throw invalid(field, 'response: expected an object.');
  return { id, response: value.response };
}

function transportsOf(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > TRANSPORTS_MAX || !value.every((t) => typeof t === 'string' && /^[a-z-]{1,32}$/.test(t))) {
    throw invalid(field, `response.transports: expected at most ${TRANSPORTS_MAX} transport names.`);
  }
  return [...new Set(value as string[])];
}

/** The members every rebuilt credential has: the checked id twice, the type, no extension results. */
const rebuilt = (id: string) => ({ id, rawId: id, type: 'public-key' as const, clientExtensionResults: {} });

/** The client data, checked (both ceremonies). */
const clientData = (response: Record<string, unknown>, field: string): string => b64url(response.clientDataJSON, MAX.clientDataJSON, 'response.clientDataJSON', field);

/** A registration result (`navigator.credentials.create`), checked. */
export function readRegistration(value: unknown, field = 'credential'): { json: RegistrationResponseJSON; transports: string[] } {
  const { id, response } = credentialShell(value, field);
  const transports = transportsOf(response.transports, field);
  const json: RegistrationResponseJSON = {
    ...rebuilt(id),
    response: {
      clientDataJSON: clientData(response, field),
      attestationObject: b64url(response.attestationObject, MAX.attestationObject, 'response.attestationObject', field),
      transports,
    },
  };
  return { json, transports };
}

/** An assertion (`navigator.credentials.get`), checked. */
export function readAssertion(value: unknown, field = 'credential'): AuthenticationResponseJSON {
  const { id, response } = credentialShell(value, field);
  const userHandle = response.userHandle === undefined || response.userHandle === null ? undefined : b64url(response.userHandle, MAX.userHandle, 'response.userHandle', field);
  return {
    ...rebuilt(id),
    response: {
      clientDataJSON: clientData(response, field),
      authenticatorData: b64url(response.authenticatorData, MAX.authenticatorData, 'response.authenticatorData', field),
      signature: b64url(response.signature, MAX.signature, 'response.signature', field),
      ...(userHandle === undefined ? {} : { userHandle }),
    },
  };
}

/**
 * The challenge the browser says it answered (from `clientDataJSON`): the key to the
 * stored challenge. Whether it is the right one is the store's answer and the library's
 * check; this only reads it.
 */
export function challengeOf(clientDataJSON: string, field = 'credential'): string {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    throw invalid(field, 'response.clientDataJSON: not JSON.');
  }
  if (!isObject(data)) throw invalid(field, 'response.clientDataJSON: not a JSON object.');
  return b64url(data.challenge, MAX.challenge, 'response.clientDataJSON.challenge', field);
}

/** A passkey's name: 1 to 64 characters after trimming, no control characters. */
export function readName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string') throw invalid(field, 'This field is required.');
  const name = value.trim();
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) throw invalid(field, `Ensure this field has 1 to ${NAME_MAX} printable characters.`);
  return name;
}
