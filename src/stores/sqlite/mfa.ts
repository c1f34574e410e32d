/**
 * SQLite second-factor store (`MfaStore`, tables `gatehouse_mfa_totp` and
 * `gatehouse_mfa_recovery_code`, migration 6). Each method is one statement or one
 * transaction; better-sqlite3 runs them synchronously, so they are atomic across the
 * connections of every process sharing the file. A user's deletion cascades to its rows.
 */
import type { MfaStore, NewTotpDevice, TotpDevice } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { TOTP_COLUMNS, toTotpDevice, type TotpRow } from '../mfa-rows.js';

export class SqliteMfaStore implements MfaStore {
  private readonly get;
  private readonly begin;
  private readonly confirm;
  private readonly useStep;
  private readonly removeTotp;
  private readonly insertCode;
  private readonly consume;
  private readonly count;
  private readonly removeCodes;
  private readonly confirmTx;
  private readonly replaceTx;
  constructor(db: SqliteDatabase) {
    this.get = db.prepare(`SELECT ${TOTP_COLUMNS} FROM gatehouse_mfa_totp WHERE user_id = ?`);
    this.begin = db.prepare(
      `INSERT INTO gatehouse_mfa_totp (user_id, secret, algorithm, digits, period, created_at)
       VALUES (@userId, @secret, @algorithm, @digits, @period, @createdAt)
       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, algorithm = excluded.algorithm, digits = excluded.digits,
         period = excluded.period, created_at = excluded.created_at, last_used_step = -1
       WHERE gatehouse_mfa_totp.confirmed_at IS NULL`,
    );
    this.confirm = db.prepare(
      'UPDATE gatehouse_mfa_totp SET confirmed_at = ?, last_used_step = ? WHERE user_id = ? AND secret = ? AND confirmed_at IS NULL',
    );
    this.useStep = db.prepare(
      'UPDATE gatehouse_mfa_totp SET last_used_step = ? WHERE user_id = ? AND last_used_step < ? AND confirmed_at IS NOT NULL',
    );
    this.removeTotp = db.prepare('DELETE FROM gatehouse_mfa_totp WHERE user_id = ?');
    this.insertCode = db.prepare('INSERT INTO gatehouse_mfa_recovery_code (user_id, digest, created_at) VALUES (?, ?, ?)');
    this.consume = db.prepare('DELETE FROM gatehouse_mfa_recovery_code WHERE user_id = ? AND digest = ?');
    this.count = db.prepare('SELECT count(*) AS n FROM gatehouse_mfa_recovery_code WHERE user_id = ?');
    this.removeCodes = db.prepare('DELETE FROM gatehouse_mfa_recovery_code WHERE user_id = ?');
    this.replaceTx = db.transaction((userId: number, digests: string[], now: number) => {
      this.removeCodes.run(userId);
      for (const digest of new Set(digests)) this.insertCode.run(userId, digest, now);
    });
    this.confirmTx = db.transaction((userId: number, secret: string, step: number, now: number, digests: string[]): boolean => {
      if (this.confirm.run(now, step, userId, secret).changes === 0) return false;
      this.replaceTx(userId, digests, now);
      return true;
    });
  }
  async getTotp(userId: number): Promise<TotpDevice | null> {
    const row = this.get.get(userId) as TotpRow | undefined;
    return row ? toTotpDevice(row) : null;
  }
  async beginTotp(device: NewTotpDevice): Promise<boolean> {
    return this.begin.run(device).changes > 0;
  }
  async confirmTotp(userId: number, secret: string, step: number, now: number, recoveryDigests: string[]): Promise<boolean> {
    return this.confirmTx.immediate(userId, secret, step, now, recoveryDigests);
  }
  async useTotpStep(userId: number, step: number): Promise<boolean> {
    return this.useStep.run(step, userId, step).changes > 0;
  }
  async deleteTotp(userId: number): Promise<boolean> {
    return this.removeTotp.run(userId).changes > 0;
  }
  async replaceRecoveryCodes(userId: number, digests: string[], now: number): Promise<void> {
    this.replaceTx.immediate(userId, digests, now);
  }
  async consumeRecoveryCode(userId: number, digest: string): Promise<boolean> {
    return this.consume.run(userId, digest).changes > 0;
  }
  async countRecoveryCodes(userId: number): Promise<number> {
    return (this.count.get(userId) as { n: number }).n;
  }
  async deleteRecoveryCodes(userId: number): Promise<number> {
    return this.removeCodes.run(userId).changes;
  }
}
