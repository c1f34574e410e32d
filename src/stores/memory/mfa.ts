/**
 * In-memory second-factor store (`MfaStore`): a device and a set of recovery-code
 * digests per user. Single-threaded JavaScript makes each method atomic; a deleted user
 * takes its rows with it (`forgetUser`).
 */
import type { MfaStore, NewTotpDevice, TotpDevice } from '../types.js';

export class MemoryMfaStore implements MfaStore {
  private readonly devices = new Map<number, TotpDevice>();
  private readonly codes = new Map<number, Set<string>>();
  constructor(private readonly userExists: (id: number) => boolean) {}
  async getTotp(userId: number): Promise<TotpDevice | null> {
    const d = this.devices.get(userId);
    return d ? { ...d } : null;
  }
  async beginTotp(device: NewTotpDevice): Promise<boolean> {
    if (!this.userExists(device.userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    if (this.devices.get(device.userId)?.confirmedAt != null) return false;
    this.devices.set(device.userId, { ...device, confirmedAt: null, lastUsedStep: -1 });
    return true;
  }
  async confirmTotp(userId: number, secret: string, step: number, now: number, recoveryDigests: string[]): Promise<boolean> {
    const d = this.devices.get(userId);
    if (!d || d.confirmedAt !== null || d.secret !== secret) return false;
    d.confirmedAt = now;
    d.lastUsedStep = step;
    this.codes.set(userId, new Set(recoveryDigests));
    return true;
  }
  async useTotpStep(userId: number, step: number): Promise<boolean> {
    const d = this.devices.get(userId);
    if (!d || d.confirmedAt === null || d.lastUsedStep >= step) return false;
    d.lastUsedStep = step;
    return true;
  }
  async deleteTotp(userId: number): Promise<boolean> {
    return this.devices.delete(userId);
  }
  async replaceRecoveryCodes(userId: number, digests: string[]): Promise<void> {
    if (!this.userExists(userId)) throw new Error('FOREIGN KEY constraint failed: no such user');
    this.codes.set(userId, new Set(digests));
  }
  async consumeRecoveryCode(userId: number, digest: string): Promise<boolean> {
    return this.codes.get(userId)?.delete(digest) ?? false;
  }
  async countRecoveryCodes(userId: number): Promise<number> {
    return this.codes.get(userId)?.size ?? 0;
  }
  async deleteRecoveryCodes(userId: number): Promise<number> {
    const n = this.codes.get(userId)?.size ?? 0;
    this.codes.delete(userId);
    return n;
  }
  /** The user was deleted: its rows go with it. */
  forgetUser(userId: number): void {
    this.devices.delete(userId);
    this.codes.delete(userId);
  }
}
