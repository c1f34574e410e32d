/**
 * Users: creation, password login (Django's `ModelBackend.authenticate`), password
 * change and deletion. Password hashing goes through `PasswordHasher` (async, bounded).
 *
 * Which user a login names is decided in `findLoginUser` alone (`accounts.loginField`:
 * Django's `USERNAME_FIELD`, djoser's `LOGIN_FIELD`, allauth's
 * `ACCOUNT_AUTHENTICATION_METHOD`); every login path (authtoken, knox, simplejwt,
 * cookie mode, HTTP Basic) goes through `authenticate`, which calls it.
 */
import type { Clock } from '../core/clock.js';
import { noEvents, type EventSink } from '../core/events.js';
import { Throttled } from '../core/errors.js';
import type { User } from '../core/user.js';
import { PasswordHasher } from '../passwords/index.js';
import { emailKey } from '../stores/email-key.js';
import type { Stores, UserPatch } from '../stores/types.js';

/** Django's `UnicodeUsernameValidator` plus its 150-character limit. */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
export const USERNAME_MAX = 150;
/**
 * Longest username text looked at, in UTF-16 units, before NFKC: composition shrinks a
 * string at most 4 code points (8 units) to 1, so nothing longer can normalise to 150
 * characters; the cap keeps normalisation (which reorders runs of combining marks)
 * bounded whatever a caller sends.
 */
export const USERNAME_INPUT_MAX = 8 * USERNAME_MAX;

const TOO_LONG = `Ensure this field has no more than ${USERNAME_MAX} characters.`;

/** Thrown for a username Django would refuse; the message is Django's. */
export class InvalidUsername extends Error {}

/** Python's `len()`: code points, not UTF-16 units. */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Validate a username as stored (already normalised): blank, 150 characters, Django's letters. */
export function validateUsername(username: string): void {
  if (username.length === 0) throw new InvalidUsername('This field may not be blank.');
  if (username.length > USERNAME_INPUT_MAX || codePoints(username) > USERNAME_MAX) throw new InvalidUsername(TOO_LONG);
  if (!USERNAME.test(username)) {
    throw new InvalidUsername('Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.');
  }
}

/**
 * Django's `AbstractBaseUser.normalize_username` (NFKC), with the length capped first,
 * then `validateUsername`: the form a new account is stored under, so `ﬁ` and `fi`, or
 * full-width and ASCII letters, are one account. Throws `InvalidUsername`.
 */
export function normalizeUsername(username: string): string {
  if (username.length > USERNAME_INPUT_MAX) throw new InvalidUsername(TOO_LONG);
  const normalized = username.normalize('NFKC');
  validateUsername(normalized);
  return normalized;
}

export interface CreateUserInput {
  username: string;
  /** Plain password; null gives an unusable password (Django's `set_unusable_password`). */
  password: string | null;
  email?: string;
  firstName?: string;
  lastName?: string;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /**
   * Default true: a user made by the CLI (`createuser`) or an administrator needs no
   * verification, as Django's `createsuperuser` asks for none. The account service
   * passes false for a sign-up pending activation or e-mail confirmation.
   */
  emailVerified?: boolean;
}

/** Who attempts a password login: the client address and, when sent, the login device cookie's value. */
export interface LoginClient {
  address: string;
  device?: string | undefined;
}

/** What password login needs from a login throttle (`LoginThrottle` in src/throttle). */
export interface LoginGate {
  check(username: string, client: LoginClient): Promise<{ allowed: boolean; wait: number | null; addressLocked: boolean }>;
  failure(username: string, client: LoginClient): Promise<void>;
  success(username: string, client: LoginClient): Promise<void>;
  /** The device cookie for a client that just logged in (null: none); its name and lifetime. */
  issueDevice(username: string): string | null;
  readonly devices: { readonly name: string; readonly maxAgeSeconds: number } | null;
}

