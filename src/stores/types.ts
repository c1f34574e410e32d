/**
 * Store interfaces: what the services need from persistence, nothing more.
 *
 * Every method is async so that SQLite (built in), PostgreSQL, Redis or an
 * application's own user table plug in without touching callers. Implementations
 * must be atomic where a method says so. One contract test suite
 * (`test/stores/contract.ts`) runs against every implementation.
 */
import type { User } from '../core/user.js';

/** Fields needed to create a user. */
export interface NewUser {
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /** A password hash (never a plain password). */
  password: string;
  dateJoined: Date;
}

/** Fields that can be changed on a user. */
export type UserPatch = Partial<Pick<User, 'email' | 'firstName' | 'lastName' | 'isActive' | 'isStaff' | 'isSuperuser' | 'password' | 'lastLogin'>>;

/** Thrown by `UserStore.create` when the username exists. */
export class UsernameTaken extends Error {
  constructor(readonly username: string) {
    super('A user with that username already exists.');
  }
}

export interface UserStore {
  getById(id: number): Promise<User | null>;
  /** Exact, case-sensitive match (Django's default). */
  getByUsername(username: string): Promise<User | null>;
  /** Throws `UsernameTaken`. */
  create(user: NewUser): Promise<User>;
  /** Returns the updated user, or null if it does not exist. */
  update(id: number, patch: UserPatch): Promise<User | null>;
  /** Deletes the user and, atomically, every credential that belongs to it. */
  delete(id: number): Promise<boolean>;
  list(): Promise<User[]>;
}

/** A stored opaque token. The secret itself is never stored: only its digest. */
export interface TokenRecord {
  id: number;
  userId: number;
  /** Non-secret lookup prefix (the first characters of the token). */
  prefix: string;
  /** Hex SHA-256 of the whole token. */
  digest: string;
  createdAt: number;
  /** Epoch ms, or null for tokens that never expire. */
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** Client label, e.g. the User-Agent at creation (truncated). */
  label: string | null;
}

export type NewTokenRecord = Omit<TokenRecord, 'id'>;

/** A token found by its prefix, with its user (one query on the hot path). */
export interface TokenWithUser {
  token: TokenRecord;
  user: User;
}

/** What to do when a user already has `max` unexpired tokens. */
export interface TokenLimit {
  max: number;
  /** `refuse`: throw `TokenLimitReached`; `evictOldest`: delete the oldest to make room. */
  action: 'refuse' | 'evictOldest';
}

export class TokenLimitReached extends Error {
  constructor() {
    super('Maximum amount of tokens allowed per user exceeded.');
  }
}

export interface TokenStore {
  /**
   * Insert a token. With `limit`, counting the user's unexpired tokens (at `now`) and
   * inserting are atomic, so concurrent logins cannot exceed the limit.
   */
  create(token: NewTokenRecord, limit?: TokenLimit): Promise<TokenRecord>;
  /** Every token whose prefix matches, with its user. */
  findByPrefix(prefix: string): Promise<TokenWithUser[]>;
  /** Record use: new last-used time and, optionally, a new expiry. */
  touch(id: number, lastUsedAt: number, expiresAt?: number | null): Promise<void>;
  get(id: number): Promise<TokenRecord | null>;
  /** Delete one token; returns whether it existed. */
  delete(id: number): Promise<boolean>;
  /** Delete one token only if it belongs to `userId`. */
  deleteForUser(userId: number, id: number): Promise<boolean>;
  /** Delete every token of a user; returns how many. */
  deleteAllForUser(userId: number): Promise<number>;
  listForUser(userId: number): Promise<TokenRecord[]>;
  /** Delete tokens whose expiry is at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/**
 * A cheap, synchronous change counter. It changes whenever any user or token may
 * have changed — in this process or, where the store can see it, in another one
 * (SQLite's `data_version`). Caches compare it on every use, so a revocation made
 * anywhere is honoured on the very next request.
 */
export interface ChangeSignal {
  generation(): number;
}

/** The set of stores a Gatehouse instance runs on. */
export interface Stores {
  users: UserStore;
  tokens: TokenStore;
  changes: ChangeSignal;
  close(): Promise<void>;
}
