/**
 * Store interfaces: what the services need from persistence, nothing more.
 *
 * Every method is async so that SQLite (built in), PostgreSQL, Redis or an
 * application's own user table plug in without touching callers. Implementations
 * must be atomic where a method says so. One contract test suite
 * (`test/stores/contract.ts`) runs against every implementation.
 */
import type { User } from '../core/user.js';

/** Fields needed to create a user. */
export interface NewUser {
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /**
   * Default false: a store never assumes an address was verified. `UserService.create`
   * (the CLI, administrators) passes true unless told otherwise; the account service
   * passes false for a sign-up pending verification.
   */
  emailVerified?: boolean;
  /** A password hash (never a plain password). */
  password: string;
  dateJoined: Date;
}

/**
 * Fields that can be changed on a user. A `username` is stored as given (callers
 * normalise and validate it first, as `UserService` does).
 */
export type UserPatch = Partial<
  Pick<User, 'username' | 'email' | 'emailVerified' | 'firstName' | 'lastName' | 'isActive' | 'isStaff' | 'isSuperuser' | 'password' | 'lastLogin'>
>;

/** Thrown by `UserStore.create`, and by `update` / `bumpGeneration` renaming a user, when the username exists. */
export class UsernameTaken extends Error {
  constructor(readonly username: string) {
    super('A user with that username already exists.');
  }
}

export interface UserStore {
  getById(id: number): Promise<User | null>;
  /** Exact, case-sensitive match (Django's default). */
  getByUsername(username: string): Promise<User | null>;
  /**
   * Every user whose e-mail address equals `email` ignoring case, ordered by id; [] for
   * ''. "Ignoring case" is exactly: `a.toLowerCase() === b.toLowerCase()` in JavaScript
   * (`emailKey`, src/stores/email-key.ts) — the SQL stores keep that key in an indexed
   * column (`email_key`), written with every e-mail address, so no database collation or
   * SQL `lower()` decides it. Addresses are not unique in the store: whether they must be
   * is the account service's rule (`accounts.uniqueEmail`).
   */
  findByEmail(email: string): Promise<User[]>;
  /**
   * Every user whose username equals `username` ignoring case, ordered by id: allauth's
   * `username__iexact` (the account service's case-insensitive uniqueness). Memory and
   * SQLite compare with JavaScript's `toLowerCase()`, PostgreSQL with its `lower()` (the
   * database's character type). Optional: a store without it makes the account service
   * compare every user's name itself (`list()`).
   */
  findByUsernameIgnoringCase?(username: string): Promise<User[]>;
  /** Throws `UsernameTaken`. */
  create(user: NewUser): Promise<User>;
  /**
   * Returns the updated user, or null if it does not exist. With `generation`, only when
   * that is still the user's credential generation (else null, nothing written): a
   * password rehash on login never puts back a password changed meanwhile. Renaming to a
   * username another user has throws `UsernameTaken` (nothing written).
   */
  update(id: number, patch: UserPatch, generation?: number): Promise<User | null>;
  /**
   * Move the user's credential generation, with `patch` applied in the same statement
   * (src/stores/generation.ts): credentials issued against the previous generation are
   * refused from now on. Returns the updated user, or null if it does not exist; throws
   * `UsernameTaken` as `update` does (nothing written, the generation unmoved). With
   * `expected`, only when that is still the user's generation (`generationCurrent`; else
   * null, nothing written): of two password resets with one link, one wins.
   */
  bumpGeneration(id: number, patch?: UserPatch, expected?: number): Promise<User | null>;
  /** Deletes the user and, atomically, every credential that belongs to it. */
  delete(id: number): Promise<boolean>;
  list(): Promise<User[]>;
  /**
   * One stored password hash per cost profile (algorithm and cost parameters, grouped by
   * `hashProfileKey` in src/stores/hash-profile.ts), at most `limit` of them: start-up
   * times one verification of each so failed logins are padded to the costliest from the
   * first (docs/security.md #117).
   */
  passwordProfiles(limit: number): Promise<string[]>;
}

