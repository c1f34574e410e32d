/**
 * djoser's `UserViewSet` routes on users: sign-up and list (`users/`), one user
 * (`users/<id>/`) and the caller (`users/me/`).
 *
 * - Bodies: `{"email","id","username"}` (`UserSerializer`); sign-up answers
 *   `{"email","username","id"}` (`UserCreateSerializer`), without `id` when e-mail
 *   addresses are unique, so that a sign-up with a taken address (nothing is created, the
 *   service mails the owner) answers exactly like a new account (docs/compatibility.md).
 * - `HIDE_USERS`: a non-staff caller lists only itself and gets 404 for any other id.
 * - Updates change the e-mail only (`username` is read-only); the service decides what a
 *   new address means (inactive until confirmed) and mails only when it changed.
 */
import type { ProfilePatch } from '../../../accounts/types.js';
import { normalizeEmail } from '../../../accounts/email-address.js';
import { NotFound, type JsonValue } from '../../../core/errors.js';
import type { User } from '../../../core/user.js';
import type { HandlerContext, HandlerResult, Route } from '../../route.js';
import type { FieldPass } from '../../fields.js';
import { asDjoser, type ErrorFields } from './errors.js';
import { charField, checkNewPassword, currentPasswordCheck, emailField, fieldPass, newUsernameCheck, passwordFields } from './fields.js';
import { djoserRoute, type DjoserEnv } from './env.js';

/** Field names of the sign-up and profile serializers. */
export const USER_FIELDS: ErrorFields = { password: 'password', username: 'username' };

/** `UserSerializer`'s body. */
export const userBody = (u: User): JsonValue => ({ email: u.email, id: u.id, username: u.username });

/** POST `users/`: `UserCreate(PasswordRetype)Serializer`, then the account service's sign-up. */
async function signUp(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const retype = env.options.retypePassword ? 're_password' : null;
  const specs = [emailField({ required: false, allowBlank: true }), charField('username'), ...passwordFields('password', retype)];
  const values = await fieldPass(await ctx.body(), specs, (pass) => newUsernameCheck(env, pass, USER_FIELDS, pass.values.email ?? ''));
  const username = values.username!;
  const email = values.email ?? '';
  const password = checkNewPassword(env.accounts, values, USER_FIELDS, retype, { username, email });
  const { user } = await asDjoser(USER_FIELDS, () => env.accounts.register({ username, email, password }, 'djoser'));
  if (env.options.uniqueEmail || user === null) {
    return { status: 201, body: { email: user?.email ?? normalizeEmail(email), username: user?.username ?? username } };
  }
  return { status: 201, body: { email: user.email, username: user.username, id: user.id } };
}

/** GET `users/`: every user for staff, only the caller otherwise (`HIDE_USERS`). */
async function listUsers(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const caller = ctx.principal!.user;
  if (!caller.isStaff) return { body: [userBody(caller)] };
  return { body: (await env.users.list()).map(userBody) };
}

/** The user `users/<id>/` names, when the caller may see it (itself, or anyone for staff); 404 otherwise, for every method (docs/security.md #151). */
async function target(env: DjoserEnv, ctx: HandlerContext): Promise<User> {
  const caller = ctx.principal!.user;
  const id = Number(ctx.params.id);
  if (id === caller.id) return caller;
  const user = caller.isStaff ? await env.users.getById(id) : null;
  if (!user) throw new NotFound();
  return user;
}

/** PUT/PATCH: `UserSerializer` (only `email` is writable, optional and may be blank). */
async function update(env: DjoserEnv, ctx: HandlerContext, user: User): Promise<HandlerResult> {
  const values = await fieldPass(await ctx.body(), [emailField({ required: false, allowBlank: true })]);
  const patch: ProfilePatch = values.email === undefined ? {} : { email: values.email };
  const updated = await asDjoser(USER_FIELDS, () => env.accounts.updateProfile(user, patch, 'djoser'));
  return { body: userBody(updated) };
}

/**
 * DELETE: `UserDeleteSerializer` — the caller's own `current_password`, also when staff
 * deletes another user (as djoser). The user and every credential of it are deleted.
 */
async function remove(env: DjoserEnv, ctx: HandlerContext, user: User): Promise<HandlerResult> {
  const caller = ctx.principal!.user;
  const self = user.id === caller.id;
  // Another user's deletion: the caller's password is checked in the field pass; one's own by the service.
  const own = self ? undefined : (pass: FieldPass) => currentPasswordCheck(env, caller, pass, USER_FIELDS);
  const { current_password: current } = await fieldPass(await ctx.body(), [charField('current_password')], own);
  if (self) await asDjoser(USER_FIELDS, () => env.accounts.deleteAccount(user, current!));
  else await env.users.delete(user);
  return { status: 204 };
}

/** `users/`, `users/me/` and `users/<id>/`. */
export function userRoutes(env: DjoserEnv, prefix: string): Route[] {
  const me = (ctx: HandlerContext) => ctx.principal!.user;
  return [
    djoserRoute(env, `${prefix}/users/`, 'User List', { GET: (ctx) => listUsers(env, ctx), POST: (ctx) => signUp(env, ctx) }, ['POST']),
    djoserRoute(env, `${prefix}/users/me/`, 'User', {
      GET: (ctx) => ({ body: userBody(me(ctx)) }),
      PUT: (ctx) => update(env, ctx, me(ctx)),
      PATCH: (ctx) => update(env, ctx, me(ctx)),
      DELETE: (ctx) => remove(env, ctx, me(ctx)),
    }),
    djoserRoute(env, `${prefix}/users/:id/`, 'User Instance', {
      GET: async (ctx) => ({ body: userBody(await target(env, ctx)) }),
      PUT: async (ctx) => update(env, ctx, await target(env, ctx)),
      PATCH: async (ctx) => update(env, ctx, await target(env, ctx)),
      DELETE: async (ctx) => remove(env, ctx, await target(env, ctx)),
    }),
  ];
}
