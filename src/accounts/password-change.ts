/**
 * Password change by the logged-in user (djoser `set_password`, dj-rest-auth
 * `password/change/`): the current password (when the layout asks for it) first — a
 * wrong one is refused even with a weak new one — then the validators against the user,
 * then `setNewPassword`, which revokes every credential of the user (djoser deletes only
 * DRF tokens, dj-rest-auth only the session: docs/security.md, case 140). The layout keeps
 * or replaces the caller's own credential. djoser flow: `password_changed` is mailed when
 * `accounts.passwordChangedEmail`.
 */
import type { User } from '../core/user.js';
import { reread, type AccountContext } from './context.js';
import { requireCurrentPassword, setNewPassword } from './password-rules.js';
import type { AccountFlow } from './types.js';

export async function changePassword(ctx: AccountContext, user: User, input: { current: string | null; password: string }, flow: AccountFlow): Promise<User> {
  if (input.current !== null) await requireCurrentPassword(ctx, user, input.current);
  await setNewPassword(ctx, user, input.password);
  const updated = await reread(ctx, user);
  if (flow === 'djoser' && ctx.settings.passwordChangedEmail && updated.email !== '') {
    await ctx.mail.deliver({ kind: 'password_changed', to: updated.email, user: updated }, 'notify', 'Password changed');
  }
  return updated;
}
