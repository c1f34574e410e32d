/**
 * SQLite API key store (`ApiKeyStore`, table `gatehouse_apikey`, migration 5). Scopes are
 * a JSON array of strings; an owner's deletion cascades to its keys. The lookup by id is
 * one indexed query joined with the owner.
 */
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore, ApiKeyWithUser, NewApiKeyRecord } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { USER_COLUMNS, toUser, type UserRow } from './rows.js';
import { APIKEY_COLUMNS, apiKeyAssignments, toApiKey, type ApiKeyRow } from '../apikey-rows.js';

const COLUMNS = APIKEY_COLUMNS;

export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly insert;
  private readonly byLookup;
  private readonly byId;
  private readonly listAll;
  private readonly listOwner;
  private readonly touchStmt;
  private readonly revokeStmt;
  private readonly revokeOwner;
  constructor(private readonly db: SqliteDatabase, private readonly changes: { bump(): void }) {
    this.insert = db.prepare(
      `INSERT INTO gatehouse_apikey (lookup_id, digest, name, user_id, scopes, created_at, expires_at, rate)
       VALUES (@lookupId, @digest, @name, @userId, @scopes, @createdAt, @expiresAt, @rate)`,
    );
    const u = USER_COLUMNS.split(', ').map((c) => `u.${c} AS u_${c}`).join(', ');
    const k = COLUMNS.split(', ').map((c) => `k.${c}`).join(', ');
    this.byLookup = db.prepare(`SELECT ${k}, ${u} FROM gatehouse_apikey k LEFT JOIN gatehouse_user u ON u.id = k.user_id WHERE k.lookup_id = ?`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM gatehouse_apikey WHERE id = ?`);
    this.listAll = db.prepare(`SELECT ${COLUMNS} FROM gatehouse_apikey ORDER BY created_at, id`);
    this.listOwner = db.prepare(`SELECT ${COLUMNS} FROM gatehouse_apikey WHERE user_id = ? ORDER BY created_at, id`);
    this.touchStmt = db.prepare('UPDATE gatehouse_apikey SET last_used_at = ? WHERE id = ?');
    this.revokeStmt = db.prepare('UPDATE gatehouse_apikey SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.revokeOwner = db.prepare('UPDATE gatehouse_apikey SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
  }
  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord> {
    const info = this.insert.run({ ...key, scopes: JSON.stringify(key.scopes) });
    return { ...key, scopes: [...key.scopes], id: Number(info.lastInsertRowid), lastUsedAt: null, revokedAt: null };
  }
  async findByLookupId(lookupId: string): Promise<ApiKeyWithUser | null> {
    const row = this.byLookup.get(lookupId) as (ApiKeyRow & Record<string, unknown>) | undefined;
    if (!row) return null;
    if (row.u_id === null || row.u_id === undefined) return { key: toApiKey(row), user: null };
    const userRow = {} as Record<string, unknown>;
    for (const c of USER_COLUMNS.split(', ')) userRow[c] = row[`u_${c}`];
    return { key: toApiKey(row), user: toUser(userRow as unknown as UserRow) };
  }
  async get(id: number): Promise<ApiKeyRecord | null> {
    const row = this.byId.get(id) as ApiKeyRow | undefined;
    return row ? toApiKey(row) : null;
  }
  async list(userId?: number): Promise<ApiKeyRecord[]> {
    const rows = (userId === undefined ? this.listAll.all() : this.listOwner.all(userId)) as ApiKeyRow[];
    return rows.map(toApiKey);
  }
  async touch(id: number, lastUsedAt: number): Promise<void> {
    this.touchStmt.run(lastUsedAt, id);
  }
  async revoke(id: number, now: number): Promise<boolean> {
    const changed = this.revokeStmt.run(now, id).changes > 0;
    if (changed) this.changes.bump();
    return changed;
  }
  async revokeAllForUser(userId: number, now: number): Promise<number> {
    const n = this.revokeOwner.run(now, userId).changes;
    if (n > 0) this.changes.bump();
    return n;
  }
  async update(id: number, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    const { columns, values } = apiKeyAssignments(patch);
    if (columns.length > 0 && this.db.prepare(`UPDATE gatehouse_apikey SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...values, id).changes > 0) {
      this.changes.bump();
    }
    return this.get(id);
  }
}
