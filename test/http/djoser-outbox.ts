/**
 * The in-memory e-mail outbox of a Gatehouse built with `email.backend: memory`.
 */
import type { Gatehouse } from '../../src/server/app.js';
import type { EmailMessage } from '../../src/email/index.js';

export type SentMail = EmailMessage;

export function outboxOf(app: Gatehouse): () => SentMail[] {
  const backend = (app as unknown as { email?: { messages?: EmailMessage[] } }).email;
  return () => backend?.messages ?? [];
}
