/**
 * dj-rest-auth 4.0.1 (+ django-allauth 0.51) as routes: `login/`, `logout/`, `user/`,
 * `password/change/`, `password/reset/`, `password/reset/confirm/`, `registration/`,
 * `registration/verify-email/`, `registration/resend-email/` under `prefix`
 * (`accounts.djRestAuth`, e.g. `/dj-rest-auth`). A thin mapping of the account service
 * (src/accounts/types.ts) onto dj-rest-auth's field names, statuses and messages; every
 * deliberate difference is listed in docs/compatibility.md ("dj-rest-auth").
 *
 * Every route authenticates as `/api/me/` does (`[JWT, Token]`: a bad credential is 401
 * `Bearer realm="api"` even where no user is needed, as DRF's default classes do);
 * `user/` and `password/change/` need a user. Login and logout are in
 * dj-rest-auth-login.ts, the fields in dj-rest-auth-fields.ts, the refusals' mapping in
 * dj-rest-auth-errors.ts.
 */
import type { AccountRouteDeps } from '../../accounts/routes-deps.js';
import type { AccountOperations } from '../../accounts/types.js';
import { AccountError } from '../../accounts/types.js';
import { ValidationError } from '../../core/errors.js';
import type { Settings } from '../../core/settings.js';
import type { User } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import { USERNAME_MAX } from '../../users/service.js';
import type { HandlerContext, HandlerResult, Route } from '../route.js';
import { EMAIL_TAKEN, accountCall } from './dj-rest-auth-errors.js';
import { FORM_MISMATCH, SERIALIZER_MISMATCH, checkedBy, emailField, passwordField, readFields, requireSamePasswords, type Field } from './dj-rest-auth-fields.js';
import { login, logout, signIn, type EmailVerification, type LoginField, type SessionEnv } from './dj-rest-auth-login.js';
import { jwtEnv } from './jwt.js';
import { userDetails } from './user.js';

/** What the route set is built from: the account routes' deps it uses (src/accounts/routes-deps.ts). */
export type DjRestAuthDeps = Pick<AccountRouteDeps, 'accounts' | 'users' | 'tokens' | 'jwt' | 'authenticators' | 'audit' | 'clientAddress' | 'cookies' | 'scopedThrottle' | 'gate'> & {
  /** Read: `accounts.loginField`, `.emailVerification`, `.djRestAuthJwt`, `.djRestAuthOldPassword`. */
  settings: Pick<Settings, 'accounts'>;
};

interface Env extends SessionEnv {
  accounts: AccountOperations;
  oldPassword: boolean;
}

export const PASSWORD_SAVED = 'New password has been saved.';
export const RESET_SENT = 'Password reset e-mail has been sent.';
export const RESET_DONE = 'Password has been reset with the new password.';
export const VERIFICATION_SENT = 'Verification e-mail sent.';
const OK = { detail: 'ok' };

/** Django's `first_name` / `last_name`: optional, blank allowed, 150 characters. */
const nameField = (name: string): Field => ({ name, maxLength: 150, required: false, allowBlank: true });

/**
 * A user-picked username: allauth's `clean_username` (Django's characters, unique
 * case-insensitively). `current`: the account renaming itself (its own name is not
 * "taken"; its address is the one a name with `@` may be). A sign-up's address is checked
 * with the name when the account is made.
 */
const usernameField = (env: Env, options: { required: boolean; current?: User }): Field => {
  const { current } = options;
  const check = (name: string) =>
    name === current?.username ? name : env.accounts.checkNewUsername(name, { caseInsensitive: true, ...(current ? { email: current.email } : {}) });
  return { name: 'username', maxLength: USERNAME_MAX, required: options.required, check: checkedBy('username', check) };
};

const me = (ctx: HandlerContext): User => ctx.principal!.user;

/** PUT / PATCH `user/`: username, first and last name; `email` is read-only (ignored). */
async function updateUser(env: Env, ctx: HandlerContext, partial: boolean): Promise<HandlerResult> {
  const user = me(ctx);
  const v = await readFields(ctx, [usernameField(env, { required: !partial, current: user }), nameField('first_name'), nameField('last_name')]);
  const patch = {
    ...(v.username === undefined ? {} : { username: v.username }),
    ...(v.first_name === undefined ? {} : { firstName: v.first_name }),
    ...(v.last_name === undefined ? {} : { lastName: v.last_name }),
  };
  const updated = await accountCall(() => env.accounts.updateProfile(user, patch, 'allauth'), 'non_field_errors');
  return { body: userDetails(updated) };
}

/** POST `password/change/` (`PasswordChangeSerializer` over Django's `SetPasswordForm`). Revokes every credential, the one used too (docs/security.md #140). */
async function changePassword(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const user = me(ctx);
  const old: Field = {
    ...passwordField('old_password', 128),
    check: checkedBy('old_password', async (current) => {
      if (!(await env.accounts.checkCurrentPassword(user, current))) throw new AccountError('wrong_password');
    }),
  };
  const v = await readFields(ctx, [...(env.oldPassword ? [old] : []), passwordField('new_password1', 128), passwordField('new_password2', 128)]);
  requireSamePasswords(v.new_password1!, v.new_password2!, new ValidationError({ new_password2: [FORM_MISMATCH] }));
  await accountCall(() => env.accounts.changePassword(user, { current: null, password: v.new_password1! }, 'allauth'), 'new_password2');
  return { body: { detail: PASSWORD_SAVED } };
}

/** POST `password/reset/`: the same answer whether an account has the address. */
async function requestReset(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const { email } = await readFields(ctx, [emailField('email')]);
  await accountCall(() => env.accounts.requestPasswordReset(email!, 'allauth'), 'non_field_errors');
  return { body: { detail: RESET_SENT } };
}

