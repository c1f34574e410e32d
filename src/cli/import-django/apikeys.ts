/**
 * djangorestframework-api-key 2.0's keys in `import-django`: table
 * `rest_framework_api_key_apikey` (`id` = `<prefix>.<hashed_key>`, `prefix`, `hashed_key` =
 * Django `make_password(key)`, `name`, `revoked`, `expiry_date`, `created`). Each row becomes
 * an owner-less Gatehouse API key whose lookup id is the prefix and whose digest is the
 * Django hash, so the original `<prefix>.<secret>` keeps working (src/apikeys/legacy.ts).
 * Revoked rows are imported revoked; expired rows are imported too (they stay refused).
 * A prefix Gatehouse already holds with the same hash is present; with another, a conflict.
 * The table is optional: a project without the app has nothing to import.
 */
import type { ApiKeyRecord } from '../../stores/types.js';
import type { Row } from './source.js';
import type { Sql } from './target.js';

export const APIKEY_TABLE = 'rest_framework_api_key_apikey';
export const APIKEY_COLUMNS = ['id', 'prefix', 'hashed_key', 'name', 'revoked', 'expiry_date', 'created'] as const;

export interface DjangoApiKey {
  prefix: string;
  hashedKey: string;
  name: string;
  revoked: boolean;
  createdAt: number;
  expiresAt: number | null;
}

/** Parsers shared with django.ts (passed in: this file imports no reader). */
export interface RowParsers {
  dateTime(value: unknown): number | null;
  bool(value: unknown): boolean | null;
}

/** The rows as keys; problems (never a hash) appended to `problems`. */
export function toApiKeys(rows: Row[], parse: RowParsers, problems: string[]): DjangoApiKey[] {
  const out: DjangoApiKey[] = [];
  for (const row of rows) {
    const prefix = typeof row.prefix === 'string' && /^[0-9A-Za-z]{8}$/.test(row.prefix) ? row.prefix : null;
    const ref = `prefix=${prefix ?? JSON.stringify(String(row.prefix)).slice(0, 20)}`;
    const hashedKey = typeof row.hashed_key === 'string' && /^[a-z0-9_]+\$[^\s]{1,500}$/.test(row.hashed_key) ? row.hashed_key : null;
    const revoked = parse.bool(row.revoked);
    const createdAt = parse.dateTime(row.created);
    const expiresAt = row.expiry_date === null ? null : parse.dateTime(row.expiry_date);
    const bad = [
      prefix === null && 'prefix is not 8 letters or digits',
      hashedKey === null && 'hashed_key is not a Django password hash',
      revoked === null && 'revoked is not a boolean',
      createdAt === null && 'created is not a datetime',
      row.expiry_date !== null && expiresAt === null && 'expiry_date is not a datetime',
    ].filter((x): x is string => typeof x === 'string');
    for (const b of bad) problems.push(`${APIKEY_TABLE} ${ref}: ${b}`);
    if (bad.length > 0) continue;
    const name = typeof row.name === 'string' && row.name.trim() !== '' ? row.name.slice(0, 100) : `imported ${prefix}`;
    out.push({ prefix: prefix!, hashedKey: hashedKey!, name, revoked: revoked!, createdAt: createdAt!, expiresAt });
  }
  return out;
}

export interface ApiKeyPlan {
  add: DjangoApiKey[];
  present: number;
}

/** What to add; a prefix held with another hash is a conflict (pushed to `conflicts`). */
export async function planApiKeys(sql: Sql, keys: DjangoApiKey[], conflicts: string[]): Promise<ApiKeyPlan> {
  const plan: ApiKeyPlan = { add: [], present: 0 };
  for (const k of keys) {
    const [row] = await sql.all<{ digest: string }>('SELECT digest FROM gatehouse_apikey WHERE lookup_id = ?', [k.prefix]);
    if (!row) plan.add.push(k);
    else if (row.digest === k.hashedKey) plan.present++;
    else conflicts.push(`${APIKEY_TABLE} prefix=${k.prefix}: Gatehouse already holds another API key with this lookup id`);
  }
  return plan;
}

/** What an `apikey_created` event names of an imported key. */
export type WrittenApiKey = Pick<ApiKeyRecord, 'id' | 'lookupId' | 'name' | 'userId'>;

/** Insert the planned keys; resolves to what was written (for the events sent after the commit). */
export async function writeApiKeys(sql: Sql, plan: ApiKeyPlan, now: number, onRow: () => void): Promise<WrittenApiKey[]> {
  const written: WrittenApiKey[] = [];
  for (const k of plan.add) {
    await sql.run(
      `INSERT INTO gatehouse_apikey (lookup_id, digest, name, user_id, scopes, created_at, expires_at, revoked_at, rate)
       VALUES (?, ?, ?, NULL, '[]', ?, ?, ?, NULL)`,
      [k.prefix, k.hashedKey, k.name, k.createdAt, k.expiresAt, k.revoked ? now : null],
    );
    const [row] = await sql.all<{ id: number | string }>('SELECT id FROM gatehouse_apikey WHERE lookup_id = ?', [k.prefix]);
    written.push({ id: Number(row?.id), lookupId: k.prefix, name: k.name, userId: null });
    onRow();
  }
  return written;
}
