/**
 * The console backend (Django's `console.EmailBackend`): each message is written whole,
 * in one `write`, to a stream (standard output by default) as the text of a MIME message
 * — From, To, Subject, Date, Message-ID, then the plain-text part and the HTML
 * alternative, unencoded so that a developer can read and click the link — followed by a
 * line of 79 dashes. It is for development: the one place a link may appear outside the
 * mail itself (`serve` warns at start, `emailWarnings`).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EmailSendError, type EmailBackend, type EmailMessage } from './types.js';

/** Where the console backend writes: `process.stdout`, or anything with a `write(text)`. */
export interface ConsoleTarget {
  write(text: string): unknown;
}

/** RFC 5322 date, as Python's `formatdate()` writes it in UTC. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '-0000');
}

/** A header value on one line (a value never starts a new header). */
const header = (value: string) => value.replace(/[\r\n]+/g, ' ');
const transferEncoding = (body: string) => (/^[\x00-\x7f]*$/.test(body) ? '7bit' : '8bit');

function part(type: 'plain' | 'html', body: string): string {
  return `Content-Type: text/${type}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: ${transferEncoding(body)}\n\n${body}`;
}

/** The message as the console shows it (without the separator line). */
export function formatConsoleMessage(message: EmailMessage, now = new Date()): string {
  const envelope = [
    `Subject: ${header(message.subject)}`,
    `From: ${header(message.from)}`,
    `To: ${header(message.to.join(', '))}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${now.getTime()}.${process.pid}.${randomBytes(6).toString('hex')}@${hostname()}>`,
  ].join('\n');
  if (message.html === undefined) return `${part('plain', message.text).replace('\n\n', `\n${envelope}\n\n`)}\n`;
  const boundary = `===============${randomBytes(12).toString('hex')}==`;
  return (
    `Content-Type: multipart/alternative;\n boundary="${boundary}"\nMIME-Version: 1.0\n${envelope}\n\n` +
    `--${boundary}\n${part('plain', message.text)}\n--${boundary}\n${part('html', message.html)}\n--${boundary}--\n`
  );
}

export class ConsoleEmailBackend implements EmailBackend {
  constructor(private readonly target: ConsoleTarget = process.stdout) {}

  async send(message: EmailMessage): Promise<void> {
    try {
      this.target.write(`${formatConsoleMessage(message)}${'-'.repeat(79)}\n`);
    } catch (e) {
      throw new EmailSendError(`could not write the e-mail to the console: ${(e as Error).message}`);
    }
  }
}
