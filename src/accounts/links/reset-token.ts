/**
 * Django's `PasswordResetTokenGenerator` (3.1+, SHA-256): `<ts base 36>-<hash>` where ts
 * is seconds since 2001-01-01 UTC and hash every other hex digit of
 * HMAC-SHA256(key = SHA256(keySalt + secret), pk + password hash + last login (to the
 * second, naive) + ts + e-mail). The `allauth` variant appends the user's addresses
 * (`EmailAwarePasswordResetTokenGenerator`; here the one address). A token is valid
 * while `now - ts <= timeoutSeconds`; comparisons are constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { User } from '../../core/user.js';

export const DJANGO_KEY_SALT = 'django.contrib.auth.tokens.PasswordResetTokenGenerator';
const EPOCH_2001 = Date.UTC(2001, 0, 1) / 1000;

export interface ResetTokenOptions {
  secret: string;
  keySalt?: string;
  variant?: 'django' | 'allauth';
  timeoutSeconds: number;
  clock: Clock;
}

/** Python's `str(datetime)` of a naive datetime without microseconds. */
function pythonDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export class PasswordResetTokenGenerator {
  private readonly key: Buffer;

  constructor(private readonly options: ResetTokenOptions) {
    this.key = createHash('sha256').update((options.keySalt ?? DJANGO_KEY_SALT) + options.secret, 'utf8').digest();
  }

  private now(): number {
    return Math.floor(this.options.clock.now() / 1000) - EPOCH_2001;
  }

  private hash(user: User, ts: number): string {
    const login = user.lastLogin ? pythonDateTime(user.lastLogin) : '';
    let value = `${user.id}${user.password}${login}${ts}${user.email}`;
    if (this.options.variant === 'allauth') value += user.email;
    const hex = createHmac('sha256', this.key).update(value, 'utf8').digest('hex');
    let out = '';
    for (let i = 0; i < hex.length; i += 2) out += hex[i];
    return out;
  }

  makeToken(user: User): string {
    const ts = this.now();
    return `${ts.toString(36)}-${this.hash(user, ts)}`;
  }

  checkToken(user: User, token: string): boolean {
    const match = /^([0-9a-z]{1,13})-([0-9a-f]{32})$/.exec(token);
    if (!match) return false;
    const ts = parseInt(match[1]!, 36);
    if (!Number.isSafeInteger(ts)) return false;
    const expected = Buffer.from(this.hash(user, ts), 'latin1');
    if (!timingSafeEqual(expected, Buffer.from(match[2]!, 'latin1'))) return false;
    return this.now() - ts <= this.options.timeoutSeconds;
  }
}
