/**
 * Security events: what an operator needs to see — failed logins (the username tried and
 * the client address), lock-outs and their clearing, refreshes and rotations, refresh-token reuse (the
 * family revoked), blacklisting, password changes, logout-all, API keys
 * created, changed and revoked, state-changing CLI commands. One type, one emitter (`EventSink`) handed to the services; the server
 * writes them to the logger (`eventLogger`).
 *
 * An event never carries a credential: no token, password, cookie or Authorization
 * header, only ids (user id, token id, refresh family id, API key id and lookup id) and, for a failed login, the
 * username tried — hashed by default (`log.usernames`).
 */
import { createHmac } from 'node:crypto';

/** Every event, by name. `level` says how it is logged. */
export type SecurityEvent =
  /** A login endpoint issued a credential. */
  | { event: 'login'; endpoint: string; userId: number; tokenId?: number }
  /** A password login of a user with a second factor got an MFA ticket instead of a credential (src/mfa/gate.ts). */
  | { event: 'mfa_required'; endpoint: string; userId: number }
  /** A login's second call was refused (`reason`: the answer's code, e.g. `mfa_code_invalid`, `mfa_ticket_expired`). */
  | { event: 'mfa_refused'; endpoint: string; userId?: number | undefined; reason: string }
  /** A password login was refused: wrong credentials, or refused by the login throttle. */
  | { event: 'login_failed'; username: string; address: string; reason: 'invalid_credentials' | 'throttled' | 'address_locked' }
  /** A login throttle counter locked (`counter`: which one; see src/throttle/login.ts). */
  | { event: 'login_locked'; counter: 'address' | 'username' | 'pair' | 'device' | 'mfa'; username?: string; userId?: number; address?: string; failures: number; lockedSeconds: number }
  /** Login lock-outs cleared by an operator (`by`: `cli` for `gatehouse unlock`; src/throttle/unlock.ts). */
  | { event: 'login_unlocked'; by: 'cli'; username?: string; address?: string; cleared: number; wereLocked: number }
  /** `/api/token/refresh/` without rotation: a new access token. */
  | { event: 'token_refreshed'; userId: number }
  /** `/api/token/refresh/` with rotation (`grace`: a retry within `jwt.reuseGrace` got the same replacement). */
  | { event: 'token_rotated'; userId: number; familyId: string | null; grace: boolean }
  /** A refresh token that was rotated away was presented again: its whole family is revoked. */
  | { event: 'refresh_reuse_detected'; userId: number | null; familyId: string; familyRevoked: true }
  /** `/api/token/blacklist/` (its family revoked with it). */
  | { event: 'token_blacklisted'; userId: number | null }
  /** A logout (knox logout, `/api/token/blacklist/`, cookie-mode logout) or a token revoked by `DELETE /api/auth/tokens/:id/`. */
  | { event: 'logout' | 'token_revoked'; endpoint: string; userId?: number | undefined; tokenId?: number | undefined }
  /** A user's password was set: every token issued before is revoked. */
  | { event: 'password_changed'; userId: number }
  /** Logout-all: every token of the user is revoked. */
  | { event: 'logout_all'; userId: number }
  /** Account service (src/accounts): a new account (`flow`: which layout's rules made it). */
  | { event: 'signed_up'; userId: number; flow: 'djoser' | 'allauth' }
  /** A pending account was activated (djoser), or an address confirmed (allauth). */
  | { event: 'activated' | 'email_verified'; userId: number }
  /** A reset link was mailed to this user (`purpose`: what it resets). */
  | { event: 'password_reset_requested' | 'username_reset_requested'; userId: number }
  /** A password was set through a reset link (the `password_changed` event follows from the user service). */
  | { event: 'password_reset'; userId: number }
  | { event: 'username_changed'; userId: number; by: 'change' | 'reset' }
  | { event: 'account_deleted'; userId: number }
  /**
   * An account e-mail was not sent: `failed` (the backend refused; `error`: its message,
   * never the mail's content) or `throttled` (`throttle.accountEmailRate` for that address).
   */
  | { event: 'account_email_not_sent'; kind: string; userId?: number; reason: 'failed' | 'throttled'; error?: string }
  /** Passkeys (src/passkeys): one registered or removed by its user. */
  | { event: 'passkey_registered' | 'passkey_removed'; userId: number; passkeyId: number }
  /** An assertion was refused (`reason`: src/passkeys/errors.ts); `ceremony`: `login` or `second_factor`. */
  | { event: 'passkey_refused'; ceremony: 'login' | 'second_factor'; reason: string; userId?: number; passkeyId?: number }
  /** A signed assertion whose counter did not increase: a cloned authenticator, refused. */
  | { event: 'passkey_counter_regression'; userId: number; passkeyId: number; stored: number; presented: number }
  /** A second-factor proof was accepted (`method`: which; `endpoint`: where it was presented). */
  | { event: 'mfa_verified'; userId: number; method: string; endpoint: string }
  /** A second-factor proof was refused: wrong (`invalid`) or not judged, the user's wrong proofs being over `mfa.failureRate` (`throttled`). */
  | { event: 'mfa_failed'; userId: number; method: string; endpoint: string; address: string; reason: 'invalid' | 'throttled' }
  /** A second factor was enrolled (`sessionsRevoked`: it was the user's first, every session was revoked) or removed (`by`: the user, or an administrator with the CLI). */
  | { event: 'mfa_enrolled'; userId: number; method: string; sessionsRevoked: boolean }
  | { event: 'mfa_disabled'; userId: number; method: string; by: 'user' | 'cli' }
  /** The user's recovery codes were replaced by a new set. */
  | { event: 'mfa_recovery_codes_generated'; userId: number }
  /**
   * An API key was created, changed (`changed`: the attributes set) or revoked: its id,
   * lookup id, name and owner (`userId`, null: owner-less), never the key or its digest.
   * `via` says who: `http` (`actorId`: the caller; `actorKeyId` when the caller used an API
   * key), `cli`, `import` (`gatehouse import-django`), `password_change`
   * (`apiKeys.revokeOnPasswordChange`) or `application` (the embedding code's own call).
   */
  | ApiKeyEvent
  /** A `gatehouse` command changed state (`command`: e.g. `createuser`, `keys rotate`, `unlock`); `username` for a command about one user. */
  | { event: 'cli'; command: string; username?: string };

