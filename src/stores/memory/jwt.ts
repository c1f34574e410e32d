/**
 * In-memory JWT stores (same contract as `../sqlite/jwt.ts`; single-threaded
 * JavaScript makes each method atomic).
 */
import { newFamilyId, resultOf } from '../rotation-result.js';
import type {
  JwtStore,
  KeyStore,
  NewOutstandingToken,
  OutstandingToken,
  RefreshFamily,
  RotateInput,
  RotateResult,
  StoredSigningKey,
} from '../types.js';
import { requireGeneration } from '../generation.js';

interface Bump {
  bump(): void;
}

export class MemoryJwtStore implements JwtStore {
  readonly outstanding = new Map<string, OutstandingToken>();
  readonly families = new Map<string, RefreshFamily>();
  readonly denied = new Map<string, number>();
  readonly epochs = new Map<number, number>();

  constructor(
    private readonly changes: Bump,
    private readonly userExists: (id: number) => boolean,
    /** A user's credential generation, null when there is no such user. */
    private readonly userGeneration: (id: number) => number | null = () => null,
  ) {}

  private known(userId: number | null): number | null {
    return userId !== null && this.userExists(userId) ? userId : null;
  }

  private insert(t: NewOutstandingToken): OutstandingToken {
    const existing = this.outstanding.get(t.jti);
    if (existing) return existing;
    const row: OutstandingToken = {
      ...t,
      userId: this.known(t.userId),
      blacklistedAt: null,
      replacedBy: null,
      replacedAt: null,
      replacementIat: null,
      replacementExp: null,
    };
    this.outstanding.set(t.jti, row);
    return row;
  }

  private ensureFamily(id: string, userId: number | null, now: number, notAfter: number | null): RefreshFamily {
    let f = this.families.get(id);
    if (!f) {
      f = { id, userId: this.known(userId), createdAt: now, notAfter, revokedAt: null, reason: null };
      this.families.set(id, f);
    }
    return f;
  }

  async recordOutstanding(token: NewOutstandingToken, familyNotAfter: number | null = null, generation?: number): Promise<void> {
    requireGeneration(generation, token.userId === null ? null : this.userGeneration(token.userId));
    if (token.familyId) this.ensureFamily(token.familyId, token.userId, token.createdAt, familyNotAfter);
    this.insert(token);
  }

  async getOutstanding(jti: string): Promise<OutstandingToken | null> {
    const t = this.outstanding.get(jti);
    return t ? { ...t } : null;
  }

  async getFamily(id: string): Promise<RefreshFamily | null> {
    const f = this.families.get(id);
    return f ? { ...f } : null;
  }

  async blacklist(token: NewOutstandingToken, now: number): Promise<boolean> {
    const row = this.insert(token);
    if (row.blacklistedAt !== null) return false;
    row.blacklistedAt = now;
    return true;
  }

  private revokeFamilyNow(familyId: string, now: number, reason: string): void {
    const f = this.families.get(familyId);
    if (f && f.revokedAt === null) {
      f.revokedAt = now;
      f.reason = reason;
    }
    for (const t of this.outstanding.values()) if (t.familyId === familyId && t.blacklistedAt === null) t.blacklistedAt = now;
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { current, next, now } = input;
    const row = this.insert(current);
    if (!row.familyId) {
      row.familyId = current.familyId ?? newFamilyId();
      this.ensureFamily(row.familyId, current.userId, now, input.familyNotAfter);
    }
    const familyId = row.familyId;
    const replacement = row.replacedBy === null ? undefined : this.outstanding.get(row.replacedBy);
    const family = this.families.get(familyId);
    const action = input.decide({ token: { ...row }, replacement: replacement ? { ...replacement } : null, family: family ? { ...family } : null });
    if (action.kind === 'rotate') {
      row.replacedBy = next.jti;
      row.replacedAt = now;
      row.replacementIat = next.iat;
      row.replacementExp = next.exp;
      if (action.blacklistCurrent) row.blacklistedAt = now;
      this.insert({ jti: next.jti, userId: next.userId, tokenType: next.tokenType, familyId, createdAt: next.createdAt, expiresAt: next.expiresAt });
    } else if (action.kind === 'revoke_family') {
      this.revokeFamilyNow(familyId, now, 'reuse');
    }
    return resultOf(action, familyId);
  }

