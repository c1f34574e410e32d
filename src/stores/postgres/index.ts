/**
 * The PostgreSQL store (`pg`): users, opaque tokens, JWT revocation state and the key
 * ring, for several stateless Gatehouse instances on one database.
 *
 * Same contract and semantics as the SQLite store (one contract suite runs against
 * both). What SQLite got from being one file with one writer at a time, this store gets
 * from transactions and row locks (token limit: the user's row; rotation: the token's
 * row), and from a change signal carried by `LISTEN`/`NOTIFY` across instances, failing
 * closed while the listening connection is down (see `changes.ts`).
 *
 * Failures (an unreachable server, a timeout) reject the store method, which the HTTP
 * layer answers 503 with `Retry-After`; connecting is bounded by `connectTimeoutMs`
 * (2 s), statements by `statementTimeoutMs` (5 s), and the pool reconnects by itself.
 *
 *     const stores = await PostgresStores.open('postgres://gatehouse@db/app', { schema: 'gatehouse' });
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { User } from '../../core/user.js';
import type {
  ChangeSignal,
  JwtStore,
  KeyStore,
  NewTokenRecord,
  NewUser,
  Stores,
  TokenLimit,
  TokenRecord,
  TokenStore,
  TokenWithUser,
  UserPatch,
  UserStore,
} from '../types.js';
import { TokenLimitReached, UsernameTaken } from '../types.js';
import { emailKey } from '../email-key.js';
import { StaleGeneration, generationCurrent } from '../generation.js';
import { tokensToEvict } from '../token-limit.js';
import { HASH_PROFILE_KEY_POSTGRES } from '../hash-profile.js';
import { PgChanges } from './changes.js';
import { PostgresApiKeyStore } from './apikeys.js';
import { PostgresPasskeyStore } from './passkeys.js';
import { PostgresMfaTicketStore, PostgresTrustedDeviceStore } from './mfa-login.js';
import { PostgresMfaStore } from './mfa.js';
import { CHANGES_CHANNEL, Db, isDatabaseError, migrate, resolveConfig, resolveSchema, type PostgresOptions } from './database.js';
import { PostgresJwtStore, PostgresKeyStore } from './jwt.js';
import { TOKEN_COLUMNS, USER_COLUMNS, isId, lockedGeneration, storable, toToken, toUser, type TokenRow, type UserRow } from './rows.js';

export { CHANGES_CHANNEL, isPostgresUrl, migrate, redactUrl, resolveConfig, schemaVersion } from './database.js';
export type { ChangeKind, PostgresOptions } from './database.js';
export { MIGRATIONS } from './migrations.js';
export { PgChanges } from './changes.js';

type Column = [string, string | number | boolean | null];

/** The columns a patch sets, with their values. */
function patchColumns(patch: UserPatch): Column[] {
  const columns: Column[] = [];
  if (patch.username !== undefined) columns.push(['username', patch.username]);
  if (patch.email !== undefined) columns.push(['email', patch.email], ['email_key', emailKey(patch.email)]);
  if (patch.emailVerified !== undefined) columns.push(['email_verified', patch.emailVerified]);
  if (patch.firstName !== undefined) columns.push(['first_name', patch.firstName]);
  if (patch.lastName !== undefined) columns.push(['last_name', patch.lastName]);
  if (patch.isActive !== undefined) columns.push(['is_active', patch.isActive]);
  if (patch.isStaff !== undefined) columns.push(['is_staff', patch.isStaff]);
  if (patch.isSuperuser !== undefined) columns.push(['is_superuser', patch.isSuperuser]);
  if (patch.password !== undefined) columns.push(['password', patch.password]);
  if (patch.lastLogin !== undefined) columns.push(['last_login', patch.lastLogin === null ? null : patch.lastLogin.getTime()]);
  return columns;
}

