/**
 * E-mail: what the account service sends and the one interface every backend implements
 * (SMTP, console, in-memory). Backends deliver a message whole or throw `EmailSendError`;
 * they never log a message's body (it may carry a link that is a credential).
 */

/** One message, as rendered from a template (src/email/templates.ts). */
export interface EmailMessage {
  from: string;
  /** One recipient per message (as djoser and allauth send them). */
  to: string[];
  subject: string;
  /** The plain-text part. */
  text: string;
  /** The HTML alternative, when the template has one. */
  html?: string;
}

export interface EmailBackend {
  /** Deliver `message`, or throw `EmailSendError`. */
  send(message: EmailMessage): Promise<void>;
  /** Release connections (SMTP pool). */
  close?(): Promise<void>;
}

/** Delivery failed (server down, refused, timed out). The message says why, never what was sent. */
export class EmailSendError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}
