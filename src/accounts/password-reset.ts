/**
 * Password reset, both layouts (djoser `reset_password` + `reset_password_confirm`,
 * dj-rest-auth `password/reset/` + `password/reset/confirm/`).
 *
 * - A request names an address: it is looked up case-insensitively
 *   (`UserStore.findByEmail`) and every ACTIVE user with a usable password there gets
 *   its own link (two accounts sharing an address is no error: djoser answers 500) —
 *   sent in the background, so the answer and its timing are the same whether any
 *   account matched (docs/security.md, cases 142, 145).
 * - djoser links: base-64 uid + Django's token on `accounts.passwordResetConfirmUrl`;
 *   allauth links: base-36 uid + allauth's token on `accounts.allauthPasswordResetConfirmUrl`.
 * - A confirmation checks uid and token again (an inactive user's token is refused: a
 *   Django-made activation link cannot reset a password, case 149), validates the new
 *   password against the user (case 143) and sets it, which revokes every credential
 *   of the user and makes the link used (the hash it is bound to changed).
 *   `last_login` is left alone (djoser sets it; nobody logged in).
 * - djoser flow: `password_changed` is mailed when `accounts.passwordChangedEmail`.
 */
import type { User } from '../core/user.js';
import { reread, type AccountContext } from './context.js';
import { mailEachAt } from './address-mail.js';
import type { AccountMailItem, AccountMailKind } from './mail.js';
import { setNewPassword } from './password-rules.js';
import type { LinkPurpose } from './tokens.js';
import type { AccountFlow } from './types.js';
import { requireLinkToken, userFromLink } from './link-checks.js';
import { hasUsablePassword } from './user-state.js';

const resetPurpose = (flow: AccountFlow): LinkPurpose => (flow === 'djoser' ? 'password_reset' : 'allauth_password_reset');
const resetKind = (flow: AccountFlow): AccountMailKind => (flow === 'djoser' ? 'password_reset' : 'allauth_password_reset');

/** The reset link of `user`, when it may have one: active, with a usable password. */
function resetItem(ctx: AccountContext, user: User, flow: AccountFlow): AccountMailItem | null {
  if (!user.isActive || !hasUsablePassword(user)) return null;
  const template = flow === 'djoser' ? ctx.settings.passwordResetConfirmUrl : ctx.settings.allauthPasswordResetConfirmUrl;
  const url = ctx.mail.link(template, { uid: ctx.links.uid(user, flow), token: ctx.links.token(resetPurpose(flow), user) });
  ctx.events({ event: 'password_reset_requested', userId: user.id });
  return { kind: resetKind(flow), to: user.email, user, url };
}

export async function requestPasswordReset(ctx: AccountContext, email: string, flow: AccountFlow): Promise<void> {
  await mailEachAt(ctx, email, resetKind(flow), (user) => resetItem(ctx, user, flow));
}

export function checkResetToken(ctx: AccountContext, user: User, token: string, flow: AccountFlow): void {
  requireLinkToken(ctx, user, token, resetPurpose(flow));
}

export async function confirmPasswordReset(ctx: AccountContext, input: { uid: string; token: string; password: string }, flow: AccountFlow): Promise<User> {
  const user = await userFromLink(ctx, input.uid, input.token, resetPurpose(flow), flow);
  await setNewPassword(ctx, user, input.password);
  ctx.events({ event: 'password_reset', userId: user.id });
  const updated = await reread(ctx, user);
  if (flow === 'djoser' && ctx.settings.passwordChangedEmail && updated.email !== '') {
    await ctx.mail.deliver({ kind: 'password_changed', to: updated.email, user: updated }, 'notify', 'Password reset');
  }
  return updated;
}
