/**
 * SQLite passkey store (`PasskeyStore`, tables `gatehouse_passkey` and
 * `gatehouse_webauthn_challenge`, migration 8). Counting a user's passkeys and inserting
 * run in one IMMEDIATE transaction; a challenge is taken with one `DELETE … RETURNING`.
 * A user's deletion cascades to both tables.
 */
import { PasskeyExists, PasskeyLimitReached, type NewPasskeyRecord, type PasskeyRecord, type PasskeyStore, type PasskeyUse, type WebAuthnCeremony, type WebAuthnChallenge } from '../types.js';
import { CHALLENGE_COLUMNS, PASSKEY_COLUMNS, acceptedChallenge, toPasskey, type ChallengeRow, type PasskeyRow } from '../passkey-rows.js';
import type { SqliteDatabase } from './database.js';

const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export class SqlitePasskeyStore implements PasskeyStore {
  private readonly insert;
  private readonly count;
  private readonly byCredential;
  private readonly byId;
  private readonly listStmt;
  private readonly renameStmt;
  private readonly deleteStmt;
  private readonly useStmt;
  private readonly insertChallenge;
  private readonly takeChallenge;
  private readonly purge;
  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT INTO gatehouse_passkey (credential_id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at)
       VALUES (@credentialId, @userId, @publicKey, @counter, @transports, @deviceType, @backedUp, @name, @createdAt)`,
    );
    this.count = db.prepare('SELECT count(*) FROM gatehouse_passkey WHERE user_id = ?').pluck();
    this.byCredential = db.prepare(`SELECT ${PASSKEY_COLUMNS} FROM gatehouse_passkey WHERE credential_id = ?`);
    this.byId = db.prepare(`SELECT ${PASSKEY_COLUMNS} FROM gatehouse_passkey WHERE id = ? AND user_id = ?`);
    this.listStmt = db.prepare(`SELECT ${PASSKEY_COLUMNS} FROM gatehouse_passkey WHERE user_id = ? ORDER BY created_at, id`);
    this.renameStmt = db.prepare('UPDATE gatehouse_passkey SET name = ? WHERE id = ? AND user_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM gatehouse_passkey WHERE id = ? AND user_id = ?');
    this.useStmt = db.prepare('UPDATE gatehouse_passkey SET counter = ?, backed_up = ?, last_used_at = ? WHERE id = ? AND counter = ?');
    this.insertChallenge = db.prepare('INSERT INTO gatehouse_webauthn_challenge (challenge, ceremony, user_id, expires_at) VALUES (?, ?, ?, ?)');
    this.takeChallenge = db.prepare(`DELETE FROM gatehouse_webauthn_challenge WHERE challenge = ? RETURNING ${CHALLENGE_COLUMNS}`);
    this.purge = db.prepare('DELETE FROM gatehouse_webauthn_challenge WHERE expires_at <= ?');
  }

  async create(record: NewPasskeyRecord, maxPerUser: number): Promise<PasskeyRecord> {
    const run = this.db.transaction((): PasskeyRecord => {
      if (this.byCredential.get(record.credentialId)) throw new PasskeyExists();
      if ((this.count.get(record.userId) as number) >= maxPerUser) throw new PasskeyLimitReached();
      const info = this.insert.run({ ...record, transports: JSON.stringify(record.transports), backedUp: record.backedUp ? 1 : 0 });
      return { ...record, transports: [...record.transports], id: Number(info.lastInsertRowid), lastUsedAt: null };
    });
    try {
      return run.immediate();
    } catch (e) {
      throw isUniqueViolation(e) ? new PasskeyExists() : e;
    }
  }
  async findByCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    const row = this.byCredential.get(credentialId) as PasskeyRow | undefined;
    return row ? toPasskey(row) : null;
  }
  async listForUser(userId: number): Promise<PasskeyRecord[]> {
    return (this.listStmt.all(userId) as PasskeyRow[]).map(toPasskey);
  }
  async rename(userId: number, id: number, name: string): Promise<PasskeyRecord | null> {
    if (this.renameStmt.run(name, id, userId).changes === 0) return null;
    return toPasskey(this.byId.get(id, userId) as PasskeyRow);
  }
  async delete(userId: number, id: number): Promise<boolean> {
    return this.deleteStmt.run(id, userId).changes > 0;
  }
  async recordUse(id: number, expectedCounter: number, use: PasskeyUse): Promise<boolean> {
    return this.useStmt.run(use.counter, use.backedUp ? 1 : 0, use.lastUsedAt, id, expectedCounter).changes > 0;
  }
  async saveChallenge(challenge: WebAuthnChallenge, now: number): Promise<void> {
    this.purge.run(now);
    this.insertChallenge.run(challenge.challenge, challenge.ceremony, challenge.userId, challenge.expiresAt);
  }
  async consumeChallenge(challenge: string, ceremony: WebAuthnCeremony, now: number): Promise<WebAuthnChallenge | null> {
    return acceptedChallenge(this.takeChallenge.get(challenge) as ChallengeRow | undefined, ceremony, now);
  }
  async deleteExpiredChallenges(now: number): Promise<number> {
    return this.purge.run(now).changes;
  }
}
