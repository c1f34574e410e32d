/**
 * Trusted devices ("remember this device"): after a second factor with
 * `remember_device`, the browser gets a cookie `<id>.<secret>.<mac>` — a random device id,
 * a random 256-bit secret, and an HMAC of both under a key derived from the server
 * secret (forged values are refused before any lookup). The store keeps the secret's
 * SHA-256, the user, the credential generation, a label and the times. A later password
 * login of the same user presenting the cookie skips the second factor while the device
 * is stored, unexpired, of that user, and of the user's current credential generation
 * (a password change or logout-all voids every device; they are also deleted then).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { RequestView } from '../core/request.js';
import type { User } from '../core/user.js';
import { serializeCookie } from '../cookies/cookie.js';
import { isLocalhostRequest } from '../cookies/origin.js';
import type { TrustedDeviceRecord, TrustedDeviceStore } from '../stores/types.js';

const COOKIE_MAX = 200;
const LABEL_MAX = 120;

export interface TrustedDeviceOptions {
  /** HMAC key of the cookie (derived from the server secret). */
  key: Buffer;
  lifetimeMs: number;
  cookieName: string;
  clock: Clock;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const equal = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The stored label: the User-Agent without control characters, truncated. */
export function deviceLabel(req: RequestView): string {
  const ua = (req.headers['user-agent'] ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return ua ? ua.slice(0, LABEL_MAX) : 'unknown client';
}

export class TrustedDevices {
  constructor(
    private readonly store: TrustedDeviceStore,
    private readonly options: TrustedDeviceOptions,
  ) {}

  get cookieName(): string {
    return this.options.cookieName;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.options.key).update(body).digest('base64url');
  }

  /** Trust the requesting browser for `user`: store the device, answer the `Set-Cookie` line. */
  async remember(user: User, req: RequestView): Promise<string> {
    const now = this.options.clock.now();
    await this.store.deleteExpired(now);
    const id = randomBytes(16).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const generation = user.credentialGeneration ?? 0;
    const expiresAt = now + this.options.lifetimeMs;
    await this.store.create({ id, userId: user.id, digest: sha256(secret), generation, label: deviceLabel(req), createdAt: now, lastUsedAt: now, expiresAt });
    const value = `${id}.${secret}.${this.mac(`${id}.${secret}`)}`;
    const attrs = { domain: null, path: '/', httpOnly: true, secure: !isLocalhostRequest(req), sameSite: 'Strict' as const };
    return serializeCookie(this.options.cookieName, value, this.options.lifetimeMs / 1000, now, attrs);
  }

  /** The device the request's cookie names, when it is valid for `user` now (its last use recorded). */
  async recognise(user: User, req: RequestView): Promise<TrustedDeviceRecord | null> {
    const value = req.cookies[this.options.cookieName];
    if (!value || value.length > COOKIE_MAX) return null;
    const [id, secret, mac, ...rest] = value.split('.');
    if (!id || !secret || !mac || rest.length > 0 || !equal(mac, this.mac(`${id}.${secret}`))) return null;
    const device = await this.store.get(id);
    const now = this.options.clock.now();
    if (!device || device.userId !== user.id || device.expiresAt <= now) return null;
    if (device.generation !== (user.credentialGeneration ?? 0) || !equal(device.digest, sha256(secret))) return null;
    await this.store.touch(id, now);
    return device;
  }

  /** The user's unexpired devices, oldest first. */
  async list(userId: number): Promise<TrustedDeviceRecord[]> {
    const now = this.options.clock.now();
    return (await this.store.list(userId)).filter((d) => d.expiresAt > now);
  }

  revoke(userId: number, id: string): Promise<boolean> {
    return this.store.delete(id, userId);
  }

  /** Forget every device of the user (credentials changed, factors removed, or the user asked). */
  revokeAll(userId: number): Promise<number> {
    return this.store.deleteAllForUser(userId);
  }
}
