/**
 * The built-in SQLite store (better-sqlite3): users, opaque tokens, JWT revocation
 * state and the key ring in one file.
 *
 * better-sqlite3 is synchronous; every query here is a prepared statement on an
 * indexed column and takes microseconds, so the async interface simply wraps it.
 * Multi-step operations (token limit + insert) run in one IMMEDIATE transaction,
 * which SQLite serialises across processes too (the CLI and the server share the file).
 */
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
import { generationCurrent, requireGeneration } from '../generation.js';
import { tokensToEvict } from '../token-limit.js';
import { HASH_PROFILE_KEY_SQLITE_FUNCTION, hashProfileKey } from '../hash-profile.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { SqliteJwtStore, SqliteKeyStore } from './jwt.js';
import { SqliteApiKeyStore } from './apikeys.js';
import { SqlitePasskeyStore } from './passkeys.js';
import { SqliteMfaTicketStore, SqliteTrustedDeviceStore } from './mfa-login.js';
import { SqliteMfaStore } from './mfa.js';
import { GENERATION_SQL, TOKEN_COLUMNS, USER_COLUMNS, toToken, toUser, type TokenRow, type UserRow } from './rows.js';

export { openDatabase, migrate, schemaVersion } from './database.js';
export type { SqliteDatabase } from './database.js';

/**
 * Change signal: SQLite's `data_version` moves when *another* connection commits;
 * the local counter moves on this connection's invalidating writes (exact, at once).
 *
 * Reading `data_version` takes the WAL read locks (≈3.5 µs, more than the rest of a
 * cached token lookup), so it is read at most once per `maxStalenessMs` (default 1 ms),
 * and even the clock is not read on every call (≈ 40 ns, a tenth of a cached JWT
 * lookup): after a look at the clock the next `CALLS_PER_CLOCK_CHECK` calls answer the
 * same generation unless a `maxStalenessMs` timer has run out in between. So a change
 * committed by another process (the CLI, another worker) is seen by requests that arrive
 * about 1 ms after the commit — while the event loop is too busy to run the timer, after
 * at most `CALLS_PER_CLOCK_CHECK` more calls. In-process changes are seen immediately.
 */
class SqliteChanges implements ChangeSignal {
  private local = 0;
  private readonly dataVersion;
  private version = 0;
  private readAt = -Infinity;
  /** Calls that may still answer without looking at the clock; a timer zeroes it. */
  private budget = 0;
  private timerPending = false;
  private readonly expire = (): void => {
    this.budget = 0;
    this.timerPending = false;
  };
  constructor(db: SqliteDatabase, private readonly maxStalenessMs = 1) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }
  bump(): void {
    this.local++;
  }
  generation(): number {
    if (this.budget > 0) this.budget--;
    else {
      const now = performance.now();
      if (now - this.readAt >= this.maxStalenessMs) {
        this.version = this.dataVersion.get() as number;
        this.readAt = now;
      }
      // Answering without the clock is allowed only while a timer will end it.
      this.budget = CALLS_PER_CLOCK_CHECK;
      if (!this.timerPending) {
        this.timerPending = true;
        setTimeout(this.expire, this.maxStalenessMs).unref();
      }
    }
    return this.version * 1_000_000 + this.local;
  }
}

/** See `SqliteChanges`: how many calls may follow one look at the clock. */
const CALLS_PER_CLOCK_CHECK = 32;

/** The columns a patch sets (`last_login` alone does not affect who may authenticate). */
function patchColumns(patch: UserPatch): Record<string, string | number | null> {
  const columns: Record<string, string | number | null> = {};
  if (patch.username !== undefined) columns.username = patch.username;
  if (patch.email !== undefined) {
    columns.email = patch.email;
    columns.email_key = emailKey(patch.email);
  }
  if (patch.emailVerified !== undefined) columns.email_verified = patch.emailVerified ? 1 : 0;
  if (patch.firstName !== undefined) columns.first_name = patch.firstName;
  if (patch.lastName !== undefined) columns.last_name = patch.lastName;
  if (patch.isActive !== undefined) columns.is_active = patch.isActive ? 1 : 0;
  if (patch.isStaff !== undefined) columns.is_staff = patch.isStaff ? 1 : 0;
  if (patch.isSuperuser !== undefined) columns.is_superuser = patch.isSuperuser ? 1 : 0;
  if (patch.password !== undefined) columns.password = patch.password;
  if (patch.lastLogin !== undefined) columns.last_login = patch.lastLogin === null ? null : patch.lastLogin.getTime();
  return columns;
}

