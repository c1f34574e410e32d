/** Test helpers for second factors: the code an authenticator app would show. */
import { Secret } from 'otpauth';
import { timeStep, totpCode, type TotpParameters } from '../../src/mfa/totp-code.js';

export const DEFAULT_TOTP: TotpParameters = { algorithm: 'SHA1', digits: 6, period: 30 };

/** The code for the secret (base32, as `begin` answers it) at the clock's time plus `steps` steps. */
export function codeAt(secretBase32: string, clock: { now(): number }, steps = 0, p: TotpParameters = DEFAULT_TOTP): string {
  const bytes = Secret.fromBase32(secretBase32).bytes;
  return totpCode(bytes, p, timeStep(clock.now(), p.period) + steps);
}
