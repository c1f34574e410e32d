/**
 * The WebAuthn user handle of a user: HMAC-SHA256 of the user id under a key derived from
 * the server secret — stable (an authenticator keeps one passkey per site and handle), of
 * no meaning to anyone else (no id, name or address in it), and needing no storage.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The key, derived once from the server secret. */
export const userHandleKey = (secretKey: string): Buffer => createHmac('sha256', secretKey).update('gatehouse webauthn user handle').digest();

export function userHandle(key: Buffer, userId: number): Uint8Array<ArrayBuffer> {
  const digest = createHmac('sha256', key).update(String(userId)).digest();
  const handle = new Uint8Array(new ArrayBuffer(digest.length));
  handle.set(digest);
  return handle;
}

/** Whether a returned handle (base64url) is this user's; constant time. */
export function userHandleMatches(key: Buffer, userId: number, presented: string): boolean {
  const given = Buffer.from(presented, 'base64url');
  const expected = Buffer.from(userHandle(key, userId));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
