/**
 * PostgreSQL API key store (`ApiKeyStore`, table `gatehouse_apikey`, migration 5): the
 * SQLite store's columns and behaviour. Revocations notify the other instances (change
 * kind `token`), so their caches drop a revoked key on the next request.
 */
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore, ApiKeyWithUser, NewApiKeyRecord } from '../types.js';
import { APIKEY_COLUMNS, apiKeyAssignments, toApiKey, type ApiKeyRow } from '../apikey-rows.js';
import { CHANGES_CHANNEL, type Db } from './database.js';
import { USER_COLUMNS, isId, storable, toUser, type UserRow } from './rows.js';

const JOINED = [...APIKEY_COLUMNS.split(', ').map((c) => `k.${c}`), ...USER_COLUMNS.split(', ').map((c) => `u.${c} AS u_${c}`)].join(', ');

/** An `UPDATE … RETURNING 1` as `w` that notifies when it changed any row. */
const changing = (update: string, payloadParam: number) =>
  `WITH w AS (${update} RETURNING 1)
   SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('${CHANGES_CHANNEL}', $${payloadParam}) END AS notified FROM w`;

export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Db) {}

  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord> {
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO gatehouse_apikey (lookup_id, digest, name, user_id, scopes, created_at, expires_at, rate)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [key.lookupId, key.digest, key.name, key.userId, JSON.stringify(key.scopes), key.createdAt, key.expiresAt, key.rate],
    );
    return { ...key, scopes: [...key.scopes], id: (rows[0] as { id: number }).id, lastUsedAt: null, revokedAt: null };
  }

  async findByLookupId(lookupId: string): Promise<ApiKeyWithUser | null> {
    if (!storable(lookupId)) return null;
    const { rows } = await this.db.query<ApiKeyRow & Record<string, unknown>>(
      `SELECT ${JOINED} FROM gatehouse_apikey k LEFT JOIN gatehouse_user u ON u.id = k.user_id WHERE k.lookup_id = $1`,
      [lookupId],
      'gatehouse_apikey_by_lookup',
    );
    const row = rows[0];
    if (!row) return null;
    if (row.u_id === null || row.u_id === undefined) return { key: toApiKey(row), user: null };
    const userRow = {} as Record<string, unknown>;
    for (const c of USER_COLUMNS.split(', ')) userRow[c] = row[`u_${c}`];
    return { key: toApiKey(row), user: toUser(userRow as unknown as UserRow) };
  }

  async get(id: number): Promise<ApiKeyRecord | null> {
    if (!isId(id)) return null;
    const { rows } = await this.db.query<ApiKeyRow>(`SELECT ${APIKEY_COLUMNS} FROM gatehouse_apikey WHERE id = $1`, [id]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async list(userId?: number): Promise<ApiKeyRecord[]> {
    if (userId !== undefined && !isId(userId)) return [];
    const { rows } =
      userId === undefined
        ? await this.db.query<ApiKeyRow>(`SELECT ${APIKEY_COLUMNS} FROM gatehouse_apikey ORDER BY created_at, id`)
        : await this.db.query<ApiKeyRow>(`SELECT ${APIKEY_COLUMNS} FROM gatehouse_apikey WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(toApiKey);
  }

  async touch(id: number, lastUsedAt: number): Promise<void> {
    if (isId(id)) await this.db.query('UPDATE gatehouse_apikey SET last_used_at = $1 WHERE id = $2', [lastUsedAt, id]);
  }

  private async write(update: string, values: unknown[]): Promise<number> {
    const { rows } = await this.db.write<{ n: number }>('token', changing(update, values.length + 1), values, (r) => (r.rows[0]?.n ?? 0) > 0);
    return rows[0]?.n ?? 0;
  }

  async revoke(id: number, now: number): Promise<boolean> {
    if (!isId(id)) return false;
    return (await this.write('UPDATE gatehouse_apikey SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])) > 0;
  }

  async revokeAllForUser(userId: number, now: number): Promise<number> {
    if (!isId(userId)) return 0;
    return this.write('UPDATE gatehouse_apikey SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [now, userId]);
  }

  async update(id: number, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    if (!isId(id)) return null;
    const { columns, values } = apiKeyAssignments(patch);
    if (columns.length > 0) await this.write(`UPDATE gatehouse_apikey SET ${columns.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${columns.length + 1}`, [...values, id]);
    return this.get(id);
  }
}
