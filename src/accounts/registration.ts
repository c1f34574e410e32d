/**
 * Sign-up, both flows.
 *
 * Checks, in this order: the address (Django's validator), the username (rules, then
 * uniqueness: exact for djoser, case-insensitive for allauth), the password (validators,
 * similarity against the would-be user). Then:
 * - the address is taken (`accounts.uniqueEmail`, case-insensitive): nothing is created,
 *   the address's owner is mailed `account_exists`, and the call resolves `{user: null}`
 *   after the same work as a new account (the password is hashed too), so the routes can
 *   answer exactly as for a new account (docs/security.md, case 142);
 * - djoser: the user is created inactive (pending) and mailed its activation link when
 *   `accounts.activation`; otherwise active, with the `confirmation` mail when
 *   `accounts.sendConfirmationEmail`;
 * - allauth: the user is created active with an unverified address and mailed its
 *   confirmation key unless `accounts.emailVerification` is `none`.
 * A new account's mail failing is `AccountEmailFailed` (the account stays; resend works).
 * Every mail is subject to the per-address throttle (skipped silently beyond it).
 */
import { UsernameTaken } from '../stores/types.js';
import type { User } from '../core/user.js';
import type { AccountContext } from './context.js';
import { activationItem } from './activation.js';
import { INVALID_EMAIL, isValidEmail, normalizeEmail } from './email-address.js';
import { confirmationItem } from './email-verification.js';
import type { AccountMailItem } from './mail.js';
import { requireStrongPassword } from './password-rules.js';
import { AccountError, type AccountFlow, type RegisterInput, type RegisterResult } from './types.js';
import { checkNewUsername } from './username.js';

/** The mail a new account gets, if any. */
function welcomeItem(ctx: AccountContext, user: User, flow: AccountFlow): AccountMailItem | null {
  if (user.email === '') return null;
  if (flow === 'allauth') return ctx.settings.emailVerification === 'none' ? null : confirmationItem(ctx, user);
  if (ctx.settings.activation) return activationItem(ctx, user);
  return ctx.settings.sendConfirmationEmail ? { kind: 'confirmation', to: user.email, user } : null;
}

async function emailTaken(ctx: AccountContext, email: string): Promise<User | null> {
  if (!ctx.settings.uniqueEmail || email === '') return null;
  return (await ctx.stores.users.findByEmail(email))[0] ?? null;
}

export async function register(ctx: AccountContext, input: RegisterInput, flow: AccountFlow): Promise<RegisterResult> {
  ctx.mail.requireDomain();
  const email = normalizeEmail(input.email);
  if (email !== '' && !isValidEmail(email)) throw new AccountError('invalid_email', [INVALID_EMAIL]);
  const username = await checkNewUsername(ctx, input.username, { caseInsensitive: flow === 'allauth', email });
  const names = { firstName: input.firstName ?? '', lastName: input.lastName ?? '' };
  requireStrongPassword(ctx, input.password, { username, email, ...names });
  const admitted = email === '' || (await ctx.mail.admit(email));
  const owner = await emailTaken(ctx, email);
  if (owner) {
    await ctx.users.hasher.hash(input.password);
    const item: AccountMailItem = { kind: 'account_exists', to: owner.email, user: owner };
    if (admitted) await ctx.mail.deliver(item, 'quiet');
    else ctx.mail.notSent(item.kind, owner, 'throttled');
    return { user: null };
  }
  let user: User;
  try {
    user = await ctx.users.create({ username, email, password: input.password, ...names, isActive: flow === 'allauth' || !ctx.settings.activation, emailVerified: false });
  } catch (e) {
    if (e instanceof UsernameTaken) throw new AccountError('username_taken', [e.message]);
    throw e;
  }
  ctx.events({ event: 'signed_up', userId: user.id, flow });
  const item = welcomeItem(ctx, user, flow);
  if (item && admitted) await ctx.mail.deliver(item, 'notify', 'Account created');
  else if (item) ctx.mail.notSent(item.kind, user, 'throttled');
  return { user };
}
