/** Test helpers for second factors: the code an authenticator app would show. */
import { Secret } from 'otpauth';
import { timeStep, totpCode, type TotpParameters } from '../../src/mfa/totp-code.js';
import { FakeClock } from '../../src/core/clock.js';
import { parseSettings } from '../../src/core/settings.js';
import type { User } from '../../src/core/user.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { LogCapture } from '../helpers.js';

export const DEFAULT_TOTP: TotpParameters = { algorithm: 'SHA1', digits: 6, period: 30 };

/** The code for the secret (base32, as `begin` answers it) at the clock's time plus `steps` steps. */
export function codeAt(secretBase32: string, clock: { now(): number }, steps = 0, p: TotpParameters = DEFAULT_TOTP): string {
  const bytes = Secret.fromBase32(secretBase32).bytes;
  return totpCode(bytes, p, timeStep(clock.now(), p.period) + steps);
}

export interface MfaTestApp {
  app: Gatehouse;
  clock: FakeClock;
  logs: LogCapture;
  /** A new user with a confirmed TOTP device: its base32 secret and recovery codes. */
  enrolledUser(username: string): Promise<{ user: User; secret: string; codes: string[] }>;
}

export const CONTEXT = { endpoint: 'test', address: '192.0.2.1' };

/** An application on memory stores with `mfa.enabled` (and `mfa` settings merged in). */
export async function mfaApp(mfa: Record<string, unknown> = {}): Promise<MfaTestApp> {
  const clock = new FakeClock();
  const logs = new LogCapture();
  const settings = parseSettings({ secretKey: 'test-secret-key-that-is-long-enough-0123456789', database: ':memory:', mfa: { enabled: true, ...mfa } });
  const app = await createGatehouse(settings, { clock, stores: new MemoryStores(), logger: createLogger('info', logs) });
  return {
    app,
    clock,
    logs,
    async enrolledUser(username) {
      const user = await app.users.create({ username, password: `${username}-password-1` });
      const { secret } = await app.mfa!.service.beginTotp(user);
      const codes = await app.mfa!.service.confirmTotp(user, codeAt(secret, clock), CONTEXT);
      // The confirming step is used: move four steps on, so every step in a window of up to 3 is fresh.
      clock.advance(120_000);
      return { user: (await app.users.getById(user.id))!, secret, codes };
    },
  };
}
