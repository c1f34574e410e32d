/**
 * Credential generations: why a password change, logout-all or user deletion beats the
 * logins already in flight.
 *
 * The problem. A login reads the user (with the password hash), checks the password —
 * tens of milliseconds of hashing — and only then stores the credential it hands out (an
 * opaque/knox token row, a JWT refresh or sliding token's outstanding row). A password
 * change that commits in between revokes what exists, but the login's insert comes after
 * the revocation and survives: a credential obtained with the old password outlives the
 * change.
 *
 * The rule.
 *
 * 1. Every user has a credential generation (`credential_generation`, an integer column
 *    of the user's row; a field of the memory store's user). It is read in the same row
 *    as the password hash, so every `User` a store returns carries the generation its
 *    password check is made against (`User.credentialGeneration`).
 * 2. It moves, in the same statement as the change it stands for, on: a password change
 *    (`UserStore.bumpGeneration(id, { password })`, used by `UserService.setPassword` and
 *    so by `gatehouse changepassword`), logout-all (`UserService.logoutAll`: knox
 *    `logoutall`, which also revokes the user's JWTs). Deleting the user removes the row:
 *    a generation that can no longer be read counts as moved. (Deactivation does not move
 *    it: an inactive user's credentials are refused on every use, and a reactivated
 *    user's come back, as in Django.)
 * 3. Every store operation that creates a credential from a login takes the generation
 *    the login saw (`TokenStore.create(…, generation)`, `JwtStore.recordOutstanding(…,
 *    generation)`) and, inside the transaction that inserts, reads the user's current
 *    generation and refuses with `StaleGeneration` unless `generationCurrent` says it is
 *    the same. PostgreSQL reads it under a row lock (`FOR SHARE`, or `FOR NO KEY UPDATE`
 *    where the token limit already takes one) that the bumping `UPDATE` and the `DELETE`
 *    conflict with, so the decision holds across instances; SQLite's `BEGIN IMMEDIATE`
 *    serialises the writers of the file (the CLI too); the memory store's methods are
 *    atomic. A password rehash on login (an outdated hash upgraded) is written the same
 *    way (`UserStore.update(…, generation)`), so it can never put back a password that
 *    was changed meanwhile.
 * 4. The revocation moves the generation FIRST, then deletes/blacklists what exists
 *    (`UserService`). So a login that saw the old generation either inserted before the
 *    move — its row exists when the revocation deletes, and goes with it — or inserts
 *    after it, and is refused. There is no third order.
 * 5. The refusal is a failed login, answered as wrong credentials are (400
 *    `Unable to log in with provided credentials.` for authtoken/knox, 401 `No active
 *    account found with the given credentials` for simplejwt's views), never a 5xx.
 *
 * A credential created without a generation (`undefined`: a `User` that a custom store
 * built without one; refresh-token rotation, which creates no credential from a login) is
 * not checked. With `jwt.jtiClaim` off nothing is recorded, so a pair is not checked either.
 *
 * JWT access tokens are not stored, so they are covered only through what is: a login
 * refused by rule 3 returns no token at all. An access token from a login that completed
 * before a password change or logout-all is refused afterwards only with
 * `jwt.checkRevokeToken` (its revocation claim names the old password hash and revocation
 * epoch); without it, it stays valid until its `exp` (stateless, as simplejwt's). A deleted
 * user's are refused either way (the user is looked up on every request).
 */

/** Thrown by a credential insert whose generation is no longer the user's (or whose user is gone). */
export class StaleGeneration extends Error {
  constructor() {
    super("The user's credentials changed while this credential was being issued.");
  }
}

/**
 * THE decision: may a credential issued against generation `seen` still be stored, the
 * user's generation being `current` now (null: the user is gone)? Only when nothing moved.
 */
export function generationCurrent(seen: number, current: number | null): boolean {
  return current !== null && current === seen;
}

/**
 * Run the decision inside a store's transaction: `current` is read there (null: no such
 * user). Does nothing when the caller gave no generation (`seen` undefined).
 */
export function requireGeneration(seen: number | undefined, current: number | null): void {
  if (seen !== undefined && !generationCurrent(seen, current)) throw new StaleGeneration();
}
