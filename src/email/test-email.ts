/**
 * Django's `sendtestemail` message: subject `Test email from <hostname> on <now>` (the
 * time as Python prints an aware datetime), body `If you're reading this, it was successful.`
 */
import { hostname } from 'node:os';
import type { EmailMessage } from './types.js';
import { renderEmail } from './templates.js';

/** `2026-12-02 07:00:55.123000+00:00`, as `str(timezone.now())`. */
export function pythonUtcTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-12-02T07:00:55.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00:00`;
}

export function testEmail(from: string, to: string[], now = new Date()): EmailMessage {
  return { from, to, ...renderEmail('test_email', { hostname: hostname(), date: pythonUtcTimestamp(now) }) };
}
