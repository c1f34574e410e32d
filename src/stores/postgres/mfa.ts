/**
 * PostgreSQL second-factor store (`MfaStore`, migration 6): the SQLite store's tables and
 * behaviour. The compare-and-set and the consume are single statements (row locks make
 * one of concurrent writers win); confirming and replacing codes are transactions.
 */
import type { MfaStore, NewTotpDevice, TotpDevice } from '../types.js';
import { TOTP_COLUMNS, toTotpDevice, type TotpRow } from '../mfa-rows.js';
import type { Db, Tx } from './database.js';
import { isId, storable } from './rows.js';

async function replaceCodes(t: Pick<Tx, 'query'>, userId: number, digests: string[], now: number): Promise<void> {
  await t.query('DELETE FROM gatehouse_mfa_recovery_code WHERE user_id = $1', [userId]);
  const unique = [...new Set(digests)];
  if (unique.length === 0) return;
  await t.query(
    `INSERT INTO gatehouse_mfa_recovery_code (user_id, digest, created_at) SELECT $1, d, $3 FROM unnest($2::text[]) AS d`,
    [userId, unique, now],
  );
}

export class PostgresMfaStore implements MfaStore {
  constructor(private readonly db: Db) {}

  async getTotp(userId: number): Promise<TotpDevice | null> {
    if (!isId(userId)) return null;
    const { rows } = await this.db.query<TotpRow>(`SELECT ${TOTP_COLUMNS} FROM gatehouse_mfa_totp WHERE user_id = $1`, [userId]);
    return rows[0] ? toTotpDevice(rows[0]) : null;
  }

  async beginTotp(d: NewTotpDevice): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO gatehouse_mfa_totp (user_id, secret, algorithm, digits, period, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, algorithm = excluded.algorithm, digits = excluded.digits,
         period = excluded.period, created_at = excluded.created_at, last_used_step = -1
       WHERE gatehouse_mfa_totp.confirmed_at IS NULL`,
      [d.userId, d.secret, d.algorithm, d.digits, d.period, d.createdAt],
    );
    return (rowCount ?? 0) > 0;
  }

  async confirmTotp(userId: number, secret: string, step: number, now: number, recoveryDigests: string[]): Promise<boolean> {
    if (!isId(userId) || !storable(secret)) return false;
    return this.db.tx(async (t) => {
      const { rowCount } = await t.query(
        'UPDATE gatehouse_mfa_totp SET confirmed_at = $1, last_used_step = $2 WHERE user_id = $3 AND secret = $4 AND confirmed_at IS NULL',
        [now, step, userId, secret],
      );
      if ((rowCount ?? 0) === 0) return false;
      await replaceCodes(t, userId, recoveryDigests, now);
      return true;
    });
  }

  async useTotpStep(userId: number, step: number): Promise<boolean> {
    if (!isId(userId)) return false;
    const { rowCount } = await this.db.query(
      'UPDATE gatehouse_mfa_totp SET last_used_step = $1 WHERE user_id = $2 AND last_used_step < $1 AND confirmed_at IS NOT NULL',
      [step, userId],
    );
    return (rowCount ?? 0) > 0;
  }

  async deleteTotp(userId: number): Promise<boolean> {
    if (!isId(userId)) return false;
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_mfa_totp WHERE user_id = $1', [userId]);
    return (rowCount ?? 0) > 0;
  }

  async replaceRecoveryCodes(userId: number, digests: string[], now: number): Promise<void> {
    await this.db.tx((t) => replaceCodes(t, userId, digests, now));
  }

  async consumeRecoveryCode(userId: number, digest: string): Promise<boolean> {
    if (!isId(userId) || !storable(digest)) return false;
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_mfa_recovery_code WHERE user_id = $1 AND digest = $2', [userId, digest]);
    return (rowCount ?? 0) > 0;
  }

  async countRecoveryCodes(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM gatehouse_mfa_recovery_code WHERE user_id = $1', [userId]);
    return rows[0]?.n ?? 0;
  }

  async deleteRecoveryCodes(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_mfa_recovery_code WHERE user_id = $1', [userId]);
    return rowCount ?? 0;
  }
}
