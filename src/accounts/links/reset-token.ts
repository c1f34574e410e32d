/**
 * Django's `PasswordResetTokenGenerator` (djoser activation, password and username
 * reset) and allauth's `EmailAwarePasswordResetTokenGenerator` (dj-rest-auth password
 * reset), byte-compatible: a token made by one side is accepted by the other when both
 * share the secret key.
 *
 * token = `<ts>-<hash>`: `ts` = seconds since 2001-01-01 00:00 UTC in base 36; `hash` =
 * every other hex digit of `salted_hmac(key_salt, value, secret, sha256)`, where value =
 * pk + password hash + last login (`YYYY-MM-DD HH:MM:SS`, UTC, to the second; '' when
 * never) + ts + e-mail ('' when none); allauth appends `"|".join(sorted(set(addresses)))`,
 * for a Gatehouse user the e-mail once more (nothing when empty). A token is valid while
 * `now - ts <= timeoutSeconds` (`PASSWORD_RESET_TIMEOUT`, default 3 days).
 *
 * Choices (docs/security.md #119): a token longer than `MAX_RESET_TOKEN_LENGTH`, or whose
 * timestamp is not canonical base 36, is refused before any HMAC; Django 3.1/3.2's legacy
 * HMAC-SHA1 form (`DEFAULT_HASHING_ALGORITHM = 'sha1'`, 20 hex digits) is accepted unless
 * `legacySha1: false`, but pre-3.1 tokens counted in days (timestamps of fewer than 4
 * digits) are not. Comparison is constant-time.
 * `keySalt` (Django's `key_salt`) binds tokens to a purpose.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { User } from '../../core/user.js';
import { constantTimeEqual, fromBase36, saltedHmac, toBase36, type HashName } from './mechanics.js';

export const DJANGO_RESET_KEY_SALT = 'django.contrib.auth.tokens.PasswordResetTokenGenerator';
/** 13 base-36 digits (Django's cap), '-', 32 hex digits. */
export const MAX_RESET_TOKEN_LENGTH = 46;
const EPOCH_2001 = Date.UTC(2001, 0, 1);

/** What the token binds: the fields of a Gatehouse user it hashes. */
export type ResetTokenUser = Pick<User, 'id' | 'password' | 'lastLogin' | 'email'>;

export interface ResetTokenOptions {
  secretKey: string;
  /** `PASSWORD_RESET_TIMEOUT` in seconds; default 259200 (3 days). */
  timeoutSeconds?: number;
  /** `django`: Django's generator; `allauth`: allauth's e-mail-aware one. */
  variant?: 'django' | 'allauth';
  /** Django's `key_salt`; default Django's. */
  keySalt?: string;
  /** Accept Django 3.1/3.2's HMAC-SHA1 tokens too; default true (as Django 3.2). */
  legacySha1?: boolean;
  clock?: Clock;
}

/** Python's `str(datetime.replace(microsecond=0, tzinfo=None))` of a UTC time. */
function pythonDateTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export class ResetTokenGenerator {
  private readonly secretKey: string;
  private readonly timeoutSeconds: number;
  private readonly variant: 'django' | 'allauth';
  private readonly keySalt: string;
  private readonly legacySha1: boolean;
  private readonly clock: Clock;

  constructor(options: ResetTokenOptions) {
    if (!options.secretKey) throw new RangeError('secretKey is required');
    this.secretKey = options.secretKey;
    this.timeoutSeconds = options.timeoutSeconds ?? 259_200;
    this.variant = options.variant ?? 'django';
    this.keySalt = options.keySalt ?? DJANGO_RESET_KEY_SALT;
    this.legacySha1 = options.legacySha1 ?? true;
    this.clock = options.clock ?? systemClock;
  }

  /** A token for `user`, valid from now for `timeoutSeconds`. */
  make(user: ResetTokenUser): string {
    return this.tokenAt(user, this.seconds(), 'sha256');
  }

  /** Is `token` a valid, unexpired token of `user`? Never throws. */
  check(user: ResetTokenUser, token: unknown): boolean {
    if (typeof token !== 'string' || token.length > MAX_RESET_TOKEN_LENGTH) return false;
    const m = /^([0-9a-z]{4,13})-([0-9a-f]{20}|[0-9a-f]{32})$/.exec(token);
    if (!m) return false;
    const ts = fromBase36(m[1] as string);
    if (ts === null) return false;
    const algorithm: HashName = (m[2] as string).length === 32 ? 'sha256' : 'sha1';
    if (algorithm === 'sha1' && !this.legacySha1) return false;
    if (!constantTimeEqual(this.tokenAt(user, ts, algorithm), token)) return false;
    return this.seconds() - ts <= this.timeoutSeconds; // a future timestamp passes, as in Django (clock skew between servers)
  }

  private seconds(): number {
    return Math.floor((this.clock.now() - EPOCH_2001) / 1000);
  }

  private hashValue(user: ResetTokenUser, ts: number): string {
    const login = user.lastLogin === null ? '' : pythonDateTime(user.lastLogin);
    const email = user.email ?? '';
    const value = `${user.id}${user.password}${login}${ts}${email}`;
    return this.variant === 'allauth' ? value + email : value; // "|".join(sorted({email})) or '' for none
  }

  private tokenAt(user: ResetTokenUser, ts: number, algorithm: HashName): string {
    const hex = saltedHmac(this.keySalt, this.hashValue(user, ts), this.secretKey, algorithm).toString('hex');
    let half = '';
    for (let i = 0; i < hex.length; i += 2) half += hex[i];
    return `${toBase36(ts)}-${half}`;
  }
}
