/**
 * The TOTP method (RFC 6238): one device per user, enrolled in two steps.
 *
 * - `begin`: a new random 160-bit secret, stored sealed (src/core/sealing.ts, labelled
 *   with the user's id) and unconfirmed; it replaces an unconfirmed device, never a
 *   confirmed one. Answers the secret (base32) and the `otpauth://` URI, once.
 * - `confirm`: the first valid code confirms exactly the device `begin` stored (a later
 *   `begin` replaces it: the confirmation then fails) and records its step as used. Only
 *   a confirmed device is a factor.
 * - `verify`: a code within ±window steps whose step is later than the last accepted one;
 *   accepting is the store's compare-and-set (`useTotpStep`), so a code is accepted once,
 *   also when two requests race with it.
 *
 * The device keeps the algorithm, digits and period it was enrolled with: changing
 * `mfa.totp.*` affects new enrolments only. The window is read at each verification.
 */
import type { Clock } from '../core/clock.js';
import type { User } from '../core/user.js';
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { secretSealer, type SecretSealer } from '../core/sealing.js';
import type { MfaStore, TotpDevice } from '../stores/types.js';
import type { SecondFactorMethod, SecondFactorProof } from './types.js';
import { matchingStep, normalizeTotpCode, type TotpParameters } from './totp-code.js';

export interface TotpOptions extends TotpParameters {
  /** Steps accepted either side of now (`mfa.totp.window`). */
  window: number;
  /** The `issuer` of the `otpauth://` URI (`mfa.issuer`). */
  issuer: string;
}

/** What `begin` answers: shown to the user once. */
export interface TotpEnrolment {
  /** The secret, base32 (for typing into an app). */
  secret: string;
  /** `otpauth://totp/…` (for a QR code). */
  otpauthUrl: string;
}

const SECRET_BYTES = 20;
const PURPOSE = { version: 'gh1', info: 'gatehouse mfa totp secret v1', salt: 'gatehouse mfa' };

export class TotpMethod implements SecondFactorMethod {
  readonly name = 'totp' as const;
  readonly isFactor = true;
  private readonly sealer: SecretSealer;

  constructor(
    private readonly store: MfaStore,
    secretKey: string,
    private readonly options: TotpOptions,
    private readonly clock: Clock,
  ) {
    this.sealer = secretSealer(secretKey, PURPOSE);
  }

  /** The user's device, confirmed or not (status), or null. */
  device(userId: number): Promise<TotpDevice | null> {
    return this.store.getTotp(userId);
  }

  async usable(user: User): Promise<boolean> {
    return (await this.store.getTotp(user.id))?.confirmedAt != null;
  }

  /** A new unconfirmed device for the user; null when the user has a confirmed one. */
  async begin(user: User): Promise<TotpEnrolment | null> {
    const secret = randomBytes(SECRET_BYTES);
    const { algorithm, digits, period } = this.options;
    const sealed = this.sealer.seal(label(user.id), secret);
    const stored = await this.store.beginTotp({ userId: user.id, secret: sealed, algorithm, digits, period, createdAt: this.clock.now() });
    if (!stored) return null;
    const otp = new TOTP({ issuer: this.options.issuer, label: user.username, algorithm, digits, period, secret: new Secret({ buffer: new Uint8Array(secret).buffer }) });
    const enrolment = { secret: otp.secret.base32, otpauthUrl: otp.toString() };
    secret.fill(0);
    return enrolment;
  }

  /**
   * Confirm the unconfirmed device with its first code, storing `recoveryDigests` as the
   * user's recovery codes in the same transaction; false for a wrong code or no
   * unconfirmed device.
   */
  async confirm(user: User, code: string, recoveryDigests: string[]): Promise<boolean> {
    const device = await this.store.getTotp(user.id);
    if (!device || device.confirmedAt !== null) return false;
    const step = this.stepOf(device, code);
    if (step === null) return false;
    return this.store.confirmTotp(user.id, device.secret, step, this.clock.now(), recoveryDigests);
  }

  async verify(user: User, proof: SecondFactorProof): Promise<boolean> {
    if (proof.method !== 'totp' || typeof proof.code !== 'string') return false;
    const device = await this.store.getTotp(user.id);
    if (!device || device.confirmedAt === null) return false;
    const step = this.stepOf(device, proof.code);
    if (step === null || step <= device.lastUsedStep) return false;
    return this.store.useTotpStep(user.id, step);
  }

  /** Remove the user's device, confirmed or not; false when there was none. */
  remove(userId: number): Promise<boolean> {
    return this.store.deleteTotp(userId);
  }

  async removeAll(user: User): Promise<number> {
    return (await this.store.deleteTotp(user.id)) ? 1 : 0;
  }

  /** The step a code matches for this device, or null (malformed, wrong, outside the window, or a secret that does not open). */
  private stepOf(device: TotpDevice, code: string): number | null {
    const normal = normalizeTotpCode(code, device.digits);
    if (normal === null) return null;
    const secret = this.sealer.open(label(device.userId), device.secret);
    if (typeof secret === 'string') return null;
    try {
      return matchingStep(secret, device, normal, this.clock.now(), this.options.window);
    } finally {
      secret.fill(0);
    }
  }
}

const label = (userId: number) => `totp\0${userId}`;
