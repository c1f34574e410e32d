/**
 * Row ↔ object mapping shared by the SQL stores (SQLite and PostgreSQL): the same tables,
 * columns and conversions. The one difference is how a flag arrives — SQLite's INTEGER
 * 0/1, PostgreSQL's BOOLEAN — and `toUser` reads both.
 */
import type { User } from '../core/user.js';
import type { OutstandingToken, RefreshFamily, StoredSigningKey, TokenRecord } from './types.js';

/** A `gatehouse_user` row; `F` is how the driver returns the boolean columns. */
export interface UserRow<F extends number | boolean = number | boolean> {
  id: number;
  username: string;
  email: string;
  email_verified: F;
  first_name: string;
  last_name: string;
  is_active: F;
  is_staff: F;
  is_superuser: F;
  last_login: number | null;
  date_joined: number;
  password: string;
  credential_generation: number;
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

export const USER_COLUMNS = 'id, username, email, email_verified, first_name, last_name, is_active, is_staff, is_superuser, last_login, date_joined, password, credential_generation';
export const TOKEN_COLUMNS = 'id, user_id, prefix, digest, created_at, expires_at, last_used_at, label';

/** SQLite's 1 or PostgreSQL's true. */
const flag = (v: number | boolean): boolean => v === true || v === 1;

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    emailVerified: flag(r.email_verified),
    firstName: r.first_name,
    lastName: r.last_name,
    isActive: flag(r.is_active),
    isStaff: flag(r.is_staff),
    isSuperuser: flag(r.is_superuser),
    lastLogin: r.last_login === null ? null : new Date(r.last_login),
    dateJoined: new Date(r.date_joined),
    password: r.password,
    credentialGeneration: r.credential_generation,
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

/** A `gatehouse_jwt_outstanding` row. */
export interface OutstandingRow {
  jti: string;
  user_id: number | null;
  token_type: 'refresh' | 'sliding';
  family_id: string | null;
  created_at: number;
  expires_at: number;
  blacklisted_at: number | null;
  replaced_by: string | null;
  replaced_at: number | null;
  replacement_iat: number | null;
  replacement_exp: number | null;
}

export interface FamilyRow {
  id: string;
  user_id: number | null;
  created_at: number;
  not_after: number | null;
  revoked_at: number | null;
  reason: string | null;
}

export const OUTSTANDING_COLUMNS =
  'jti, user_id, token_type, family_id, created_at, expires_at, blacklisted_at, replaced_by, replaced_at, replacement_iat, replacement_exp';
export const FAMILY_COLUMNS = 'id, user_id, created_at, not_after, revoked_at, reason';

export const toOutstanding = (r: OutstandingRow): OutstandingToken => ({
  jti: r.jti,
  userId: r.user_id,
  tokenType: r.token_type,
  familyId: r.family_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  blacklistedAt: r.blacklisted_at,
  replacedBy: r.replaced_by,
  replacedAt: r.replaced_at,
  replacementIat: r.replacement_iat,
  replacementExp: r.replacement_exp,
});

export const toFamily = (r: FamilyRow): RefreshFamily => ({
  id: r.id,
  userId: r.user_id,
  createdAt: r.created_at,
  notAfter: r.not_after,
  revokedAt: r.revoked_at,
  reason: r.reason,
});

/** A `gatehouse_signing_key` row. */
export interface KeyRow {
  kid: string;
  alg: string;
  status: 'active' | 'verify' | 'retired';
  created_at: number;
  retired_at: number | null;
  public_jwk: string | null;
  encrypted_key: string;
}
export const KEY_COLUMNS = 'kid, alg, status, created_at, retired_at, public_jwk, encrypted_key';

export const toSigningKey = (r: KeyRow): StoredSigningKey => ({
  kid: r.kid,
  alg: r.alg,
  status: r.status,
  createdAt: r.created_at,
  retiredAt: r.retired_at,
  publicJwk: r.public_jwk,
  encryptedKey: r.encrypted_key,
});
