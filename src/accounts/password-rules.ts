/**
 * The password rules of every account operation, each decided here once:
 * - `requireStrongPassword`: a password about to be set (sign-up, change, reset) passes
 *   every validator, with similarity checked against the account it is for — also on
 *   djoser's reset confirm, which skips it (docs/security.md, case 143);
 * - `setNewPassword`: the one way an account operation sets a password —
 *   `UserService.setPassword`, which moves the credential generation and revokes every
 *   credential of the user (opaque tokens, JWT refresh families, cookie sessions);
 * - `checkCurrentPassword`: the password that confirms a change, checked through the
 *   hasher (constant-time; an unusable hash never matches).
 */
import type { User } from '../core/user.js';
import type { AccountContext } from './context.js';
import { AccountError, type PasswordOwner } from './types.js';
import { passwordOwner } from './user-state.js';

export function requireStrongPassword(ctx: AccountContext, password: string, owner: PasswordOwner): void {
  const messages = ctx.validate(password, owner);
  if (messages.length > 0) throw new AccountError('weak_password', messages);
}

/** Validate against `user`, then set: every credential of the user is revoked. Throws `weak_password`. */
export async function setNewPassword(ctx: AccountContext, user: User, password: string): Promise<void> {
  requireStrongPassword(ctx, password, passwordOwner(user));
  await ctx.users.setPassword(user, password);
}

export async function checkCurrentPassword(ctx: AccountContext, user: User, password: string): Promise<boolean> {
  const { valid } = await ctx.users.hasher.verify(password, user.password);
  return valid;
}

/** Throws `wrong_password` unless `password` is the user's current one. */
export async function requireCurrentPassword(ctx: AccountContext, user: User, password: string): Promise<void> {
  if (!(await checkCurrentPassword(ctx, user, password))) throw new AccountError('wrong_password', ['Invalid password.']);
}
