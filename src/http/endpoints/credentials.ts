/**
 * DRF's `AuthTokenSerializer`: `username` (trimmed) and `password` (not trimmed),
 * validated with DRF's messages, then checked against the user store.
 */
import { ValidationError } from '../../core/errors.js';
import type { User } from '../../core/user.js';
import { StaleGeneration } from '../../stores/generation.js';
import type { UserService } from '../../users/service.js';
import type { BodyData } from '../body.js';
import { validateCharFields } from '../fields.js';
import type { MetadataField } from '../route.js';

export const UNABLE_TO_LOG_IN = 'Unable to log in with provided credentials.';

export const CREDENTIAL_FIELDS: readonly MetadataField[] = [
  { name: 'username', label: 'Username' },
  { name: 'password', label: 'Password' },
];

/** DRF's `AuthTokenSerializer` fields, as `OPTIONS` shows them. */
export const AUTH_TOKEN_FIELDS: readonly MetadataField[] = [...CREDENTIAL_FIELDS, { name: 'token', label: 'Token', readOnly: true }];

/** Validate the fields, then authenticate; 400 with DRF's messages on any failure. */
export async function userFromCredentials(users: UserService, data: BodyData, clientAddress?: string): Promise<User> {
  const { username, password } = validateCharFields(data, [
    { name: 'username' },
    { name: 'password', trim: false },
  ]) as { username: string; password: string };
  const user = await users.authenticate(username, password, clientAddress);
  if (!user) throw ValidationError.nonField(UNABLE_TO_LOG_IN);
  return user;
}

/**
 * Issue what a login hands out. When the user's credential generation moved while the
 * login ran (password change, logout-all, deletion: `StaleGeneration`, nothing was
 * stored), the login fails with `refusal()` — the answer wrong credentials get.
 */
export async function issueForLogin<T>(issue: () => Promise<T>, refusal: () => Error): Promise<T> {
  try {
    return await issue();
  } catch (e) {
    throw e instanceof StaleGeneration ? refusal() : e;
  }
}