  async revokeFamily(familyId: string, now: number, reason: string): Promise<void> {
    this.revokeFamilyNow(familyId, now, reason);
  }

  async revokeAllForUser(userId: number, now: number, reason: string): Promise<number> {
    for (const f of this.families.values()) {
      if (f.userId === userId && f.revokedAt === null) {
        f.revokedAt = now;
        f.reason = reason;
      }
    }
    let n = 0;
    for (const t of this.outstanding.values()) {
      if (t.userId === userId && t.blacklistedAt === null) {
        t.blacklistedAt = now;
        n++;
      }
    }
    return n;
  }

  async denyAccessToken(jti: string, expiresAt: number): Promise<void> {
    this.denied.set(jti, expiresAt);
    this.changes.bump();
  }

  async isAccessTokenDenied(jti: string): Promise<boolean> {
    return this.denied.has(jti);
  }

  async userEpoch(userId: number): Promise<number> {
    return this.epochs.get(userId) ?? 0;
  }

  async bumpUserEpoch(userId: number): Promise<number> {
    if (!this.userExists(userId)) return 0;
    const epoch = (this.epochs.get(userId) ?? 0) + 1;
    this.epochs.set(userId, epoch);
    this.changes.bump();
    return epoch;
  }

  /** A user was deleted: their rows lose the user, epochs go (SQLite's ON DELETE). */
  forgetUser(userId: number): void {
    for (const t of this.outstanding.values()) if (t.userId === userId) t.userId = null;
    for (const [id, f] of this.families) if (f.userId === userId) this.families.delete(id);
    this.epochs.delete(userId);
  }

  async deleteExpired(now: number): Promise<number> {
    let n = 0;
    for (const [jti, t] of this.outstanding) {
      if (t.expiresAt <= now) {
        this.outstanding.delete(jti);
        n++;
      }
    }
    for (const [jti, exp] of this.denied) {
      if (exp <= now) {
        this.denied.delete(jti);
        n++;
      }
    }
    const used = new Set([...this.outstanding.values()].map((t) => t.familyId));
    for (const id of this.families.keys()) if (!used.has(id)) this.families.delete(id);
    return n;
  }
}

export class MemoryKeyStore implements KeyStore {
  readonly keys: StoredSigningKey[] = [];

  constructor(private readonly changes: Bump) {}

  async listKeys(): Promise<StoredSigningKey[]> {
    // kid in byte order, as the SQL stores' ORDER BY (not localeCompare: the locale's order differs).
    return this.keys.map((k) => ({ ...k })).sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  }

  async insertKey(key: StoredSigningKey): Promise<void> {
    if (this.keys.some((k) => k.kid === key.kid)) throw new Error('UNIQUE constraint failed: kid');
    if (key.status === 'active') for (const k of this.keys) if (k.status === 'active') k.status = 'verify';
    this.keys.push({ ...key });
    this.changes.bump();
  }

  async activateKey(kid: string): Promise<boolean> {
    const key = this.keys.find((k) => k.kid === kid);
    if (!key || key.status === 'retired') return false;
    for (const k of this.keys) if (k.status === 'active') k.status = 'verify';
    key.status = 'active';
    this.changes.bump();
    return true;
  }

  async retireKey(kid: string, now: number): Promise<boolean> {
    const key = this.keys.find((k) => k.kid === kid);
    if (!key || key.status === 'retired') return false;
    key.status = 'retired';
    key.retiredAt = now;
    this.changes.bump();
    return true;
  }
}