/** `UserService.loginDevices`. */
export interface LoginDevices {
  name: string;
  maxAgeSeconds: number;
  issue(username: string): string | null;
  now(): number;
}

/** What a password login names the user by (`accounts.loginField`). */
export type LoginField = 'username' | 'email' | 'either';

export interface UserServiceOptions {
  /** Default `username`. */
  loginField?: LoginField;
}

/**
 * Longest login identifier looked up, in UTF-16 units: no stored username is longer
 * than 150 code points (300 units), no address longer than Django's 254 characters.
 * Anything longer names no one (and still costs one hash).
 */
const LOGIN_IDENTIFIER_MAX = 2 * USERNAME_MAX;

/** Why a user's credentials were revoked. */
export type RevocationReason = 'password_change' | 'logout_all';

/** Called after a user's credentials changed (password set, logout-all), to revoke what was issued before. */
export type CredentialsChanged = (user: User, reason: RevocationReason) => Promise<void>;

/**
 * The one account an e-mail login names among the users whose address matches ignoring
 * case, or null (docs/security.md #122). Several can match when `accounts.uniqueEmail`
 * is off or in imported data: the accounts whose address is verified are preferred
 * (an unverified sign-up with someone else's address never shadows the owner's), then
 * among those the one whose address is exactly `identifier`; when that still leaves
 * more than one, no one — a login never picks one of several accounts by chance.
 */
function onlyAccount(matches: User[], identifier: string): User | null {
  let candidates = matches;
  for (const prefer of [(u: User) => u.emailVerified, (u: User) => u.email === identifier]) {
    if (candidates.length <= 1) break;
    const preferred = candidates.filter(prefer);
    if (preferred.length > 0) candidates = preferred;
  }
  return candidates.length === 1 ? (candidates[0] as User) : null;
}

export class UserService {
  private readonly credentialListeners: CredentialsChanged[] = [];
  private gate: LoginGate | undefined;
  private secondFactorCheck: ((user: User) => Promise<boolean>) | null = null;
  private events: EventSink = noEvents;
  /** What a password login names the user by (`accounts.loginField`). */
  readonly loginField: LoginField;

  constructor(
    private readonly stores: Stores,
    readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    options: UserServiceOptions = {},
  ) {
    this.loginField = options.loginField ?? 'username';
  }

  /**
   * The user a login identifier names, or null — the one place that decides it:
   * - `username`: the exact, case-sensitive username (Django's `ModelBackend`);
   * - `email`: the address ignoring case (`UserStore.findByEmail`, `onlyAccount`);
   * - `either`: the username first; when no user has it and the identifier contains
   *   `@`, the address as for `email`.
   * Users without an address are never found by e-mail ('' names no one).
   */
  async findLoginUser(identifier: string): Promise<User | null> {
    if (identifier.length > LOGIN_IDENTIFIER_MAX) return null;
    const users = this.stores.users;
    if (this.loginField === 'username') return users.getByUsername(identifier);
    if (this.loginField === 'either') {
      const byName = await users.getByUsername(identifier);
      if (byName || !identifier.includes('@')) return byName;
    }
    return onlyAccount(await users.findByEmail(identifier), identifier);
  }

  /**
   * The name the login throttle counts an identifier under: an address in any case is one
   * account (the throttle's own case-folding stops at 150 characters, an address may be
   * longer), so e-mail identifiers are lower-cased as the store compares them.
   */
  private throttleKey(identifier: string): string {
    return this.loginField !== 'username' && identifier.includes('@') ? emailKey(identifier) : identifier;
  }

