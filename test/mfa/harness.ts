/**
 * The login-gate tests' server: a real Gatehouse with second factors, users enrolled in
 * TOTP (plus recovery codes), and codes computed with the RFC 6238 algorithm (`otpauth`)
 * from the enrolment secret at the server's clock.
 */
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { User } from '../../src/core/user.js';
import type { MfaMethodName, ProofContext, SecondFactorProof, SecondFactors } from '../../src/mfa/types.js';
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

/** TOTP and recovery codes, in memory: a step accepted once, a recovery code once. */
class TestFactors implements SecondFactors {
  readonly enrolled_ = new Map<number, { totp: OTPAuth.TOTP; lastStep: number; recovery: Set<string> }>();
  constructor(private readonly now: () => number) {}
  register(): void {}
  async methods(user: User): Promise<MfaMethodName[]> {
    return this.enrolled_.has(user.id) ? ['totp', 'recovery_code'] : [];
  }
  async challenges(): Promise<Partial<Record<MfaMethodName, never>>> {
    return {};
  }
  async verify(user: User, proof: SecondFactorProof, _context: ProofContext): Promise<boolean> {
    const e = this.enrolled_.get(user.id);
    if (!e) return false;
    if (proof.method === 'recovery_code') return e.recovery.delete(proof.code);
    if (proof.method !== 'totp') return false;
    const delta = e.totp.validate({ token: proof.code, timestamp: this.now(), window: 1 });
    if (delta === null) return false;
    const step = Math.floor(this.now() / 30_000) + delta;
    if (step <= e.lastStep) return false;
    e.lastStep = step;
    return true;
  }
  async enrolled(): Promise<void> {}
  enrol(user: User): Enrolment {
    const secret = new OTPAuth.Secret({ size: 20 });
    const recoveryCodes = Array.from({ length: 10 }, () => randomBytes(5).toString('hex'));
    this.enrolled_.set(user.id, { totp: new OTPAuth.TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }), lastStep: -1, recovery: new Set(recoveryCodes) });
    return { secret: secret.base32, recoveryCodes };
  }
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

export async function startMfaServer(options: StartOptions = {}): Promise<MfaServer> {
  let now = () => Date.now();
  const factors = new TestFactors(() => now());
  const s = await startServer({ ...options, secondFactors: factors });
  now = () => s.clock.now();
  const db = (s.app.stores as unknown as { db: { prepare(sql: string): { get(...a: unknown[]): unknown } } }).db;
  return Object.assign(s, {
    async enrolledUser(username: string) {
      const user = await s.app.users.create({ username, password: PASSWORD });
      return { user, enrolment: factors.enrol(user) };
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
