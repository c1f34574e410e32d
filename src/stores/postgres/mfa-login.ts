/**
 * PostgreSQL MFA ticket and trusted device stores (migration 7): the SQLite stores'
 * columns and behaviour. `fail` and `consume` are one conditional `UPDATE` each, atomic
 * among instances sharing the database.
 */
import type { MfaTicketRecord, MfaTicketStore, NewMfaTicket, TrustedDeviceRecord, TrustedDeviceStore } from '../types.js';
import { MFA_TICKET_COLUMNS, TRUSTED_DEVICE_COLUMNS, toMfaTicket, toTrustedDevice, type MfaTicketRow, type TrustedDeviceRow } from '../mfa-login-rows.js';
import type { Db } from './database.js';
import { isId, storable } from './rows.js';

export class PostgresMfaTicketStore implements MfaTicketStore {
  constructor(private readonly db: Db) {}
  async create(t: NewMfaTicket): Promise<void> {
    await this.db.query(
      `INSERT INTO gatehouse_mfa_ticket (${MFA_TICKET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`,
      [t.digest, t.userId, t.endpoint, t.client, t.generation, t.createdAt, t.expiresAt, t.attemptsLeft],
    );
  }
  async get(digest: string): Promise<MfaTicketRecord | null> {
    if (!storable(digest)) return null;
    const { rows } = await this.db.query<MfaTicketRow>(`SELECT ${MFA_TICKET_COLUMNS} FROM gatehouse_mfa_ticket WHERE digest = $1`, [digest]);
    return rows[0] ? toMfaTicket(rows[0]) : null;
  }
  async fail(digest: string): Promise<number | null> {
    if (!storable(digest)) return null;
    const { rows } = await this.db.query<{ attempts_left: number }>(
      'UPDATE gatehouse_mfa_ticket SET attempts_left = GREATEST(attempts_left - 1, 0) WHERE digest = $1 RETURNING attempts_left',
      [digest],
    );
    return rows[0] ? rows[0].attempts_left : null;
  }
  async consume(digest: string, now: number): Promise<boolean> {
    if (!storable(digest)) return false;
    const { rowCount } = await this.db.query(
      'UPDATE gatehouse_mfa_ticket SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 AND attempts_left > 0',
      [now, digest],
    );
    return rowCount === 1;
  }
  async deleteExpired(now: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_mfa_ticket WHERE expires_at <= $1', [now]);
    return rowCount ?? 0;
  }
}

export class PostgresTrustedDeviceStore implements TrustedDeviceStore {
  constructor(private readonly db: Db) {}
  async create(d: TrustedDeviceRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO gatehouse_trusted_device (${TRUSTED_DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [d.id, d.userId, d.digest, d.generation, d.label, d.createdAt, d.lastUsedAt, d.expiresAt],
    );
  }
  async get(id: string): Promise<TrustedDeviceRecord | null> {
    if (!storable(id)) return null;
    const { rows } = await this.db.query<TrustedDeviceRow>(`SELECT ${TRUSTED_DEVICE_COLUMNS} FROM gatehouse_trusted_device WHERE id = $1`, [id]);
    return rows[0] ? toTrustedDevice(rows[0]) : null;
  }
  async list(userId: number): Promise<TrustedDeviceRecord[]> {
    if (!isId(userId)) return [];
    const { rows } = await this.db.query<TrustedDeviceRow>(
      `SELECT ${TRUSTED_DEVICE_COLUMNS} FROM gatehouse_trusted_device WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
    return rows.map(toTrustedDevice);
  }
  async touch(id: string, lastUsedAt: number): Promise<void> {
    if (storable(id)) await this.db.query('UPDATE gatehouse_trusted_device SET last_used_at = $1 WHERE id = $2', [lastUsedAt, id]);
  }
  async delete(id: string, userId: number): Promise<boolean> {
    if (!storable(id) || !isId(userId)) return false;
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_trusted_device WHERE id = $1 AND user_id = $2', [id, userId]);
    return (rowCount ?? 0) > 0;
  }
  async deleteAllForUser(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_trusted_device WHERE user_id = $1', [userId]);
    return rowCount ?? 0;
  }
  async deleteExpired(now: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM gatehouse_trusted_device WHERE expires_at <= $1', [now]);
    return rowCount ?? 0;
  }
}
