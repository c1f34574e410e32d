/**
 * Profile updates ("me": djoser `users/me/` PUT/PATCH, dj-rest-auth `user/` PUT/PATCH).
 *
 * djoser flow: the address and the names are writable, the username is not (djoser's
 * `set_username` changes it). A NEW address (after `normalizeEmail`; another case of the
 * same address is a new one, as Django compares) is checked (Django's validator,
 * `accounts.uniqueEmail` case-insensitively → `email_taken`), and the account becomes
 * pending again (inactive, unverified) with the activation link mailed to the new address,
 * as djoser does. Clearing the address needs no link. An update that does not change the
 * address mails nothing — djoser mails an activation link on every update
 * (docs/security.md, case 144).
 *
 * allauth flow: username (case-insensitively unique) and names are writable; the address
 * is read-only (ignored).
 */
import type { User } from '../core/user.js';
import type { UserPatch } from '../stores/types.js';
import { activationItem } from './activation.js';
import { reread, type AccountContext } from './context.js';
import { INVALID_EMAIL, isValidEmail, normalizeEmail } from './email-address.js';
import { AccountError, type AccountFlow, type ProfilePatch } from './types.js';
import { checkNewUsername, rename } from './username.js';

function namePatch(patch: ProfilePatch): UserPatch {
  return { ...(patch.firstName !== undefined ? { firstName: patch.firstName } : {}), ...(patch.lastName !== undefined ? { lastName: patch.lastName } : {}) };
}

/** The checked new address, or null when `email` does not change it. Throws `invalid_email`, `email_taken`. */
async function newAddress(ctx: AccountContext, user: User, email: string | undefined): Promise<string | null> {
  if (email === undefined) return null;
  const address = normalizeEmail(email);
  if (address === user.email) return null;
  if (address === '') return address;
  if (!isValidEmail(address)) throw new AccountError('invalid_email', [INVALID_EMAIL]);
  if (ctx.settings.uniqueEmail && (await ctx.stores.users.findByEmail(address)).some((u) => u.id !== user.id)) {
    throw new AccountError('email_taken', ['A user is already registered with this e-mail address.']);
  }
  return address;
}

async function updateDjoser(ctx: AccountContext, user: User, patch: ProfilePatch): Promise<User> {
  const address = await newAddress(ctx, user, patch.email);
  if (address) ctx.mail.requireDomain();
  const names = namePatch(patch);
  if (address === null) return Object.keys(names).length > 0 ? ((await ctx.stores.users.update(user.id, names)) ?? user) : user;
  const pending = address !== '';
  const updated = (await ctx.stores.users.update(user.id, { ...names, email: address, emailVerified: false, ...(pending ? { isActive: false } : {}) })) ?? user;
  if (!pending) return updated;
  if (await ctx.mail.admit(address)) await ctx.mail.deliver(activationItem(ctx, updated), 'notify', 'E-mail address changed');
  else ctx.mail.notSent('activation', updated, 'throttled');
  return updated;
}

async function updateAllauth(ctx: AccountContext, user: User, patch: ProfilePatch): Promise<User> {
  let current = user;
  if (patch.username !== undefined && patch.username !== user.username) {
    current = await rename(ctx, user, await checkNewUsername(ctx, patch.username, { caseInsensitive: true }, user));
  }
  const names = namePatch(patch);
  return Object.keys(names).length > 0 ? ((await ctx.stores.users.update(user.id, names)) ?? current) : current;
}

export async function updateProfile(ctx: AccountContext, user: User, patch: ProfilePatch, flow: AccountFlow): Promise<User> {
  const updated = flow === 'djoser' ? await updateDjoser(ctx, user, patch) : await updateAllauth(ctx, user, patch);
  return reread(ctx, updated);
}
