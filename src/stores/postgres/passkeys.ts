/**
 * PostgreSQL passkey store (`PasskeyStore`, migration 8): the SQLite store's tables and
 * behaviour. A registration locks its user's row while it counts and inserts, so
 * concurrent registrations on any instance never exceed the limit; a challenge is taken
 * with one `DELETE … RETURNING` (one winner among instances).
 */
import { PasskeyExists, PasskeyLimitReached, type NewPasskeyRecord, type PasskeyRecord, type PasskeyStore, type PasskeyUse, type WebAuthnCeremony, type WebAuthnChallenge } from '../types.js';
import { CHALLENGE_COLUMNS, PASSKEY_COLUMNS, acceptedChallenge, toPasskey, type ChallengeRow, type PasskeyRow } from '../passkey-rows.js';
import { isDatabaseError, type Db } from './database.js';
import { isId, lockedGeneration, storable } from './rows.js';

type Created = PasskeyRecord | 'exists' | 'limit' | 'no_user';

export class PostgresPasskeyStore implements PasskeyStore {
  constructor(private readonly db: Db) {}

  async create(record: NewPasskeyRecord, maxPerUser: number): Promise<PasskeyRecord> {
    const created = await this.db
      .tx(async (t): Promise<Created> => {
        if ((await lockedGeneration(t, record.userId, 'FOR NO KEY UPDATE')) === null) return 'no_user';
        const { rows } = await t.query<{ n: number }>('SELECT count(*)::int AS n FROM gatehouse_passkey WHERE user_id = $1', [record.userId]);
        if ((rows[0]?.n ?? 0) >= maxPerUser) return 'limit';
        const inserted = await t.query<{ id: number }>(
          `INSERT INTO gatehouse_passkey (credential_id, user_id, public_key, counter, transports, device_type, backed_up, name, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
          [record.credentialId, record.userId, record.publicKey, record.counter, JSON.stringify(record.transports), record.deviceType, record.backedUp, record.name, record.createdAt],
        );
        const id = inserted.rows[0]?.id;
        return id === undefined ? 'exists' : { ...record, transports: [...record.transports], id, lastUsedAt: null };
      })
      .catch((e: unknown) => {
        if (isDatabaseError(e) && e.code === '23505') return 'exists' as const;
        throw e;
      });
    if (created === 'exists') throw new PasskeyExists();
    if (created === 'limit') throw new PasskeyLimitReached();
    if (created === 'no_user') throw new Error('no such user');
    return created;
  }

  async findByCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    if (!storable(credentialId)) return null;
    const { rows } = await this.db.query<PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM gatehouse_passkey WHERE credential_id = $1`, [credentialId], 'gatehouse_passkey_by_credential');
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async listForUser(userId: number): Promise<PasskeyRecord[]> {
    if (!isId(userId)) return [];
    const { rows } = await this.db.query<PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM gatehouse_passkey WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(toPasskey);
  }

  async rename(userId: number, id: number, name: string): Promise<PasskeyRecord | null> {
    if (!isId(userId) || !isId(id) || !storable(name)) return null;
    const { rows } = await this.db.query<PasskeyRow>(`UPDATE gatehouse_passkey SET name = $1 WHERE id = $2 AND user_id = $3 RETURNING ${PASSKEY_COLUMNS}`, [name, id, userId]);
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async delete(userId: number, id: number): Promise<boolean> {
    if (!isId(userId) || !isId(id)) return false;
    return ((await this.db.query('DELETE FROM gatehouse_passkey WHERE id = $1 AND user_id = $2', [id, userId])).rowCount ?? 0) > 0;
  }

  async recordUse(id: number, expectedCounter: number, use: PasskeyUse): Promise<boolean> {
    if (!isId(id)) return false;
    const { rowCount } = await this.db.query(
      'UPDATE gatehouse_passkey SET counter = $1, backed_up = $2, last_used_at = $3 WHERE id = $4 AND counter = $5',
      [use.counter, use.backedUp, use.lastUsedAt, id, expectedCounter],
    );
    return (rowCount ?? 0) > 0;
  }

  async saveChallenge(challenge: WebAuthnChallenge, now: number): Promise<void> {
    await this.deleteExpiredChallenges(now);
    await this.db.query('INSERT INTO gatehouse_webauthn_challenge (challenge, ceremony, user_id, expires_at) VALUES ($1, $2, $3, $4)', [
      challenge.challenge,
      challenge.ceremony,
      challenge.userId,
      challenge.expiresAt,
    ]);
  }

  async consumeChallenge(challenge: string, ceremony: WebAuthnCeremony, now: number): Promise<WebAuthnChallenge | null> {
    if (!storable(challenge)) return null;
    const { rows } = await this.db.query<ChallengeRow>(`DELETE FROM gatehouse_webauthn_challenge WHERE challenge = $1 RETURNING ${CHALLENGE_COLUMNS}`, [challenge]);
    return acceptedChallenge(rows[0], ceremony, now);
  }

  async deleteExpiredChallenges(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM gatehouse_webauthn_challenge WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
