/**
 * PostgreSQL implementation of the JWT stores: outstanding refresh/sliding tokens,
 * refresh families (rotation + reuse detection), the access-token denylist, per-user
 * revocation epochs, and the signing-key ring. Same semantics as `../sqlite/jwt.ts`;
 * where SQLite relied on one writer at a time, rows are locked:
 *
 * - `rotate` locks the token's family row, then the presented token's row (`SELECT …
 *   FOR UPDATE`), so concurrent rotations of one token — from any number of instances —
 *   queue on it and exactly one sees it unrotated; what to do is the caller's `decide`
 *   (the JWT layer's one rotation decision), run on the rows read under those locks;
 * - `revokeFamily` and `revokeAllForUser` lock in the same order (the family rows, then
 *   the tokens' rows, in a second statement with a fresh snapshot), so a revocation racing a
 *   rotation either makes it fail (family revoked) or blacklists the token it created;
 * - `blacklist`, `bumpUserEpoch` and `denyAccessToken` are single atomic statements
 *   (upserts, data-modifying CTEs);
 * - key-ring changes take `SHARE ROW EXCLUSIVE` on the key table (rare; serialised as
 *   SQLite serialises them), so "one active key" never fails on a race.
 *
 * Change notifications: the denylist, epochs and keys (as SQLite's local `bump()`), and
 * family revocations (`revokeFamily`, `revokeAllForUser`, reuse detection in `rotate`):
 * session checks cache a family's revoked state per generation, which SQLite's
 * `data_version` invalidates across processes and only a notification can across
 * instances. Recording, blacklisting one refresh token and plain rotation notify nothing
 * (their checks always read the database), so refresh traffic does not flush caches.
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
import { CHANGES_CHANNEL, type Db, type Tx } from './database.js';
import { isId, lockedGeneration, storable } from './rows.js';
import { FAMILY_COLUMNS, KEY_COLUMNS, OUTSTANDING_COLUMNS, toFamily, toOutstanding, toSigningKey, type FamilyRow, type KeyRow, type OutstandingRow } from '../sql-rows.js';
import { StaleGeneration, generationCurrent } from '../generation.js';


/** `$n` as "the user id if that user exists, else NULL" (tokens may name users this server does not know). */
const knownUser = (n: number) => `(SELECT id FROM gatehouse_user WHERE id = $${n})`;
/** A user id parameter: non-integers name no user. */
const userParam = (id: number | null): number | null => (isId(id) ? id : null);

const INSERT_TOKEN = `INSERT INTO gatehouse_jwt_outstanding (jti, user_id, token_type, family_id, created_at, expires_at)
  VALUES ($1, ${knownUser(2)}, $3, $4, $5, $6) ON CONFLICT (jti) DO NOTHING`;
const INSERT_FAMILY = `INSERT INTO gatehouse_jwt_family (id, user_id, created_at, not_after)
  VALUES ($1, ${knownUser(2)}, $3, $4) ON CONFLICT (id) DO NOTHING`;
const tokenParams = (t: NewOutstandingToken): unknown[] => [t.jti, userParam(t.userId), t.tokenType, t.familyId, t.createdAt, t.expiresAt];

type Query = Pick<Tx, 'query'>;

export class PostgresJwtStore implements JwtStore {
  constructor(private readonly db: Db) {}

  private insertToken(q: Query, t: NewOutstandingToken): Promise<unknown> {
    return q.query(INSERT_TOKEN, tokenParams(t));
  }

  async recordOutstanding(token: NewOutstandingToken, familyNotAfter: number | null = null, generation?: number): Promise<void> {
    if (generation === undefined) return this.record(this.db, token, familyNotAfter);
    // The user's generation read under its row lock, then the insert, in one transaction (src/stores/generation.ts).
    const recorded = await this.db.tx(async (t) => {
      if (!generationCurrent(generation, await lockedGeneration(t, token.userId))) return false;
      await this.record(t, token, familyNotAfter);
      return true;
    });
    if (!recorded) throw new StaleGeneration();
  }

