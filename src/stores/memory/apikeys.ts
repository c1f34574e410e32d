/**
 * In-memory API key store (`ApiKeyStore`): rows in a map, owners read from the user
 * rows, so a deleted owner takes its keys with it (`forgetUser`).
 */
import type { User } from '../../core/user.js';
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore, ApiKeyWithUser, ChangeSignal, NewApiKeyRecord } from '../types.js';

const copy = (k: ApiKeyRecord): ApiKeyRecord => ({ ...k, scopes: [...k.scopes] });

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly rows = new Map<number, ApiKeyRecord>();
  private nextId = 1;
  constructor(
    private readonly changes: ChangeSignal & { bump(): void },
    private readonly userById: (id: number) => User | null,
  ) {}
  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord> {
    if (key.userId !== null && !this.userById(key.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    for (const k of this.rows.values()) if (k.lookupId === key.lookupId) throw new Error('UNIQUE constraint failed: lookup_id');
    const rec: ApiKeyRecord = { ...key, scopes: [...key.scopes], id: this.nextId++, lastUsedAt: null, revokedAt: null };
    this.rows.set(rec.id, rec);
    return copy(rec);
  }
  async findByLookupId(lookupId: string): Promise<ApiKeyWithUser | null> {
    for (const k of this.rows.values()) {
      if (k.lookupId !== lookupId) continue;
      return { key: copy(k), user: k.userId === null ? null : this.userById(k.userId) };
    }
    return null;
  }
  async get(id: number): Promise<ApiKeyRecord | null> {
    const k = this.rows.get(id);
    return k ? copy(k) : null;
  }
  async list(userId?: number): Promise<ApiKeyRecord[]> {
    return [...this.rows.values()]
      .filter((k) => userId === undefined || k.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
      .map(copy);
  }
  async touch(id: number, lastUsedAt: number): Promise<void> {
    const k = this.rows.get(id);
    if (k) k.lastUsedAt = lastUsedAt;
  }
  async revoke(id: number, now: number): Promise<boolean> {
    const k = this.rows.get(id);
    if (!k || k.revokedAt !== null) return false;
    k.revokedAt = now;
    this.changes.bump();
    return true;
  }
  async revokeAllForUser(userId: number, now: number): Promise<number> {
    let n = 0;
    for (const k of this.rows.values()) {
      if (k.userId === userId && k.revokedAt === null) {
        k.revokedAt = now;
        n++;
      }
    }
    if (n > 0) this.changes.bump();
    return n;
  }
  async update(id: number, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    const k = this.rows.get(id);
    if (!k) return null;
    Object.assign(k, patch, patch.scopes ? { scopes: [...patch.scopes] } : {});
    this.changes.bump();
    return copy(k);
  }
  /** The owner was deleted: its keys go with it. */
  forgetUser(userId: number): void {
    for (const k of [...this.rows.values()]) if (k.userId === userId) this.rows.delete(k.id);
  }
}
