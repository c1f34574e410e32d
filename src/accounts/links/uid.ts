/**
 * The uid of a link: djoser's `urlsafe_base64_encode(str(pk))` without padding (1 → `MQ`)
 * and allauth's base 36 of the pk (35 → `z`). Decoders answer the pk, or null for
 * anything that does not name a positive integer pk.
 */
const MAX_PK_DIGITS = 15;

export function encodeUidBase64(pk: number): string {
  return Buffer.from(String(pk), 'utf8').toString('base64url');
}

export function decodeUidBase64(uid: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(uid)) return null;
  const text = Buffer.from(uid, 'base64url').toString('latin1');
  if (!new RegExp(`^[0-9]{1,${MAX_PK_DIGITS}}$`).test(text)) return null;
  const pk = Number(text);
  return pk > 0 ? pk : null;
}

export function encodeUidBase36(pk: number): string {
  return pk.toString(36);
}

/** Django's `base36_to_int`: at most 13 digits. */
export function decodeUidBase36(uid: string): number | null {
  if (!/^[0-9a-zA-Z]{1,13}$/.test(uid)) return null;
  const pk = parseInt(uid, 36);
  return Number.isSafeInteger(pk) && pk > 0 ? pk : null;
}