  private async record(q: Query, token: NewOutstandingToken, familyNotAfter: number | null): Promise<void> {
    if (!token.familyId) {
      await this.insertToken(q, token);
      return;
    }
    // One statement: the family (if new) and the token, atomically.
    await q.query(
      `WITH f AS (INSERT INTO gatehouse_jwt_family (id, user_id, created_at, not_after)
                  VALUES ($4, ${knownUser(2)}, $5, $7) ON CONFLICT (id) DO NOTHING)
       INSERT INTO gatehouse_jwt_outstanding (jti, user_id, token_type, family_id, created_at, expires_at)
       VALUES ($1, ${knownUser(2)}, $3, $4, $5, $6) ON CONFLICT (jti) DO NOTHING`,
      [...tokenParams(token), familyNotAfter],
    );
  }

  async getOutstanding(jti: string): Promise<OutstandingToken | null> {
    if (!storable(jti)) return null;
    const { rows } = await this.db.query<OutstandingRow>(
      `SELECT ${OUTSTANDING_COLUMNS} FROM gatehouse_jwt_outstanding WHERE jti = $1`,
      [jti],
      'gatehouse_outstanding_get',
    );
    return rows[0] ? toOutstanding(rows[0]) : null;
  }

  async getFamily(id: string): Promise<RefreshFamily | null> {
    if (!storable(id)) return null;
    const { rows } = await this.db.query<FamilyRow>(`SELECT ${FAMILY_COLUMNS} FROM gatehouse_jwt_family WHERE id = $1`, [id], 'gatehouse_family_get');
    return rows[0] ? toFamily(rows[0]) : null;
  }

  async blacklist(token: NewOutstandingToken, now: number): Promise<boolean> {
    // Record-if-unknown and blacklist-if-not-yet in one atomic upsert: a row comes back
    // only when it was inserted or its blacklisted_at was still NULL.
    const { rowCount } = await this.db.query(
      `INSERT INTO gatehouse_jwt_outstanding (jti, user_id, token_type, family_id, created_at, expires_at, blacklisted_at)
       VALUES ($1, ${knownUser(2)}, $3, $4, $5, $6, $7)
       ON CONFLICT (jti) DO UPDATE SET blacklisted_at = EXCLUDED.blacklisted_at
         WHERE gatehouse_jwt_outstanding.blacklisted_at IS NULL
       RETURNING 1`,
      [...tokenParams(token), now],
    );
    return (rowCount ?? 0) > 0;
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    return this.db.tx(async (t): Promise<RotateResult> => {
      const { current, next, now } = input;
      // Lock order, the same as every family revocation: the family's row, then the
      // token's. A revocation that comes first makes this wait and then see it revoked; one
      // that comes second waits for this commit and then blacklists the new token too.
      const known = (await t.query<{ family_id: string | null }>('SELECT family_id FROM gatehouse_jwt_outstanding WHERE jti = $1', [current.jti])).rows[0];
      if (known?.family_id) await t.query('SELECT 1 FROM gatehouse_jwt_family WHERE id = $1 FOR UPDATE', [known.family_id]);
      const lock = `SELECT ${OUTSTANDING_COLUMNS} FROM gatehouse_jwt_outstanding WHERE jti = $1 FOR UPDATE`;
      let row = (await t.query<OutstandingRow>(lock, [current.jti])).rows[0];
      if (!row) {
        // Unknown token: record it (a concurrent recorder makes this wait, then do nothing)
        // and lock the row that now exists.
        await this.insertToken(t, current);
        row = (await t.query<OutstandingRow>(lock, [current.jti])).rows[0];
        if (!row) throw new Error(`rotate: outstanding token ${current.jti} vanished`);
      }
      let familyId = row.family_id;
      if (!familyId) {
        familyId = current.familyId ?? newFamilyId();
        await t.query(INSERT_FAMILY, [familyId, userParam(current.userId), now, input.familyNotAfter]);
        await t.query('UPDATE gatehouse_jwt_outstanding SET family_id = $1 WHERE jti = $2', [familyId, row.jti]);
        row = { ...row, family_id: familyId };
      }
      // Read under the family's lock: every rotation of the family holds it, so the
      // replacement's row (was it rotated in turn?) cannot change until this commits.
      const replacement = row.replaced_by === null ? undefined : (await t.query<OutstandingRow>(`SELECT ${OUTSTANDING_COLUMNS} FROM gatehouse_jwt_outstanding WHERE jti = $1`, [row.replaced_by])).rows[0];
      const family = (await t.query<FamilyRow>(`SELECT ${FAMILY_COLUMNS} FROM gatehouse_jwt_family WHERE id = $1`, [familyId])).rows[0];
      const action = input.decide({
        token: toOutstanding(row),
        replacement: replacement ? toOutstanding(replacement) : null,
        family: family ? toFamily(family) : null,
      });
      if (action.kind === 'rotate') {
        await t.query(
          `UPDATE gatehouse_jwt_outstanding SET replaced_by = $1, replaced_at = $2, replacement_iat = $3, replacement_exp = $4,
             blacklisted_at = CASE WHEN $5 THEN $2::bigint ELSE blacklisted_at END
           WHERE jti = $6`,
          [next.jti, now, next.iat, next.exp, action.blacklistCurrent, row.jti],
        );
        await this.insertToken(t, { ...next, familyId });
      } else if (action.kind === 'revoke_family') {
        await t.query(
          `WITH f AS (UPDATE gatehouse_jwt_family SET revoked_at = $1, reason = 'reuse' WHERE id = $2 AND revoked_at IS NULL)
           UPDATE gatehouse_jwt_outstanding SET blacklisted_at = $1 WHERE family_id = $2 AND blacklisted_at IS NULL`,
          [now, familyId],
        );
        await t.notify('family');
      }
      return resultOf(action, familyId);
    });
  }

