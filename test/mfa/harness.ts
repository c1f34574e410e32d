/**
 * The login-gate tests' server: a real Gatehouse with `mfa.enabled`, users enrolled in
 * TOTP through the management service (recovery codes with it), and codes computed with
 * the RFC 6238 algorithm (`otpauth`) from the enrolment secret at the server's clock.
 */
import * as OTPAuth from 'otpauth';
import type { FakeClock } from '../../src/core/clock.js';
import type { User } from '../../src/core/user.js';
import type { Gatehouse } from '../../src/server/app.js';
import { startServer, type StartOptions, type TestResponse, type TestServer } from '../helpers.js';

export interface Enrolment {
  /** The TOTP secret, base32. */
  secret: string;
  recoveryCodes: string[];
}

export const PASSWORD = 'correct-horse-battery-1';

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` at `at` (epoch ms). */
export function totpCode(secret: string, at: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });
}

/** A code that is not the current one (nor a neighbour's). */
export function wrongCode(secret: string, at: number): string {
  const near = new Set([-1, 0, 1].map((k) => totpCode(secret, at + k * 30_000)));
  for (let n = 0; ; n++) {
    const c = String(n).padStart(6, '0');
    if (!near.has(c)) return c;
  }
}

/**
 * Enrol `user` in TOTP as a user would (begin, then confirm with the app's code): the
 * confirmation uses the current step, so the clock moves one step on afterwards.
 */
export async function enrol(s: { app: Gatehouse; clock: FakeClock }, user: User): Promise<Enrolment> {
  const service = s.app.mfa!.service;
  const { secret } = await service.beginTotp(user);
  const recoveryCodes = await service.confirmTotp(user, totpCode(secret, s.clock.now()), { endpoint: 'test', address: '127.0.0.1' });
  s.clock.advance(30_000);
  return { secret, recoveryCodes };
}

export interface MfaServer extends TestServer {
  /** Create `username` (password `PASSWORD`) and enrol it in TOTP. */
  enrolledUser(username: string): Promise<{ user: User; enrolment: Enrolment }>;
  /** The current TOTP code of an enrolment at the server's clock. */
  code(enrolment: Enrolment): string;
  wrong(enrolment: Enrolment): string;
  /** Unexpired opaque tokens and recorded refresh/sliding tokens of a user (what a login stores). */
  credentialRows(userId: number): Promise<number>;
}

/** A server with `mfa.enabled` (plus `options.settings`). */
export async function startMfaServer(options: StartOptions = {}): Promise<MfaServer> {
  const settings = options.settings ?? {};
  const s = await startServer({ ...options, settings: { ...settings, mfa: { enabled: true, ...(settings.mfa as object | undefined) } } });
  const db = (s.app.stores as unknown as { db: { prepare(sql: string): { get(...a: unknown[]): unknown } } }).db;
  return Object.assign(s, {
    async enrolledUser(username: string) {
      const created = await s.app.users.create({ username, password: PASSWORD });
      const enrolment = await enrol(s, created);
      return { user: (await s.app.users.getById(created.id))!, enrolment };
    },
    code: (e: Enrolment) => totpCode(e.secret, s.clock.now()),
    wrong: (e: Enrolment) => wrongCode(e.secret, s.clock.now()),
    async credentialRows(userId: number) {
      const tokens = (await s.app.tokens.list(userId)).length;
      const jwts = (db.prepare('SELECT count(*) AS n FROM gatehouse_jwt_outstanding WHERE user_id = ?').get(userId) as { n: number }).n;
      return tokens + jwts;
    },
  });
}

/** The `Set-Cookie` lines of a response. */
export const setCookies = (r: TestResponse): string[] => {
  const v = r.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
