/**
 * The SMTP backend, on nodemailer — imported on the first delivery, so that importing
 * Gatehouse (or running it with another backend) never loads it.
 *
 * `security`: `tls` speaks TLS from the first byte (port 465); `starttls` upgrades with
 * STARTTLS and refuses a server that does not offer it; `none` is plain SMTP and does not
 * upgrade (Django's `EMAIL_USE_TLS = EMAIL_USE_SSL = False`). Certificates are always
 * verified, against `ca` when given. One connection per message; `timeout` bounds the
 * connect, the greeting and every socket read.
 *
 * A failure becomes an `EmailSendError` whose message names the server (`host:port`) and
 * the reason in plain words, and whose `cause` is only nodemailer's error code and the
 * SMTP reply code: never the password, the message, or a server reply that might echo
 * either. The same line goes to the logger, when one is given. Certificates are always
 * verified (docs/security.md #117).
 */
import { EmailSendError, type EmailBackend, type EmailMessage } from './types.js';

export interface SmtpOptions {
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  user: string | null;
  password: string | null;
  /** Milliseconds. */
  timeout: number;
  /** PEM CA certificate(s) to trust instead of the system's. */
  ca?: string | Buffer;
  /** Gets one line per failed delivery (already free of secrets). */
  logger?: { warn(obj: object, msg: string): void };
}

/** What a nodemailer failure is, in plain words; nothing the server said is repeated. */
function reason(error: { code?: string; originalCode?: string; responseCode?: number; message?: string }, timeout: number): string {
  const system = error.originalCode ?? error.code;
  if (system === 'ECONNREFUSED') return 'connection refused (is the server running, and is this the right port?)';
  if (system === 'ENOTFOUND' || system === 'EAI_AGAIN' || error.code === 'EDNS') return 'the host name does not resolve';
  if (error.code === 'ETIMEDOUT' || system === 'ETIMEDOUT') return `no answer within ${timeout} ms (email.timeout)`;
  if (error.code === 'EAUTH') {
    return error.responseCode ? `authentication failed (reply ${error.responseCode}); check email.user and email.password` : 'the server offers no authentication we can use, or it needs TLS first (email.security)';
  }
  if (error.code === 'ETLS') {
    return /STARTTLS/i.test(error.message ?? '') ? 'the server does not offer STARTTLS (email.security "starttls")' : `TLS failed (${tlsReason(error.message)}); check email.security and email.tlsCa`;
  }
  if (error.code === 'ESOCKET' && /certificate|SSL|TLS|self.signed|wrong version/i.test(error.message ?? '')) return `TLS failed (${tlsReason(error.message)}); check email.security and email.tlsCa`;
  if (error.code === 'EENVELOPE') return `the server refused the sender or the recipient${error.responseCode ? ` (reply ${error.responseCode})` : ''}`;
  if (error.code === 'EMESSAGE') return `the server refused the message${error.responseCode ? ` (reply ${error.responseCode})` : ''}`;
  if (error.code === 'ECONNECTION' || system === 'ECONNRESET' || system === 'EPIPE') return 'the server closed the connection';
  return `delivery failed (${error.code ?? 'unknown error'}${error.responseCode ? `, reply ${error.responseCode}` : ''})`;
}

/** The TLS library's own reason (certificate problems), never server text. */
function tlsReason(message: string | undefined): string {
  const known = /(self[- ]signed certificate(?: in certificate chain)?|unable to verify the first certificate|unable to get local issuer certificate|certificate has expired|Hostname\/IP does not match certificate's altnames|wrong version number|unknown ca)/i.exec(message ?? '');
  return known ? (known[1] as string) : 'handshake failed';
}

type Transport = { sendMail(mail: object): Promise<unknown>; close(): void };

export class SmtpEmailBackend implements EmailBackend {
  private transport?: Promise<Transport>;

  constructor(private readonly options: SmtpOptions) {}

  /** `host:port` as messages name it. */
  get server(): string {
    return `${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${this.options.port}`;
  }

  private open(): Promise<Transport> {
    const o = this.options;
    return (this.transport ??= import('nodemailer').then((nodemailer) =>
      nodemailer.createTransport({
        host: o.host,
        port: o.port,
        secure: o.security === 'tls',
        requireTLS: o.security === 'starttls',
        ignoreTLS: o.security === 'none',
        ...(o.user !== null || o.password !== null ? { auth: { user: o.user ?? '', pass: o.password ?? '' } } : {}),
        connectionTimeout: o.timeout,
        greetingTimeout: o.timeout,
        socketTimeout: o.timeout,
        dnsTimeout: o.timeout,
        tls: { minVersion: 'TLSv1.2', ...(o.ca !== undefined ? { ca: o.ca } : {}) },
        logger: false,
        debug: false,
      }) as unknown as Transport,
    ));
  }

  async send(message: EmailMessage): Promise<void> {
    const transport = await this.open();
    try {
      await transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined ? { html: message.html } : {}),
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    } catch (e) {
      const error = (e ?? {}) as { code?: string; originalCode?: string; responseCode?: number; message?: string };
      const text = `could not send e-mail through SMTP server ${this.server}: ${reason(error, this.options.timeout)}`;
      this.options.logger?.warn({ server: this.server, code: error.originalCode ?? error.code ?? null }, text);
      throw new EmailSendError(text, { code: error.originalCode ?? error.code ?? null, responseCode: error.responseCode ?? null });
    }
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    if (transport) (await transport.catch(() => undefined))?.close();
  }
}
