/**
 * What `import-django` reads from a Django database, checked row by row before anything
 * is written: `auth_user` (or a custom user table with AbstractUser's columns), DRF's
 * `authtoken_token`, knox's `knox_authtoken`, and simplejwt's
 * `token_blacklist_outstandingtoken` / `token_blacklist_blacklistedtoken`, and allauth's
 * `account_emailaddress`. Every problem is collected (with its table and primary key), so
 * one run reports them all.
 *
 * `emailVerified`: with allauth installed, whether the user's own address (the
 * `account_emailaddress` row of that user whose address equals `auth_user.email`
 * ignoring case) is verified — no such row, or no address, is unverified. Without
 * allauth the project never verified addresses, except through djoser's activation
 * (`withoutAllauth`, docs/security.md #190).
 *
 * Times: Django stores aware datetimes in UTC (`USE_TZ = True`); naive SQLite values are
 * read as UTC.
 */
import { emailKey } from '../../stores/email-key.js';
import { keyDigest as sha256Hex } from '../../tokens/keys.js';
import type { DjangoSource, Row } from './source.js';
import type { User } from '../../core/user.js';
import { APIKEY_COLUMNS, APIKEY_TABLE, toApiKeys, type DjangoApiKey } from './apikeys.js';

/** A row of `auth_user`: Gatehouse's user fields, with times as epoch ms. */
export type DjangoUser = Omit<User, 'lastLogin' | 'dateJoined' | 'credentialGeneration'> & {
  lastLogin: number | null;
  dateJoined: number;
};

export interface DjangoToken {
  kind: 'drf' | 'knox';
  /** Primary key in the source, for messages (a DRF key is never printed). */
  ref: string;
  userId: number;
  prefix: string;
  digest: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface DjangoOutstanding {
  jti: string;
  userId: number | null;
  tokenType: 'refresh' | 'sliding';
  createdAt: number;
  expiresAt: number;
  blacklistedAt: number | null;
}

export interface DjangoData {
  users: DjangoUser[];
  tokens: DjangoToken[];
  outstanding: DjangoOutstanding[];
  /** djangorestframework-api-key's keys (its table is optional and never listed as missing). */
  apiKeys: DjangoApiKey[];
  /** Tables that were absent (their apps not installed), for the report. */
  missing: string[];
  /** Rows left out because they had already expired, per table. */
  expired: { knox: number; outstanding: number };
}

/** The rows could not all be read: every problem found, one line each. */
export class InvalidRows extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} row${problems.length === 1 ? '' : 's'} cannot be imported`);
  }
}

const USER_COLUMNS = ['id', 'password', 'last_login', 'is_superuser', 'username', 'first_name', 'last_name', 'email', 'is_staff', 'is_active', 'date_joined'];
export const TABLES = {
  drf: 'authtoken_token',
  knox: 'knox_authtoken',
  outstanding: 'token_blacklist_outstandingtoken',
  blacklisted: 'token_blacklist_blacklistedtoken',
  emailAddress: 'account_emailaddress',
} as const;

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** A Django datetime (a Date from PostgreSQL, text from SQLite) as epoch ms, or null if it is none. */
export function parseDateTime(value: unknown): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (typeof value !== 'string') return null;
  const m = DATETIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0').slice(0, 3)}${zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function parseBool(value: unknown): boolean | null {
  if (value === true || value === 1 || value === 1n || value === 't' || value === '1') return true;
  if (value === false || value === 0 || value === 0n || value === 'f' || value === '0') return false;
  return null;
}

function parseId(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Collects problems for one table; `field` returns the parsed value or records the problem. */
class Checker {
  constructor(readonly problems: string[], private readonly table: string) {}
  field<T>(row: Row, key: string, column: string, parsed: T | null, what: string): T | null {
    if (parsed === null) this.problems.push(`${this.table} ${key}: ${column} ${what} (got ${JSON.stringify(String(row[column]))})`);
    return parsed;
  }
}

function toUser(row: Row, c: Checker): Omit<DjangoUser, 'emailVerified'> | null {
  const key = `id=${String(row.id)}`;
  const id = c.field(row, key, 'id', parseId(row.id), 'is not a positive integer');
  const username = c.field(row, key, 'username', str(row.username) || null, 'is empty');
  const password = c.field(row, key, 'password', str(row.password), 'is not text');
  const dateJoined = c.field(row, key, 'date_joined', parseDateTime(row.date_joined), 'is not a datetime');
  const lastLogin = row.last_login === null ? null : c.field(row, key, 'last_login', parseDateTime(row.last_login), 'is not a datetime');
  const flags = ['is_active', 'is_staff', 'is_superuser'].map((f) => c.field(row, key, f, parseBool(row[f]), 'is not a boolean'));
  if (id === null || username === null || password === null || dateJoined === null || flags.includes(null)) return null;
  if (row.last_login !== null && lastLogin === null) return null;
  return {
    id,
    username,
    password,
    email: str(row.email) ?? '',
    firstName: str(row.first_name) ?? '',
    lastName: str(row.last_name) ?? '',
    isActive: flags[0] as boolean,
    isStaff: flags[1] as boolean,
    isSuperuser: flags[2] as boolean,
    lastLogin,
    dateJoined,
  };
}

/** What `TokenAuthentication` can take as a key: 1–40 printable ASCII characters, no spaces (authtoken's max_length). */
const DRF_KEY = /^[\x21-\x7e]{1,40}$/;

async function readTable(source: DjangoSource, table: string, needed: readonly string[], orderBy: string, problems: string[]): Promise<Row[] | null> {
  const columns = await source.columns(table);
  if (columns === null) return null;
  const absent = needed.filter((col) => !columns.has(col));
  if (absent.length > 0) {
    problems.push(`${table}: missing column${absent.length === 1 ? '' : 's'} ${absent.join(', ')} (is this Django's table?)`);
    return [];
  }
  return source.rows(table, needed, orderBy);
}

