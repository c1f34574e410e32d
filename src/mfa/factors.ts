/**
 * `SecondFactors` (src/mfa/types.ts): the registered methods composed, and the one place
 * a proof is judged.
 *
 * - `methods`: the usable methods in registration order; [] unless one of them is a
 *   factor (`isFactor`), so recovery codes alone list nothing.
 * - `verify`: refused with `Throttled` while the user's wrong proofs are over
 *   `mfa.failureRate` (`ProofThrottle`); otherwise the method named by the proof judges it
 *   (only a method the user can use now); a wrong proof is counted. Audited both ways
 *   (`mfa_verified`, `mfa_failed`).
 * - `enrolled`: when the user's factors now number exactly one, every session and token
 *   of the user is revoked (`revokeSessions`: the credential generation moves as on a
 *   password change). API keys are not revoked: they are for services, not sessions.
 * - `removed`: when no factor is left, the recovery codes go (`forgetRecoveryCodes`);
 *   sessions are kept (removing a factor needs a fresh proof from the user, or an
 *   administrator).
 */
import { Throttled, type JsonValue } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import type { ProofThrottle } from './throttle.js';
import type { MfaMethodName, ProofContext, SecondFactorMethod, SecondFactorProof, SecondFactors } from './types.js';

export interface MfaFactorsDeps {
  throttle: ProofThrottle;
  events: EventSink;
  /** Revoke every session and token of the user (`UserService.logoutAll`). */
  revokeSessions(user: User): Promise<void>;
  /** Delete the user's recovery codes (the last factor was removed). */
  forgetRecoveryCodes(user: User): Promise<void>;
}

export class MfaFactors implements SecondFactors {
  private readonly registered = new Map<MfaMethodName, SecondFactorMethod>();

  constructor(private readonly deps: MfaFactorsDeps) {}

  register(method: SecondFactorMethod): void {
    if (this.registered.has(method.name)) throw new Error(`second factor method "${method.name}" is already registered`);
    this.registered.set(method.name, method);
  }

  /** The registered method of that name, if any (for management code). */
  method(name: MfaMethodName): SecondFactorMethod | undefined {
    return this.registered.get(name);
  }

  /** The user's usable methods, [] when none of them is a factor. */
  private async usable(user: User): Promise<SecondFactorMethod[]> {
    const all = [...this.registered.values()];
    const flags = await Promise.all(all.map((m) => m.usable(user)));
    const usable = all.filter((_, i) => flags[i]);
    return usable.some((m) => m.isFactor) ? usable : [];
  }

  async methods(user: User): Promise<MfaMethodName[]> {
    return (await this.usable(user)).map((m) => m.name);
  }

  async challenges(user: User): Promise<Partial<Record<MfaMethodName, JsonValue>>> {
    const out: Partial<Record<MfaMethodName, JsonValue>> = {};
    for (const m of await this.usable(user)) {
      const challenge = m.challenge ? await m.challenge(user) : null;
      if (challenge !== null) out[m.name] = challenge;
    }
    return out;
  }

  async verify(user: User, proof: SecondFactorProof, context: ProofContext): Promise<boolean> {
    const name = (proof as { method?: unknown }).method;
    return this.judge(user, typeof name === 'string' ? name.slice(0, 32) : 'unknown', context, async () => {
      const method = (await this.usable(user)).find((m) => m.name === name);
      return method !== undefined && method.verify(user, proof);
    });
  }

  /**
   * The throttle and the audit around one check of a user's proof (`verify`, and the
   * management endpoints' checks: a first TOTP code, a password): refused with
   * `Throttled` while locked, a false answer counted as a wrong proof.
   */
  async judge(user: User, method: string, context: ProofContext, check: () => Promise<boolean>): Promise<boolean> {
    const audit = { userId: user.id, method, endpoint: context.endpoint };
    const wait = await this.deps.throttle.lockedFor(user.id);
    if (wait !== null) {
      this.deps.events({ event: 'mfa_failed', ...audit, address: context.address, reason: 'throttled' });
      throw new Throttled(wait);
    }
    if (await check()) {
      this.deps.events({ event: 'mfa_verified', ...audit });
      return true;
    }
    await this.deps.throttle.failure(user.id);
    this.deps.events({ event: 'mfa_failed', ...audit, address: context.address, reason: 'invalid' });
    return false;
  }

  /** How many factors the user has over every factor method. */
  async factorCount(user: User): Promise<number> {
    let n = 0;
    for (const m of this.registered.values()) {
      if (!m.isFactor) continue;
      n += m.count ? await m.count(user) : (await m.usable(user)) ? 1 : 0;
    }
    return n;
  }

  /** Remove every factor of every method that can (`removeAll`): an administrator's reset. Returns how many. */
  async removeAll(user: User): Promise<number> {
    let n = 0;
    for (const m of this.registered.values()) if (m.isFactor && m.removeAll) n += await m.removeAll(user);
    return n;
  }

  async enrolled(user: User, method: MfaMethodName): Promise<void> {
    const first = (await this.factorCount(user)) === 1;
    if (first) await this.deps.revokeSessions(user);
    this.deps.events({ event: 'mfa_enrolled', userId: user.id, method, sessionsRevoked: first });
  }

  async removed(user: User, method: MfaMethodName, by: 'user' | 'cli' = 'user'): Promise<void> {
    if ((await this.factorCount(user)) === 0) await this.deps.forgetRecoveryCodes(user);
    this.deps.events({ event: 'mfa_disabled', userId: user.id, method, by });
  }
}
