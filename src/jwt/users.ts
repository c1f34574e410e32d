/**
 * The user a token names: looked up in the store (cached per change generation for the
 * per-request path) and simplejwt's `USER_AUTHENTICATION_RULE`.
 */
import type { User } from '../core/user.js';
import type { MaybePromise } from '../core/maybe.js';
import type { Stores } from '../stores/types.js';
import { BoundedCache } from './cache.js';
import { numericUserId, type JwtSettings } from './claims.js';

/** Users (and other per-user answers) kept for the per-request path. */
export const USER_CACHE_SIZE = 10_000;

export class JwtUsers {
  private readonly cache = new BoundedCache<number | string, User | null>(USER_CACHE_SIZE);

  constructor(
    private readonly settings: JwtSettings,
    private readonly stores: Stores,
    private readonly rule: ((user: User) => boolean) | undefined,
  ) {}

  /** Look a token's user up in the store (`userIdOf`'s answer); null when not found or not an id's canonical form. */
  find(id: number | string): Promise<User | null> {
    if (this.settings.userIdField === 'username') {
      // A username is a string; with `strictUserId` a number names no one.
      if (typeof id === 'number' && this.settings.strictUserId) return Promise.resolve(null);
      return this.stores.users.getByUsername(String(id));
    }
    const n = numericUserId(id, this.settings);
    return n === null ? Promise.resolve(null) : this.stores.users.getById(n);
  }

  /** `find`, cached by id while the change generation is unchanged. Synchronous on a hit. */
  cached(id: number | string, generation: number): MaybePromise<User | null> {
    const hit = this.cache.get(id, generation);
    if (hit !== undefined) return hit;
    const epoch = this.cache.epoch;
    return this.find(id).then((user) => {
      this.cache.set(id, user, generation, Infinity, epoch);
      return user;
    });
  }

  /**
   * simplejwt's `USER_AUTHENTICATION_RULE` at obtain, refresh and on every request. Unlike
   * simplejwt, a custom rule does not replace the `checkUserIsActive` check (simplejwt keeps
   * that check only in `JWTAuthentication`, so a loose rule let inactive users obtain tokens).
   */
  canAuthenticate(user: User): boolean {
    if (this.settings.checkUserIsActive && !user.isActive) return false;
    return this.rule ? this.rule(user) : true;
  }

  /** The value written into the user id claim (a string, as simplejwt 5.5.1). */
  idValue(user: User): string {
    return this.settings.userIdField === 'username' ? user.username : String(user.id);
  }
}
