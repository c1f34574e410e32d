/** Helpers for the `import-django` tests: Django's password hashes, simplejwt tokens, datetimes. */
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** The Django SECRET_KEY the tests' simplejwt tokens are signed with (and Gatehouse's secretKey). */
export const SECRET = 'django-secret-key-shared-with-gatehouse-0123456789';

/** Django's pbkdf2_sha256 hash (few iterations: a test). */
export function djangoHash(password: string): string {
  const salt = randomBytes(9).toString('base64url');
  return `pbkdf2_sha256$1000$${salt}$${pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('base64')}`;
}

/** A simplejwt-style HS256 token. */
export function jwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** Django's SQLite text for a UTC datetime. */
export const dt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');