  async revokeFamily(familyId: string, now: number, reason: string): Promise<void> {
    if (!storable(familyId)) return;
    await this.db.tx(async (t) => {
      const f = await t.query('UPDATE gatehouse_jwt_family SET revoked_at = $1, reason = $2 WHERE id = $3 AND revoked_at IS NULL', [now, reason, familyId]);
      // A second statement, so a fresh snapshot: it sees a token that a rotation holding
      // the family's lock inserted just before this transaction got the lock.
      await t.query('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = $1 WHERE family_id = $2 AND blacklisted_at IS NULL', [now, familyId]);
      if ((f.rowCount ?? 0) > 0) await t.notify('family');
    });
  }

  async revokeAllForUser(userId: number, now: number, reason: string): Promise<number> {
    if (!isId(userId)) return 0;
    return this.db.tx(async (t) => {
      const f = await t.query('UPDATE gatehouse_jwt_family SET revoked_at = $1, reason = $2 WHERE user_id = $3 AND revoked_at IS NULL', [now, reason, userId]);
      // Second statement, fresh snapshot (see revokeFamily).
      const o = await t.query('UPDATE gatehouse_jwt_outstanding SET blacklisted_at = $1 WHERE user_id = $2 AND blacklisted_at IS NULL', [now, userId]);
      const n = o.rowCount ?? 0;
      if ((f.rowCount ?? 0) + n > 0) await t.notify('family');
      return n;
    });
  }

  async denyAccessToken(jti: string, expiresAt: number): Promise<void> {
    await this.db.write(
      'denylist',
      `WITH w AS (INSERT INTO gatehouse_jwt_denied (jti, expires_at) VALUES ($1, $2)
                  ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at RETURNING 1)
       SELECT pg_notify('${CHANGES_CHANNEL}', $3) FROM w`,
      [jti, expiresAt],
      () => true,
    );
  }

  async isAccessTokenDenied(jti: string): Promise<boolean> {
    if (!storable(jti)) return false;
    const { rowCount } = await this.db.query('SELECT 1 FROM gatehouse_jwt_denied WHERE jti = $1', [jti], 'gatehouse_denied_get');
    return (rowCount ?? 0) > 0;
  }