export interface ReadOptions {
  userTable: string;
  now: number;
  /** Called with each table's name and row count as it is read. */
  onTable?: (table: string, rows: number) => void;
}

/** Read and check every table; throws `InvalidRows` listing every problem, imports nothing. */
export async function readDjango(source: DjangoSource, options: ReadOptions): Promise<DjangoData> {
  const problems: string[] = [];
  const missing: string[] = [];
  const read = async (table: string, needed: readonly string[], orderBy: string): Promise<Row[]> => {
    const rows = await readTable(source, table, needed, orderBy, problems);
    if (rows === null) missing.push(table);
    else options.onTable?.(table, rows.length);
    return rows ?? [];
  };
  const userRows = await read(options.userTable, USER_COLUMNS, 'id');
  if (missing.includes(options.userTable)) throw new InvalidRows([`${options.userTable}: no such table in ${source.description} (is this a Django database? see --user-table)`]);
  const rawUsers = collect(userRows, (row) => toUser(row, new Checker(problems, options.userTable)));
  const addressRows = await read(TABLES.emailAddress, ['id', 'user_id', 'email', 'verified'], 'id');
  const verified = missing.includes(TABLES.emailAddress) ? null : verifiedAddresses(addressRows, new Checker(problems, TABLES.emailAddress));
  const users = rawUsers.map((u) => ({ ...u, emailVerified: verified === null ? withoutAllauth(u) : u.email !== '' && verified.has(addressOf(u.id, u.email)) }));
  const userIds = new Set(users.map((u) => u.id));
  const userOf = (table: string, key: string, value: unknown): number | null => {
    const id = parseId(value);
    if (id === null || !userIds.has(id)) problems.push(`${table} ${key}: user_id ${String(value)} is not a user of ${options.userTable}`);
    return id !== null && userIds.has(id) ? id : null;
  };

  const drf = collect(await read(TABLES.drf, ['key', 'user_id', 'created'], 'created'), (row, i) =>
    toDrfToken(row, i, new Checker(problems, TABLES.drf), userOf),
  );
  const expired = { knox: 0, outstanding: 0 };
  const knox = collect(await read(TABLES.knox, ['digest', 'token_key', 'user_id', 'created', 'expiry'], 'created'), (row) => {
    const token = toKnoxToken(row, new Checker(problems, TABLES.knox), userOf);
    if (token && token.expiresAt !== null && token.expiresAt <= options.now) {
      expired.knox++;
      return null;
    }
    return token;
  });
  const outstanding = await readOutstanding(read, problems, userIds, options.now, expired);
  const apiKeyRows = (await readTable(source, APIKEY_TABLE, APIKEY_COLUMNS, 'created', problems)) ?? [];
  if (apiKeyRows.length > 0) options.onTable?.(APIKEY_TABLE, apiKeyRows.length);
  const apiKeys = toApiKeys(apiKeyRows, { dateTime: parseDateTime, bool: parseBool }, problems);
  if (problems.length > 0) throw new InvalidRows(problems);
  return { users, tokens: [...drf, ...knox], outstanding, apiKeys, missing, expired };
}

