/**
 * The recovery-code method: a single-use code replaces a TOTP code or a passkey when the
 * device is lost. Never a factor alone (`isFactor: false`: `SecondFactors.methods` lists
 * it only beside a method that is one). Consuming is the store's atomic delete, so of
 * two requests presenting one code exactly one is accepted.
 */
import type { User } from '../core/user.js';
import type { MfaStore } from '../stores/types.js';
import type { SecondFactorMethod, SecondFactorProof } from './types.js';
import { generateRecoveryCode, normalizeRecoveryCode, recoveryCodeDigester } from './recovery-codes.js';

/** A fresh set: the codes to show once and the digests to store. */
export interface RecoveryCodeSet {
  codes: string[];
  digests: string[];
}

export class RecoveryCodes implements SecondFactorMethod {
  readonly name = 'recovery_code' as const;
  readonly isFactor = false;
  private readonly digest: (canonical: string) => string;

  constructor(
    private readonly store: MfaStore,
    secretKey: string,
    private readonly size: number,
  ) {
    this.digest = recoveryCodeDigester(secretKey);
  }

  /** `count` new codes (distinct) and their digests; nothing stored. */
  generate(): RecoveryCodeSet {
    const codes = new Set<string>();
    while (codes.size < this.size) codes.add(generateRecoveryCode());
    const list = [...codes];
    return { codes: list, digests: list.map((c) => this.digest(normalizeRecoveryCode(c) as string)) };
  }

  /** Replace the user's codes by a new set (the old ones stop working); returns the codes to show. */
  async regenerate(userId: number, now: number): Promise<string[]> {
    const set = this.generate();
    await this.store.replaceRecoveryCodes(userId, set.digests, now);
    return set.codes;
  }

  /** Delete every code of the user (an administrator's reset); returns how many. */
  async removeAll(user: User): Promise<number> {
    return this.store.deleteRecoveryCodes(user.id);
  }

  async remaining(userId: number): Promise<number> {
    return this.store.countRecoveryCodes(userId);
  }

  async usable(user: User): Promise<boolean> {
    return (await this.store.countRecoveryCodes(user.id)) > 0;
  }

  async verify(user: User, proof: SecondFactorProof): Promise<boolean> {
    if (proof.method !== 'recovery_code' || typeof proof.code !== 'string') return false;
    const canonical = normalizeRecoveryCode(proof.code);
    if (canonical === null) return false;
    return this.store.consumeRecoveryCode(user.id, this.digest(canonical));
  }
}
