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
import type { AccountMailItem } from './mail.js';
import { setNewPassword } from './password-rules.js';
import type { LinkPurpose } from './tokens.js';
import { AccountError, type AccountFlow } from './types.js';
import { hasUsablePassword } from './user-state.js';

const INVALID_UID = "Invalid user id or user doesn't exist.";
const INVALID_TOKEN = 'Invalid token for given user.';

const resetPurpose = (flow: AccountFlow): LinkPurpose => (flow === 'djoser' ? 'password_reset' : 'allauth_password_reset');

/** The reset link of `user`, when it may have one: active, with a usable password. */
function resetItem(ctx: AccountContext, user: User, flow: AccountFlow): AccountMailItem | null {
  if (!user.isActive || !hasUsablePassword(user)) return null;
  const template = flow === 'djoser' ? ctx.settings.passwordResetConfirmUrl : ctx.settings.allauthPasswordResetConfirmUrl;
  const url = ctx.mail.link(template, { uid: ctx.links.uid(user, flow), token: ctx.links.token(resetPurpose(flow), user) });
  ctx.events({ event: 'password_reset_requested', userId: user.id });
  return { kind: flow === 'djoser' ? 'password_reset' : 'allauth_password_reset', to: user.email, user, url };
}

export async function requestPasswordReset(ctx: AccountContext, email: string, flow: AccountFlow): Promise<void> {
  await mailEachAt(ctx, email, flow === 'djoser' ? 'password_reset' : 'allauth_password_reset', (user) => resetItem(ctx, user, flow));
}

/** The user a uid names, or throws `invalid_uid`. */
export async function userFromUid(ctx: AccountContext, uid: string, flow: AccountFlow): Promise<User> {
  const id = uid.length > 64 ? null : ctx.links.idFromUid(uid, flow);
  const user = id === null ? null : await ctx.stores.users.getById(id);
  if (!user) throw new AccountError('invalid_uid', [INVALID_UID]);
  return user;
}

/**
 * Throws `invalid_token` unless `token` is valid for `user` and this purpose AND the
 * user is active (what a reset link may change belongs to an account that can log in).
 */
export function requireLinkToken(ctx: AccountContext, user: User, token: string, purpose: LinkPurpose): void {
  if (!user.isActive || token.length > 128 || !ctx.links.check(purpose, user, token)) throw new AccountError('invalid_token', [INVALID_TOKEN]);
}

/** uid then token, as both layouts check them: `invalid_uid`, then `invalid_token`. */
export async function userFromLink(ctx: AccountContext, uid: string, token: string, purpose: LinkPurpose, flow: AccountFlow): Promise<User> {
  const user = await userFromUid(ctx, uid, flow);
  requireLinkToken(ctx, user, token, purpose);
  return user;
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