/**
 * `emailVerified` without allauth: an active user, or an inactive one who has logged in
 * before (disabled later, e.g. by an administrator), counts as verified; an inactive user who
 * never logged in is a djoser sign-up that never activated, and is imported pending (not
 * verified), so its owner can still activate it — and only such an account (#148, #190).
 */
function withoutAllauth(u: Omit<DjangoUser, 'emailVerified'>): boolean {
  return u.isActive || u.lastLogin !== null;
}

/** A user's address as `verifiedAddresses` keys it. */
const addressOf = (userId: number, email: string): string => `${userId} ${emailKey(email)}`;

/** allauth's verified addresses, as `addressOf` keys; rows of unknown users simply match no one. */
function verifiedAddresses(rows: Row[], c: Checker): Set<string> {
  const out = new Set<string>();
  for (const row of rows) {
    const key = `id=${String(row.id)}`;
    const isVerified = c.field(row, key, 'verified', parseBool(row.verified), 'is not a boolean');
    const userId = parseId(row.user_id);
    if (isVerified && userId !== null && typeof row.email === 'string') out.add(addressOf(userId, row.email));
  }
  return out;
}

function collect<T>(rows: Row[], f: (row: Row, index: number) => T | null): T[] {
  const out: T[] = [];
  rows.forEach((row, i) => {
    const v = f(row, i);
    if (v !== null) out.push(v);
  });
  return out;
}

type UserOf = (table: string, key: string, value: unknown) => number | null;

function toDrfToken(row: Row, index: number, c: Checker, userOf: UserOf): DjangoToken | null {
  // The key is the secret: messages name the row by its position, never by the key.
  const ref = `row ${index + 1}`;
  const key = typeof row.key === 'string' && DRF_KEY.test(row.key) ? row.key : null;
  if (key === null) c.problems.push(`${TABLES.drf} ${ref}: key is not 1-40 printable characters without spaces`);
  const userId = userOf(TABLES.drf, ref, row.user_id);
  const createdAt = c.field(row, ref, 'created', parseDateTime(row.created), 'is not a datetime');
  if (key === null || userId === null || createdAt === null) return null;
  return { kind: 'drf', ref, userId, prefix: key.slice(0, 8), digest: sha256Hex(key), createdAt, expiresAt: null };
}

