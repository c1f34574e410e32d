/**
 * Account deletion (djoser `DELETE users/me/`): the current password, then
 * `UserService.delete` — the row and every credential of the user go together, and
 * logins in flight store nothing (src/stores/generation.ts).
 */
import type { User } from '../core/user.js';
import type { AccountContext } from './context.js';
import { requireCurrentPassword } from './password-rules.js';

export async function deleteAccount(ctx: AccountContext, user: User, current: string): Promise<void> {
  await requireCurrentPassword(ctx, user, current);
  await ctx.users.delete(user);
  ctx.events({ event: 'account_deleted', userId: user.id });
}
