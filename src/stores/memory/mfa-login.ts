/**
 * In-memory MFA ticket and trusted device stores: rows in maps; a deleted user takes
 * its rows with it (`forgetUser`). Every method runs without an `await` between its read
 * and its write, so each is atomic in one process.
 */
import type { MfaTicketRecord, MfaTicketStore, NewMfaTicket, TrustedDeviceRecord, TrustedDeviceStore } from '../types.js';

/** Delete the rows `dead` picks; returns how many. */
function sweep<T>(rows: Map<string, T>, dead: (row: T) => boolean): number {
  let n = 0;
  for (const [k, row] of [...rows]) {
    if (dead(row)) {
      rows.delete(k);
      n++;
    }
  }
  return n;
}

export class MemoryMfaTicketStore implements MfaTicketStore {
  readonly rows = new Map<string, MfaTicketRecord>();
  constructor(private readonly userExists: (id: number) => boolean) {}
  async create(ticket: NewMfaTicket): Promise<void> {
    if (!this.userExists(ticket.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    if (this.rows.has(ticket.digest)) throw new Error('UNIQUE constraint failed: digest');
    this.rows.set(ticket.digest, { ...ticket, usedAt: null });
  }
  async get(digest: string): Promise<MfaTicketRecord | null> {
    const t = this.rows.get(digest);
    return t ? { ...t } : null;
  }
  async fail(digest: string): Promise<number | null> {
    const t = this.rows.get(digest);
    if (!t) return null;
    t.attemptsLeft = Math.max(0, t.attemptsLeft - 1);
    return t.attemptsLeft;
  }
  async consume(digest: string, now: number): Promise<boolean> {
    const t = this.rows.get(digest);
    if (!t || t.usedAt !== null || t.expiresAt <= now || t.attemptsLeft <= 0) return false;
    t.usedAt = now;
    return true;
  }
  async deleteExpired(now: number): Promise<number> {
    return sweep(this.rows, (t) => t.expiresAt <= now);
  }
  forgetUser(userId: number): void {
    sweep(this.rows, (t) => t.userId === userId);
  }
}

export class MemoryTrustedDeviceStore implements TrustedDeviceStore {
  readonly rows = new Map<string, TrustedDeviceRecord>();
  constructor(private readonly userExists: (id: number) => boolean) {}
  async create(device: TrustedDeviceRecord): Promise<void> {
    if (!this.userExists(device.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    if (this.rows.has(device.id)) throw new Error('UNIQUE constraint failed: id');
    this.rows.set(device.id, { ...device });
  }
  async get(id: string): Promise<TrustedDeviceRecord | null> {
    const d = this.rows.get(id);
    return d ? { ...d } : null;
  }
  async list(userId: number): Promise<TrustedDeviceRecord[]> {
    return [...this.rows.values()]
      .filter((d) => d.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map((d) => ({ ...d }));
  }
  async touch(id: string, lastUsedAt: number): Promise<void> {
    const d = this.rows.get(id);
    if (d) d.lastUsedAt = lastUsedAt;
  }
  async delete(id: string, userId: number): Promise<boolean> {
    const d = this.rows.get(id);
    if (!d || d.userId !== userId) return false;
    return this.rows.delete(id);
  }
  async deleteAllForUser(userId: number): Promise<number> {
    return sweep(this.rows, (d) => d.userId === userId);
  }
  async deleteExpired(now: number): Promise<number> {
    return sweep(this.rows, (d) => d.expiresAt <= now);
  }
  forgetUser(userId: number): void {
    sweep(this.rows, (d) => d.userId === userId);
  }
}
