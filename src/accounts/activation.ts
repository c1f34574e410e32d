/**
 * djoser activation: the link mailed at sign-up (and after an e-mail change) makes a
 * PENDING account (inactive, address never confirmed) active with its address confirmed.
 *
 * - `activate(uid, token)`: `invalid_uid`, then `invalid_token` (an activation token —
 *   Gatehouse's purpose-bound one or a Django-made one), then `stale_token` for an account
 *   that is not pending: already active (the link used twice: djoser's 403), or disabled
 *   by an administrator, which cannot re-activate itself (docs/security.md, case 148).
 *   The `confirmation` mail follows when `accounts.sendConfirmationEmail`.
 * - `resendActivation(email)`: each pending account with a usable password at the
 *   address (case-insensitive) gets a new link, in the background; the call resolves the
 *   same whatever matched (djoser answers 400 for no match: case 142).
 */
import type { User } from '../core/user.js';
import { reread, type AccountContext } from './context.js';
import { mailEachAt } from './address-mail.js';
import { checkLinkToken, userFromUid } from './link-checks.js';
import { AccountError } from './types.js';
import { hasUsablePassword, isPending } from './user-state.js';

/** The activation link of a pending user. */
export function activationItem(ctx: AccountContext, user: User) {
  const url = ctx.mail.link(ctx.settings.activationUrl, { uid: ctx.links.uid(user, 'djoser'), token: ctx.links.token('activation', user) });
  return { kind: 'activation' as const, to: user.email, user, url };
}

export async function activate(ctx: AccountContext, uid: string, token: string): Promise<User> {
  const user = await userFromUid(ctx, uid, 'djoser');
  checkLinkToken(ctx, user, token, 'activation');
  if (!isPending(user)) throw new AccountError('stale_token', ['Stale token for given user.']);
  const activated = (await ctx.stores.users.update(user.id, { isActive: true, emailVerified: true })) ?? user;
  ctx.events({ event: 'activated', userId: user.id });
  if (ctx.settings.sendConfirmationEmail && activated.email !== '') {
    await ctx.mail.deliver({ kind: 'confirmation', to: activated.email, user: activated }, 'notify', 'Account activated');
  }
  return reread(ctx, activated);
}

export async function resendActivation(ctx: AccountContext, email: string): Promise<void> {
  await mailEachAt(ctx, email, 'activation', (user) => (isPending(user) && hasUsablePassword(user) ? activationItem(ctx, user) : null));
}