  /**
   * Create a user under the NFKC form of the username (`normalizeUsername`, as Django's
   * `create_user`); throws `InvalidUsername` or `UsernameTaken` (also when another
   * account has the same normalised name).
   */
  async create(input: CreateUserInput): Promise<User> {
    const username = normalizeUsername(input.username);
    const password = input.password === null ? PasswordHasher.unusable() : await this.hasher.hash(input.password);
    return this.stores.users.create({
      username,
      email: input.email ?? '',
      emailVerified: input.emailVerified ?? true,
      firstName: input.firstName ?? '',
      lastName: input.lastName ?? '',
      isActive: input.isActive ?? true,
      isStaff: input.isStaff ?? false,
      isSuperuser: input.isSuperuser ?? false,
      password,
      dateJoined: new Date(this.clock.now()),
    });
  }

  /**
   * Django's `ModelBackend.authenticate`: the user `identifier` names (`findLoginUser`)
   * when the password matches and the account is active, else null. An unknown identifier still costs one hash
   * (`burn`), so response time does not reveal which usernames exist. Outdated
   * hashes are upgraded to the current policy on success, as Django does.
   * Throws `PasswordHasherBusy` when the hashing queue is full. With a login throttle
   * (`useLoginThrottle`) and a client (an address, or `{address, device}`): a throttled
   * address ⇒ `Throttled` (429); any other refusal ⇒ null, exactly as a wrong password
   * (same hash cost).
   */
  async authenticate(identifier: string, password: string, client?: string | LoginClient): Promise<User | null> {
    const who: LoginClient | undefined = typeof client === 'string' ? { address: client } : client;
    const failed = (reason: 'invalid_credentials' | 'throttled' | 'address_locked') =>
      this.events({ event: 'login_failed', username: identifier, address: who?.address ?? 'unknown', reason });
    const gate = this.gate && who !== undefined ? this.gate : undefined;
    if (!gate) {
      const user = await this.checkPassword(identifier, password);
      if (!user) failed('invalid_credentials');
      return user;
    }
    const username = this.throttleKey(identifier);
    const state = await gate.check(username, who as LoginClient);
    // A client address over its limit is told to wait (429): that reveals nothing about accounts.
    if (state.addressLocked) {
      failed('address_locked');
      throw new Throttled(state.wait);
    }
    if (!state.allowed) {
      await this.hasher.burn(password);
      await gate.failure(username, who as LoginClient);
      failed('throttled');
      return null;
    }
    const user = await this.checkPassword(identifier, password);
    if (user) await gate.success(username, who as LoginClient);
    else {
      await gate.failure(username, who as LoginClient);
      failed('invalid_credentials');
    }
    return user;
  }

  /** Where security events go (failed logins, password changes, logout-all); default nowhere. */
  useEvents(sink: EventSink): void {
    this.events = sink;
  }

  /**
   * The login throttle's device cookies for the login endpoints: the cookie's name and
   * lifetime, `issue` (a new value for a client that just logged in, or null) and the
   * clock's `now`; null without a throttle or without device cookies.
   */
  get loginDevices(): LoginDevices | null {
    const gate = this.gate;
    if (!gate?.devices) return null;
    const { name, maxAgeSeconds } = gate.devices;
    return { name, maxAgeSeconds, issue: (identifier) => gate.issueDevice(this.throttleKey(identifier)), now: () => this.clock.now() };
  }

  /**
   * Throttle password logins: `authenticate` calls given a client are checked, failures
   * counted, successes clear the client's counter (`LoginThrottle` says which).
   */
  useLoginThrottle(gate: LoginGate): void {
    this.gate = gate;
  }

  /**
   * The password step of `ModelBackend.authenticate`. Every failure — no such user (by any login field, or an ambiguous address),
   * wrong password, unusable hash, inactive user — ends in `hasher.failed` (or `burn`,
   * which does the same after a dummy verification), so all failures last one common
   * time whatever the stored hash (see src/passwords/timing.ts). Only an active user
   * who passed every check has an outdated hash upgraded.
   */
  private async checkPassword(identifier: string, password: string): Promise<User | null> {
    const user = await this.findLoginUser(identifier);
    if (!user) {
      await this.hasher.burn(password);
      return null;
    }
    const started = this.hasher.timing.now();
    const { valid, needsRehash } = await this.hasher.verify(password, user.password);
    if (!valid || !user.isActive) {
      await this.hasher.failed(started);
      return null;
    }
    if (needsRehash) {
      const upgraded = await this.hasher.hash(password);
      // Only while the generation is the one checked: never put back a password changed meanwhile.
      await this.stores.users.update(user.id, { password: upgraded }, user.credentialGeneration);
      user.password = upgraded;
    }
    return user;
  }

