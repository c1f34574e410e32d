/**
 * Users: creation, password login (Django's `ModelBackend.authenticate`), password
 * change and deletion. Password hashing goes through `PasswordHasher` (async, bounded).
 */
import type { Clock } from '../core/clock.js';
import { Throttled } from '../core/errors.js';
import type { User } from '../core/user.js';
import { PasswordHasher } from '../passwords/index.js';
import type { Stores, UserPatch } from '../stores/types.js';

/** Django's `UnicodeUsernameValidator` plus its 150-character limit. */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
export const USERNAME_MAX = 150;

/** Thrown for a username Django would refuse; the message is Django's. */
export class InvalidUsername extends Error {}

export function validateUsername(username: string): void {
  if (username.length === 0) throw new InvalidUsername('This field may not be blank.');
  if (username.length > USERNAME_MAX) throw new InvalidUsername(`Ensure this field has no more than ${USERNAME_MAX} characters.`);
  if (!USERNAME.test(username)) {
    throw new InvalidUsername('Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.');
  }
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
}

/** What password login needs from a login throttle (`LoginThrottle` in src/throttle). */
export interface LoginGate {
  check(username: string, clientAddress: string): Promise<{ allowed: boolean; wait: number | null; usernameLocked: boolean; addressLocked: boolean }>;
  failure(username: string, clientAddress: string): Promise<void>;
  success(username: string, clientAddress: string): Promise<void>;
}

/** Why a user's credentials were revoked. */
export type RevocationReason = 'password_change' | 'logout_all';

/** Called after a user's credentials changed (password set, logout-all), to revoke what was issued before. */
export type CredentialsChanged = (user: User, reason: RevocationReason) => Promise<void>;

export class UserService {
  private readonly credentialListeners: CredentialsChanged[] = [];
  private gate: LoginGate | undefined;

  constructor(
    private readonly stores: Stores,
    readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  /** Create a user; throws `InvalidUsername` or `UsernameTaken`. */
  async create(input: CreateUserInput): Promise<User> {
    validateUsername(input.username);
    const password = input.password === null ? PasswordHasher.unusable() : await this.hasher.hash(input.password);
    return this.stores.users.create({
      username: input.username,
      email: input.email ?? '',
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
   * Django's `ModelBackend.authenticate`: the user when the password matches and the
   * account is active, else null. An unknown username still costs one hash
   * (`burn`), so response time does not reveal which usernames exist. Outdated
   * hashes are upgraded to the current policy on success, as Django does.
   * Throws `PasswordHasherBusy` when the hashing queue is full. With a login throttle
   * (`useLoginThrottle`) and a client address: a throttled address ⇒ `Throttled` (429);
   * a locked username ⇒ null, exactly as a wrong password.
   */
  async authenticate(username: string, password: string, clientAddress?: string): Promise<User | null> {
    const gate = this.gate && clientAddress !== undefined ? this.gate : undefined;
    if (!gate) return this.checkPassword(username, password);
    const address = clientAddress as string;
    const state = await gate.check(username, address);
    // A client address over its limit is told to wait (429): that reveals nothing about accounts.
    if (state.addressLocked) throw new Throttled(state.wait);
    if (state.usernameLocked) {
      // A locked account answers exactly like a wrong password, right password or not (same hash cost).
      await this.hasher.burn(password);
      await gate.failure(username, address);
      return null;
    }
    const user = await this.checkPassword(username, password);
    if (user) await gate.success(username, address);
    else await gate.failure(username, address);
    return user;
  }

  /**
   * Throttle password logins: `authenticate` calls given a client address are checked,
   * failures counted, successes clear the username's counter.
   */
  useLoginThrottle(gate: LoginGate): void {
    this.gate = gate;
  }

  private async checkPassword(username: string, password: string): Promise<User | null> {
    const user = await this.stores.users.getByUsername(username);
    if (!user) {
      await this.hasher.burn(password);
      return null;
    }
    const { valid, needsRehash } = await this.hasher.verify(password, user.password);
    if (!valid) return null;
    if (needsRehash) {
      const upgraded = await this.hasher.hash(password);
      // Only while the generation is the one checked: never put back a password changed meanwhile.
      await this.stores.users.update(user.id, { password: upgraded }, user.credentialGeneration);
      user.password = upgraded;
    }
    return user.isActive ? user : null;
  }

  /** Run `listener` after every password change and logout-all (the JWT service revokes the user's tokens). */
  onCredentialsChanged(listener: CredentialsChanged): void {
    this.credentialListeners.push(listener);
  }

  /**
   * Set a new password; every opaque token of the user is revoked with it, and the
   * listeners run. Logins in flight with the old password store nothing (see `revokeFrom`).
   */
  async setPassword(user: User, password: string): Promise<void> {
    const hash = await this.hasher.hash(password);
    await this.revokeFrom(user, { password: hash }, 'password_change');
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
  private async revokeFrom(user: User, patch: UserPatch, reason: RevocationReason): Promise<void> {
    const updated = await this.stores.users.bumpGeneration(user.id, patch);
    await this.stores.tokens.deleteAllForUser(user.id);
    for (const listener of this.credentialListeners) await listener(updated ?? { ...user, ...patch }, reason);
  }

  /** Django's `update_last_login`. */
  async touchLastLogin(user: User): Promise<void> {
    await this.stores.users.update(user.id, { lastLogin: new Date(this.clock.now()) });
  }

  async update(id: number, patch: UserPatch): Promise<User | null> {
    return this.stores.users.update(id, patch);
  }

  async getByUsername(username: string): Promise<User | null> {
    return this.stores.users.getByUsername(username);
  }

  /** Delete a user and all their tokens (the row is gone: logins in flight store nothing). */
  async delete(user: User): Promise<boolean> {
    return this.stores.users.delete(user.id);
  }
}
