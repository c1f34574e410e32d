/**
 * Checking a link's uid and token, for every operation that confirms one (activation,
 * password reset, username reset): the uid first (`invalid_uid`, djoser's `Invalid user id
 * or user doesn't exist.`), then the token (`invalid_token`, `Invalid token for given
 * user.`), as both layouts check them. Resets also need an active user.
 */
import type { User } from '../core/user.js';
import type { AccountContext } from './context.js';
import type { LinkPurpose } from './tokens.js';
import { AccountError, type AccountFlow } from './types.js';

const INVALID_UID = "Invalid user id or user doesn't exist.";
const INVALID_TOKEN = 'Invalid token for given user.';

/** The user a uid names, or throws `invalid_uid`. */
export async function userFromUid(ctx: AccountContext, uid: string, flow: AccountFlow): Promise<User> {
  const id = uid.length > 64 ? null : ctx.links.idFromUid(uid, flow);
  const user = id === null ? null : await ctx.stores.users.getById(id);
  if (!user) throw new AccountError('invalid_uid', [INVALID_UID]);
  return user;
}

/** Throws `invalid_token` unless `token` is valid now for `user` and this purpose. */
export function checkLinkToken(ctx: AccountContext, user: User, token: string, purpose: LinkPurpose): void {
  if (token.length > 128 || !ctx.links.check(purpose, user, token)) throw new AccountError('invalid_token', [INVALID_TOKEN]);
}

/**
 * `checkLinkToken`, and the user must be active: what a reset link may change belongs to
 * an account that can log in (a pending account's token resets nothing).
 */
export function requireLinkToken(ctx: AccountContext, user: User, token: string, purpose: LinkPurpose): void {
  if (!user.isActive) throw new AccountError('invalid_token', [INVALID_TOKEN]);
  checkLinkToken(ctx, user, token, purpose);
}

/** A reset link's user: `invalid_uid`, then `invalid_token` (also for an inactive user). */
export async function userFromLink(ctx: AccountContext, uid: string, token: string, purpose: LinkPurpose, flow: AccountFlow): Promise<User> {
  const user = await userFromUid(ctx, uid, flow);
  requireLinkToken(ctx, user, token, purpose);
  return user;
}
