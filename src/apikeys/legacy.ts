/**
 * Keys imported from djangorestframework-api-key 2.0: `<prefix 8>.<secret 32>` (base62),
 * stored by Django as `make_password(key)` (PBKDF2 by default). They keep working after
 * `gatehouse import-django` (docs/security.md #158):
 * - `parseDrfApiKey` decides the format (before any store access) and gives the prefix,
 *   which is the row's lookup id;
 * - a row whose digest is a Django password hash (it contains `$`) is checked by the
 *   password hasher — one PBKDF2 (≈ 0.1 s at 260 000 iterations) on the hasher's bounded
 *   queue; a verified key is then cached by its SHA-256 like any key, so later requests
 *   cost what a native key costs until the cache drops it (revocation, restart, eviction).
 */
const DRF_API_KEY = /^([0-9A-Za-z]{8})\.[0-9A-Za-z]{32}$/;

/** The prefix (lookup id) of a drf-api-key key, else null. */
export function parseDrfApiKey(key: string): string | null {
  return DRF_API_KEY.exec(key)?.[1] ?? null;
}

/** Is this stored digest a Django password hash (an imported key) rather than a SHA-256? */
export function isDjangoHash(digest: string): boolean {
  return digest.includes('$');
}

/** Checks a key against a Django password hash (the password hasher's `verify`). */
export type DjangoHashCheck = (key: string, encoded: string) => Promise<boolean>;
