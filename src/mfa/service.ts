/**
 * Second-factor management for the user (HTTP, `src/http/endpoints/mfa.ts`) and the
 * administrator (CLI, `gatehouse mfa`): status, TOTP enrolment and removal, recovery
 * codes. Every check of a code, recovery code or password here goes through
 * `MfaFactors.judge` / `verify`: the same per-user throttle and audit as a login.
 *
 * - Confirming TOTP stores a new set of recovery codes (shown once) and, when it is the
 *   user's first factor, revokes every session (`SecondFactors.enrolled`).
 * - Disabling TOTP needs a current code, a recovery code or the password; when no factor
 *   is left the recovery codes go too; sessions are kept.
 * - Regenerating recovery codes needs a current code or the password (not a recovery
 *   code: a stolen code must not mint ten more) and a factor; old codes stop working.
 * - `reset` (administrator): every factor of every method and the codes are removed, and
 *   the user's wrong-proof counter is cleared.
 */
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import type { ThrottleStore } from '../stores/types.js';
import type { UserService } from '../users/service.js';
import type { MfaFactors } from './factors.js';
import type { RecoveryCodes } from './recovery.js';
import { ProofThrottle } from './throttle.js';
import type { TotpEnrolment, TotpMethod } from './totp.js';
import type { MfaMethodName, ProofContext } from './types.js';

export interface MfaStatus {
  methods: MfaMethodName[];
  totp: { enrolled: boolean; confirmed: boolean };
  recoveryCodesRemaining: number;
}

/** What proves the user is present when changing factors (exactly one). */
export type ManagementProof = { code: string } | { recoveryCode: string } | { password: string };

export interface MfaServiceDeps {
  factors: MfaFactors;
  totp: TotpMethod;
  recovery: RecoveryCodes;
  users: UserService;
  throttleStore: ThrottleStore;
  clock: Clock;
  events: EventSink;
}

const INVALID_CODE = 'Invalid code.';

export class MfaService {
  constructor(private readonly d: MfaServiceDeps) {}

  async status(user: User): Promise<MfaStatus> {
    const [methods, device, remaining] = await Promise.all([this.d.factors.methods(user), this.d.totp.device(user.id), this.d.recovery.remaining(user.id)]);
    return { methods, totp: { enrolled: device !== null, confirmed: device?.confirmedAt != null }, recoveryCodesRemaining: remaining };
  }

  /** A new unconfirmed TOTP device; a `ValidationError` when the user has a confirmed one. */
  async beginTotp(user: User): Promise<TotpEnrolment> {
    const enrolment = await this.d.totp.begin(user);
    if (!enrolment) throw new ValidationError({ non_field_errors: ['An authenticator app is already set up; disable it first.'] });
    return enrolment;
  }

  /** Confirm the device with its first code: the new recovery codes (shown once). */
  async confirmTotp(user: User, code: string, context: ProofContext): Promise<string[]> {
    const device = await this.d.totp.device(user.id);
    if (!device || device.confirmedAt !== null) throw new ValidationError({ non_field_errors: ['No authenticator app is being set up; begin first.'] });
    const set = this.d.recovery.generate();
    const ok = await this.d.factors.judge(user, 'totp', context, () => this.d.totp.confirm(user, code, set.digests));
    if (!ok) throw new ValidationError({ code: [INVALID_CODE] });
    await this.d.factors.enrolled(user, 'totp');
    return set.codes;
  }

  /** Remove the TOTP device after a proof; a `ValidationError` when there is none or the proof is wrong. */
  async disableTotp(user: User, proof: ManagementProof, context: ProofContext): Promise<void> {
    if (!(await this.d.totp.device(user.id))) throw new ValidationError({ non_field_errors: ['No authenticator app is set up.'] });
    await this.requireProof(user, proof, context);
    await this.d.totp.remove(user.id);
    await this.d.factors.removed(user, 'totp', 'user');
  }

  /** A new set of recovery codes (the old ones stop working) after a code or the password. */
  async regenerateRecoveryCodes(user: User, proof: { code: string } | { password: string }, context: ProofContext): Promise<string[]> {
    if ((await this.d.factors.methods(user)).length === 0) throw new ValidationError({ non_field_errors: ['Set up a second factor first.'] });
    await this.requireProof(user, proof, context);
    const codes = await this.d.recovery.regenerate(user.id, this.d.clock.now());
    this.d.events({ event: 'mfa_recovery_codes_generated', userId: user.id });
    return codes;
  }

  /** An administrator removes every second factor of the user; returns how many factors went. */
  async reset(user: User): Promise<number> {
    const removed = await this.d.factors.removeAll(user);
    await this.d.recovery.removeAll(user);
    await this.d.throttleStore.reset(ProofThrottle.key(user.id));
    this.d.events({ event: 'mfa_disabled', userId: user.id, method: 'all', by: 'cli' });
    return removed;
  }

  /** Judge one management proof (throttled, audited); a `ValidationError` on the field presented when wrong. */
  private async requireProof(user: User, proof: ManagementProof, context: ProofContext): Promise<void> {
    if ('password' in proof) {
      const ok = await this.d.factors.judge(user, 'password', context, () => this.passwordMatches(user, proof.password));
      if (!ok) throw new ValidationError({ password: ['Invalid password.'] });
      return;
    }
    const ok =
      'code' in proof
        ? await this.d.factors.verify(user, { method: 'totp', code: proof.code }, context)
        : await this.d.factors.verify(user, { method: 'recovery_code', code: proof.recoveryCode }, context);
    if (!ok) throw new ValidationError('code' in proof ? { code: [INVALID_CODE] } : { recovery_code: [INVALID_CODE] });
  }

  private async passwordMatches(user: User, password: string): Promise<boolean> {
    const current = await this.d.users.getById(user.id);
    if (!current) return false;
    return (await this.d.users.hasher.verify(password, current.password)).valid;
  }
}
