/**
 * Row ↔ object mapping of `gatehouse_mfa_ticket` and `gatehouse_trusted_device`
 * (migration 7), shared by the SQL stores (SQLite and PostgreSQL): the same columns.
 */
import type { MfaTicketRecord, TrustedDeviceRecord } from './types.js';

export interface MfaTicketRow {
  digest: string;
  user_id: number;
  endpoint: string;
  client: string;
  generation: number;
  created_at: number;
  expires_at: number;
  attempts_left: number;
  used_at: number | null;
}

export const MFA_TICKET_COLUMNS = 'digest, user_id, endpoint, client, generation, created_at, expires_at, attempts_left, used_at';

export const toMfaTicket = (r: MfaTicketRow): MfaTicketRecord => ({
  digest: r.digest,
  userId: r.user_id,
  endpoint: r.endpoint,
  client: r.client,
  generation: r.generation,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  attemptsLeft: r.attempts_left,
  usedAt: r.used_at,
});

export interface TrustedDeviceRow {
  id: string;
  user_id: number;
  digest: string;
  generation: number;
  label: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

export const TRUSTED_DEVICE_COLUMNS = 'id, user_id, digest, generation, label, created_at, last_used_at, expires_at';

export const toTrustedDevice = (r: TrustedDeviceRow): TrustedDeviceRecord => ({
  id: r.id,
  userId: r.user_id,
  digest: r.digest,
  generation: r.generation,
  label: r.label,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
});
