/**
 * `Mailer`: what the account service calls to send one kind of message to one address —
 * render the kind's templates, address it from `email.from`, hand it to the backend.
 */
import type { EmailBackend } from './types.js';
import { renderEmail, type EmailContext, type EmailKind, type EmailTemplates } from './templates.js';

export class Mailer {
  constructor(
    readonly backend: EmailBackend,
    private readonly from: string,
    private readonly templates?: EmailTemplates,
  ) {}

  /** Deliver `kind` to `to`; throws `EmailSendError` when the backend cannot. */
  async send<K extends EmailKind>(kind: K, to: string, context: EmailContext<K>): Promise<void> {
    const rendered = renderEmail(kind, context, this.templates);
    await this.backend.send({ from: this.from, to: [to], ...rendered });
  }
}
