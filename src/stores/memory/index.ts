/**
 * In-memory stores: for tests and for applications that want Gatehouse without
 * persistence. Same contract as the SQLite store (one contract suite tests both);
 * single-threaded JavaScript makes each method atomic.
 */
import type { User } from '../../core/user.js';
import type {
  ChangeSignal,
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
import { oneHashPerProfile } from '../hash-profile.js';
import { MemoryJwtStore, MemoryKeyStore } from './jwt.js';
import { MemoryApiKeyStore } from './apikeys.js';
import { MemoryPasskeyStore } from './passkeys.js';
import { MemoryMfaTicketStore, MemoryTrustedDeviceStore } from './mfa-login.js';
import { MemoryMfaStore } from './mfa.js';

class Counter implements ChangeSignal {
  private n = 0;
  bump(): void {
    this.n++;
  }
  generation(): number {
    return this.n;
  }
}

const copyUser = (u: User): User => ({ ...u, lastLogin: u.lastLogin && new Date(u.lastLogin), dateJoined: new Date(u.dateJoined) });

class MemoryUserStore implements UserStore {
  readonly rows = new Map<number, User>();
  private nextId = 1;
  constructor(private readonly changes: Counter, private readonly onDelete: (id: number) => void) {}
  async getById(id: number): Promise<User | null> {
    const u = this.rows.get(id);
    return u ? copyUser(u) : null;
  }
  async getByUsername(username: string): Promise<User | null> {
    for (const u of this.rows.values()) if (u.username === username) return copyUser(u);
    return null;
  }
  async findByUsernameIgnoringCase(username: string): Promise<User[]> {
    const key = username.toLowerCase();
    return [...this.rows.values()].filter((u) => u.username.toLowerCase() === key).sort((a, b) => a.id - b.id).map(copyUser);
  }
  async findByEmail(email: string): Promise<User[]> {
    if (email === '') return [];
    const key = emailKey(email);
    return [...this.rows.values()].filter((u) => emailKey(u.email) === key).sort((a, b) => a.id - b.id).map(copyUser);
  }
  /** Throws `UsernameTaken` when `username` is another user's than `id`'s. */
  private claim(username: string | undefined, id?: number): void {
    if (username === undefined) return;
    for (const u of this.rows.values()) if (u.username === username && u.id !== id) throw new UsernameTaken(username);
  }
  async create(n: NewUser): Promise<User> {
    this.claim(n.username);
    const user: User = {
      id: this.nextId++,
      username: n.username,
      email: n.email ?? '',
      emailVerified: n.emailVerified === true,
      firstName: n.firstName ?? '',
      lastName: n.lastName ?? '',
      isActive: n.isActive !== false,
      isStaff: n.isStaff === true,
      isSuperuser: n.isSuperuser === true,
      lastLogin: null,
      dateJoined: new Date(n.dateJoined),
      password: n.password,
      credentialGeneration: 0,
    };
    this.rows.set(user.id, user);
    return copyUser(user);
  }
  /** The user's current credential generation, null when there is no such user. */
  generation(id: number): number | null {
    return this.rows.get(id)?.credentialGeneration ?? null;
  }
  async update(id: number, patch: UserPatch, generation?: number): Promise<User | null> {
    const u = this.rows.get(id);
    if (!u) return null;
    if (generation !== undefined && !generationCurrent(generation, this.generation(id))) return null;
    this.claim(patch.username, id);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    Object.assign(u, defined);
    if (Object.keys(defined).some((k) => k !== 'lastLogin')) this.changes.bump();
    return copyUser(u);
  }
  async bumpGeneration(id: number, patch: UserPatch = {}, expected?: number): Promise<User | null> {
    const u = this.rows.get(id);
    if (!u) return null;
    if (expected !== undefined && !generationCurrent(expected, this.generation(id))) return null;
    this.claim(patch.username, id);
    Object.assign(u, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    u.credentialGeneration = (u.credentialGeneration ?? 0) + 1;
    this.changes.bump();
    return copyUser(u);
  }
  async delete(id: number): Promise<boolean> {
    const existed = this.rows.delete(id);
    if (existed) this.onDelete(id);
    this.changes.bump();
    return existed;
  }
  async list(): Promise<User[]> {
    return [...this.rows.values()].sort((a, b) => a.id - b.id).map(copyUser);
  }
  async passwordProfiles(limit: number): Promise<string[]> {
    return oneHashPerProfile([...this.rows.values()].map((u) => u.password), limit);
  }
}

class MemoryTokenStore implements TokenStore {
  readonly rows = new Map<number, TokenRecord>();
  private nextId = 1;
  constructor(private readonly changes: Counter, private readonly users: MemoryUserStore) {}
  private active(userId: number, now: number): TokenRecord[] {
    return [...this.rows.values()]
      .filter((t) => t.userId === userId && (t.expiresAt === null || t.expiresAt > now))
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }
  async create(token: NewTokenRecord, limit?: TokenLimit, generation?: number): Promise<TokenRecord> {
    requireGeneration(generation, this.users.generation(token.userId));
    if (!this.users.rows.has(token.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    if (limit) {
      const active = this.active(token.userId, token.createdAt);
      const evict = tokensToEvict(active.length, limit);
      if (evict === 'refuse') throw new TokenLimitReached();
      if (evict > 0) {
        for (const t of active.slice(0, evict)) this.rows.delete(t.id);
        this.changes.bump();
      }
    }
    for (const t of this.rows.values()) if (t.digest === token.digest) throw new Error('UNIQUE constraint failed: digest');
    const rec = { ...token, id: this.nextId++ };
    this.rows.set(rec.id, rec);
    return { ...rec };
  }
  async findByPrefix(prefix: string): Promise<TokenWithUser[]> {
    const out: TokenWithUser[] = [];
    for (const t of this.rows.values()) {
      const user = t.prefix === prefix ? this.users.rows.get(t.userId) : undefined;
      if (user) out.push({ token: { ...t }, user: copyUser(user) });
    }
    return out;
  }
  async touch(id: number, lastUsedAt: number, expiresAt?: number | null): Promise<void> {
    const t = this.rows.get(id);
    if (!t) return;
    t.lastUsedAt = lastUsedAt;
    if (expiresAt !== undefined) t.expiresAt = expiresAt;
  }
  async get(id: number): Promise<TokenRecord | null> {
    const t = this.rows.get(id);
    return t ? { ...t } : null;
  }
  async delete(id: number): Promise<boolean> {
    const existed = this.rows.delete(id);
    if (existed) this.changes.bump();
    return existed;
  }
  async deleteForUser(userId: number, id: number): Promise<boolean> {
    return this.rows.get(id)?.userId === userId ? this.delete(id) : false;
  }
  async deleteAllForUser(userId: number): Promise<number> {
    let n = 0;
    for (const t of [...this.rows.values()]) if (t.userId === userId && this.rows.delete(t.id)) n++;
    if (n > 0) this.changes.bump();
    return n;
  }
  async listForUser(userId: number): Promise<TokenRecord[]> {
    return [...this.rows.values()]
      .filter((t) => t.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
      .map((t) => ({ ...t }));
  }
  async deleteExpired(now: number): Promise<number> {
    let n = 0;
    for (const t of [...this.rows.values()]) if (t.expiresAt !== null && t.expiresAt <= now && this.rows.delete(t.id)) n++;
    if (n > 0) this.changes.bump();
    return n;
  }
}

/** Every store kept in process memory. */
export class MemoryStores implements Stores {
  readonly users: MemoryUserStore;
  readonly tokens: MemoryTokenStore;
  readonly jwt: MemoryJwtStore;
  readonly keys: MemoryKeyStore;
  readonly apiKeys: MemoryApiKeyStore;
  readonly passkeys: MemoryPasskeyStore;
  readonly mfaTickets: MemoryMfaTicketStore;
  readonly trustedDevices: MemoryTrustedDeviceStore;
  readonly mfa: MemoryMfaStore;
  readonly changes: Counter;
  constructor() {
    this.changes = new Counter();
    this.users = new MemoryUserStore(this.changes, (id) => {
      void this.tokens.deleteAllForUser(id);
      this.jwt.forgetUser(id);
      this.apiKeys.forgetUser(id);
      this.passkeys.forgetUser(id);
      this.mfaTickets.forgetUser(id);
      this.trustedDevices.forgetUser(id);
      this.mfa.forgetUser(id);
    });
    this.tokens = new MemoryTokenStore(this.changes, this.users);
    this.jwt = new MemoryJwtStore(this.changes, (id) => this.users.rows.has(id), (id) => this.users.generation(id));
    this.keys = new MemoryKeyStore(this.changes);
    this.passkeys = new MemoryPasskeyStore((id) => this.users.rows.has(id));
    this.apiKeys = new MemoryApiKeyStore(this.changes, (id) => {
      const u = this.users.rows.get(id);
      return u ? copyUser(u) : null;
    });
    this.mfaTickets = new MemoryMfaTicketStore((id) => this.users.rows.has(id));
    this.trustedDevices = new MemoryTrustedDeviceStore((id) => this.users.rows.has(id));
    this.mfa = new MemoryMfaStore((id) => this.users.rows.has(id));
  }
  async close(): Promise<void> {}
}
