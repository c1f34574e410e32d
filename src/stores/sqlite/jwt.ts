/**
 * SQLite implementation of the JWT stores: outstanding refresh/sliding tokens,
 * refresh families (rotation + reuse detection), the access-token denylist, per-user
 * revocation epochs, and the signing-key ring. A rotation runs the caller's decision
 * (`RotateInput.decide`) inside one `BEGIN IMMEDIATE` transaction.
 */
import { newFamilyId, resultOf } from '../rotation-result.js';
import type {
  JwtStore,
  KeyStore,
  NewOutstandingToken,
  OutstandingToken,
  RefreshFamily,
  RotateInput,
  RotateResult,
  StoredSigningKey,
} from '../types.js';
import type { SqliteDatabase } from './database.js';
import { requireGeneration } from '../generation.js';
import { GENERATION_SQL } from './rows.js';
import { KEY_COLUMNS, toFamily, toOutstanding, toSigningKey, type FamilyRow, type KeyRow, type OutstandingRow } from '../sql-rows.js';


/** Something that moves the store's change signal (see `ChangeSignal`). */
export interface Bump {
  bump(): void;
}

export class SqliteJwtStore implements JwtStore {
  private readonly s;

  constructor(private readonly db: SqliteDatabase, private readonly changes: Bump) {
    this.s = {
      get: db.prepare('SELECT * FROM gatehouse_jwt_outstanding WHERE jti = ?'),
      getFamily: db.prepare('SELECT * FROM gatehouse_jwt_family WHERE id = ?'),
      insert: db.prepare(
        `INSERT OR IGNORE INTO gatehouse_jwt_outstanding (jti, user_id, token_type, family_id, created_at, expires_at)
         VALUES (@jti, @userId, @tokenType, @familyId, @createdAt, @expiresAt)`,
      ),
      insertFamily: db.prepare(
        'INSERT OR IGNORE INTO gatehouse_jwt_family (id, user_id, created_at, not_after) VALUES (?, ?, ?, ?)',
      ),
      setFamily: db.prepare('UPDATE gatehouse_jwt_outstanding SET family_id = ? WHERE jti = ?'),
      blacklist: db.prepare('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = ? WHERE jti = ? AND blacklisted_at IS NULL'),
      replace: db.prepare(
        `UPDATE gatehouse_jwt_outstanding SET replaced_by = ?, replaced_at = ?, replacement_iat = ?, replacement_exp = ?,
           blacklisted_at = CASE WHEN ? THEN ? ELSE blacklisted_at END
         WHERE jti = ?`,
      ),
      revokeFamily: db.prepare('UPDATE gatehouse_jwt_family SET revoked_at = ?, reason = ? WHERE id = ? AND revoked_at IS NULL'),
      blacklistFamily: db.prepare('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = ? WHERE family_id = ? AND blacklisted_at IS NULL'),
      blacklistUser: db.prepare('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = ? WHERE user_id = ? AND blacklisted_at IS NULL'),
      revokeUserFamilies: db.prepare('UPDATE gatehouse_jwt_family SET revoked_at = ?, reason = ? WHERE user_id = ? AND revoked_at IS NULL'),
      deny: db.prepare('INSERT OR REPLACE INTO gatehouse_jwt_denied (jti, expires_at) VALUES (?, ?)'),
      denied: db.prepare('SELECT 1 FROM gatehouse_jwt_denied WHERE jti = ?').pluck(),
      epoch: db.prepare('SELECT epoch FROM gatehouse_jwt_user_epoch WHERE user_id = ?').pluck(),
      bumpEpoch: db.prepare(
        `INSERT INTO gatehouse_jwt_user_epoch (user_id, epoch) VALUES (?, 1)
         ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1 RETURNING epoch`,
      ).pluck(),
      userExists: db.prepare('SELECT 1 FROM gatehouse_user WHERE id = ?').pluck(),
      userGeneration: db.prepare(GENERATION_SQL).pluck(),
      deleteExpired: db.prepare('DELETE FROM gatehouse_jwt_outstanding WHERE expires_at <= ?'),
      deleteDenied: db.prepare('DELETE FROM gatehouse_jwt_denied WHERE expires_at <= ?'),
      deleteFamilies: db.prepare(
        `DELETE FROM gatehouse_jwt_family WHERE NOT EXISTS
           (SELECT 1 FROM gatehouse_jwt_outstanding o WHERE o.family_id = gatehouse_jwt_family.id)`,
      ),
    };
  }

  /** A user id only if the user exists (tokens may name users this server does not know). */
  private knownUser(userId: number | null): number | null {
    return userId !== null && this.s.userExists.get(userId) ? userId : null;
  }

  private insertToken(t: NewOutstandingToken): void {
    this.s.insert.run({ ...t, userId: this.knownUser(t.userId) });
  }

  async recordOutstanding(token: NewOutstandingToken, familyNotAfter: number | null = null, generation?: number): Promise<void> {
    this.db.transaction(() => {
      if (generation !== undefined) {
        const current = token.userId === null ? undefined : (this.s.userGeneration.get(token.userId) as number | undefined);
        requireGeneration(generation, current ?? null);
      }
      if (token.familyId) this.s.insertFamily.run(token.familyId, this.knownUser(token.userId), token.createdAt, familyNotAfter);
      this.insertToken(token);
    }).immediate();
  }

