/**
 * The links' secrets, each bound to one purpose (`AccountLinks`):
 *
 * | purpose | uid | token made with | token accepted with |
 * |---|---|---|---|
 * | `activation` | base 64 | Gatehouse's activation key salt | that, or Django's |
 * | `password_reset` (djoser) | base 64 | Gatehouse's reset key salt | that, or Django's |
 * | `username_reset` | base 64 | Gatehouse's username key salt | that, or Django's |
 * | `allauth_password_reset` | base 36 | allauth's generator (Django's key salt) | the same |
 *
 * Django uses one generator for all three djoser purposes, so an activation link can reset
 * the password. Gatehouse's own links are purpose-bound (a distinct key salt each): they
 * confirm nothing else. Links the Django app mailed before the switch (Django's key salt)
 * keep working for every purpose Django accepted them for; password and username resets
 * refuse inactive users, so a Django-made activation link cannot reset a pending
 * account's password (docs/security.md, case 149). Every token is Django's
 * `PasswordResetTokenGenerator` shape, valid for `accounts.passwordResetTimeout`, bound
 * to the password hash, last login and e-mail address (a reset is single use because it
 * changes the hash).
 *
 * E-mail confirmation keys are `django.core.signing.dumps(<user pk>, salt="account")`,
 * valid for `accounts.emailConfirmationExpire`.
 */
import type { Clock } from '../core/clock.js';
import type { User } from '../core/user.js';
import { DJANGO_RESET_KEY_SALT, ResetTokenGenerator } from './links/reset-token.js';
import { BadSignature, dumps, loads } from './links/signing.js';
import { decodeAllauthUid, decodeDjoserUid, encodeAllauthUid, encodeDjoserUid } from './links/uid.js';
import type { AccountFlow } from './types.js';

export type LinkPurpose = 'activation' | 'password_reset' | 'allauth_password_reset' | 'username_reset';

const ACTIVATION_SALT = 'gatehouse.accounts.activation';
const PASSWORD_RESET_SALT = 'gatehouse.accounts.password_reset';
const USERNAME_RESET_SALT = 'gatehouse.accounts.username_reset';
const CONFIRMATION_SALT = 'account';

export interface AccountLinksOptions {
  secretKey: string;
  clock: Clock;
  /** `accounts.passwordResetTimeout`, ms. */
  resetTimeoutMs: number;
  /** `accounts.emailConfirmationExpire`, ms. */
  confirmationExpireMs: number;
}

export class AccountLinks {
  private readonly makers: Record<LinkPurpose, ResetTokenGenerator>;
  private readonly checkers: Record<LinkPurpose, ResetTokenGenerator[]>;

  constructor(private readonly options: AccountLinksOptions) {
    const generator = (keySalt: string, variant: 'django' | 'allauth' = 'django') =>
      new ResetTokenGenerator({ secretKey: options.secretKey, keySalt, variant, timeoutSeconds: Math.floor(options.resetTimeoutMs / 1000), clock: options.clock });
    const django = generator(DJANGO_RESET_KEY_SALT);
    const activation = generator(ACTIVATION_SALT);
    const reset = generator(PASSWORD_RESET_SALT);
    const username = generator(USERNAME_RESET_SALT);
    const allauth = generator(DJANGO_RESET_KEY_SALT, 'allauth');
    this.makers = { activation, password_reset: reset, allauth_password_reset: allauth, username_reset: username };
    this.checkers = { activation: [activation, django], password_reset: [reset, django], allauth_password_reset: [allauth], username_reset: [username, django] };
  }

  /** The uid a link of `flow` names `user` by: djoser base 64, allauth base 36. */
  uid(user: User, flow: AccountFlow): string {
    return flow === 'djoser' ? encodeDjoserUid(user.id) : encodeAllauthUid(user.id);
  }

  /** The pk a uid names, or null when it decodes to none. */
  idFromUid(uid: string, flow: AccountFlow): number | null {
    return flow === 'djoser' ? decodeDjoserUid(uid) : decodeAllauthUid(uid);
  }

  token(purpose: LinkPurpose, user: User): string {
    return this.makers[purpose].make(user);
  }

  /** Whether `token` is valid now for `user` and this purpose (constant-time comparisons). */
  check(purpose: LinkPurpose, user: User, token: string): boolean {
    return this.checkers[purpose].some((generator) => generator.check(user, token));
  }

  confirmationKey(user: User): string {
    return dumps(user.id, { secretKey: this.options.secretKey, salt: CONFIRMATION_SALT, clock: this.options.clock });
  }

  /** The user pk a confirmation key names, or null (bad signature, expired, not a pk). */
  idFromConfirmationKey(key: string): number | null {
    let value: unknown;
    try {
      value = loads(key, { secretKey: this.options.secretKey, salt: CONFIRMATION_SALT, maxAgeSeconds: this.options.confirmationExpireMs / 1000, clock: this.options.clock });
    } catch (e) {
      if (e instanceof BadSignature) return null;
      throw e;
    }
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
  }
}