/** POST `password/reset/confirm/`: uid, then token, then the two passwords (`SetPasswordForm`). */
async function confirmReset(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const v = await readFields(ctx, [passwordField('new_password1', 128), passwordField('new_password2', 128), { name: 'uid' }, { name: 'token' }]);
  const [uid, token, password] = [v.uid!, v.token!, v.new_password1!];
  await accountCall(async () => env.accounts.checkResetToken(await env.accounts.userFromUid(uid, 'allauth'), token, 'allauth'), 'new_password2');
  requireSamePasswords(password, v.new_password2!, new ValidationError({ new_password2: [FORM_MISMATCH] }));
  await accountCall(() => env.accounts.confirmPasswordReset({ uid, token, password }, 'allauth'), 'new_password2');
  return { body: { detail: RESET_DONE } };
}

/**
 * POST `registration/` (`RegisterSerializer`): the fields (the password validators that
 * need no user on `password1`), the match, then the sign-up (the similarity validator on
 * `non_field_errors`). The answer by `accounts.emailVerification`: mandatory → 201
 * `Verification e-mail sent.`, also for a taken address, which creates nothing
 * (docs/security.md #142); otherwise the new account's credentials (201; dj-rest-auth's
 * session login answers 204), and a taken address — which cannot get the same answer —
 * dj-rest-auth's 400 (docs/security.md #153).
 */
async function register(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const signUp = async (): Promise<User | null> => {
    const v = await readFields(ctx, [
      usernameField(env, { required: true }),
      emailField('email'),
      { ...passwordField('password1'), check: (password) => env.accounts.validatePassword(password) },
      passwordField('password2'),
    ]);
    requireSamePasswords(v.password1!, v.password2!, ValidationError.nonField(SERIALIZER_MISMATCH));
    const input = { username: v.username!, email: v.email!, password: v.password1! };
    return (await accountCall(() => env.accounts.register(input, 'allauth'), 'non_field_errors')).user;
  };
  if (env.emailVerification === 'mandatory') {
    await signUp();
    return { status: 201, body: { detail: VERIFICATION_SENT } };
  }
  const newUser = async (): Promise<User> => {
    const user = await signUp();
    if (user === null) throw new ValidationError({ email: [EMAIL_TAKEN] });
    return user;
  };
  return signIn(env, ctx, { endpoint: 'dj-rest-auth-registration', authenticate: newUser }, 201);
}

/** POST `registration/verify-email/`: a bad, used or expired key is 404. */
async function verifyEmail(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const { key } = await readFields(ctx, [{ name: 'key' }]);
  await accountCall(() => env.accounts.verifyEmail(key!), 'non_field_errors');
  return { body: OK };
}

/** POST `registration/resend-email/`: always `ok`. */
async function resendEmail(env: Env, ctx: HandlerContext): Promise<HandlerResult> {
  const { email } = await readFields(ctx, [emailField('email')]);
  await accountCall(() => env.accounts.resendVerification(email!), 'non_field_errors');
  return { body: OK };
}

/** The dj-rest-auth routes under `prefix` (e.g. `/dj-rest-auth`). */
export function djRestAuthRoutes(deps: DjRestAuthDeps, prefix: string): Route[] {
  const { audit, clientAddress } = deps;
  const settings = deps.settings.accounts;
  const env: Env = {
    accounts: deps.accounts,
    users: deps.users,
    tokens: deps.tokens,
    jwt: deps.jwt,
    audit,
    clientAddress,
    loginField: settings.loginField,
    emailVerification: settings.emailVerification,
    useJwt: settings.djRestAuthJwt,
    oldPassword: settings.djRestAuthOldPassword,
    ...(deps.cookies ? { cookies: deps.cookies } : {}),
    jwtEnv: jwtEnv({ users: deps.users, jwt: deps.jwt, audit, clientAddress, gate: deps.gate }),
  };
  const open = { authenticators: deps.authenticators } as const;
  const user = { authenticators: deps.authenticators, permissions: [IsAuthenticated] } as const;
  const post = (handler: (env: Env, ctx: HandlerContext) => Promise<HandlerResult>) => ({ POST: (ctx: HandlerContext) => handler(env, ctx) });
  return [
    { ...open, path: `${prefix}/login/`, name: 'Login', noStore: true, throttles: [deps.scopedThrottle], throttleScope: 'login', methods: post(login) },
    { ...open, path: `${prefix}/logout/`, name: 'Logout', noStore: true, methods: post(logout) },
    {
      ...user,
      path: `${prefix}/user/`,
      name: 'User Details',
      methods: {
        GET: (ctx) => ({ body: userDetails(me(ctx)) }),
        PUT: (ctx) => updateUser(env, ctx, false),
        PATCH: (ctx) => updateUser(env, ctx, true),
      },
    },
    { ...user, path: `${prefix}/password/change/`, name: 'Password Change', methods: post(changePassword) },
    { ...open, path: `${prefix}/password/reset/`, name: 'Password Reset', methods: post(requestReset) },
    { ...open, path: `${prefix}/password/reset/confirm/`, name: 'Password Reset Confirm', methods: post(confirmReset) },
    { ...open, path: `${prefix}/registration/`, name: 'Register', noStore: true, methods: post(register) },
    { ...open, path: `${prefix}/registration/verify-email/`, name: 'Verify Email', methods: post(verifyEmail) },
    { ...open, path: `${prefix}/registration/resend-email/`, name: 'Resend Email Verification', methods: post(resendEmail) },
  ];
}
