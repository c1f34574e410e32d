/**
 * The account service's contract (src/accounts/service.ts implements it): sign-up,
 * activation and e-mail verification, password change and reset, username change and
 * reset, profile and deletion. Framework-free and layout-free: djoser's and
 * dj-rest-auth's route sets (src/http/endpoints/djoser.ts, dj-rest-auth.ts) are thin
 * mappings of these operations onto their own field names, statuses and messages.
 *
 * Rules decided here and nowhere else:
 * - every password that is set goes through the password validators (`validatePassword`);
 * - every password change or reset revokes all of the user's credentials through
 *   `UserService.setPassword` (credential generation, src/stores/generation.ts);
 * - links are built from the configured front end (`accounts.domain`), never from the
 *   request's Host;
 * - requests that name an e-mail address (reset, resend, sign-up with a taken address)
 *   resolve the same whether an account matches: what differs is only what is mailed;
 * - links and tokens are never logged.
 *
 * Two flows share the rules: `djoser` (activation: an inactive user + Django's
 * `PasswordResetTokenGenerator` link with a base-64 uid) and `allauth` (an active user
 * with an unverified address + allauth's signed confirmation key; resets with allauth's
 * generator and a base-36 uid).
 */
import type { User } from '../core/user.js';

export type AccountFlow = 'djoser' | 'allauth';

/** Why an operation was refused. The route sets map each code to their layout's field and message. */
export type AccountErrorCode =
  /** The current password given to confirm a change is wrong. */
  | 'wrong_password'
  /** The new password failed the validators: `messages` are Django's, in validator order. */
  | 'weak_password'
  /** `messages`: Django's username messages (invalid characters, too long, blank). */
  | 'invalid_username'
  | 'username_taken'
  /** A uid that decodes to no user (djoser `Invalid user id or user doesn't exist.`). */
  | 'invalid_uid'
  /** A token that is not valid for this user (bad, used, expired, other user's). */
  | 'invalid_token'
  /** djoser activation of a user that needs none (already active): 403 `Stale token for given user.` */
  | 'stale_token'
  /** An allauth confirmation key that is bad, expired or already used. */
  | 'invalid_key'
  /** Not an address Django's `EmailValidator` accepts (`Enter a valid email address.`); the routes check first. */
  | 'invalid_email'
  /**
   * djoser e-mail change to an address another account has (`accounts.uniqueEmail`):
   * told to the logged-in user only (sign-up never tells: docs/security.md, case 144).
   */
  | 'email_taken';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    readonly messages: string[] = [],
  ) {
    super(messages[0] ?? code);
    this.name = 'AccountError';
  }
}

/**
 * The state change was made but its e-mail could not be sent (the backend's
 * `EmailSendError`). Nothing is rolled back: the user can ask for the mail again
 * (resend, a new reset). Routes answer 503 with a typed body that says what was done.
 */
export class AccountEmailFailed extends Error {
  constructor(readonly done: string) {
    super(`${done}, but the e-mail could not be sent; ask for it again later.`);
    this.name = 'AccountEmailFailed';
  }
}

export interface RegisterInput {
  username: string;
  /** '' when none was given (djoser allows it). */
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
}

export interface RegisterResult {
  /** The new user; null when nothing was created because the e-mail address is taken (`accounts.uniqueEmail`). */
  user: User | null;
}

export interface UsernameCheckOptions {
  /** Unique ignoring case (allauth) rather than exactly (djoser, Django). */
  caseInsensitive?: boolean;
  /** The address of the account the name is for (see `checkNewUsername`). */
  email?: string;
}

/** The attributes the similarity validator compares a password with. */
export interface PasswordOwner {
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export interface ProfilePatch {
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export interface AccountOperations {
  /** Django's validators' messages for `password` (empty: acceptable). */
  validatePassword(password: string, owner?: PasswordOwner): string[];
  /**
   * Throws `AccountError('invalid_username' | 'username_taken')`; resolves the normalised
   * name otherwise. `email`: the address of the account the name is for — with
   * `accounts.loginField` `either`, a name containing `@` must be that address (so a name
   * can never stand for another account's address at login); without it the rule is
   * checked when the operation runs.
   */
  checkNewUsername(username: string, options?: UsernameCheckOptions): Promise<string>;
  checkCurrentPassword(user: User, password: string): Promise<boolean>;

  register(input: RegisterInput, flow: AccountFlow): Promise<RegisterResult>;
  /** djoser activation. Throws `invalid_uid`, `invalid_token`, `stale_token`. */
  activate(uid: string, token: string): Promise<User>;
  /** djoser resend: mails a pending (never activated) user; resolves the same otherwise. */
  resendActivation(email: string): Promise<void>;
  /** allauth: verify the address the key was made for. Throws `invalid_key`. */
  verifyEmail(key: string): Promise<User>;
  /** allauth resend: mails an unverified address; resolves the same otherwise. */
  resendVerification(email: string): Promise<void>;

  /** Throws `wrong_password` (when `current` is given and wrong), `weak_password`. Revokes every credential. */
  changePassword(user: User, input: { current: string | null; password: string }, flow: AccountFlow): Promise<User>;
  /** Mails a reset link to each active user with a usable password at `email`; resolves the same otherwise. */
  requestPasswordReset(email: string, flow: AccountFlow): Promise<void>;
  /** The user a reset/activation uid names, or throws `invalid_uid`. */
  userFromUid(uid: string, flow: AccountFlow): Promise<User>;
  /** Throws `invalid_token` unless `token` is a valid reset token of `user` for `flow`. */
  checkResetToken(user: User, token: string, flow: AccountFlow): void;
  /** Checks uid and token again, validates, sets the password (revoking every credential), mails. */
  confirmPasswordReset(input: { uid: string; token: string; password: string }, flow: AccountFlow): Promise<User>;

  setUsername(user: User, input: { current: string; username: string }): Promise<User>;
  requestUsernameReset(email: string): Promise<void>;
  confirmUsernameReset(input: { uid: string; token: string; username: string }): Promise<User>;

  /** djoser: an e-mail change makes the user pending again and mails the new address; allauth: e-mail read-only. */
  updateProfile(user: User, patch: ProfilePatch, flow: AccountFlow): Promise<User>;
  /** Throws `wrong_password`; deletes the user and every credential. */
  deleteAccount(user: User, current: string): Promise<void>;
}
