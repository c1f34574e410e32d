/**
 * The outbox of a Gatehouse built with `email.backend: memory` (`Gatehouse.email`).
 */
import assert from 'node:assert/strict';
import { MemoryEmailBackend, type EmailMessage } from '../../src/email/index.js';
import type { Gatehouse } from '../../src/server/app.js';

export type SentMail = EmailMessage;

/** Every message sent so far, oldest first (read anew on each call). */
export function outboxOf(app: Gatehouse): () => SentMail[] {
  const backend = app.email;
  assert.ok(backend instanceof MemoryEmailBackend, 'email.backend must be memory');
  return () => backend.messages;
}
