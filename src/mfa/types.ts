/**
 * Second factors: the contract between the factors (TOTP and recovery codes in this
 * folder, passkeys in src/passkeys), the login gate that asks for them (every endpoint
 * that issues a credential), and the management endpoints.
 *
 * - A *method* is one kind of proof: a TOTP code, a recovery code, a WebAuthn assertion.
 * - A user "has a second factor" when `SecondFactors.methods(user)` is not empty: a
 *   confirmed TOTP device or a registered passkey. Recovery codes alone never make a
 *   factor (they are listed only beside another method).
 * - `verify` is the one place a proof is judged. It consumes what it accepts (a TOTP step
 *   is accepted once, a recovery code once, a WebAuthn challenge once), counts wrong
 *   proofs against the user like wrong passwords (and refuses, throttled, when over the
 *   limit), and never throws for a wrong proof: false.
 * - `enrolled` is called by a method after a user's factor was stored. When it is the
 *   user's only factor now (the first one: one TOTP device or one passkey, nothing else), every session and token the user held is revoked (the
 *   credential generation moves, as on a password change): a session from before the
 *   factor never outlives it.
 */
import type { JsonValue } from '../core/errors.js';
import type { User } from '../core/user.js';

export type MfaMethodName = 'totp' | 'recovery_code' | 'webauthn';

/** What a client presents as a second factor. */
export type SecondFactorProof =
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'webauthn'; response: JsonValue };

/** Where a proof was presented: for the audit trail and the per-user throttle. */
export interface ProofContext {
  endpoint: string;
  address: string;
}

/** One kind of second factor, registered with `SecondFactors.register`. */
export interface SecondFactorMethod {
  readonly name: MfaMethodName;
  /** Whether the user can use this method now (a confirmed TOTP device, an unused recovery code, a passkey). */
  usable(user: User): Promise<boolean>;
  /** Whether this method, alone, makes a second factor (TOTP, passkeys: yes; recovery codes: no). */
  readonly isFactor: boolean;
  /** What a client needs before it can answer (WebAuthn request options with a fresh challenge), or null. */
  challenge?(user: User): Promise<JsonValue | null>;
  /** Judge and consume one proof of this method: true at most once for the same proof. */
  verify(user: User, proof: SecondFactorProof): Promise<boolean>;
  /**
   * How many factors of this method the user has (several passkeys); absent: 1 when
   * `usable`, else 0. `enrolled` revokes sessions only when the user's count over all
   * factor methods is 1.
   */
  count?(user: User): Promise<number>;
  /** Delete every factor of this method the user has (an administrator's reset); returns how many. */
  removeAll?(user: User): Promise<number>;
}

export interface SecondFactors {
  register(method: SecondFactorMethod): void;
  /** The user's usable methods; [] when the user has no second factor (then no method is listed). */
  methods(user: User): Promise<MfaMethodName[]>;
  /** Each usable method's `challenge`, by method name (methods without one are absent). */
  challenges(user: User): Promise<Partial<Record<MfaMethodName, JsonValue>>>;
  /** Judge a proof (see the module comment): throttled per user, audited; false when wrong. */
  verify(user: User, proof: SecondFactorProof, context: ProofContext): Promise<boolean>;
  /** A factor was stored for the user: revokes every session when it is now the user's only one. */
  enrolled(user: User, method: MfaMethodName): Promise<void>;
  /**
   * A factor of the user was removed (after the method deleted it): when no factor is
   * left, the recovery codes are deleted too. Sessions are kept. Audited.
   */
  removed?(user: User, method: MfaMethodName, by?: 'user' | 'cli'): Promise<void>;
}