/** `e`, or `UsernameTaken` when it is the username's unique constraint refusing `username`. */
function usernameTaken(e: unknown, username: string | undefined): unknown {
  return username !== undefined && isDatabaseError(e) && e.code === '23505' && e.constraint === 'gatehouse_user_username_key' ? new UsernameTaken(username) : e;
}

class PostgresUserStore implements UserStore {
  constructor(private readonly db: Db) {}

  async getById(id: number): Promise<User | null> {
    if (!isId(id)) return null;
    const { rows } = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE id = $1`, [id], 'gatehouse_user_by_id');
    return rows[0] ? toUser(rows[0]) : null;
  }

  async getByUsername(username: string): Promise<User | null> {
    if (!storable(username)) return null;
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE username = $1`,
      [username],
      'gatehouse_user_by_username',
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findByUsernameIgnoringCase(username: string): Promise<User[]> {
    if (!storable(username)) return [];
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE lower(username) = lower($1) ORDER BY id`,
      [username],
      'gatehouse_user_by_folded_username',
    );
    return rows.map(toUser);
  }

  async findByEmail(email: string): Promise<User[]> {
    if (email === '' || !storable(email)) return [];
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE email_key = $1 ORDER BY id`,
      [emailKey(email)],
      'gatehouse_user_by_email_key',
    );
    return rows.map(toUser);
  }

  async create(u: NewUser): Promise<User> {
    try {
      // Notifies too: another instance may hold a negative answer ("no such user") in its caches.
      const { rows } = await this.db.write<UserRow>(
        'user',
        `WITH w AS (INSERT INTO gatehouse_user (username, email, email_key, email_verified, first_name, last_name, is_active, is_staff, is_superuser, date_joined, password)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${USER_COLUMNS})
         SELECT w.*, pg_notify('${CHANGES_CHANNEL}', $12) FROM w`,
        [
          u.username,
          u.email ?? '',
          emailKey(u.email ?? ''),
          u.emailVerified === true,
          u.firstName ?? '',
          u.lastName ?? '',
          u.isActive !== false,
          u.isStaff === true,
          u.isSuperuser === true,
          u.dateJoined.getTime(),
          u.password,
        ],
        () => true,
      );
      return toUser(rows[0] as UserRow);
    } catch (e) {
      throw usernameTaken(e, u.username);
    }
  }

  async update(id: number, patch: UserPatch, generation?: number): Promise<User | null> {
    try {
      return await this.write(id, patch, generation);
    } catch (e) {
      throw usernameTaken(e, patch.username);
    }
  }

  private async write(id: number, patch: UserPatch, generation?: number): Promise<User | null> {
    if (!isId(id)) return null;
    const columns = patchColumns(patch);
    if (generation !== undefined) return this.updateIfCurrent(id, columns, generation);
    if (columns.length === 0) return this.getById(id);
    const set = columns.map(([name], i) => `${name} = $${i + 2}`).join(', ');
    const values = [id, ...columns.map(([, v]) => v)];
    // last_login alone does not affect who may authenticate; everything else may.
    if (columns.every(([name]) => name === 'last_login')) {
      const { rows } = await this.db.query<UserRow>(`UPDATE gatehouse_user SET ${set} WHERE id = $1 RETURNING ${USER_COLUMNS}`, values);
      return rows[0] ? toUser(rows[0]) : null;
    }
    return this.updateNotifying(set, values);
  }

