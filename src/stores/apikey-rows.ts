/**
 * Row ↔ object mapping of `gatehouse_apikey`, shared by the SQL stores (SQLite and
 * PostgreSQL): the same columns; scopes are a JSON array of strings in a TEXT column.
 */
import type { ApiKeyPatch, ApiKeyRecord } from './types.js';

export interface ApiKeyRow {
  id: number;
  lookup_id: string;
  digest: string;
  name: string;
  user_id: number | null;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  rate: string | null;
}

export const APIKEY_COLUMNS = 'id, lookup_id, digest, name, user_id, scopes, created_at, expires_at, last_used_at, revoked_at, rate';

/** `SET` assignments of a patch (`column = ?`, in order) and their values; empty when nothing is set. */
export function apiKeyAssignments(patch: ApiKeyPatch): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => {
    columns.push(column);
    values.push(value);
  };
  if (patch.name !== undefined) set('name', patch.name);
  if (patch.scopes !== undefined) set('scopes', JSON.stringify(patch.scopes));
  if (patch.rate !== undefined) set('rate', patch.rate);
  if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
  return { columns, values };
}

export const toApiKey = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  lookupId: r.lookup_id,
  digest: r.digest,
  name: r.name,
  userId: r.user_id,
  scopes: JSON.parse(r.scopes) as string[],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  rate: r.rate,
});
