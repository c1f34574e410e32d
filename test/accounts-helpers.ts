/**
 * Account-test helpers: the in-memory e-mail outbox of a server built with
 * `email.backend: memory`, and users seeded as the oracle's (`<name>@example.com`,
 * addresses verified, created in the oracle's order so the ids match).
 */
import type { MemoryEmailBackend } from '../src/email/memory.js';
import type { EmailMessage } from '../src/email/types.js';
import type { TestServer } from './helpers.js';

/**
 * The messages the memory backend holds, oldest first, once the mails sent in the
 * background (resets, resends) are handed over; `clear` empties it afterwards.
 */
export async function gatehouseOutbox(s: TestServer, options: { clear?: boolean } = {}): Promise<EmailMessage[]> {
  await s.app.accounts.settled();
  const messages = (s.app.email as MemoryEmailBackend).messages;
  const all = [...messages];
  if (options.clear) messages.length = 0;
  return all;
}

/** Create `users` in order, each with the address `<username>@example.com`, verified. */
export async function seedVerifiedUsers(
  s: TestServer,
  users: ReadonlyArray<{ username: string; password: string; isActive: boolean; isStaff: boolean; isSuperuser: boolean }>,
): Promise<void> {
  for (const u of users) {
    await s.app.users.create({ ...u, email: `${u.username}@example.com`, emailVerified: true });
  }
}