/** Run a write of `patch`; a unique-constraint failure is the username it renames to being taken. */
function renaming<T>(patch: UserPatch, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && patch.username !== undefined) throw new UsernameTaken(patch.username);
    throw e;
  }
}

class SqliteUserStore implements UserStore {
  private readonly byId;
  private readonly generation;
  private readonly byUsername;
  private readonly byEmailKey;
  private readonly byFoldedUsername;
  private readonly insert;
  private readonly remove;
  private readonly all;
  private readonly profiles;
  constructor(private readonly db: SqliteDatabase, private readonly changes: SqliteChanges) {
    this.byId = db.prepare(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE id = ?`);
    this.generation = db.prepare(GENERATION_SQL).pluck();
    this.byUsername = db.prepare(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE username = ?`);
    this.byEmailKey = db.prepare(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE email_key = ? ORDER BY id`);
    // SQLite's own lower() folds ASCII only: JavaScript's, as the memory store and e-mail keys compare.
    db.function('gatehouse_lower', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
    this.byFoldedUsername = db.prepare(`SELECT ${USER_COLUMNS} FROM gatehouse_user WHERE gatehouse_lower(username) = ? ORDER BY id`);
    this.insert = db.prepare(
      `INSERT INTO gatehouse_user (username, email, email_key, email_verified, first_name, last_name, is_active, is_staff, is_superuser, date_joined, password)
       VALUES (@username, @email, @email_key, @email_verified, @first_name, @last_name, @is_active, @is_staff, @is_superuser, @date_joined, @password)`,
    );
    this.remove = db.prepare('DELETE FROM gatehouse_user WHERE id = ?');
    this.all = db.prepare(`SELECT ${USER_COLUMNS} FROM gatehouse_user ORDER BY id`);
    db.function(HASH_PROFILE_KEY_SQLITE_FUNCTION, { deterministic: true }, (password: unknown) => hashProfileKey(String(password)));
    this.profiles = db
      .prepare(`SELECT min(password) FROM gatehouse_user GROUP BY ${HASH_PROFILE_KEY_SQLITE_FUNCTION}(password) ORDER BY 1 LIMIT ?`)
      .pluck();
  }
  async getById(id: number): Promise<User | null> {
    const row = this.byId.get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }
  async getByUsername(username: string): Promise<User | null> {
    const row = this.byUsername.get(username) as UserRow | undefined;
    return row ? toUser(row) : null;
  }
  async findByUsernameIgnoringCase(username: string): Promise<User[]> {
    return (this.byFoldedUsername.all(username.toLowerCase()) as UserRow[]).map(toUser);
  }
  async findByEmail(email: string): Promise<User[]> {
    if (email === '') return [];
    return (this.byEmailKey.all(emailKey(email)) as UserRow[]).map(toUser);
  }
  async create(u: NewUser): Promise<User> {
    try {
      const info = this.insert.run({
        username: u.username,
        email: u.email ?? '',
        email_key: emailKey(u.email ?? ''),
        email_verified: u.emailVerified === true ? 1 : 0,
        first_name: u.firstName ?? '',
        last_name: u.lastName ?? '',
        is_active: u.isActive === false ? 0 : 1,
        is_staff: u.isStaff ? 1 : 0,
        is_superuser: u.isSuperuser ? 1 : 0,
        date_joined: u.dateJoined.getTime(),
        password: u.password,
      });
      return (await this.getById(Number(info.lastInsertRowid))) as User;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UsernameTaken(u.username);
      throw e;
    }
  }
  async update(id: number, patch: UserPatch, generation?: number): Promise<User | null> {
    const columns = patchColumns(patch);
    const names = Object.keys(columns);
    const write = (): true => {
      if (names.length > 0) renaming(patch, () => this.db.prepare(`UPDATE gatehouse_user SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`).run({ ...columns, id }));
      return true;
    };
    // With a generation: read it and write in one IMMEDIATE transaction (no writer in between).
    const written =
      generation === undefined
        ? write()
        : this.db.transaction(() => generationCurrent(generation, (this.generation.get(id) as number | undefined) ?? null) && write()).immediate();
    if (!written) return null;
    // last_login alone does not affect who may authenticate; everything else may.
    if (names.some((n) => n !== 'last_login')) this.changes.bump();
    return this.getById(id);
  }
  async bumpGeneration(id: number, patch: UserPatch = {}, expected?: number): Promise<User | null> {
    const columns = patchColumns(patch);
    const set = [...Object.keys(columns).map((n) => `${n} = @${n}`), 'credential_generation = credential_generation + 1'].join(', ');
    // One statement: the change and the move of the generation are one write.
    const write = () => renaming(patch, () => this.db.prepare(`UPDATE gatehouse_user SET ${set} WHERE id = @id`).run({ ...columns, id })).changes > 0;
    // With an expected generation: read it and write in one IMMEDIATE transaction (no writer in between).
    const changed =
      expected === undefined
        ? write()
        : this.db.transaction(() => generationCurrent(expected, (this.generation.get(id) as number | undefined) ?? null) && write()).immediate();
    this.changes.bump();
    return changed ? this.getById(id) : null;
  }
  async delete(id: number): Promise<boolean> {
    const changed = this.remove.run(id).changes > 0; // tokens go by ON DELETE CASCADE
    this.changes.bump();
    return changed;
  }
  async list(): Promise<User[]> {
    return (this.all.all() as UserRow[]).map(toUser);
  }
  async passwordProfiles(limit: number): Promise<string[]> {
    return this.profiles.all(limit) as string[];
  }
}

class SqliteTokenStore implements TokenStore {
  private readonly insert;
  private readonly countActive;
  private readonly oldestActive;
  private readonly byPrefix;
  private readonly touchStmt;
  private readonly byId;
  private readonly remove;
  private readonly removeForUser;
  private readonly removeAllForUser;
  private readonly listStmt;
  private readonly removeExpired;
  private readonly generation;
  constructor(private readonly db: SqliteDatabase, private readonly changes: SqliteChanges) {
    this.generation = db.prepare(GENERATION_SQL).pluck();
    this.insert = db.prepare(
      `INSERT INTO gatehouse_token (user_id, prefix, digest, created_at, expires_at, last_used_at, label)
       VALUES (@userId, @prefix, @digest, @createdAt, @expiresAt, @lastUsedAt, @label)`,
    );
    this.countActive = db
      .prepare('SELECT COUNT(*) FROM gatehouse_token WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?)')
      .pluck();
    this.oldestActive = db
      .prepare(
        'SELECT id FROM gatehouse_token WHERE user_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id LIMIT ?',
      )
      .pluck();
    const u = USER_COLUMNS.split(', ').map((c) => `u.${c} AS u_${c}`).join(', ');
    const t = TOKEN_COLUMNS.split(', ').map((c) => `t.${c}`).join(', ');
    this.byPrefix = db.prepare(
      `SELECT ${t}, ${u} FROM gatehouse_token t JOIN gatehouse_user u ON u.id = t.user_id WHERE t.prefix = ?`,
    );
    this.touchStmt = db.prepare('UPDATE gatehouse_token SET last_used_at = ?, expires_at = ? WHERE id = ?');
    this.byId = db.prepare(`SELECT ${TOKEN_COLUMNS} FROM gatehouse_token WHERE id = ?`);
    this.remove = db.prepare('DELETE FROM gatehouse_token WHERE id = ?');
    this.removeForUser = db.prepare('DELETE FROM gatehouse_token WHERE id = ? AND user_id = ?');
    this.removeAllForUser = db.prepare('DELETE FROM gatehouse_token WHERE user_id = ?');
    this.listStmt = db.prepare(`SELECT ${TOKEN_COLUMNS} FROM gatehouse_token WHERE user_id = ? ORDER BY created_at, id`);
    this.removeExpired = db.prepare('DELETE FROM gatehouse_token WHERE expires_at IS NOT NULL AND expires_at <= ?');
  }

  async create(token: NewTokenRecord, limit?: TokenLimit, generation?: number): Promise<TokenRecord> {
    const run = this.db.transaction((): TokenRecord => {
      requireGeneration(generation, (this.generation.get(token.userId) as number | undefined) ?? null);
      if (limit) {
        const evict = tokensToEvict(this.countActive.get(token.userId, token.createdAt) as number, limit);
        if (evict === 'refuse') throw new TokenLimitReached();
        if (evict > 0) {
          for (const id of this.oldestActive.all(token.userId, token.createdAt, evict) as number[]) this.remove.run(id);
          this.changes.bump();
        }
      }
      const info = this.insert.run(token);
      return { ...token, id: Number(info.lastInsertRowid) };
    });
    return run.immediate();
  }

  async findByPrefix(prefix: string): Promise<TokenWithUser[]> {
    const rows = this.byPrefix.all(prefix) as Array<TokenRow & Record<string, unknown>>;
    return rows.map((r) => {
      const userRow = {} as Record<string, unknown>;
      for (const c of USER_COLUMNS.split(', ')) userRow[c] = r[`u_${c}`];
      return { token: toToken(r), user: toUser(userRow as unknown as UserRow) };
    });
  }

  async touch(id: number, lastUsedAt: number, expiresAt?: number | null): Promise<void> {
    if (expiresAt === undefined) {
      this.db.prepare('UPDATE gatehouse_token SET last_used_at = ? WHERE id = ?').run(lastUsedAt, id);
    } else {
      this.touchStmt.run(lastUsedAt, expiresAt, id);
    }
  }

  async get(id: number): Promise<TokenRecord | null> {
    const row = this.byId.get(id) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  async delete(id: number): Promise<boolean> {
    const changed = this.remove.run(id).changes > 0;
    if (changed) this.changes.bump();
    return changed;
  }

  async deleteForUser(userId: number, id: number): Promise<boolean> {
    const changed = this.removeForUser.run(id, userId).changes > 0;
    if (changed) this.changes.bump();
    return changed;
  }

  async deleteAllForUser(userId: number): Promise<number> {
    const n = this.removeAllForUser.run(userId).changes;
    if (n > 0) this.changes.bump();
    return n;
  }

  async listForUser(userId: number): Promise<TokenRecord[]> {
    return (this.listStmt.all(userId) as TokenRow[]).map(toToken);
  }

  async deleteExpired(now: number): Promise<number> {
    const n = this.removeExpired.run(now).changes;
    if (n > 0) this.changes.bump();
    return n;
  }
}

/** Every store in one SQLite database. */
export class SqliteStores implements Stores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly jwt: JwtStore;
  readonly keys: KeyStore;
  readonly apiKeys: SqliteApiKeyStore;
  readonly passkeys: SqlitePasskeyStore;
  readonly mfaTickets: SqliteMfaTicketStore;
  readonly trustedDevices: SqliteTrustedDeviceStore;
  readonly mfa: SqliteMfaStore;
  readonly changes: ChangeSignal;
  private constructor(readonly db: SqliteDatabase) {
    const changes = new SqliteChanges(db);
    this.changes = changes;
    this.users = new SqliteUserStore(db, changes);
    this.tokens = new SqliteTokenStore(db, changes);
    this.jwt = new SqliteJwtStore(db, changes);
    this.keys = new SqliteKeyStore(db, changes);
    this.apiKeys = new SqliteApiKeyStore(db, changes);
    this.passkeys = new SqlitePasskeyStore(db);
    this.mfaTickets = new SqliteMfaTicketStore(db);
    this.trustedDevices = new SqliteTrustedDeviceStore(db);
    this.mfa = new SqliteMfaStore(db);
  }
  /** Open (create + migrate) a database file, or `:memory:`. */
  static open(path: string): SqliteStores {
    return new SqliteStores(openDatabase(path));
  }
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
