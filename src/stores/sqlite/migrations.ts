/**
 * Versioned schema migrations for the SQLite store. Append only: a released
 * migration is never edited; a change is a new entry with the next version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users and opaque tokens',
    sql: `
      CREATE TABLE gatehouse_user (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        username     TEXT    NOT NULL UNIQUE,
        email        TEXT    NOT NULL DEFAULT '',
        first_name   TEXT    NOT NULL DEFAULT '',
        last_name    TEXT    NOT NULL DEFAULT '',
        is_active    INTEGER NOT NULL DEFAULT 1,
        is_staff     INTEGER NOT NULL DEFAULT 0,
        is_superuser INTEGER NOT NULL DEFAULT 0,
        last_login   INTEGER,
        date_joined  INTEGER NOT NULL,
        password     TEXT    NOT NULL
      );
      CREATE TABLE gatehouse_token (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id      INTEGER NOT NULL REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        prefix       TEXT    NOT NULL,
        digest       TEXT    NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        last_used_at INTEGER,
        label        TEXT
      );
      CREATE INDEX gatehouse_token_prefix ON gatehouse_token (prefix);
      CREATE INDEX gatehouse_token_user ON gatehouse_token (user_id, created_at);
      CREATE INDEX gatehouse_token_expires ON gatehouse_token (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'jwt outstanding tokens, refresh families, denylist, user epochs, key ring',
    sql: `
      CREATE TABLE gatehouse_jwt_family (
        id          TEXT    PRIMARY KEY,
        user_id     INTEGER REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        created_at  INTEGER NOT NULL,
        not_after   INTEGER,
        revoked_at  INTEGER,
        reason      TEXT
      );
      CREATE INDEX gatehouse_jwt_family_user ON gatehouse_jwt_family (user_id);
      CREATE TABLE gatehouse_jwt_outstanding (
        jti             TEXT    PRIMARY KEY,
        user_id         INTEGER REFERENCES gatehouse_user(id) ON DELETE SET NULL,
        token_type      TEXT    NOT NULL,
        family_id       TEXT    REFERENCES gatehouse_jwt_family(id) ON DELETE SET NULL,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        blacklisted_at  INTEGER,
        replaced_by     TEXT,
        replaced_at     INTEGER,
        replacement_iat INTEGER,
        replacement_exp INTEGER
      );
      CREATE INDEX gatehouse_jwt_outstanding_user ON gatehouse_jwt_outstanding (user_id);
      CREATE INDEX gatehouse_jwt_outstanding_family ON gatehouse_jwt_outstanding (family_id);
      CREATE INDEX gatehouse_jwt_outstanding_expires ON gatehouse_jwt_outstanding (expires_at);
      CREATE TABLE gatehouse_jwt_denied (
        jti        TEXT    PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX gatehouse_jwt_denied_expires ON gatehouse_jwt_denied (expires_at);
      CREATE TABLE gatehouse_jwt_user_epoch (
        user_id INTEGER PRIMARY KEY REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        epoch   INTEGER NOT NULL
      );
      CREATE TABLE gatehouse_signing_key (
        kid           TEXT    PRIMARY KEY,
        alg           TEXT    NOT NULL,
        status        TEXT    NOT NULL CHECK (status IN ('active', 'verify', 'retired')),
        created_at    INTEGER NOT NULL,
        retired_at    INTEGER,
        public_jwk    TEXT,
        encrypted_key TEXT    NOT NULL
      );
      CREATE UNIQUE INDEX gatehouse_signing_key_one_active ON gatehouse_signing_key (status) WHERE status = 'active';
    `,
  },
  {
    version: 3,
    name: 'per-user credential generation',
    sql: `
      ALTER TABLE gatehouse_user ADD COLUMN credential_generation INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    name: 'verified e-mail flag and case-insensitive e-mail key',
    // Users from before the flag were made by the CLI or imported: verified. The key is
    // `emailKey` (JavaScript's toLowerCase), which `migrate` registers as a function.
    sql: `
      ALTER TABLE gatehouse_user ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE gatehouse_user ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
      UPDATE gatehouse_user SET email_key = gatehouse_email_key(email) WHERE email <> '';
      CREATE INDEX gatehouse_user_email_key ON gatehouse_user (email_key);
    `,
  },
  {
    version: 5,
    name: 'api keys',
    sql: `
      CREATE TABLE gatehouse_apikey (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        lookup_id    TEXT    NOT NULL UNIQUE,
        digest       TEXT    NOT NULL,
        name         TEXT    NOT NULL,
        user_id      INTEGER REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        scopes       TEXT    NOT NULL DEFAULT '[]',
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        last_used_at INTEGER,
        revoked_at   INTEGER,
        rate         TEXT
      );
      CREATE INDEX gatehouse_apikey_user ON gatehouse_apikey (user_id, created_at);
    `,
  },
  {
    version: 6,
    name: 'second factors: TOTP devices and recovery codes',
    sql: `
      CREATE TABLE gatehouse_mfa_totp (
        user_id        INTEGER PRIMARY KEY REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        secret         TEXT    NOT NULL,
        algorithm      TEXT    NOT NULL,
        digits         INTEGER NOT NULL,
        period         INTEGER NOT NULL,
        created_at     INTEGER NOT NULL,
        confirmed_at   INTEGER,
        last_used_step INTEGER NOT NULL DEFAULT -1
      );
      CREATE TABLE gatehouse_mfa_recovery_code (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    INTEGER NOT NULL REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        digest     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (user_id, digest)
      );
    `,
  },
  {
    version: 7,
    name: 'mfa tickets and trusted devices',
    sql: `
      CREATE TABLE gatehouse_mfa_ticket (
        digest        TEXT    PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        endpoint      TEXT    NOT NULL,
        client        TEXT    NOT NULL,
        generation    INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        attempts_left INTEGER NOT NULL,
        used_at       INTEGER
      );
      CREATE INDEX gatehouse_mfa_ticket_expires ON gatehouse_mfa_ticket (expires_at);
      CREATE INDEX gatehouse_mfa_ticket_user ON gatehouse_mfa_ticket (user_id);
      CREATE TABLE gatehouse_trusted_device (
        id           TEXT    PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        digest       TEXT    NOT NULL,
        generation   INTEGER NOT NULL,
        label        TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      );
      CREATE INDEX gatehouse_trusted_device_user ON gatehouse_trusted_device (user_id, created_at);
      CREATE INDEX gatehouse_trusted_device_expires ON gatehouse_trusted_device (expires_at);
    `,
  },
  {
    version: 8,
    name: 'passkeys and webauthn challenges',
    sql: `
      CREATE TABLE gatehouse_passkey (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        credential_id TEXT    NOT NULL UNIQUE,
        user_id       INTEGER NOT NULL REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        public_key    TEXT    NOT NULL,
        counter       INTEGER NOT NULL DEFAULT 0,
        transports    TEXT    NOT NULL DEFAULT '[]',
        device_type   TEXT    NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
        backed_up     INTEGER NOT NULL DEFAULT 0,
        name          TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER
      );
      CREATE INDEX gatehouse_passkey_user ON gatehouse_passkey (user_id, created_at);
      CREATE TABLE gatehouse_webauthn_challenge (
        challenge  TEXT    PRIMARY KEY,
        ceremony   TEXT    NOT NULL CHECK (ceremony IN ('registration', 'login', 'second_factor')),
        user_id    INTEGER REFERENCES gatehouse_user(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX gatehouse_webauthn_challenge_expiry ON gatehouse_webauthn_challenge (expires_at);
      CREATE INDEX gatehouse_webauthn_challenge_user ON gatehouse_webauthn_challenge (user_id);
    `,
  },
];
