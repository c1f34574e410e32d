/**
 * Passkeys as a second factor: the `webauthn` method of `SecondFactors` (src/mfa/types.ts).
 * `challenge` hands out request options listing the user's passkeys (a stored challenge
 * bound to the user); `verify` judges the assertion with the one judge
 * (src/passkeys/assertion.ts): the challenge consumed, the credential the user's own, the
 * counter moved on. A wrong or malformed proof is false, never a throw.
 */
import { ApiError, type JsonValue } from '../core/errors.js';
import type { User } from '../core/user.js';
import type { SecondFactorMethod, SecondFactorProof } from '../mfa/types.js';
import type { PasskeyService } from './service.js';

export class WebAuthnFactor implements SecondFactorMethod {
  readonly name = 'webauthn' as const;
  readonly isFactor = true;

  constructor(private readonly passkeys: PasskeyService) {}

  async usable(user: User): Promise<boolean> {
    return (await this.passkeys.count(user)) > 0;
  }

  /** Each passkey is a factor: a second one is not the "first factor" that revokes sessions. */
  count(user: User): Promise<number> {
    return this.passkeys.count(user);
  }

  removeAll(user: User): Promise<number> {
    return this.passkeys.removeAll(user);
  }

  challenge(user: User): Promise<JsonValue | null> {
    return this.passkeys.secondFactorOptions(user);
  }

  async verify(user: User, proof: SecondFactorProof): Promise<boolean> {
    if (proof.method !== 'webauthn') return false;
    try {
      await this.passkeys.secondFactor(user, proof.response);
      return true;
    } catch (e) {
      // Malformed (400) and refused (401) proofs alike: a wrong proof.
      if (e instanceof ApiError) return false;
      throw e;
    }
  }
}
