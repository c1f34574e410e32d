/**
 * DRF's `AuthTokenSerializer`: `username` (trimmed) and `password` (not trimmed),
 * validated with DRF's messages, then checked against the user store; and the password
 * login step every login endpoint shares (`passwordLogin`: the login device cookie).
 */
import { serializeCookie } from '../../cookies/cookie.js';
import { isLocalhostRequest } from '../../cookies/origin.js';
import type { Audit } from '../../core/audit.js';
import { ValidationError } from '../../core/errors.js';
import type { User } from '../../core/user.js';
import { assertVerified, type VerifiedLogin } from '../../mfa/gate.js';
import { StaleGeneration } from '../../stores/generation.js';
import type { LoginField, UserService } from '../../users/service.js';
import { validateCharFields } from '../fields.js';
import type { HandlerContext, MetadataField } from '../route.js';

export const UNABLE_TO_LOG_IN = 'Unable to log in with provided credentials.';

export const CREDENTIAL_FIELDS: readonly MetadataField[] = [
  { name: 'username', label: 'Username' },
  { name: 'password', label: 'Password' },
];

/**
 * The body field simplejwt's obtain views (and cookie-mode login) read the identifier
 * from: the user model's `USERNAME_FIELD` — `email` when logins are by e-mail, else
 * `username` (with `either`, Django's `USERNAME_FIELD` stays `username`). DRF's
 * `/api-token-auth/` and knox always read `username` (`AuthTokenSerializer`), whose
 * value may then be an address.
 */
export const usernameField = (loginField: LoginField): 'username' | 'email' => (loginField === 'email' ? 'email' : 'username');

/** DRF's `AuthTokenSerializer` fields, as `OPTIONS` shows them. */
export const AUTH_TOKEN_FIELDS: readonly MetadataField[] = [...CREDENTIAL_FIELDS, { name: 'token', label: 'Token', readOnly: true }];

/**
 * `users.authenticate` for a login endpoint, with the login throttle's device cookie
 * (docs/permissions-and-throttling.md): the cookie the client sent, if any, is handed to
 * the throttle; after a success the client gets a new one as an extra `Set-Cookie` line
 * (sent only if the handler answers; the body never changes). The cookie is HttpOnly,
 * `SameSite=Strict`, `Secure` unless the request is for localhost (plain-HTTP
 * development), and has no `Path`: the browser sends it back to the login endpoint that
 * set it (and the paths below it) only.
 */
export async function passwordLogin(users: UserService, ctx: HandlerContext, username: string, password: string, clientAddress: string): Promise<User | null> {
  const devices = users.loginDevices;
  const device = devices ? ctx.req.cookies[devices.name] : undefined;
  const user = await users.authenticate(username, password, { address: clientAddress, device });
  const value = user && devices ? devices.issue(username) : null;
  if (devices && value !== null) {
    const attrs = { domain: null, path: null, httpOnly: true, secure: !isLocalhostRequest(ctx.req), sameSite: 'Strict' as const };
    ctx.setCookie(serializeCookie(devices.name, value, devices.maxAgeSeconds, devices.now(), attrs));
  }
  return user;
}

/** Validate the fields, then authenticate (`passwordLogin`); 400 with DRF's messages on any failure. */
export async function userFromCredentials(users: UserService, ctx: HandlerContext, clientAddress: string): Promise<User> {
  const { username, password } = validateCharFields(await ctx.body(), [
    { name: 'username' },
    { name: 'password', trim: false },
  ]) as { username: string; password: string };
  const user = await passwordLogin(users, ctx, username, password, clientAddress);
  if (!user) throw ValidationError.nonField(UNABLE_TO_LOG_IN);
  return user;
}

/**
 * Issue what a login hands out, and audit it: only for a login the MFA gate verified
 * (`MfaGate.pass`, src/mfa/gate.ts), for its user (`issue` gets it). When the user's credential generation moved while
 * the login ran (password change, logout-all, deletion: `StaleGeneration`, nothing was
 * stored), the login is audited as failed and fails with `refusal()` — the answer wrong
 * credentials get on that endpoint. `tokenId` names the stored token in the audit event.
 */
export async function issueForLogin<T>(
  login: VerifiedLogin,
  audit: Audit,
  issue: (user: User) => Promise<T>,
  refusal: () => Error,
  tokenId?: (issued: T) => number,
): Promise<T> {
  assertVerified(login);
  const { user, endpoint } = login;
  let issued: T;
  try {
    issued = await issue(user);
  } catch (e) {
    if (!(e instanceof StaleGeneration)) throw e;
    audit({ event: 'login_failed', endpoint });
    throw refusal();
  }
  audit({ event: 'login', endpoint, userId: user.id, ...(tokenId ? { tokenId: tokenId(issued) } : {}) });
  return issued;
}
