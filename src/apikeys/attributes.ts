/**
 * A key's attributes (name, scopes, rate, expiry): the one validation for creation and
 * update, over HTTP and from the CLI, and what an update actually changes.
 * - name: 1 to 100 characters, not blank, no control character;
 * - scopes: at most 50, each 1 to 100 of `A-Z a-z 0-9 _ : . - /` (what `HasScope` compares);
 * - expiry: in the future, at most 100 years ahead (a safe integer on every store);
 * - rate: a DRF rate (`100/min`, `5/s`, `1000/day`), at most 32 characters.
 */
import { parseRate } from '../throttle/rate.js';
import type { ApiKeyPatch, ApiKeyRecord } from '../stores/types.js';

export const NAME_MAX = 100;
export const SCOPES_MAX = 50;
/** The furthest expiry accepted (keeps the stored time a safe integer on every store). */
const EXPIRES_MAX_MS = 100 * 365 * 86_400_000;
const SCOPE_PATTERN = /^[A-Za-z0-9_:.\-/]{1,100}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Field errors of the attributes given (absent ones are not checked; empty when valid). */
export function apiKeyFieldErrors(input: ApiKeyPatch, now: number): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const { name, scopes, expiresAt, rate } = input;
  if (name !== undefined && (name.trim() === '' || name.length > NAME_MAX || CONTROL.test(name))) errors.name = [`Ensure this field has 1 to ${NAME_MAX} characters.`];
  if (scopes !== undefined && (scopes.length > SCOPES_MAX || scopes.some((s) => !SCOPE_PATTERN.test(s)))) {
    errors.scopes = [`At most ${SCOPES_MAX} scopes of 1 to 100 letters, digits and _ : . - /.`];
  }
  if (expiresAt != null && (expiresAt <= now || expiresAt > now + EXPIRES_MAX_MS)) errors.expires = ['Must be in the future, at most 100 years ahead.'];
  if (rate != null && (rate.length > 32 || !safeRate(rate))) errors.rate = ['Must be a rate such as "100/min".'];
  return errors;
}

function safeRate(rate: string): boolean {
  try {
    return parseRate(rate) !== null;
  } catch {
    return false;
  }
}

/** The attributes as stored: the name trimmed, scopes without repeats. */
export function normalized(patch: ApiKeyPatch): ApiKeyPatch {
  return {
    ...patch,
    ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
    ...(patch.scopes !== undefined ? { scopes: [...new Set(patch.scopes)] } : {}),
  };
}

/** The part of `patch` (normalized) that differs from `key`. */
export function changesTo(key: ApiKeyRecord, patch: ApiKeyPatch): ApiKeyPatch {
  const p = normalized(patch);
  const out: ApiKeyPatch = {};
  if (p.name !== undefined && p.name !== key.name) out.name = p.name;
  if (p.scopes !== undefined && (p.scopes.length !== key.scopes.length || p.scopes.some((s, i) => s !== key.scopes[i]))) out.scopes = p.scopes;
  if (p.rate !== undefined && p.rate !== key.rate) out.rate = p.rate;
  if (p.expiresAt !== undefined && p.expiresAt !== key.expiresAt) out.expiresAt = p.expiresAt;
  return out;
}
