/**
 * Rows for the JWT store tests: an outstanding refresh token and a rotation of it, at a
 * fixed instant (`T0`), shared by the contract suite and the PostgreSQL-specific tests.
 */
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

/** Rotate `current` into `nextJti` one second after `T0`, reuse detection on. */
export const rot = (current: NewOutstandingToken, nextJti: string, over: Partial<RotateInput> = {}): RotateInput => ({
  current,
  next: { ...tok(nextJti, current.userId), iat: T0 / 1000, exp: T0 / 1000 + 86400 },
  now: T0 + 1000,
  graceMs: 0,
  reuseDetection: true,
  blacklistCurrent: false,
  familyNotAfter: null,
  ...over,
});
