/**
 * TOTP codes (RFC 6238 over RFC 4226's HOTP, computed by `otpauth`): which time step a
 * presented code belongs to, within ±`window` steps of now. Every step of the window is
 * computed and compared in constant time (no early exit), so the answer's timing says
 * nothing about which step, if any, matched.
 */
import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret } from 'otpauth';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParameters {
  algorithm: TotpAlgorithm;
  digits: number;
  /** Seconds per step. */
  period: number;
}

/** The time step of an instant (epoch ms): RFC 6238's T = floor(unix time / period). */
export function timeStep(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The code of `step` for this secret (RFC 4226 HOTP with the step as counter). */
export function totpCode(secret: Uint8Array, p: TotpParameters, step: number): string {
  return HOTP.generate({ secret: new Secret({ buffer: toArrayBuffer(secret) }), algorithm: p.algorithm, digits: p.digits, counter: step });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * The latest step in [now − window, now + window] whose code equals `code`, or null.
 * `code` must already be `digits` decimal digits (see `normalizeTotpCode`).
 */
export function matchingStep(secret: Uint8Array, p: TotpParameters, code: string, nowMs: number, window: number): number | null {
  const presented = Buffer.from(code, 'utf8');
  const current = timeStep(nowMs, p.period);
  let found: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    const expected = Buffer.from(totpCode(secret, p, step), 'utf8');
    const equal = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (equal) found = step;
  }
  return found;
}

/** Longest code text looked at (spaces included). */
export const TOTP_INPUT_MAX = 32;

/** A presented code without spaces, when it is exactly `digits` decimal digits; else null. */
export function normalizeTotpCode(input: string, digits: number): string | null {
  if (input.length > TOTP_INPUT_MAX) return null;
  const code = input.replace(/\s+/g, '');
  return code.length === digits && /^[0-9]+$/.test(code) ? code : null;
}
