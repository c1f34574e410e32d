/**
 * The in-memory backend (Django's locmem): every message is kept, in order, in
 * `messages` — an outbox tests and library users read (and `clear()`).
 */
import type { EmailBackend, EmailMessage } from './types.js';

export class MemoryEmailBackend implements EmailBackend {
  readonly messages: EmailMessage[] = [];

  async send(message: EmailMessage): Promise<void> {
    this.messages.push({ ...message, to: [...message.to] });
  }

  clear(): void {
    this.messages.length = 0;
  }
}
