/**
 * Usernames: the check a new name passes, the change with the current password, and the
 * reset by e-mail (djoser `set_username`, `reset_username`, `reset_username_confirm`).
 *
 * - `checkNewUsername`: Django's username rules on the NFKC form, then uniqueness —
 *   exact (djoser, Django's default) or case-insensitive (allauth);
 * - a reset link is a Gatehouse username-reset token (purpose-bound, src/accounts/tokens.ts)
 *   for an active user; its confirmation sets `last_login` (as djoser), which is what makes
 *   the link single use: the username is not part of the token (docs/security.md, case 147);
 * - `username_changed` is mailed after a change or reset when `accounts.usernameChangedEmail`.
 */
import type { User } from '../core/user.js';
import { UsernameTaken } from '../stores/types.js';
import { InvalidUsername, normalizeUsername } from '../users/service.js';
import { reread, type AccountContext } from './context.js';
import { requireCurrentPassword } from './password-rules.js';
import { mailEachAt } from './address-mail.js';
import { userFromLink } from './link-checks.js';
import { AccountError, type UsernameCheckOptions } from './types.js';
import { hasUsablePassword } from './user-state.js';

const TAKEN = 'A user with that username already exists.';
const NOT_OWN_ADDRESS = 'A username that contains "@" must be the account\'s own e-mail address.';

/** Whether another account than `self` holds `username`, compared exactly or case-insensitively. */
async function usernameHeld(ctx: AccountContext, username: string, caseInsensitive: boolean, self?: User): Promise<boolean> {
  const exact = await ctx.stores.users.getByUsername(username);
  if (exact && exact.id !== self?.id) return true;
  if (!caseInsensitive) return false;
  // allauth's `username__iexact`: the store's lookup, or every name compared here for a store without one.
  const store = ctx.stores.users;
  const folded = username.toLowerCase();
  const found = store.findByUsernameIgnoringCase
    ? await store.findByUsernameIgnoringCase(username)
    : (await store.list()).filter((u) => u.username.toLowerCase() === folded);
  return found.some((u) => u.id !== self?.id);
}

/**
 * With `accounts.loginField` `either` a login tries the username first, then the address:
 * a username equal to another account's address would take that address's logins. So
 * there a username containing `@` must be the account's own address (docs/security.md,
 * case 150).
 */
function standsForAnotherAddress(ctx: AccountContext, username: string, email: string | undefined): boolean {
  return ctx.settings.loginField === 'either' && email !== undefined && username.includes('@') && username.toLowerCase() !== email.toLowerCase();
}

/** Throws `invalid_username` or `username_taken`; resolves the normalised name. `self`: the account being renamed. */
export async function checkNewUsername(ctx: AccountContext, username: string, options: UsernameCheckOptions = {}, self?: User): Promise<string> {
  let normalized: string;
  try {
    normalized = normalizeUsername(username);
  } catch (e) {
    if (e instanceof InvalidUsername) throw new AccountError('invalid_username', [e.message]);
    throw e;
  }
  if (standsForAnotherAddress(ctx, normalized, options.email ?? self?.email)) throw new AccountError('invalid_username', [NOT_OWN_ADDRESS]);
  if (await usernameHeld(ctx, normalized, options.caseInsensitive ?? false, self)) throw new AccountError('username_taken', [TAKEN]);
  return normalized;
}

/** Write the new name (a concurrent rename to the same name loses with `username_taken`). */
export async function rename(ctx: AccountContext, user: User, username: string, extra: { lastLogin?: Date } = {}): Promise<User> {
  try {
    return (await ctx.stores.users.update(user.id, { username, ...extra })) ?? user;
  } catch (e) {
    if (e instanceof UsernameTaken) throw new AccountError('username_taken', [TAKEN]);
    throw e;
  }
}

async function changed(ctx: AccountContext, user: User, by: 'change' | 'reset'): Promise<User> {
  ctx.events({ event: 'username_changed', userId: user.id, by });
  if (ctx.settings.usernameChangedEmail && user.email !== '') {
    await ctx.mail.deliver({ kind: 'username_changed', to: user.email, user }, 'notify', 'Username changed');
  }
  return reread(ctx, user);
}

export async function setUsername(ctx: AccountContext, user: User, input: { current: string; username: string }): Promise<User> {
  await requireCurrentPassword(ctx, user, input.current);
  const username = await checkNewUsername(ctx, input.username, {}, user);
  return changed(ctx, await rename(ctx, user, username), 'change');
}

export async function requestUsernameReset(ctx: AccountContext, email: string): Promise<void> {
  await mailEachAt(ctx, email, 'username_reset', (user) => {
    if (!user.isActive || !hasUsablePassword(user)) return null;
    const url = ctx.mail.link(ctx.settings.usernameResetConfirmUrl, { uid: ctx.links.uid(user, 'djoser'), token: ctx.links.token('username_reset', user) });
    ctx.events({ event: 'username_reset_requested', userId: user.id });
    return { kind: 'username_reset', to: user.email, user, url };
  });
}

export async function confirmUsernameReset(ctx: AccountContext, input: { uid: string; token: string; username: string }): Promise<User> {
  const user = await userFromLink(ctx, input.uid, input.token, 'username_reset', 'djoser');
  const username = await checkNewUsername(ctx, input.username, {}, user);
  return changed(ctx, await rename(ctx, user, username, { lastLogin: new Date(ctx.clock.now()) }), 'reset');
}