/** A stored opaque token. The secret itself is never stored: only its digest. */
export interface TokenRecord {
  id: number;
  userId: number;
  /** Non-secret lookup prefix (the first characters of the token). */
  prefix: string;
  /** Hex SHA-256 of the whole token. */
  digest: string;
  createdAt: number;
  /** Epoch ms, or null for tokens that never expire. */
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** Client label, e.g. the User-Agent at creation (truncated). */
  label: string | null;
}

export type NewTokenRecord = Omit<TokenRecord, 'id'>;

/** A token found by its prefix, with its user (one query on the hot path). */
export interface TokenWithUser {
  token: TokenRecord;
  user: User;
}

/** What to do when a user already has `max` unexpired tokens. */
export interface TokenLimit {
  max: number;
  /** `refuse`: throw `TokenLimitReached`; `evictOldest`: delete the oldest to make room. */
  action: 'refuse' | 'evictOldest';
}

export class TokenLimitReached extends Error {
  constructor() {
    super('Maximum amount of tokens allowed per user exceeded.');
  }
}

export interface TokenStore {
  /**
   * Insert a token. With `limit`, counting the user's unexpired tokens (at `now`) and
   * inserting are atomic, so concurrent logins cannot exceed the limit. With `generation`
   * (the user's credential generation its login saw), the insert is refused with
   * `StaleGeneration` when that is no longer the user's or the user is gone — checked in
   * the same transaction (src/stores/generation.ts).
   */
  create(token: NewTokenRecord, limit?: TokenLimit, generation?: number): Promise<TokenRecord>;
  /** Every token whose prefix matches, with its user. */
  findByPrefix(prefix: string): Promise<TokenWithUser[]>;
  /** Record use: new last-used time and, optionally, a new expiry. */
  touch(id: number, lastUsedAt: number, expiresAt?: number | null): Promise<void>;
  get(id: number): Promise<TokenRecord | null>;
  /** Delete one token; returns whether it existed. */
  delete(id: number): Promise<boolean>;
  /** Delete one token only if it belongs to `userId`. */
  deleteForUser(userId: number, id: number): Promise<boolean>;
  /** Delete every token of a user; returns how many. */
  deleteAllForUser(userId: number): Promise<number>;
  listForUser(userId: number): Promise<TokenRecord[]>;
  /** Delete tokens whose expiry is at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/**
 * A stored API key (src/apikeys). Only the SHA-256 digest of the key is stored, never the
 * key. `userId` null: a service identity known by its `name` only.
 */
export interface ApiKeyRecord {
  id: number;
  /** Non-secret lookup id (8 base62 characters; a drf-api-key import: its 8-character prefix). */
  lookupId: string;
  /** Hex SHA-256 of the whole key, or an imported Django password hash (`pbkdf2_sha256$…`). */
  digest: string;
  name: string;
  userId: number | null;
  scopes: string[];
  createdAt: number;
  /** Epoch ms, or null: never expires. */
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** Epoch ms of revocation, or null. */
  revokedAt: number | null;
  /** DRF rate string (`100/min`) for this key, or null: no per-key rate. */
  rate: string | null;
}

export type NewApiKeyRecord = Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>;

/** What may change of a key after its creation (absent: unchanged). */
export type ApiKeyPatch = Partial<Pick<ApiKeyRecord, 'name' | 'scopes' | 'rate' | 'expiresAt'>>;

/** A key found by its lookup id, with its owner (null for an owner-less key). */
export interface ApiKeyWithUser {
  key: ApiKeyRecord;
  user: User | null;
}

export interface ApiKeyStore {
  /** Insert a key; the owner, when given, must exist. Throws when the lookup id is taken. */
  create(key: NewApiKeyRecord): Promise<ApiKeyRecord>;
  /** The key with this lookup id (unique), with its owner; revoked and expired keys included. */
  findByLookupId(lookupId: string): Promise<ApiKeyWithUser | null>;
  get(id: number): Promise<ApiKeyRecord | null>;
  /** Keys of one owner (`userId`), or every key (`undefined`), oldest first. */
  list(userId?: number): Promise<ApiKeyRecord[]>;
  /** Record use. */
  touch(id: number, lastUsedAt: number): Promise<void>;
  /** Mark revoked at `now` (kept for the audit trail); false when unknown or already revoked. */
  revoke(id: number, now: number): Promise<boolean>;
  /** Revoke every unrevoked key of a user; returns how many. */
  revokeAllForUser(userId: number, now: number): Promise<number>;
  /**
   * Apply `patch` (revoked keys too: the service decides); the updated key, or null when
   * unknown. Moves the change signal (every instance's cache of verified keys) when a row
   * changed, as a revocation does.
   */
  update(id: number, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;
}

/**
 * A WebAuthn credential (a passkey) registered by a user (src/passkeys). Only the public
 * key is stored: nothing here lets anyone sign.
 */
export interface PasskeyRecord {
  id: number;
  /** The credential id as the authenticator made it, base64url (unique). */
  credentialId: string;
  userId: number;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter as last seen (0: the authenticator keeps none). */
  counter: number;
  /** `AuthenticatorTransport` values the browser reported at registration (`internal`, `usb`, `hybrid`…). */
  transports: string[];
  /** `multiDevice` when the credential may be synced (backup eligible), else `singleDevice`. */
  deviceType: 'singleDevice' | 'multiDevice';
  /** Whether the credential was backed up (synced) when last seen. */
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export type NewPasskeyRecord = Omit<PasskeyRecord, 'id' | 'lastUsedAt'>;

/** What an accepted assertion changes on its passkey. */
export interface PasskeyUse {
  counter: number;
  backedUp: boolean;
  lastUsedAt: number;
}

/** The ceremony a WebAuthn challenge was issued for. */
export type WebAuthnCeremony = 'registration' | 'login' | 'second_factor';

/** A challenge handed to a browser: single use, bound to its ceremony and (except a passwordless login's) to a user. */
export interface WebAuthnChallenge {
  /** base64url, the random bytes the authenticator signs over (unique). */
  challenge: string;
  ceremony: WebAuthnCeremony;
  /** The user it was issued to; null for a passwordless login's (the user is not known yet). */
  userId: number | null;
  /** Epoch ms after which it is refused. */
  expiresAt: number;
}

/** Thrown by `PasskeyStore.create` when the user already has `maxPerUser` passkeys. */
export class PasskeyLimitReached extends Error {
  constructor() {
    super('Maximum number of passkeys per user reached.');
  }
}

/** Thrown by `PasskeyStore.create` when the credential id is registered already (to anyone). */
export class PasskeyExists extends Error {
  constructor() {
    super('This passkey is registered already.');
  }
}

export interface PasskeyStore {
  /**
   * Insert a passkey for an existing user. Counting the user's passkeys and inserting are
   * atomic: concurrent registrations never exceed `maxPerUser` (`PasskeyLimitReached`). A
   * credential id registered already throws `PasskeyExists`; an unknown user throws.
   */
  create(record: NewPasskeyRecord, maxPerUser: number): Promise<PasskeyRecord>;
  /** The passkey with this credential id (exact, case-sensitive), or null. */
  findByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** A user's passkeys, oldest first. */
  listForUser(userId: number): Promise<PasskeyRecord[]>;
  /** Rename one of the user's passkeys; null when it is not theirs or does not exist. */
  rename(userId: number, id: number, name: string): Promise<PasskeyRecord | null>;
  /** Delete one of the user's passkeys; false when it is not theirs or does not exist. */
  delete(userId: number, id: number): Promise<boolean>;
  /**
   * Record an accepted assertion, only while the stored counter is still `expectedCounter`
   * (compare-and-set: of two assertions judged against one counter, one is recorded);
   * false when it was not (or the passkey is gone).
   */
  recordUse(id: number, expectedCounter: number, use: PasskeyUse): Promise<boolean>;
  /** Store a new challenge (its owner, when given, must exist); expired challenges may be purged meanwhile. */
  saveChallenge(challenge: WebAuthnChallenge, now: number): Promise<void>;
  /**
   * Atomically take a challenge: it is deleted whatever the answer (single use), and
   * returned only when it existed, was issued for `ceremony`, and had not expired at
   * `now`. Of concurrent callers, at most one gets it.
   */
  consumeChallenge(challenge: string, ceremony: WebAuthnCeremony, now: number): Promise<WebAuthnChallenge | null>;
  /** Delete challenges expired at `now`; returns how many. */
  deleteExpiredChallenges(now: number): Promise<number>;
}

/**
 * A pending second-factor login: the MFA ticket a password login of a user with a second
 * factor gets instead of a credential (src/mfa/tickets.ts). The ticket itself is never
 * stored, only its digest.
 */
export interface MfaTicketRecord {
  /** Hex SHA-256 of the ticket: the key. */
  digest: string;
  userId: number;
  /** The login endpoint that issued it (its audit name); only that endpoint redeems it. */
  endpoint: string;
  /** Hex SHA-256 of the client it was issued to (address and User-Agent). */
  client: string;
  /** The user's credential generation when the password was checked. */
  generation: number;
  createdAt: number;
  expiresAt: number;
  /** Wrong proofs still allowed; 0: dead. */
  attemptsLeft: number;
  /** When a second call used it, else null. */
  usedAt: number | null;
}

export type NewMfaTicket = Omit<MfaTicketRecord, 'usedAt'>;

export interface MfaTicketStore {
  /** Insert a ticket (its user must exist; the digest is new). */
  create(ticket: NewMfaTicket): Promise<void>;
  get(digest: string): Promise<MfaTicketRecord | null>;
  /** Count one wrong proof, atomically: the attempts left after it (never below 0), or null when unknown. */
  fail(digest: string): Promise<number | null>;
  /**
   * Use the ticket, atomically: true for exactly one caller among concurrent ones, and only
   * while it is unused, unexpired at `now` and has attempts left.
   */
  consume(digest: string, now: number): Promise<boolean>;
  /** Delete tickets that expired at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/**
 * A trusted device ("remember this device"): the browser holds a cookie with the id and a
 * secret (src/mfa/trusted-devices.ts); the store holds the secret's digest.
 */
export interface TrustedDeviceRecord {
  /** Random, public (the cookie and the management endpoints name the device by it). */
  id: string;
  userId: number;
  /** Hex SHA-256 of the cookie's secret. */
  digest: string;
  /** The user's credential generation when it was trusted: a device from an older one is void. */
  generation: number;
  /** A summary of the User-Agent that asked to be remembered. */
  label: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

export interface TrustedDeviceStore {
  /** Insert a device (its user must exist; the id is new). */
  create(device: TrustedDeviceRecord): Promise<void>;
  get(id: string): Promise<TrustedDeviceRecord | null>;
  /** A user's devices, oldest first. */
  list(userId: number): Promise<TrustedDeviceRecord[]>;
  touch(id: string, lastUsedAt: number): Promise<void>;
  /** Delete one device of `userId`; false when it is not theirs or unknown. */
  delete(id: string, userId: number): Promise<boolean>;
  /** Delete every device of a user; returns how many. */
  deleteAllForUser(userId: number): Promise<number>;
  /** Delete devices that expired at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/**
 * A user's TOTP device (src/mfa/totp.ts): at most one per user. The secret is stored
 * sealed (AES-256-GCM, src/core/sealing.ts): opaque to the store.
 */
export interface TotpDevice {
  userId: number;
  /** The sealed secret; a new enrolment gets a new one (its own random IV), so it names the enrolment too. */
  secret: string;
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  digits: number;
  /** Seconds per step. */
  period: number;
  createdAt: number;
  /** Epoch ms of confirmation by a first valid code; null: not confirmed, not a factor. */
  confirmedAt: number | null;
  /** The last time step a code was accepted for (-1: none): a step is accepted at most once. */
  lastUsedStep: number;
}

export type NewTotpDevice = Omit<TotpDevice, 'confirmedAt' | 'lastUsedStep'>;

/**
 * Second factors' rows (src/mfa): TOTP devices and recovery codes (only their digests).
 * Deleting a user deletes its rows (the SQL stores by cascade). Methods marked ATOMIC
 * decide in one statement or transaction: of concurrent calls that could both succeed,
 * exactly one does.
 */
export interface MfaStore {
  /** The user's device, confirmed or not; null when none. */
  getTotp(userId: number): Promise<TotpDevice | null>;
  /**
   * ATOMIC. Store a new unconfirmed device, replacing an unconfirmed one; false (nothing
   * written) when the user has a confirmed device. The user must exist.
   */
  beginTotp(device: NewTotpDevice): Promise<boolean>;
  /**
   * ATOMIC. Confirm the unconfirmed device whose sealed secret is `secret`, recording
   * `step` as used, and replace the user's recovery codes by `recoveryDigests`, in one
   * transaction; false (nothing written) when no such unconfirmed device exists (another
   * enrolment replaced it, or it was confirmed meanwhile).
   */
  confirmTotp(userId: number, secret: string, step: number, now: number, recoveryDigests: string[]): Promise<boolean>;
  /**
   * ATOMIC compare-and-set: record `step` as the confirmed device's last used step when
   * it is greater than the stored one (`UPDATE … WHERE last_used_step < step`); false
   * otherwise (a replay, a concurrent use of the same code, or no confirmed device).
   */
  useTotpStep(userId: number, step: number): Promise<boolean>;
  /** Delete the user's device (confirmed or not); false when there was none. */
  deleteTotp(userId: number): Promise<boolean>;
  /** ATOMIC. Replace every recovery code of the user by these digests (all or nothing). */
  replaceRecoveryCodes(userId: number, digests: string[], now: number): Promise<void>;
  /** ATOMIC. Delete the user's code with this digest; true for exactly one of concurrent calls. */
  consumeRecoveryCode(userId: number, digest: string): Promise<boolean>;
  /** How many unused recovery codes the user has. */
  countRecoveryCodes(userId: number): Promise<number>;
  /** Delete every recovery code of the user; returns how many. */
  deleteRecoveryCodes(userId: number): Promise<number>;
}

/** The kinds of JWT the server records (access tokens are never recorded). */
export type RecordedTokenType = 'refresh' | 'sliding';

/**
 * A refresh or sliding token the server issued or saw (simplejwt's OutstandingToken,
 * plus rotation bookkeeping). Holds the `jti` and metadata, never the token itself.
 */
export interface OutstandingToken {
  jti: string;
  /** Null when the token names no user this server knows. */
  userId: number | null;
  tokenType: RecordedTokenType;
  /** Refresh family (all tokens descending from one login by rotation). */
  familyId: string | null;
  createdAt: number;
  /** Epoch ms of the token's `exp`. */
  expiresAt: number;
  blacklistedAt: number | null;
  /** Set when this refresh token was rotated: the replacement's id and times. */
  replacedBy: string | null;
  replacedAt: number | null;
  /** `iat`/`exp` of the replacement (epoch s), so a retry within the grace window can be re-issued identically. */
  replacementIat: number | null;
  replacementExp: number | null;
}

export type NewOutstandingToken = Pick<OutstandingToken, 'jti' | 'userId' | 'tokenType' | 'familyId' | 'createdAt' | 'expiresAt'>;

export interface RefreshFamily {
  id: string;
  userId: number | null;
  createdAt: number;
  /** Absolute end of the family (epoch ms), or null. */
  notAfter: number | null;
  revokedAt: number | null;
  reason: string | null;
}

/**
 * What a store read, under its lock, before rotating a refresh token: the presented
 * token's row, the row of the token that replaced it (when it was rotated) and its family.
 */
export interface RotationState {
  token: OutstandingToken;
  replacement: OutstandingToken | null;
  family: RefreshFamily | null;
}

/**
 * What to do with a presented refresh token, decided by the JWT layer's one rotation
 * function (the store applies it inside the same lock/transaction):
 * - `rotate`: record the replacement (and blacklist the presented token when asked);
 * - `grace`: a retry within the grace window: hand out the recorded replacement again;
 * - `revoke_family`: the token was rotated away (reuse): revoke its whole family;
 * - `refuse`: blacklisted, or its family was revoked; nothing changes.
 */
export type RotationAction =
  | { kind: 'rotate'; blacklistCurrent: boolean }
  | { kind: 'grace'; replacement: { jti: string; iat: number; exp: number } }
  | { kind: 'revoke_family' }
  | { kind: 'refuse'; reason: 'blacklisted' | 'family_revoked' };

/** Outcome of an atomic rotation (the action applied; `resultOf` in `rotation-result.ts`). */
export type RotateResult =
  | { kind: 'rotated'; familyId: string }
  /** The same token was rotated within the grace window: re-issue that replacement. */
  | { kind: 'grace'; replacement: { jti: string; iat: number; exp: number }; familyId: string }
  /** Presented again after rotation, outside the grace window: the family is now revoked. */
  | { kind: 'reused'; familyId: string }
  | { kind: 'blacklisted' }
  | { kind: 'family_revoked' };

export interface RotateInput {
  /** The presented refresh token (recorded first if the server never saw it). */
  current: NewOutstandingToken;
  /** Its replacement, recorded when the decision is `rotate`. */
  next: NewOutstandingToken & { iat: number; exp: number };
  now: number;
  /** Absolute end of a new family, when `current` starts one. */
  familyNotAfter: number | null;
  /** The decision, run by the store on the rows it read under its lock (synchronous, pure). */
  decide(state: RotationState): RotationAction;
}

export interface JwtStore {
  /**
   * Record an issued refresh/sliding token; a new family when `familyId` names none yet.
   * With `generation`: refused with `StaleGeneration`, nothing recorded, unless it is
   * still the credential generation of `token.userId` (as `TokenStore.create`).
   */
  recordOutstanding(token: NewOutstandingToken, familyNotAfter?: number | null, generation?: number): Promise<void>;
  getOutstanding(jti: string): Promise<OutstandingToken | null>;
  getFamily(id: string): Promise<RefreshFamily | null>;
  /**
   * Blacklist a token by `jti`, recording it first if unknown (simplejwt blacklists
   * tokens it never issued, too). Returns false when it was already blacklisted.
   */
  blacklist(token: NewOutstandingToken, now: number): Promise<boolean>;
  /**
   * Atomically rotate a refresh token: lock, read `RotationState`, apply `input.decide`'s
   * action (one winner among concurrent callers, on one instance or several).
   */
  rotate(input: RotateInput): Promise<RotateResult>;
  /** Revoke a family: every member is refused from now on. */
  revokeFamily(familyId: string, now: number, reason: string): Promise<void>;
  /** Revoke every refresh/sliding token and family of a user; returns how many tokens. */
  revokeAllForUser(userId: number, now: number, reason: string): Promise<number>;
  /** Deny one access token until its expiry (optional per-request check). */
  denyAccessToken(jti: string, expiresAt: number): Promise<void>;
  isAccessTokenDenied(jti: string): Promise<boolean>;
  /** Per-user revocation epoch: moves on logout-all and password change. */
  userEpoch(userId: number): Promise<number>;
  bumpUserEpoch(userId: number): Promise<number>;
  /** Delete rows whose tokens expired at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** A JWT signing key of the key ring. Private material is stored encrypted. */
export interface StoredSigningKey {
  kid: string;
  alg: string;
  /** `active`: signs (one at a time); `verify`: verifies only; `retired`: refused. */
  status: 'active' | 'verify' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  /** Public JWK (JSON text) for asymmetric keys; null for HMAC secrets. */
  publicJwk: string | null;
  /** Encrypted private key or secret (opaque to the store). */
  encryptedKey: string;
}

export interface KeyStore {
  listKeys(): Promise<StoredSigningKey[]>;
  /** Insert a key; with status `active`, atomically demote the current active key to `verify`. */
  insertKey(key: StoredSigningKey): Promise<void>;
  /** Make a key the active signer (the previous one becomes verify-only). */
  activateKey(kid: string): Promise<boolean>;
  /** Retire a key: it no longer verifies. Returns false if unknown. */
  retireKey(kid: string, now: number): Promise<boolean>;
}

/**
 * A cheap, synchronous change counter. It changes whenever any user, token, JWT
 * revocation or key may have changed — in this process or, where the store can see it, in another one
 * (SQLite's `data_version`). Caches compare it on every use, so a revocation made
 * anywhere is honoured on the very next request.
 */
export interface ChangeSignal {
  generation(): number;
}

/** What a change notification says moved (informative: every kind moves the receivers' counter). */
export type ChangeKind = 'user' | 'token' | 'family' | 'denylist' | 'epoch' | 'key';

/** The set of stores a Gatehouse instance runs on. */
export interface Stores {
  users: UserStore;
  tokens: TokenStore;
  jwt: JwtStore;
  keys: KeyStore;
  /** API keys (src/apikeys); a store without them cannot serve `apiKeys.enabled`. */
  apiKeys?: ApiKeyStore;
  /** Passkeys and WebAuthn challenges (src/passkeys); a store without them cannot serve `passkeys.enabled`. */
  passkeys?: PasskeyStore;
  /** MFA tickets and trusted devices (src/mfa); the built-in stores have both. */
  mfaTickets?: MfaTicketStore;
  trustedDevices?: TrustedDeviceStore;
  /** Second factors (src/mfa); a store without them cannot serve `mfa.enabled`. */
  mfa?: MfaStore;
  changes: ChangeSignal;
  close(): Promise<void>;
}

/** One answer of `ThrottleStore.hit`: allowed (and recorded), or refused with DRF's wait in seconds. */
export interface ThrottleHit {
  allowed: boolean;
  /** Seconds until a request may succeed (DRF `SimpleRateThrottle.wait()`); null when allowed or unknown. */
  wait: number | null;
}

/** A failure counter with exponential backoff (the login throttle's buckets). */
export interface BackoffState {
  /** Failures counted since the counter was last empty. */
  failures: number;
  /** Epoch ms until which the bucket refuses; 0 when it does not. */
  lockedUntil: number;
}

/** How a backoff counter reacts to a failure. Plain numbers, so a Lua script can take it as arguments. */
export interface BackoffPolicy {
  /** Failures allowed before the bucket locks (the rate's `num`). */
  limit: number;
  /** The counter is forgotten this long after its last failure or, if later, the end of its lock. */
  windowMs: number;
  /** The first lock's length; each further failure doubles it. */
  baseMs: number;
  /** The longest lock. */
  maxMs: number;
}

/**
 * Where throttles keep their state (DRF uses Django's cache). Keys are strings chosen by
 * the caller (`throttle_<scope>_<ident>` as DRF, `login_…` for the login throttle); times
 * are passed in as epoch ms (`now`) so that every implementation — and every node sharing
 * one Redis — computes with the caller's clock, never its own.
 *
 * Every method is ATOMIC per key: concurrent `hit`s on one key are serialised, so with
 * `limit` N exactly N of any number of simultaneous requests are allowed. A method may
 * answer synchronously (the in-memory store does: no promise on the hot path) or with a
 * promise (a network store); callers handle both.
 *
 * The semantics below are the whole contract, written so that a Redis implementation can
 * take this interface unchanged: `hit` is one Lua script over a list (LPUSH newest first,
 * RPOP the expired tail, PEXPIRE `durationMs`), `recordFailure` one script over a hash,
 * `backoff` an HMGET, `reset` a DEL. `src/stores/memory/throttle.ts` is the reference
 * implementation and exports the two state transitions as pure functions.
 */
export interface ThrottleStore {
  /**
   * DRF `SimpleRateThrottle.allow_request` on the history kept under `key` (allowed
   * requests' times, oldest first): drop times `<= now - durationMs` from the oldest end;
   * if `limit` or more remain, refuse without recording anything, with
   * `wait = (durationMs - (now - oldest)) / (limit - remaining + 1) / 1000` seconds
   * (`null` when that divisor is ≤ 0); otherwise record `now` and allow. The key may be
   * forgotten `durationMs` after its last recorded time.
   */
  hit(key: string, limit: number, durationMs: number, now: number): ThrottleHit | Promise<ThrottleHit>;
  /**
   * Record one failure under `policy` and answer the new state. A counter that is absent
   * or forgotten starts from zero. A
   * failure while `now < lockedUntil` is not counted (nothing was tried: the caller refused
   * before checking the password) and the state is answered unchanged. Otherwise
   * `failures += 1`; when `failures >= limit`, `lockedUntil = now + min(baseMs ·
   * 2^(failures − limit), maxMs)`, else 0. The counter may be forgotten at
   * `max(now, lockedUntil) + windowMs` (a window after the last failure or the lock's end).
   */
  recordFailure(key: string, policy: BackoffPolicy, now: number): BackoffState | Promise<BackoffState>;
  /** The backoff counter under `key` as of `now`; null when absent or forgotten. Read-only. */
  backoff(key: string, now: number): BackoffState | null | Promise<BackoffState | null>;
  /** Forget `key` (a history or a counter). */
  reset(key: string): void | Promise<void>;
}