  async userEpoch(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    const { rows } = await this.db.query<{ epoch: number }>(
      'SELECT epoch FROM gatehouse_jwt_user_epoch WHERE user_id = $1',
      [userId],
      'gatehouse_epoch_get',
    );
    return rows[0]?.epoch ?? 0;
  }

  async bumpUserEpoch(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    // Upsert only for an existing user (none: 0, nothing notified).
    const { rows } = await this.db.write<{ epoch: number }>(
      'epoch',
      `WITH w AS (INSERT INTO gatehouse_jwt_user_epoch (user_id, epoch) SELECT id, 1 FROM gatehouse_user WHERE id = $1
                  ON CONFLICT (user_id) DO UPDATE SET epoch = gatehouse_jwt_user_epoch.epoch + 1 RETURNING epoch)
       SELECT epoch, pg_notify('${CHANGES_CHANNEL}', $2) FROM w`,
      [userId],
      (r) => r.rows.length > 0,
    );
    return rows[0]?.epoch ?? 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db.tx(async (t) => {
      const tokens = await t.query('DELETE FROM gatehouse_jwt_outstanding WHERE expires_at <= $1', [now]);
      const denied = await t.query('DELETE FROM gatehouse_jwt_denied WHERE expires_at <= $1', [now]);
      await t.query(
        `DELETE FROM gatehouse_jwt_family f WHERE NOT EXISTS
           (SELECT 1 FROM gatehouse_jwt_outstanding o WHERE o.family_id = f.id)`,
      );
      return (tokens.rowCount ?? 0) + (denied.rowCount ?? 0);
    });
  }
}

/** Key-ring writes are rare: serialise them against each other (reads are not blocked). */
const LOCK_KEYS = 'LOCK TABLE gatehouse_signing_key IN SHARE ROW EXCLUSIVE MODE';

export class PostgresKeyStore implements KeyStore {
  constructor(private readonly db: Db) {}

  async listKeys(): Promise<StoredSigningKey[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
    const { rows } = await this.db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM gatehouse_signing_key ORDER BY created_at, kid COLLATE "C"`,
      [],
      'gatehouse_keys_list',
    );
    return rows.map(toSigningKey);
  }

  async insertKey(key: StoredSigningKey): Promise<void> {
    await this.db.tx(async (t) => {
      await t.query(LOCK_KEYS);
      if (key.status === 'active') await t.query("UPDATE gatehouse_signing_key SET status = 'verify' WHERE status = 'active'");
      await t.query(
        'INSERT INTO gatehouse_signing_key (kid, alg, status, created_at, retired_at, public_jwk, encrypted_key) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [key.kid, key.alg, key.status, key.createdAt, key.retiredAt, key.publicJwk, key.encryptedKey],
      );
      await t.notify('key');
    });
  }

  async activateKey(kid: string): Promise<boolean> {
    if (!storable(kid)) return false;
    return this.db.tx(async (t) => {
      await t.query(LOCK_KEYS);
      const { rows } = await t.query<{ status: string }>('SELECT status FROM gatehouse_signing_key WHERE kid = $1', [kid]);
      const status = rows[0]?.status;
      if (status === undefined || status === 'retired') return false;
      await t.query("UPDATE gatehouse_signing_key SET status = 'verify' WHERE status = 'active'");
      await t.query("UPDATE gatehouse_signing_key SET status = 'active' WHERE kid = $1", [kid]);
      await t.notify('key');
      return true;
    });
  }

  async retireKey(kid: string, now: number): Promise<boolean> {
    if (!storable(kid)) return false;
    return this.db.tx(async (t) => {
      await t.query(LOCK_KEYS);
      const { rowCount } = await t.query("UPDATE gatehouse_signing_key SET status = 'retired', retired_at = $1 WHERE kid = $2 AND status != 'retired'", [now, kid]);
      if (!rowCount) return false;
      await t.notify('key');
      return true;
    });
  }
}
