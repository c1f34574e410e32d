/** Row ↔ object mapping of TOTP devices for the SQL stores (`gatehouse_mfa_totp`, migration 6). */
import type { TotpDevice } from './types.js';

export const TOTP_COLUMNS = 'user_id, secret, algorithm, digits, period, created_at, confirmed_at, last_used_step';

export interface TotpRow {
  user_id: number;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
  created_at: number;
  confirmed_at: number | null;
  last_used_step: number;
}

export function toTotpDevice(r: TotpRow): TotpDevice {
  return {
    userId: Number(r.user_id),
    secret: r.secret,
    algorithm: r.algorithm as TotpDevice['algorithm'],
    digits: Number(r.digits),
    period: Number(r.period),
    createdAt: Number(r.created_at),
    confirmedAt: r.confirmed_at === null ? null : Number(r.confirmed_at),
    lastUsedStep: Number(r.last_used_step),
  };
}