  /**
   * The login gate's rule (src/mfa/gate.ts): must this user give a second factor beyond
   * a password? `BasicAuthentication` refuses such users outside login endpoints.
   */
  requireSecondFactorWith(check: (user: User) => Promise<boolean>): void {
    this.secondFactorCheck = check;
  }

  /** Whether a password alone may not authenticate this user (false until the gate is wired). */
  requiresSecondFactor(user: User): Promise<boolean> {
    return this.secondFactorCheck ? this.secondFactorCheck(user) : Promise.resolve(false);
  }

  /** Run `listener` after every password change and logout-all (the JWT service revokes the user's tokens). */
  onCredentialsChanged(listener: CredentialsChanged): void {
    this.credentialListeners.push(listener);
  }

  /**
   * Set a new password; every opaque token of the user is revoked with it, and the
   * listeners run. Logins in flight with the old password store nothing (see `revokeFrom`).
   * With `ifUnchanged`, only while the user's credential generation is still the one read
   * with `user` (a password reset: of two confirmations of one link, one sets the password);
   * resolves false, nothing written, when it moved.
   */
  async setPassword(user: User, password: string, options: { ifUnchanged?: boolean } = {}): Promise<boolean> {
    const hash = await this.hasher.hash(password);
    const expected = options.ifUnchanged ? (user.credentialGeneration ?? 0) : undefined;
    return this.revokeFrom(user, { password: hash }, 'password_change', expected);
  }

  /**
   * Logout-all: every opaque token of the user is revoked, the listeners run (JWTs), and
   * logins in flight store nothing (see `revokeFrom`).
   */
  async logoutAll(user: User): Promise<void> {
    await this.revokeFrom(user, {}, 'logout_all');
  }

  /**
   * The one revocation order (src/stores/generation.ts): move the credential generation
   * (with `patch`, one write) FIRST, then delete the opaque tokens and run the listeners. A
   * login that saw the old generation stored its credential before the move (and it is
   * revoked here) or is refused.
   */
  private async revokeFrom(user: User, patch: UserPatch, reason: RevocationReason, expected?: number): Promise<boolean> {
    const updated = await this.stores.users.bumpGeneration(user.id, patch, expected);
    if (expected !== undefined && updated === null) return false;
    await this.stores.tokens.deleteAllForUser(user.id);
    for (const listener of this.credentialListeners) await listener(updated ?? { ...user, ...patch }, reason);
    this.events(reason === 'password_change' ? { event: 'password_changed', userId: user.id } : { event: 'logout_all', userId: user.id });
    return true;
  }

  /** Django's `update_last_login`. */
  async touchLastLogin(user: User): Promise<void> {
    await this.stores.users.update(user.id, { lastLogin: new Date(this.clock.now()) });
  }

  async update(id: number, patch: UserPatch): Promise<User | null> {
    return this.stores.users.update(id, patch);
  }

  async getById(id: number): Promise<User | null> {
    return this.stores.users.getById(id);
  }

  /** Every user, by id. */
  async list(): Promise<User[]> {
    return [...(await this.stores.users.list())].sort((a, b) => a.id - b.id);
  }

  async getByUsername(username: string): Promise<User | null> {
    return this.stores.users.getByUsername(username);
  }

  /** Delete a user and all their tokens (the row is gone: logins in flight store nothing). */
  async delete(user: User): Promise<boolean> {
    return this.stores.users.delete(user.id);
  }
}