  async getOutstanding(jti: string): Promise<OutstandingToken | null> {
    const row = this.s.get.get(jti) as OutstandingRow | undefined;
    return row ? toOutstanding(row) : null;
  }

  async getFamily(id: string): Promise<RefreshFamily | null> {
    const row = this.s.getFamily.get(id) as FamilyRow | undefined;
    return row ? toFamily(row) : null;
  }

  async blacklist(token: NewOutstandingToken, now: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        this.insertToken(token);
        return this.s.blacklist.run(now, token.jti).changes > 0;
      })
      .immediate();
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    return this.db
      .transaction((): RotateResult => {
        const { current, next, now } = input;
        let row = this.s.get.get(current.jti) as OutstandingRow | undefined;
        if (!row) {
          this.insertToken(current);
          row = this.s.get.get(current.jti) as OutstandingRow;
        }
        let familyId = row.family_id;
        if (!familyId) {
          familyId = current.familyId ?? newFamilyId();
          this.s.insertFamily.run(familyId, this.knownUser(current.userId), now, input.familyNotAfter);
          this.s.setFamily.run(familyId, row.jti);
          row = { ...row, family_id: familyId };
        }
        const replacement = row.replaced_by === null ? undefined : (this.s.get.get(row.replaced_by) as OutstandingRow | undefined);
        const family = this.s.getFamily.get(familyId) as FamilyRow | undefined;
        const action = input.decide({
          token: toOutstanding(row),
          replacement: replacement ? toOutstanding(replacement) : null,
          family: family ? toFamily(family) : null,
        });
        if (action.kind === 'rotate') {
          this.s.replace.run(next.jti, now, next.iat, next.exp, action.blacklistCurrent ? 1 : 0, now, row.jti);
          this.insertToken({ ...next, familyId });
        } else if (action.kind === 'revoke_family') {
          this.s.revokeFamily.run(now, 'reuse', familyId);
          this.s.blacklistFamily.run(now, familyId);
        }
        return resultOf(action, familyId);
      })
      .immediate();
  }

  async revokeFamily(familyId: string, now: number, reason: string): Promise<void> {
    this.db.transaction(() => {
      this.s.revokeFamily.run(now, reason, familyId);
      this.s.blacklistFamily.run(now, familyId);
    }).immediate();
  }

  async revokeAllForUser(userId: number, now: number, reason: string): Promise<number> {
    return this.db
      .transaction(() => {
        this.s.revokeUserFamilies.run(now, reason, userId);
        return this.s.blacklistUser.run(now, userId).changes;
      })
      .immediate();
  }

  async denyAccessToken(jti: string, expiresAt: number): Promise<void> {
    this.s.deny.run(jti, expiresAt);
    this.changes.bump();
  }

  async isAccessTokenDenied(jti: string): Promise<boolean> {
    return this.s.denied.get(jti) !== undefined;
  }

  async userEpoch(userId: number): Promise<number> {
    return (this.s.epoch.get(userId) as number | undefined) ?? 0;
  }

  async bumpUserEpoch(userId: number): Promise<number> {
    if (!this.s.userExists.get(userId)) return 0;
    const epoch = this.s.bumpEpoch.get(userId) as number;
    this.changes.bump();
    return epoch;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db
      .transaction(() => {
        const n = this.s.deleteExpired.run(now).changes + this.s.deleteDenied.run(now).changes;
        this.s.deleteFamilies.run();
        return n;
      })
      .immediate();
  }
}

export class SqliteKeyStore implements KeyStore {
  constructor(private readonly db: SqliteDatabase, private readonly changes: Bump) {}

  async listKeys(): Promise<StoredSigningKey[]> {
    const rows = this.db.prepare(`SELECT ${KEY_COLUMNS} FROM gatehouse_signing_key ORDER BY created_at, kid`).all() as KeyRow[];
    return rows.map(toSigningKey);
  }

  async insertKey(key: StoredSigningKey): Promise<void> {
    this.db.transaction(() => {
      if (key.status === 'active') this.db.prepare("UPDATE gatehouse_signing_key SET status = 'verify' WHERE status = 'active'").run();
      this.db
        .prepare(
          'INSERT INTO gatehouse_signing_key (kid, alg, status, created_at, retired_at, public_jwk, encrypted_key) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(key.kid, key.alg, key.status, key.createdAt, key.retiredAt, key.publicJwk, key.encryptedKey);
    }).immediate();
    this.changes.bump();
  }

  async activateKey(kid: string): Promise<boolean> {
    const ok = this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT status FROM gatehouse_signing_key WHERE kid = ?').pluck().get(kid) as string | undefined;
        if (row === undefined || row === 'retired') return false;
        this.db.prepare("UPDATE gatehouse_signing_key SET status = 'verify' WHERE status = 'active'").run();
        this.db.prepare("UPDATE gatehouse_signing_key SET status = 'active' WHERE kid = ?").run(kid);
        return true;
      })
      .immediate();
    if (ok) this.changes.bump();
    return ok;
  }

  async retireKey(kid: string, now: number): Promise<boolean> {
    const ok =
      this.db
        .prepare("UPDATE gatehouse_signing_key SET status = 'retired', retired_at = ? WHERE kid = ? AND status != 'retired'")
        .run(now, kid).changes > 0;
    if (ok) this.changes.bump();
    return ok;
  }
}