  /** One statement: `UPDATE … SET <set> WHERE id = $1` and the change notification (only when a row changed). */
  private async updateNotifying(set: string, values: unknown[]): Promise<User | null> {
    const { rows } = await this.db.write<UserRow>(
      'user',
      `WITH w AS (UPDATE gatehouse_user SET ${set} WHERE id = $1 RETURNING ${USER_COLUMNS})
       SELECT w.*, pg_notify('${CHANGES_CHANNEL}', $${values.length + 1}) FROM w`,
      values,
      (r) => r.rows.length > 0,
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** `update` with a generation: the row locked, the generation checked, then written — one transaction. */
  private async updateIfCurrent(id: number, columns: Column[], generation: number): Promise<User | null> {
    return this.db.tx(async (t) => {
      if (!generationCurrent(generation, await lockedGeneration(t, id, 'FOR NO KEY UPDATE'))) return null;
      const { rows } =
        columns.length === 0
          ? await t.query<UserRow>(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE id = $1`, [id])
          : await t.query<UserRow>(`UPDATE gatehouse_user SET ${columns.map(([name], i) => `${name} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`, [
              id,
              ...columns.map(([, v]) => v),
            ]);
      if (columns.some(([name]) => name !== 'last_login')) await t.notify('user');
      return rows[0] ? toUser(rows[0]) : null;
    });
  }

  async bumpGeneration(id: number, patch: UserPatch = {}, expected?: number): Promise<User | null> {
    if (!isId(id)) return null;
    const columns = patchColumns(patch);
    const set = [...columns.map(([name], i) => `${name} = $${i + 2}`), 'credential_generation = credential_generation + 1'].join(', ');
    const values = [id, ...columns.map(([, v]) => v)];
    // One statement: the change, the move of the generation and the notification; with an
    // expected generation, the row locked and checked first, in one transaction.
    const written =
      expected === undefined
        ? this.updateNotifying(set, values)
        : this.db.tx(async (t) => {
            if (!generationCurrent(expected, await lockedGeneration(t, id, 'FOR NO KEY UPDATE'))) return null;
            const { rows } = await t.query<UserRow>(`UPDATE gatehouse_user SET ${set} WHERE id = $1 RETURNING ${USER_COLUMNS}`, values);
            await t.notify('user');
            return rows[0] ? toUser(rows[0]) : null;
          });
    return written.catch((e: unknown) => {
      throw usernameTaken(e, patch.username);
    });
  }

  async delete(id: number): Promise<boolean> {
    if (!isId(id)) return false;
    // Tokens, families and epochs go by ON DELETE CASCADE, outstanding JWTs keep a NULL user.
    const { rows } = await this.db.write<{ n: number }>(
      'user',
      `WITH w AS (DELETE FROM gatehouse_user WHERE id = $1 RETURNING 1)
       SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('${CHANGES_CHANNEL}', $2) END AS notified FROM w`,
      [id],
      (r) => (r.rows[0]?.n ?? 0) > 0,
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  async list(): Promise<User[]> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM gatehouse_user ORDER BY id`);
    return rows.map(toUser);
  }

  async passwordProfiles(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ password: string }>(
      `SELECT min(password) AS password FROM gatehouse_user GROUP BY ${HASH_PROFILE_KEY_POSTGRES} ORDER BY 1 LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.password);
  }
}

const JOINED_COLUMNS = [
  ...TOKEN_COLUMNS.split(', ').map((c) => `t.${c}`),
  ...USER_COLUMNS.split(', ').map((c) => `u.${c} AS u_${c}`),
].join(', ');

/** A statement deleting tokens (`DELETE … RETURNING 1` as `w`) that notifies when it deleted any. */
const deleting = (del: string, payloadParam: number) =>
  `WITH w AS (${del} RETURNING 1)
   SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('${CHANGES_CHANNEL}', $${payloadParam}) END AS notified FROM w`;

/** A transaction's answer "the generation moved" (a transaction returns expected outcomes, never throws them). */
const STALE = Symbol('stale generation');

class PostgresTokenStore implements TokenStore {
  constructor(private readonly db: Db) {}

  async create(token: NewTokenRecord, limit?: TokenLimit, generation?: number): Promise<TokenRecord> {
    const values = [token.userId, token.prefix, token.digest, token.createdAt, token.expiresAt, token.lastUsedAt, token.label];
    const insert = `INSERT INTO gatehouse_token (user_id, prefix, digest, created_at, expires_at, last_used_at, label)
      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`;
    if (!limit && generation === undefined) {
      const { rows } = await this.db.query<{ id: number }>(insert, values);
      return { ...token, id: (rows[0] as { id: number }).id };
    }
    const result = await this.db.tx(async (t) => {
      // The user's row is the lock: with a limit, it serialises concurrent logins of one user
      // on any instance (NO KEY UPDATE: token inserts' foreign-key checks are not blocked);
      // either way the generation is read under it (src/stores/generation.ts).
      const current = await lockedGeneration(t, token.userId, limit ? 'FOR NO KEY UPDATE' : 'FOR SHARE');
      if (generation !== undefined && !generationCurrent(generation, current)) return STALE;
      if (limit) {
        const active = `user_id = $1 AND (expires_at IS NULL OR expires_at > $2)`;
        const { rows: counted } = await t.query<{ n: number }>(`SELECT count(*)::int AS n FROM gatehouse_token WHERE ${active}`, [
          token.userId,
          token.createdAt,
        ]);
        const evict = tokensToEvict(counted[0]?.n ?? 0, limit);
        if (evict === 'refuse') return null;
        if (evict > 0) {
          await t.query(
            `DELETE FROM gatehouse_token WHERE id IN
               (SELECT id FROM gatehouse_token WHERE ${active} ORDER BY created_at, id LIMIT $3)`,
            [token.userId, token.createdAt, evict],
          );
          await t.notify('token');
        }
      }
      const { rows } = await t.query<{ id: number }>(insert, values);
      return { ...token, id: (rows[0] as { id: number }).id };
    });
    if (result === STALE) throw new StaleGeneration();
    if (result === null) throw new TokenLimitReached();
    return result;
  }

  async findByPrefix(prefix: string): Promise<TokenWithUser[]> {
    if (!storable(prefix)) return [];
    const { rows } = await this.db.query<TokenRow & Record<string, unknown>>(
      `SELECT ${JOINED_COLUMNS} FROM gatehouse_token t JOIN gatehouse_user u ON u.id = t.user_id WHERE t.prefix = $1`,
      [prefix],
      'gatehouse_token_by_prefix',
    );
    return rows.map((r) => {
      const userRow = {} as Record<string, unknown>;
      for (const c of USER_COLUMNS.split(', ')) userRow[c] = r[`u_${c}`];
      return { token: toToken(r), user: toUser(userRow as unknown as UserRow) };
    });
  }

  async touch(id: number, lastUsedAt: number, expiresAt?: number | null): Promise<void> {
    if (!isId(id)) return;
    if (expiresAt === undefined) {
      await this.db.query('UPDATE gatehouse_token SET last_used_at = $1 WHERE id = $2', [lastUsedAt, id], 'gatehouse_token_touch');
    } else {
      await this.db.query('UPDATE gatehouse_token SET last_used_at = $1, expires_at = $2 WHERE id = $3', [lastUsedAt, expiresAt, id], 'gatehouse_token_refresh');
    }
  }

  async get(id: number): Promise<TokenRecord | null> {
    if (!isId(id)) return null;
    const { rows } = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM gatehouse_token WHERE id = $1`, [id]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  private async remove(del: string, values: unknown[]): Promise<number> {
    const { rows } = await this.db.write<{ n: number }>('token', deleting(del, values.length + 1), values, (r) => (r.rows[0]?.n ?? 0) > 0);
    return rows[0]?.n ?? 0;
  }

  async delete(id: number): Promise<boolean> {
    if (!isId(id)) return false;
    return (await this.remove('DELETE FROM gatehouse_token WHERE id = $1', [id])) > 0;
  }

  async deleteForUser(userId: number, id: number): Promise<boolean> {
    if (!isId(id) || !isId(userId)) return false;
    return (await this.remove('DELETE FROM gatehouse_token WHERE id = $1 AND user_id = $2', [id, userId])) > 0;
  }

  async deleteAllForUser(userId: number): Promise<number> {
    if (!isId(userId)) return 0;
    return this.remove('DELETE FROM gatehouse_token WHERE user_id = $1', [userId]);
  }

  async listForUser(userId: number): Promise<TokenRecord[]> {
    if (!isId(userId)) return [];
    const { rows } = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM gatehouse_token WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(toToken);
  }

  async deleteExpired(now: number): Promise<number> {
    return this.remove('DELETE FROM gatehouse_token WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
  }
}

/**
 * Create or upgrade the schema without opening the stores (`gatehouse migrate`):
 * returns the migrations applied (none when up to date, or when another instance did).
 */
export async function migratePostgres(url: string, options: Pick<PostgresOptions, 'schema' | 'connectTimeoutMs'> = {}): Promise<string[]> {
  const config = resolveConfig(url, options);
  const pool = new pg.Pool({ ...config.pool, max: 1 });
  pool.on('error', () => {});
  try {
    return await migrate(pool, await resolveSchema(pool, config.schema));
  } finally {
    await pool.end().catch(() => {});
  }
}

/** Every store on one PostgreSQL database (one schema). */
export class PostgresStores implements Stores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly jwt: JwtStore;
  readonly keys: KeyStore;
  readonly apiKeys: PostgresApiKeyStore;
  readonly passkeys: PostgresPasskeyStore;
  readonly mfaTickets: PostgresMfaTicketStore;
  readonly trustedDevices: PostgresTrustedDeviceStore;
  readonly mfa: PostgresMfaStore;
  readonly changes: ChangeSignal;
  private readonly signal: PgChanges;
  private closing: Promise<void> | null = null;

  private constructor(
    /** The connection pool (e.g. for health checks; the tables live in `schema`). */
    readonly pool: pg.Pool,
    /** The schema holding the tables. */
    readonly schema: string,
    signal: PgChanges,
    db: Db,
    /** Migrations this instance applied when it opened (empty when another had, or none were pending). */
    readonly appliedMigrations: readonly string[],
  ) {
    this.signal = signal;
    this.changes = signal;
    this.users = new PostgresUserStore(db);
    this.tokens = new PostgresTokenStore(db);
    this.jwt = new PostgresJwtStore(db);
    this.keys = new PostgresKeyStore(db);
    this.apiKeys = new PostgresApiKeyStore(db);
    this.passkeys = new PostgresPasskeyStore(db);
    this.mfaTickets = new PostgresMfaTicketStore(db);
    this.trustedDevices = new PostgresTrustedDeviceStore(db);
    this.mfa = new PostgresMfaStore(db);
  }

  /**
   * Connect, migrate (under an advisory lock: concurrent starts migrate once) and start
   * listening for changes. Rejects when the database cannot be reached or migrated.
   */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStores> {
    const config = resolveConfig(url, options);
    const pool = new pg.Pool(config.pool);
    // Idle clients whose connection dies (server restart, network) emit 'error' on the
    // pool; unhandled, it would crash the process. The pool replaces them on demand.
    pool.on('error', (e: Error) => {
      try {
        options.onError?.(e, 'pool');
      } catch {
        // never let a reporting callback turn an idle-client error into a crash
      }
    });
    try {
      const schema = await resolveSchema(pool, config.schema);
      const applied = options.migrate === false ? [] : await migrate(pool, schema);
      const instanceId = randomUUID();
      const signal = new PgChanges({
        config: config.listener,
        schema,
        instanceId,
        heartbeatMs: config.heartbeatMs,
        heartbeatTimeoutMs: config.connectTimeoutMs,
        onError: options.onError && ((e: Error) => options.onError?.(e, 'listener')),
      });
      await signal.start();
      return new PostgresStores(pool, schema, signal, new Db(pool, schema, instanceId, signal), applied);
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
  }

  /** Is the change listener connected? While it is not, every `generation()` is new (caches off). */
  get connected(): boolean {
    return this.signal.connected;
  }

  /** Backend pid of the listening connection (null while disconnected), for diagnostics. */
  get listenerPid(): number | null {
    return this.signal.listenerPid;
  }

  /** End the listener and the pool (idempotent). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.signal.close();
      await this.pool.end();
    })();
    return this.closing;
  }
}
