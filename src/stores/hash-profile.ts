/**
 * The cost profile key of a stored password hash, as the stores group by it
 * (`UserStore.passwordProfiles`, docs/security.md #117).
 *
 * Django's encoded hashes are `$`-separated fields; the key keeps the algorithm and its
 * cost fields and drops the salt and the digest, so every hash of one (algorithm, cost
 * parameters) has one key:
 *
 * - `pbkdf2_sha256$600000$<salt>$<hash>`                   → fields 1–2
 * - `scrypt$16384$<salt>$8$1$<hash>`                       → fields 1, 2, 4, 5
 * - `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`        → fields 1–4
 * - `bcrypt_sha256$$2b$12$<salt+hash>`, `bcrypt$$2b$12$…`   → fields 1–4
 *
 * Unusable (`!…`) and malformed values get keys too; they are never verified for real,
 * and the hasher ignores what it cannot parse. The rule is written twice, once in
 * TypeScript (memory store, and SQLite as a registered SQL function) and once in SQL for
 * PostgreSQL, side by side here; the store contract test checks that they agree.
 */

/** Which `$`-separated fields (1-based) are the algorithm and its cost parameters. */
function costFields(algorithm: string): number[] {
  if (algorithm === 'pbkdf2_sha256' || algorithm === 'pbkdf2_sha1') return [1, 2];
  if (algorithm === 'scrypt') return [1, 2, 4, 5];
  return [1, 2, 3, 4];
}

/** The key of one encoded hash (see the module comment). */
export function hashProfileKey(encoded: string): string {
  const fields = encoded.split('$', 5);
  return costFields(fields[0] ?? '').map((i) => fields[i - 1] ?? '').join('$');
}

/** `hashProfileKey` in PostgreSQL, over the column `password`. */
export const HASH_PROFILE_KEY_POSTGRES = `CASE
    WHEN split_part(password, '$', 1) IN ('pbkdf2_sha256', 'pbkdf2_sha1') THEN concat_ws('$', split_part(password, '$', 1), split_part(password, '$', 2))
    WHEN split_part(password, '$', 1) = 'scrypt' THEN concat_ws('$', split_part(password, '$', 1), split_part(password, '$', 2), split_part(password, '$', 4), split_part(password, '$', 5))
    ELSE concat_ws('$', split_part(password, '$', 1), split_part(password, '$', 2), split_part(password, '$', 3), split_part(password, '$', 4))
  END`;

/** The SQL function name SQLite stores register for `hashProfileKey`. */
export const HASH_PROFILE_KEY_SQLITE_FUNCTION = 'gatehouse_hash_profile';

/** One hash per key from `hashes`, at most `limit` (memory store and tests). */
export function oneHashPerProfile(hashes: Iterable<string>, limit: number): string[] {
  const byKey = new Map<string, string>();
  for (const h of hashes) {
    const key = hashProfileKey(h);
    if (!byKey.has(key)) byKey.set(key, h);
    if (byKey.size >= limit) break;
  }
  return [...byKey.values()];
}
