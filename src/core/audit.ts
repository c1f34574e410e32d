/**
 * Audit events: what the token endpoints report after each login, logout and revocation
 * (never a password or a token). The reference server logs them (`{ audit: event }`).
 */
export interface AuditEvent {
  event: 'login' | 'login_failed' | 'logout' | 'logout_all' | 'token_revoked' | 'mfa_required' | 'mfa_refused';
  endpoint: string;
  userId?: number;
  tokenId?: number;
  /** `mfa_refused`: why (the `code` of the answer, src/mfa/errors.ts). */
  reason?: string;
}

/** Where audit events go. */
export type Audit = (event: AuditEvent) => void;

/** The default sink: events are dropped. */
export const noAudit: Audit = () => {};
