/**
 * allauth e-mail verification (dj-rest-auth `registration/verify-email/`,
 * `registration/resend-email/`).
 *
 * - The key is `django.core.signing.dumps(<user pk>, salt="account")`: nothing stored,
 *   valid for `accounts.emailConfirmationExpire`, and only while the address is
 *   unverified — so single use. It verifies only an ACTIVE account (allauth's flow makes
 *   active accounts; a pending djoser account is activated by its own link, and an
 *   administrator-disabled one stays disabled: docs/security.md, case 146).
 * - Every refusal (bad signature, expired, no such user, already verified) is one code,
 *   `invalid_key` (dj-rest-auth's 404).
 * - `resendVerification(email)`: each active account at the address whose address is
 *   unverified gets a new key, in the background; resolves the same whatever matched.
 *   Unlike dj-rest-auth, the per-address throttle applies (case 142).
 */
import type { User } from '../core/user.js';
import { reread, type AccountContext } from './context.js';
import { mailEachAt } from './address-mail.js';
import type { AccountMailItem } from './mail.js';
import { AccountError } from './types.js';

/** The confirmation mail of `user`. */
export function confirmationItem(ctx: AccountContext, user: User): AccountMailItem {
  const url = ctx.mail.link(ctx.settings.emailConfirmationUrl, { key: ctx.links.confirmationKey(user) });
  return { kind: 'email_confirmation', to: user.email, user, url };
}

export async function verifyEmail(ctx: AccountContext, key: string): Promise<User> {
  const id = key.length > 256 ? null : ctx.links.idFromConfirmationKey(key);
  const user = id === null ? null : await ctx.stores.users.getById(id);
  if (!user || !user.isActive || user.emailVerified || user.email === '') throw new AccountError('invalid_key', ['Not found.']);
  await ctx.stores.users.update(user.id, { emailVerified: true });
  ctx.events({ event: 'email_verified', userId: user.id });
  return reread(ctx, user);
}

export async function resendVerification(ctx: AccountContext, email: string): Promise<void> {
  await mailEachAt(ctx, email, 'email_confirmation', (user) => (user.isActive && !user.emailVerified ? confirmationItem(ctx, user) : null));
}
