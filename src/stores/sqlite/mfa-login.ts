/**
 * SQLite MFA ticket and trusted device stores (tables `gatehouse_mfa_ticket` and
 * `gatehouse_trusted_device`, migration 7). A user's deletion cascades to both. Each
 * write is one statement, so `fail` and `consume` are atomic across processes too.
 */
import type { MfaTicketRecord, MfaTicketStore, NewMfaTicket, TrustedDeviceRecord, TrustedDeviceStore } from '../types.js';
import { MFA_TICKET_COLUMNS, TRUSTED_DEVICE_COLUMNS, toMfaTicket, toTrustedDevice, type MfaTicketRow, type TrustedDeviceRow } from '../mfa-login-rows.js';
import type { SqliteDatabase } from './database.js';

export class SqliteMfaTicketStore implements MfaTicketStore {
  private readonly insert;
  private readonly byDigest;
  private readonly failStmt;
  private readonly consumeStmt;
  private readonly expired;
  constructor(db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT INTO gatehouse_mfa_ticket (${MFA_TICKET_COLUMNS})
       VALUES (@digest, @userId, @endpoint, @client, @generation, @createdAt, @expiresAt, @attemptsLeft, NULL)`,
    );
    this.byDigest = db.prepare(`SELECT ${MFA_TICKET_COLUMNS} FROM gatehouse_mfa_ticket WHERE digest = ?`);
    this.failStmt = db.prepare('UPDATE gatehouse_mfa_ticket SET attempts_left = MAX(attempts_left - 1, 0) WHERE digest = ? RETURNING attempts_left').pluck();
    this.consumeStmt = db.prepare('UPDATE gatehouse_mfa_ticket SET used_at = ? WHERE digest = ? AND used_at IS NULL AND expires_at > ? AND attempts_left > 0');
    this.expired = db.prepare('DELETE FROM gatehouse_mfa_ticket WHERE expires_at <= ?');
  }
  async create(ticket: NewMfaTicket): Promise<void> {
    this.insert.run(ticket);
  }
  async get(digest: string): Promise<MfaTicketRecord | null> {
    const row = this.byDigest.get(digest) as MfaTicketRow | undefined;
    return row ? toMfaTicket(row) : null;
  }
  async fail(digest: string): Promise<number | null> {
    const left = this.failStmt.get(digest) as number | undefined;
    return left ?? null;
  }
  async consume(digest: string, now: number): Promise<boolean> {
    return this.consumeStmt.run(now, digest, now).changes === 1;
  }
  async deleteExpired(now: number): Promise<number> {
    return this.expired.run(now).changes;
  }
}

export class SqliteTrustedDeviceStore implements TrustedDeviceStore {
  private readonly insert;
  private readonly byId;
  private readonly byUser;
  private readonly touchStmt;
  private readonly deleteOne;
  private readonly deleteUser;
  private readonly expired;
  constructor(db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT INTO gatehouse_trusted_device (${TRUSTED_DEVICE_COLUMNS})
       VALUES (@id, @userId, @digest, @generation, @label, @createdAt, @lastUsedAt, @expiresAt)`,
    );
    this.byId = db.prepare(`SELECT ${TRUSTED_DEVICE_COLUMNS} FROM gatehouse_trusted_device WHERE id = ?`);
    this.byUser = db.prepare(`SELECT ${TRUSTED_DEVICE_COLUMNS} FROM gatehouse_trusted_device WHERE user_id = ? ORDER BY created_at, id`);
    this.touchStmt = db.prepare('UPDATE gatehouse_trusted_device SET last_used_at = ? WHERE id = ?');
    this.deleteOne = db.prepare('DELETE FROM gatehouse_trusted_device WHERE id = ? AND user_id = ?');
    this.deleteUser = db.prepare('DELETE FROM gatehouse_trusted_device WHERE user_id = ?');
    this.expired = db.prepare('DELETE FROM gatehouse_trusted_device WHERE expires_at <= ?');
  }
  async create(device: TrustedDeviceRecord): Promise<void> {
    this.insert.run(device);
  }
  async get(id: string): Promise<TrustedDeviceRecord | null> {
    const row = this.byId.get(id) as TrustedDeviceRow | undefined;
    return row ? toTrustedDevice(row) : null;
  }
  async list(userId: number): Promise<TrustedDeviceRecord[]> {
    return (this.byUser.all(userId) as TrustedDeviceRow[]).map(toTrustedDevice);
  }
  async touch(id: string, lastUsedAt: number): Promise<void> {
    this.touchStmt.run(lastUsedAt, id);
  }
  async delete(id: string, userId: number): Promise<boolean> {
    return this.deleteOne.run(id, userId).changes > 0;
  }
  async deleteAllForUser(userId: number): Promise<number> {
    return this.deleteUser.run(userId).changes;
  }
  async deleteExpired(now: number): Promise<number> {
    return this.expired.run(now).changes;
  }
}
