/**
 * What the account rules ask of a user row, each in one function:
 * - `hasUsablePassword`: Django's `has_usable_password` (an unusable hash starts with `!`);
 * - `isPending`: an account waiting for its activation link (djoser flow): inactive AND
 *   its address never confirmed. An inactive user with a confirmed address was disabled
 *   by an administrator and cannot re-activate itself (docs/security.md, case 148);
 * - `passwordOwner`: the attributes the similarity validator compares a password with.
 */
import type { User } from '../core/user.js';
import type { PasswordOwner } from './types.js';

export function hasUsablePassword(user: User): boolean {
  return user.password.length > 0 && !user.password.startsWith('!');
}

export function isPending(user: User): boolean {
  return !user.isActive && !user.emailVerified;
}

export function passwordOwner(user: Pick<User, 'username' | 'email' | 'firstName' | 'lastName'>): PasswordOwner {
  return { username: user.username, email: user.email, firstName: user.firstName, lastName: user.lastName };
}
