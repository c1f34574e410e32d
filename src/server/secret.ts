/**
 * The server secret. When none is configured, one is generated on first start into
 * `<database>.secret` (mode 0600) beside the database, and read from there afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isUrl } from '../stores/url.js';

/** No secret configured where one cannot be generated. */
export class SecretRequired extends Error {}

/** The secret file is owned by another user or open to group/others: it is not used. */
export class UnsafeSecretFile extends Error {}

export interface SecretResult {
  secret: string;
  /** The file it came from, when it was not configured. */
  file?: string;
  /** True when it was generated just now. */
  generated: boolean;
}

/** Path of the generated secret for a database path (or `./gatehouse.secret` for `:memory:`). */
export function secretFileFor(database: string): string {
  return database === ':memory:' || isUrl(database) ? 'gatehouse.secret' : `${database}.secret`;
}

/** The configured secret, or the one in the secret file, generating it if absent. */
export function resolveSecret(configured: string | undefined, database: string): SecretResult {
  if (configured) return { secret: configured, generated: false };
  if (isUrl(database)) {
    // Instances sharing a database server must share one secret: it has to be configured.
    throw new SecretRequired('secretKey must be configured (GATEHOUSE_SECRET_KEY) when the database is a server URL: every instance needs the same one');
  }
  const file = secretFileFor(database);
  const existing = readOwnSecretFile(file);
  if (existing !== null && existing.length >= 32) return { secret: existing, file, generated: false };
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return { secret, file, generated: true };
}

/**
 * The secret file's content, or null when there is none. As ssh with a private key, a
 * file that another user owns (they could have chosen the secret, and can read it) or
 * that group or others may read or write is refused, never adopted or repaired: the
 * operator must look at it. Checked on the opened descriptor (no race with a rename),
 * without following a symbolic link.
 */
function readOwnSecretFile(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafeSecretFile(`secret file ${file} is a symbolic link: refusing to use it`);
    throw e;
  }
  try {
    const { uid, mode } = fstatSync(fd);
    const me = process.getuid?.();
    if (me !== undefined && uid !== me) {
      throw new UnsafeSecretFile(`secret file ${file} is owned by uid ${uid}, not by this user (uid ${me}): refusing to use it; remove it or fix its owner`);
    }
    if ((mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      throw new UnsafeSecretFile(`secret file ${file} has permissions ${octal}, too open: refusing to use it; run \`chmod 600 ${file}\``);
    }
    return readFileSync(fd, 'utf8').trim();
  } finally {
    closeSync(fd);
  }
}
