/** Row ↔ object mapping for the PostgreSQL store (BIGINT arrives as number, BOOLEAN as boolean). */
import type { User } from '../../core/user.js';
import type { TokenRecord } from '../types.js';

export interface UserRow {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  last_login: number | null;
  date_joined: number;
  password: string;
}

export interface TokenRow {
  id: number;
  user_id: number;
  prefix: string;
  digest: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  label: string | null;
}

export const USER_COLUMNS = 'id, username, email, first_name, last_name, is_active, is_staff, is_superuser, last_login, date_joined, password';
export const TOKEN_COLUMNS = 'id, user_id, prefix, digest, created_at, expires_at, last_used_at, label';

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    isActive: r.is_active,
    isStaff: r.is_staff,
    isSuperuser: r.is_superuser,
    lastLogin: r.last_login === null ? null : new Date(r.last_login),
    dateJoined: new Date(r.date_joined),
    password: r.password,
  };
}

export function toToken(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    userId: r.user_id,
    prefix: r.prefix,
    digest: r.digest,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    label: r.label,
  };
}

/** Ids are BIGINT: anything that is not a safe integer names no row (and must not reach the server as a type error). */
export const isId = (id: unknown): id is number => Number.isSafeInteger(id);

/** PostgreSQL TEXT cannot hold NUL: such a string names no row (SQLite would simply find none). */
export const storable = (s: string): boolean => !s.includes('\u0000');
