/**
 * The one decision about a recorded refresh (or sliding) token: is it still valid, and
 * what does presenting it do — rotate, replay within the grace window, revoke its family
 * (reuse), or refuse. Pure: the stores run `decideRotation` inside their own lock or
 * transaction on the rows they read; the read-only checks (`validate`, `/verify/`, the
 * sliding authenticator) ask `tokenStatus` of the same rows, so there is no second copy.
 *
 * Reuse: a refresh token that was rotated away — the direct predecessor of the family's
 * current token or any older one — is a replayed token (RFC 9700 §4.14.2). Whatever
 * `blacklistAfterRotation` says, presenting it revokes the whole family. The only
 * exception is a retry of the *latest* rotation within `reuseGrace` (a client that lost
 * the answer): it gets the same replacement again.
 */
import type { RotationAction, RotationState } from '../stores/types.js';
import type { JwtSettings } from './claims.js';

export interface RotationPolicy {
  /** A rotated-away token revokes its family (off: simplejwt's plain behaviour). */
  reuseDetection: boolean;
  /** simplejwt `BLACKLIST_AFTER_ROTATION`: the presented token is blacklisted when rotated. */
  blacklistAfterRotation: boolean;
  /** Window (ms) in which a retried rotation gets the same replacement. */
  reuseGrace: number;
}

export const rotationPolicy = (s: JwtSettings): RotationPolicy => ({
  reuseDetection: s.reuseDetection,
  blacklistAfterRotation: s.blacklistAfterRotation,
  reuseGrace: s.reuseGrace,
});

/** A recorded token's standing at `now` (epoch ms). */
export type TokenStatus = 'valid' | 'grace' | 'reused' | 'blacklisted' | 'family_revoked';

/**
 * Within the grace window of its rotation, and that rotation is still the family's
 * latest step (the replacement itself was not rotated away or blacklisted since).
 */
function inGrace({ token, replacement }: RotationState, policy: RotationPolicy, now: number): boolean {
  return (
    policy.reuseGrace > 0 &&
    token.replacedAt !== null &&
    now - token.replacedAt <= policy.reuseGrace &&
    replacement !== null &&
    replacement.replacedBy === null &&
    replacement.blacklistedAt === null
  );
}

export function tokenStatus(state: RotationState, policy: RotationPolicy, now: number): TokenStatus {
  const { token, family } = state;
  if (family !== null && family.revokedAt !== null) return 'family_revoked';
  if (token.replacedBy !== null) {
    if (inGrace(state, policy, now)) return 'grace';
    if (policy.reuseDetection) return 'reused';
    // simplejwt without reuse detection: blacklisted if asked, else usable until it expires.
    if (token.blacklistedAt !== null || policy.blacklistAfterRotation) return 'blacklisted';
    return 'valid';
  }
  return token.blacklistedAt !== null ? 'blacklisted' : 'valid';
}

/** What the store must do with the presented refresh token (see `RotationAction`). */
export function decideRotation(state: RotationState, policy: RotationPolicy, now: number): RotationAction {
  const status = tokenStatus(state, policy, now);
  switch (status) {
    case 'valid':
      return { kind: 'rotate', blacklistCurrent: policy.blacklistAfterRotation };
    case 'grace': {
      const t = state.token;
      return { kind: 'grace', replacement: { jti: t.replacedBy as string, iat: t.replacementIat as number, exp: t.replacementExp as number } };
    }
    case 'reused':
      return { kind: 'revoke_family' };
    default:
      return { kind: 'refuse', reason: status };
  }
}