/** Who changed an API key (`ApiKeyEvent.via`). */
export type ApiKeyActor = { via: 'http'; userId: number; keyId?: number } | { via: 'cli' | 'import' | 'password_change' | 'application' };

export interface ApiKeyEvent {
  event: 'apikey_created' | 'apikey_updated' | 'apikey_revoked';
  keyId: number;
  lookupId: string;
  name: string;
  userId: number | null;
  via: ApiKeyActor['via'];
  actorId?: number;
  actorKeyId?: number;
  changed?: string[];
}

export type SecurityEventName = SecurityEvent['event'];

/** Where events go. Must not throw. */
export type EventSink = (event: SecurityEvent) => void;

/** The sink of a service nobody listens to. */
export const noEvents: EventSink = () => {};

/** Reuse detection, lock-outs and their clearing, account e-mails not sent and passkey counter regressions are logged at `warn`; everything else at `info`. */
export function eventLevel(event: SecurityEvent): 'info' | 'warn' {
  return event.event === 'refresh_reuse_detected' || event.event === 'login_locked' || event.event === 'login_unlocked' || event.event === 'account_email_not_sent' || event.event === 'passkey_counter_regression' ? 'warn' : 'info';
}

/** What `eventLogger` needs of a logger (a pino logger fits). */
export interface EventLogTarget {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** `log.usernames`: how a username tried in a failed login is logged. */
export type UsernameMode = 'hashed' | 'plain';

/** Longest username text logged as typed (Django's limit is 150 characters). */
const PLAIN_MAX = 150;

/**
 * How usernames appear in events: `hashed` (default) — `hmac:` + 16 bytes of
 * HMAC-SHA256 of the username (NFKC, lower-cased) under a key derived from the server
 * secret, so one username's attempts correlate across lines without a log reader seeing
 * what was typed (a password typed into the username field stays unreadable); `plain` —
 * as typed, cut to 150 characters.
 */
export function usernameMasker(mode: UsernameMode, secretKey: string): (username: string) => string {
  if (mode === 'plain') return (username) => (username.length > PLAIN_MAX ? `${username.slice(0, PLAIN_MAX)}…` : username);
  const key = createHmac('sha256', secretKey).update('gatehouse log usernames').digest();
  return (username) => {
    const folded = username.length > 8 * PLAIN_MAX ? username : username.trim().normalize('NFKC').toLowerCase();
    return `hmac:${createHmac('sha256', key).update(folded, 'utf8').digest('hex').slice(0, 32)}`;
  };
}

export interface EventLoggerOptions {
  usernames: UsernameMode;
  secretKey: string;
  /** Also told of every event (metrics). */
  observe?: EventSink;
}

/**
 * The emitter the services get: each event becomes one log line
 * (`{"event":{...},"msg":"<name>"}`) at `eventLevel`, usernames masked.
 */
export function eventLogger(logger: EventLogTarget, options: EventLoggerOptions): EventSink {
  const mask = usernameMasker(options.usernames, options.secretKey);
  return (event) => {
    const logged = 'username' in event && typeof event.username === 'string' ? { ...event, username: mask(event.username) } : event;
    try {
      logger[eventLevel(event)]({ event: logged }, event.event);
      options.observe?.(event);
    } catch {
      // A failing log destination must not fail the request that emitted the event.
    }
  };
}
