/**
 * `AccountService`: the account operations (`AccountOperations`, src/accounts/types.ts)
 * over the stores, the user service and an e-mail backend. A facade: each operation
 * lives in its own file (registration, activation, email-verification, password-change,
 * password-reset, username, profile, deletion) and every rule they share in one
 * function (password-rules, address-mail, link-checks, mail, tokens, user-state).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { noEvents, type EventSink } from '../core/events.js';
import type { Settings } from '../core/settings.js';
import type { User } from '../core/user.js';
import type { EmailBackend } from '../email/types.js';
import { Mailer } from '../email/mailer.js';
import { loadEmailTemplates } from '../email/templates.js';
import { PasswordValidators } from '../passwords/validators.js';
import type { Stores, ThrottleStore } from '../stores/types.js';
import type { UserService } from '../users/service.js';
import { activate, resendActivation } from './activation.js';
import type { AccountContext } from './context.js';
import { deleteAccount } from './deletion.js';
import { resendVerification, verifyEmail } from './email-verification.js';
import { AccountMail } from './mail.js';
import { changePassword } from './password-change.js';
import { userFromUid } from './link-checks.js';
import { checkResetToken, confirmPasswordReset, requestPasswordReset } from './password-reset.js';
import { checkCurrentPassword } from './password-rules.js';
import { updateProfile } from './profile.js';
import { register } from './registration.js';
import { AccountLinks } from './tokens.js';
import type { AccountFlow, AccountOperations, PasswordOwner, ProfilePatch, RegisterInput, RegisterResult, UsernameCheckOptions } from './types.js';
import { checkNewUsername, confirmUsernameReset, requestUsernameReset, setUsername } from './username.js';

export interface AccountServiceOptions {
  /**
   * `accounts.*`, `passwords.*` (validators), `throttle.accountEmailRate`, `email.from`
   * and `email.templates`. Throws at construction for an unusable validator setting or
   * template directory (start-up errors).
   */
  settings: Settings;
  /** The server secret (Django's `SECRET_KEY`): links made by the Django app keep working. */
  secretKey: string;
  stores: Stores;
  users: UserService;
  email: EmailBackend;
  /** Where the per-address mail counts live (shared through Redis when configured). */
  throttleStore: ThrottleStore;
  clock?: Clock;
  events?: EventSink;
}

export class AccountService implements AccountOperations {
  private readonly ctx: AccountContext;

  constructor(options: AccountServiceOptions) {
    const { settings } = options;
    const clock = options.clock ?? systemClock;
    const events = options.events ?? noEvents;
    const validators = PasswordValidators.fromSettings(settings.passwords).load();
    this.ctx = {
      settings: settings.accounts,
      stores: options.stores,
      users: options.users,
      clock,
      events,
      links: new AccountLinks({
        secretKey: options.secretKey,
        clock,
        resetTimeoutMs: settings.accounts.passwordResetTimeout,
        confirmationExpireMs: settings.accounts.emailConfirmationExpire,
      }),
      mail: new AccountMail({
        mailer: new Mailer(options.email, settings.email.from, loadEmailTemplates(settings.email.templates)),
        settings: settings.accounts,
        throttleStore: options.throttleStore,
        rate: settings.throttle.accountEmailRate,
        clock,
        events,
      }),
      validate: (password, owner) => validators.validate(password, owner),
    };
  }

  /** Resolves once the mails sent in the background (resets, resends) have been handed to the backend or failed. */
  settled(): Promise<void> {
    return this.ctx.mail.settled();
  }

  validatePassword(password: string, owner: PasswordOwner = {}): string[] {
    return this.ctx.validate(password, owner);
  }
  checkNewUsername(username: string, options?: UsernameCheckOptions): Promise<string> {
    return checkNewUsername(this.ctx, username, options);
  }
  checkCurrentPassword(user: User, password: string): Promise<boolean> {
    return checkCurrentPassword(this.ctx, user, password);
  }
  register(input: RegisterInput, flow: AccountFlow): Promise<RegisterResult> {
    return register(this.ctx, input, flow);
  }
  activate(uid: string, token: string): Promise<User> {
    return activate(this.ctx, uid, token);
  }
  resendActivation(email: string): Promise<void> {
    return resendActivation(this.ctx, email);
  }
  verifyEmail(key: string): Promise<User> {
    return verifyEmail(this.ctx, key);
  }
  resendVerification(email: string): Promise<void> {
    return resendVerification(this.ctx, email);
  }
  changePassword(user: User, input: { current: string | null; password: string }, flow: AccountFlow): Promise<User> {
    return changePassword(this.ctx, user, input, flow);
  }
  requestPasswordReset(email: string, flow: AccountFlow): Promise<void> {
    return requestPasswordReset(this.ctx, email, flow);
  }
  userFromUid(uid: string, flow: AccountFlow): Promise<User> {
    return userFromUid(this.ctx, uid, flow);
  }
  checkResetToken(user: User, token: string, flow: AccountFlow): void {
    checkResetToken(this.ctx, user, token, flow);
  }
  confirmPasswordReset(input: { uid: string; token: string; password: string }, flow: AccountFlow): Promise<User> {
    return confirmPasswordReset(this.ctx, input, flow);
  }
  setUsername(user: User, input: { current: string; username: string }): Promise<User> {
    return setUsername(this.ctx, user, input);
  }
  requestUsernameReset(email: string): Promise<void> {
    return requestUsernameReset(this.ctx, email);
  }
  confirmUsernameReset(input: { uid: string; token: string; username: string }): Promise<User> {
    return confirmUsernameReset(this.ctx, input);
  }
  updateProfile(user: User, patch: ProfilePatch, flow: AccountFlow): Promise<User> {
    return updateProfile(this.ctx, user, patch, flow);
  }
  deleteAccount(user: User, current: string): Promise<void> {
    return deleteAccount(this.ctx, user, current);
  }
}
