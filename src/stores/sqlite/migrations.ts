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
];
