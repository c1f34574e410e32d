/**
 * The one shape of every request that names an e-mail address and asks for a mail
 * (password reset, username reset, resend activation, resend verification):
 * throttled per address before anything is looked up (`AccountMail.admit`), then the
 * accounts at the address (case-insensitive, `UserStore.findByEmail`) that `select`
 * picks each get their mail, in the background. The call resolves the same — same
 * value, same time, same failures — whether any account matched (docs/security.md,
 * case 142). Several accounts sharing the address each get their own mail (case 145).
 */
import type { User } from '../core/user.js';
import type { AccountContext } from './context.js';
import { normalizeEmail } from './email-address.js';
import type { AccountMailItem, AccountMailKind } from './mail.js';

export async function mailEachAt(ctx: AccountContext, email: string, kind: AccountMailKind, select: (user: User) => AccountMailItem | null): Promise<void> {
  ctx.mail.requireDomain();
  const address = normalizeEmail(email);
  if (address === '') return;
  if (!(await ctx.mail.admit(address))) {
    ctx.mail.notSent(kind, null, 'throttled');
    return;
  }
  for (const user of await ctx.stores.users.findByEmail(address)) {
    const item = user.email === '' ? null : select(user);
    if (item) ctx.mail.background(item);
  }
}
