/**
 * djoser's `UserViewSet` actions: activation and its resend, password change and reset,
 * username change and reset. Each is one serializer pass (field errors together, in
 * djoser's field order), then the serializer's `validate()` (password validators, retype),
 * then one account-service operation whose refusal `asDjoser` maps. Every success is a
 * 204 without a body.
 *
 * The requests that name an e-mail address (resend, resets) answer 204 whether an account
 * matches or not: djoser's resend answers 400 for an unknown or active address
 * (docs/compatibility.md, djoser section).
 */
import type { AccountOperations } from '../../../accounts/types.js';
import type { HandlerContext, HandlerResult, Route } from '../../route.js';
import { asDjoser, type ErrorFields } from './errors.js';
import { charField, checkNewPassword, currentPasswordCheck, emailField, fieldPass, newUsernameCheck, passwordFields } from './fields.js';
import { djoserRoute, type DjoserEnv } from './env.js';

/** Field names of the password and username serializers. */
const ACTION_FIELDS: ErrorFields = { password: 'new_password', username: 'new_username' };
const NO_CONTENT: HandlerResult = { status: 204 };
const UID_TOKEN = [charField('uid'), charField('token')];

/** The retype field of `field` when the project asks for one (`accounts.retypePassword`). */
const retypeOf = (env: DjoserEnv, field: string) => (env.options.retypePassword ? `re_${field}` : null);

/** POST `users/activation/` `{uid, token}`. */
async function activation(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const { uid, token } = await fieldPass(await ctx.body(), UID_TOKEN);
  await asDjoser(ACTION_FIELDS, () => env.accounts.activate(uid!, token!));
  return NO_CONTENT;
}

/** An `{email}` request (`SendEmailResetSerializer`): 204 whether an account matches or not. */
const byEmail = (env: DjoserEnv, operation: (accounts: AccountOperations, email: string) => Promise<void>) => async (ctx: HandlerContext) => {
  const { email } = await fieldPass(await ctx.body(), [emailField()]);
  await asDjoser(ACTION_FIELDS, () => operation(env.accounts, email!));
  return NO_CONTENT;
};

/** POST `users/set_password/`: `new_password`, `re_new_password`, `current_password`. */
async function setPassword(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const user = ctx.principal!.user;
  const retype = retypeOf(env, 'new_password');
  const specs = [...passwordFields('new_password', retype), charField('current_password')];
  const values = await fieldPass(await ctx.body(), specs, (pass) => currentPasswordCheck(env, user, pass, ACTION_FIELDS));
  const password = checkNewPassword(env.accounts, values, ACTION_FIELDS, retype, user);
  // The current password was checked in the field pass.
  await asDjoser(ACTION_FIELDS, () => env.accounts.changePassword(user, { current: null, password }, 'djoser'));
  return NO_CONTENT;
}

/** POST `users/reset_password_confirm/`: `uid`, `token`, `new_password`, `re_new_password`; uid and token after the password checks, as djoser. */
async function resetPasswordConfirm(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const retype = retypeOf(env, 'new_password');
  const values = await fieldPass(await ctx.body(), [...UID_TOKEN, ...passwordFields('new_password', retype)]);
  const password = checkNewPassword(env.accounts, values, ACTION_FIELDS, retype);
  await asDjoser(ACTION_FIELDS, () => env.accounts.confirmPasswordReset({ uid: values.uid!, token: values.token!, password }, 'djoser'));
  return NO_CONTENT;
}

/** POST `users/set_username/`: `current_password`, `new_username`. */
async function setUsername(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const user = ctx.principal!.user;
  const values = await fieldPass(await ctx.body(), [charField('current_password'), charField('new_username')], async (pass) => {
    await currentPasswordCheck(env, user, pass, ACTION_FIELDS);
    await newUsernameCheck(env, pass, ACTION_FIELDS, user.email);
  });
  await asDjoser(ACTION_FIELDS, () => env.accounts.setUsername(user, { current: values.current_password!, username: values.new_username! }));
  return NO_CONTENT;
}

/**
 * POST `users/reset_username_confirm/`: `new_username` is the only serializer field; `uid`
 * and `token` are read from the raw body as djoser does (missing: an invalid uid).
 */
async function resetUsernameConfirm(env: DjoserEnv, ctx: HandlerContext): Promise<HandlerResult> {
  const data = await ctx.body();
  const values = await fieldPass(data, [charField('new_username')], (pass) => newUsernameCheck(env, pass, ACTION_FIELDS));
  const raw = (name: string) => (typeof data[name] === 'string' ? (data[name] as string) : '');
  await asDjoser(ACTION_FIELDS, () => env.accounts.confirmUsernameReset({ uid: raw('uid'), token: raw('token'), username: values.new_username! }));
  return NO_CONTENT;
}

/** The action routes under `<prefix>/users/`, named as DRF names a viewset action (`pretty_name` of its method: `Resend activation`). */
export function actionRoutes(env: DjoserEnv, prefix: string): Route[] {
  const users = `${prefix}/users`;
  const open = (path: string, name: string, post: (ctx: HandlerContext) => Promise<HandlerResult>) => djoserRoute(env, `${users}/${path}/`, name, { POST: post }, ['POST']);
  const authenticated = (path: string, name: string, post: (ctx: HandlerContext) => Promise<HandlerResult>) => djoserRoute(env, `${users}/${path}/`, name, { POST: post });
  return [
    open('activation', 'Activation', (ctx) => activation(env, ctx)),
    open('resend_activation', 'Resend activation', byEmail(env, (a, email) => a.resendActivation(email))),
    authenticated('set_password', 'Set password', (ctx) => setPassword(env, ctx)),
    open('reset_password', 'Reset password', byEmail(env, (a, email) => a.requestPasswordReset(email, 'djoser'))),
    open('reset_password_confirm', 'Reset password confirm', (ctx) => resetPasswordConfirm(env, ctx)),
    authenticated('set_username', 'Set username', (ctx) => setUsername(env, ctx)),
    open('reset_username', 'Reset username', byEmail(env, (a, email) => a.requestUsernameReset(email))),
    open('reset_username_confirm', 'Reset username confirm', (ctx) => resetUsernameConfirm(env, ctx)),
  ];
}
