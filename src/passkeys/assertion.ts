/**
 * The one judge of a WebAuthn assertion, for the passwordless login and the second factor
 * alike (docs/security.md #177-#181). In order:
 * 1. the challenge the browser answered is taken from the store (single use: gone whatever
 *    follows) and must have been issued for this ceremony — and, for a second factor, to
 *    this user;
 * 2. the credential must be registered — for a second factor, to this user; for a login,
 *    to an active user, whose user handle (when the authenticator returns one) it matches;
 * 3. the library checks type, challenge, origin (`passkeys.origins`), RP ID hash, user
 *    presence, user verification (always for a login), and the signature;
 * 4. the signature counter: a non-zero counter that did not increase is a cloned
 *    authenticator (audited, refused); the new counter and backup state are recorded with
 *    a compare-and-set, so two assertions judged against one counter cannot both pass.
 * Every refusal is a `PasskeyRefused`, audited with its reason.
 */
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { User } from '../core/user.js';
import type { PasskeyRecord, PasskeyStore, UserStore } from '../stores/types.js';
import { PasskeyRefused, type RefusalReason } from './errors.js';
import { challengeOf } from './input.js';
import type { PasskeyConfig } from './config.js';
import { userHandleMatches } from './user-handle.js';

export interface JudgeDeps {
  store: PasskeyStore;
  users: UserStore;
  config: PasskeyConfig;
  clock: Clock;
  events: EventSink;
}

export type AssertionCeremony = 'login' | 'second_factor';

export interface AcceptedAssertion {
  user: User;
  passkey: PasskeyRecord;
  userVerified: boolean;
}

/** Judge `assertion` for `ceremony`; `expected`: the user a second factor must belong to. */
export async function judgeAssertion(deps: JudgeDeps, assertion: AuthenticationResponseJSON, ceremony: AssertionCeremony, expected: User | null): Promise<AcceptedAssertion> {
  const refuse = (reason: RefusalReason, passkey?: PasskeyRecord): never => {
    const userId = passkey?.userId ?? expected?.id;
    deps.events({ event: 'passkey_refused', ceremony, reason, ...(userId !== undefined ? { userId } : {}), ...(passkey ? { passkeyId: passkey.id } : {}) });
    throw new PasskeyRefused(reason);
  };
  const challenge = await deps.store.consumeChallenge(challengeOf(assertion.response.clientDataJSON), ceremony, deps.clock.now());
  if (!challenge || (expected !== null && challenge.userId !== expected.id)) return refuse('challenge');
  const passkey = await deps.store.findByCredentialId(assertion.id);
  if (!passkey) return refuse('unknown_credential');
  if (expected !== null && passkey.userId !== expected.id) return refuse('other_user', passkey);
  const user = expected ?? (await deps.users.getById(passkey.userId));
  if (!user || !user.isActive) return refuse('inactive_user', passkey);
  const handle = assertion.response.userHandle;
  if (handle !== undefined && !userHandleMatches(deps.config.userHandleKey, user.id, handle)) return refuse('user_handle', passkey);
  const info = await verified(deps.config, assertion, challenge.challenge, passkey, ceremony);
  if (!info) return refuse('verification', passkey);
  if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
    deps.events({ event: 'passkey_counter_regression', userId: passkey.userId, passkeyId: passkey.id, stored: passkey.counter, presented: info.newCounter });
    return refuse('counter_regression', passkey);
  }
  const use = { counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: deps.clock.now() };
  if (!(await deps.store.recordUse(passkey.id, passkey.counter, use))) return refuse('concurrent_use', passkey);
  return { user, passkey: { ...passkey, ...use }, userVerified: info.userVerified };
}

/** base64url → bytes on an `ArrayBuffer` of their own (what the library's types ask for). */
function bytes(b64url: string): Uint8Array<ArrayBuffer> {
  const buffer = Buffer.from(b64url, 'base64url');
  const out = new Uint8Array(new ArrayBuffer(buffer.length));
  out.set(buffer);
  return out;
}

/** The library's checks (the counter is ours: it gets 0, which it never refuses); null when any fails. */
async function verified(config: PasskeyConfig, assertion: AuthenticationResponseJSON, challenge: string, passkey: PasskeyRecord, ceremony: AssertionCeremony) {
  try {
    const result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: challenge,
      expectedOrigin: [...config.origins],
      expectedRPID: config.rpId,
      credential: { id: passkey.credentialId, publicKey: bytes(passkey.publicKey), counter: 0 },
      requireUserVerification: ceremony === 'login' || config.userVerification === 'required',
    });
    return result.verified ? result.authenticationInfo : null;
  } catch {
    return null;
  }
}
