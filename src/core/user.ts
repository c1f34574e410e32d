/**
 * The user as Gatehouse sees it: the fields of Django's `auth_user`, camelCased.
 * Stores map their own columns onto this shape.
 */
export interface User {
  id: number;
  /** Unique, case-sensitive (Django's default `username` field). */
  username: string;
  email: string;
  /**
   * The primary address is verified (allauth's `EmailAddress.verified` of the user's own
   * address). djoser flow: a sign-up pending activation has `isActive` and
   * `emailVerified` false, activation sets both; an account an administrator disabled
   * keeps `emailVerified` true, so activation cannot re-enable it. Users created by the
   * CLI or an administrator, and users from before this flag existed, are verified.
   */
  emailVerified: boolean;
  firstName: string;
  lastName: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  lastLogin: Date | null;
  dateJoined: Date;
  /** A Django-format password hash (`algorithm$...`), or an unusable one starting with `!`. */
  password: string;
  /**
   * The user's credential generation as read with `password` (src/stores/generation.ts):
   * a credential issued for this object is refused once the generation moved (password
   * change, logout-all, deletion). Every built-in store sets it; absent, nothing is checked.
   */
  credentialGeneration?: number;
}

/** What an authenticator proves: who is calling and with what credential. */
export interface Principal<A = unknown> {
  user: User;
  /** The credential object (an opaque token record, a validated JWT, …); null for Basic. */
  auth: A;
}
