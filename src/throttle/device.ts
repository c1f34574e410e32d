/**
 * Login device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"):
 * proof that this client once logged in to this username, so that its login attempts can
 * be judged by its own failure counter instead of the username-wide one.
 *
 * Value: `<nonce>.<issued>.<mac>`
 * - `nonce`: 16 random bytes, base64url (22 characters); it names the device's counter;
 * - `issued`: epoch seconds, decimal; the cookie is refused once `lifetime` has passed;
 * - `mac`: HMAC-SHA256, base64url (43 characters), over `<username id>.<nonce>.<issued>`
 *   where the username id is the login throttle's digest of the normalised username
 *   (`usernameDigest`). The key is HKDF-SHA256 of the server secret with its own purpose
 *   string, so it signs nothing else.
 *
 * Nothing secret is inside (not even the username: the client sends that with the
 * password); a cookie is only worth anything with the username it was issued for, and
 * forging one needs the server secret. Cookies are stateless: each success issues a new
 * one; an old one stays valid until its lifetime ends (its counter still limits it).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** Longest value ever issued: 22 + 1 + 10..16 + 1 + 43. Anything longer is refused unread. */
const MAX_VALUE_LENGTH = 100;
const NONCE = /^[A-Za-z0-9_-]{22}$/;
const ISSUED = /^[0-9]{1,15}$/;

/** Construction options of `DeviceCookies`. */
export interface DeviceCookiesOptions {
  /** The server secret (`secretKey`); the signing key is derived from it. */
  secretKey: string;
  /** `throttle.deviceCookieName`. */
  name: string;
  /** `throttle.deviceCookieLifetime` in ms (positive). */
  lifetimeMs: number;
  clock: Clock;
}

/** Signs and checks device cookie values (see the module comment). */
export class DeviceCookies {
  readonly name: string;
  readonly lifetimeMs: number;
  private readonly key: Buffer;
  private readonly clock: Clock;

  constructor(o: DeviceCookiesOptions) {
    if (!(o.lifetimeMs > 0)) throw new RangeError('deviceCookieLifetime must be positive');
    this.name = o.name;
    this.lifetimeMs = o.lifetimeMs;
    this.clock = o.clock;
    this.key = Buffer.from(hkdfSync('sha256', o.secretKey, 'gatehouse', 'login device cookie hmac v1', 32));
  }

  /** `Max-Age` of the cookie, in whole seconds. */
  get maxAgeSeconds(): number {
    return Math.floor(this.lifetimeMs / 1000);
  }

  /** A new cookie value for the username whose digest is `usernameId`. */
  issue(usernameId: string): string {
    const nonce = randomBytes(16).toString('base64url');
    const issued = String(Math.floor(this.clock.now() / 1000));
    return `${nonce}.${issued}.${this.mac(usernameId, nonce, issued).toString('base64url')}`;
  }

  /**
   * The device id (the nonce) of `value` when it is a cookie this server issued for
   * `usernameId` and its lifetime has not ended; null for anything else. Linear in a
   * bounded length; the MAC is compared in constant time.
   */
  verify(value: string | undefined, usernameId: string): string | null {
    if (value === undefined || value.length > MAX_VALUE_LENGTH) return null;
    const parts = value.split('.');
    if (parts.length !== 3) return null;
    const [nonce, issued, mac] = parts as [string, string, string];
    if (!NONCE.test(nonce) || !ISSUED.test(issued)) return null;
    if (this.clock.now() >= Number(issued) * 1000 + this.lifetimeMs) return null;
    const expected = this.mac(usernameId, nonce, issued);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || given.toString('base64url') !== mac) return null;
    return timingSafeEqual(given, expected) ? nonce : null;
  }

  private mac(usernameId: string, nonce: string, issued: string): Buffer {
    return createHmac('sha256', this.key).update(`${usernameId}.${nonce}.${issued}`, 'utf8').digest();
  }
}
