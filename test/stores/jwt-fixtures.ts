/**
 * Rows for the JWT store tests: an outstanding refresh token and a rotation of it, at a
 * fixed instant (`T0`), shared by the contract suite and the PostgreSQL-specific tests.
 */
import { decideRotation, type RotationPolicy } from '../../src/jwt/rotation.js';
import type { NewOutstandingToken, RotateInput } from '../../src/stores/types.js';

export const T0 = Date.UTC(2026, 0, 1);

/** An outstanding refresh token issued at `T0`, valid one day. */
export const tok = (jti: string, userId: number | null, over: Partial<NewOutstandingToken> = {}): NewOutstandingToken => ({
  jti,
  userId,
  tokenType: 'refresh',
  familyId: null,
  createdAt: T0,
  expiresAt: T0 + 86_400_000,
  ...over,
});

/** The rotation fixture's knobs: the decision's policy, the time, a new family's end. */
export interface RotOptions extends Partial<RotationPolicy> {
  now?: number;
  familyNotAfter?: number | null;
}

/**
 * Rotate `current` into `nextJti` one second after `T0`, decided by the JWT layer's
 * `decideRotation` (reuse detection on, no blacklist after rotation, no grace by default).
 */
export const rot = (current: NewOutstandingToken, nextJti: string, over: RotOptions = {}): RotateInput => {
  const now = over.now ?? T0 + 1000;
  const policy: RotationPolicy = {
    reuseDetection: over.reuseDetection ?? true,
    blacklistAfterRotation: over.blacklistAfterRotation ?? false,
    reuseGrace: over.reuseGrace ?? 0,
  };
  return {
    current,
    next: { ...tok(nextJti, current.userId), iat: T0 / 1000, exp: T0 / 1000 + 86400 },
    now,
    familyNotAfter: over.familyNotAfter ?? null,
    decide: (state) => decideRotation(state, policy, now),
  };
};
