/**
 * Start-up measurement of the stored password hashes' costs (docs/security.md #117).
 *
 * `FailureTiming` pads every failed login to the costliest verification it has seen; on
 * its own it learns a costly profile (PBKDF2 at 1,000,000 iterations, Django's argon2
 * parameters…) only from that profile's first verification, which is answered at its own
 * cost and so tells that such an account exists. At start-up Gatehouse therefore reads one
 * stored hash per cost profile (`UserStore.passwordProfiles`) and verifies a random
 * password against each: every verification is recorded, so the first failed login is
 * already padded to the costliest profile in the database.
 *
 * Bounded: at most `limit` profiles, one after the other, through the hasher's slots (a
 * full queue skips the rest). It never rejects: a store error or a closed store ends the
 * measurement, and logins pad to what was measured so far.
 *
 * Residual: a profile first written while the process runs (a new hashing policy, an
 * import into a running database) is measured on its first verification, as before; the
 * next start covers it.
 */
import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../passwords/index.js';
import type { UserStore } from '../stores/types.js';

/** Profiles measured at start-up at most. */
export const STARTUP_PROFILE_LIMIT = 16;

/** Verify a random password against one stored hash per profile; resolves to how many were measured. */
export async function measureStoredProfiles(users: Pick<UserStore, 'passwordProfiles'>, hasher: PasswordHasher, limit = STARTUP_PROFILE_LIMIT): Promise<number> {
  let measured = 0;
  try {
    const hashes = await users.passwordProfiles(limit);
    for (const encoded of hashes.slice(0, limit)) {
      if (!hasher.measurable(encoded)) continue;
      await hasher.verify(randomBytes(24).toString('base64url'), encoded);
      measured++;
    }
  } catch {
    // A store error, a closed store or a full hashing queue: keep what was measured.
  }
  return measured;
}
