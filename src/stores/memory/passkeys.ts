/**
 * In-memory passkey store (`PasskeyStore`): passkeys and challenges in maps; a deleted
 * user takes both with it (`forgetUser`). JavaScript runs one statement at a time, so
 * every method is atomic as the contract asks.
 */
import { PasskeyExists, PasskeyLimitReached, type NewPasskeyRecord, type PasskeyRecord, type PasskeyStore, type PasskeyUse, type WebAuthnCeremony, type WebAuthnChallenge } from '../types.js';

const copy = (p: PasskeyRecord): PasskeyRecord => ({ ...p, transports: [...p.transports] });

export class MemoryPasskeyStore implements PasskeyStore {
  readonly rows = new Map<number, PasskeyRecord>();
  readonly challenges = new Map<string, WebAuthnChallenge>();
  private nextId = 1;
  constructor(private readonly userExists: (id: number) => boolean) {}

  async create(record: NewPasskeyRecord, maxPerUser: number): Promise<PasskeyRecord> {
    if (!this.userExists(record.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    const mine = [...this.rows.values()].filter((p) => p.userId === record.userId);
    for (const p of this.rows.values()) if (p.credentialId === record.credentialId) throw new PasskeyExists();
    if (mine.length >= maxPerUser) throw new PasskeyLimitReached();
    const rec: PasskeyRecord = { ...record, transports: [...record.transports], id: this.nextId++, lastUsedAt: null };
    this.rows.set(rec.id, rec);
    return copy(rec);
  }
  async findByCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    for (const p of this.rows.values()) if (p.credentialId === credentialId) return copy(p);
    return null;
  }
  async listForUser(userId: number): Promise<PasskeyRecord[]> {
    return [...this.rows.values()]
      .filter((p) => p.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
      .map(copy);
  }
  async rename(userId: number, id: number, name: string): Promise<PasskeyRecord | null> {
    const p = this.rows.get(id);
    if (!p || p.userId !== userId) return null;
    p.name = name;
    return copy(p);
  }
  async delete(userId: number, id: number): Promise<boolean> {
    const p = this.rows.get(id);
    return p !== undefined && p.userId === userId && this.rows.delete(id);
  }
  async recordUse(id: number, expectedCounter: number, use: PasskeyUse): Promise<boolean> {
    const p = this.rows.get(id);
    if (!p || p.counter !== expectedCounter) return false;
    Object.assign(p, use);
    return true;
  }
  async saveChallenge(challenge: WebAuthnChallenge, now: number): Promise<void> {
    if (challenge.userId !== null && !this.userExists(challenge.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    if (this.challenges.has(challenge.challenge)) throw new Error('UNIQUE constraint failed: challenge');
    await this.deleteExpiredChallenges(now);
    this.challenges.set(challenge.challenge, { ...challenge });
  }
  async consumeChallenge(challenge: string, ceremony: WebAuthnCeremony, now: number): Promise<WebAuthnChallenge | null> {
    const c = this.challenges.get(challenge);
    if (!c) return null;
    this.challenges.delete(challenge);
    return c.ceremony === ceremony && c.expiresAt > now ? { ...c } : null;
  }
  async deleteExpiredChallenges(now: number): Promise<number> {
    let n = 0;
    for (const [key, c] of this.challenges) {
      if (c.expiresAt <= now) {
        this.challenges.delete(key);
        n++;
      }
    }
    return n;
  }
  /** The owner was deleted: its passkeys and challenges go with it. */
  forgetUser(userId: number): void {
    for (const p of [...this.rows.values()]) if (p.userId === userId) this.rows.delete(p.id);
    for (const [key, c] of [...this.challenges]) if (c.userId === userId) this.challenges.delete(key);
  }
}
