/**
 * The server secret. When none is configured, one is generated on first start into
 * `<database>.secret` (mode 0600) beside the database, and read from there afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** No secret configured where one cannot be generated. */
export class SecretRequired extends Error {}

export interface SecretResult {
  secret: string;
  /** The file it came from, when it was not configured. */
  file?: string;
  /** True when it was generated just now. */
  generated: boolean;
}

/** Path of the generated secret for a database path (or `./gatehouse.secret` for `:memory:`). */
export function secretFileFor(database: string): string {
  return database === ':memory:' || database.includes('://') ? 'gatehouse.secret' : `${database}.secret`;
}

/** The configured secret, or the one in the secret file, generating it if absent. */
export function resolveSecret(configured: string | undefined, database: string): SecretResult {
  if (configured) return { secret: configured, generated: false };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(database)) {
    // Instances sharing a database server must share one secret: it has to be configured.
    throw new SecretRequired('secretKey must be configured (GATEHOUSE_SECRET_KEY) when the database is a server URL: every instance needs the same one');
  }
  const file = secretFileFor(database);
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { secret, file, generated: false };
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return { secret, file, generated: true };
}