function toKnoxToken(row: Row, c: Checker, userOf: UserOf): DjangoToken | null {
  const digest = typeof row.digest === 'string' && /^[0-9a-f]{128}$/.test(row.digest) ? row.digest : null;
  const ref = `digest=${typeof row.digest === 'string' ? row.digest.slice(0, 12) : String(row.digest)}…`;
  if (digest === null) c.problems.push(`${TABLES.knox} ${ref}: digest is not 128 lowercase hex characters (knox 4.2+ stores SHA-512; older salted digests cannot be imported)`);
  const tokenKey = typeof row.token_key === 'string' && row.token_key.length >= 8 ? row.token_key : null;
  if (tokenKey === null) c.problems.push(`${TABLES.knox} ${ref}: token_key is shorter than 8 characters`);
  const userId = userOf(TABLES.knox, ref, row.user_id);
  const createdAt = c.field(row, ref, 'created', parseDateTime(row.created), 'is not a datetime');
  const expiresAt = row.expiry === null ? null : c.field(row, ref, 'expiry', parseDateTime(row.expiry), 'is not a datetime');
  if (digest === null || tokenKey === null || userId === null || createdAt === null) return null;
  if (row.expiry !== null && expiresAt === null) return null;
  return { kind: 'knox', ref, userId, prefix: tokenKey.slice(0, 8), digest, createdAt, expiresAt };
}

/** The `token_type` claim of a stored simplejwt token (its payload is not verified, only read). */
function tokenTypeOf(token: unknown): 'refresh' | 'sliding' {
  if (typeof token !== 'string') return 'refresh';
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { token_type?: unknown };
    return payload.token_type === 'sliding' ? 'sliding' : 'refresh';
  } catch {
    return 'refresh';
  }
}

async function readOutstanding(
  read: (table: string, needed: readonly string[], orderBy: string) => Promise<Row[]>,
  problems: string[],
  userIds: Set<number>,
  now: number,
  expired: { outstanding: number },
): Promise<DjangoOutstanding[]> {
  const rows = await read(TABLES.outstanding, ['id', 'token', 'created_at', 'expires_at', 'user_id', 'jti'], 'id');
  const blacklistRows = await read(TABLES.blacklisted, ['id', 'blacklisted_at', 'token_id'], 'id');
  const blacklisted = new Map<number, number>();
  const knownIds = new Set(rows.map((r) => parseId(r.id)));
  for (const row of blacklistRows) {
    const c = new Checker(problems, TABLES.blacklisted);
    const key = `id=${String(row.id)}`;
    const tokenId = parseId(row.token_id);
    const at = c.field(row, key, 'blacklisted_at', parseDateTime(row.blacklisted_at), 'is not a datetime');
    if (tokenId === null || !knownIds.has(tokenId)) problems.push(`${TABLES.blacklisted} ${key}: token_id ${String(row.token_id)} is not an outstanding token`);
    else if (at !== null) blacklisted.set(tokenId, at);
  }
  return collect(rows, (row) => {
    const c = new Checker(problems, TABLES.outstanding);
    const key = `id=${String(row.id)}`;
    const jti = c.field(row, key, 'jti', typeof row.jti === 'string' && /^[\x21-\x7e]{1,255}$/.test(row.jti) ? row.jti : null, 'is not a jti');
    const expiresAt = c.field(row, key, 'expires_at', parseDateTime(row.expires_at), 'is not a datetime');
    const createdAt = row.created_at === null ? expiresAt : c.field(row, key, 'created_at', parseDateTime(row.created_at), 'is not a datetime');
    let userId: number | null = null;
    if (row.user_id !== null) {
      userId = parseId(row.user_id);
      // simplejwt sets user_id NULL when the user is deleted; a dangling one is kept as unknown.
      if (userId !== null && !userIds.has(userId)) userId = null;
    }
    if (jti === null || expiresAt === null || createdAt === null) return null;
    if (expiresAt <= now) {
      expired.outstanding++;
      return null;
    }
    return { jti, userId, tokenType: tokenTypeOf(row.token), createdAt, expiresAt, blacklistedAt: blacklisted.get(parseId(row.id) as number) ?? null };
  });
}

