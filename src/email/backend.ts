/**
 * `createEmailBackend(settings.email)`: the backend the settings name;
 * `emailWarnings`, the one place that decides what `serve` warns about at start; and
 * `checkEmailSettings`, what is refused at start (templates, the CA file).
 */
import { readFileSync } from 'node:fs';
import type { Settings } from '../core/settings.js';
import { ConsoleEmailBackend, type ConsoleTarget } from './console.js';
import { MemoryEmailBackend } from './memory.js';
import { SmtpEmailBackend, type SmtpOptions } from './smtp.js';
import { EmailTemplateError, loadEmailTemplates, type EmailTemplates } from './templates.js';
import type { EmailBackend } from './types.js';

export type EmailSettings = Settings['email'];

export interface EmailBackendOptions {
  /** Where the console backend writes (default `process.stdout`). */
  stdout?: ConsoleTarget;
  /** Gets one line per failed SMTP delivery. */
  logger?: SmtpOptions['logger'];
  /** CA certificate(s) to trust, instead of reading `email.tlsCa`. */
  ca?: string | Buffer;
}

/** The settings are not usable (an unreadable `email.tlsCa`). */
export class EmailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailConfigError';
  }
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new EmailConfigError(`email.tlsCa: cannot read ${path}: ${(e as Error).message}`);
  }
}

export function createEmailBackend(email: EmailSettings, options: EmailBackendOptions = {}): EmailBackend {
  switch (email.backend) {
    case 'console':
      return new ConsoleEmailBackend(options.stdout);
    case 'memory':
      return new MemoryEmailBackend();
    case 'smtp': {
      const ca = options.ca ?? (email.tlsCa !== null ? readCa(email.tlsCa) : undefined);
      return new SmtpEmailBackend({
        host: email.host,
        port: email.port,
        security: email.security,
        user: email.user,
        password: email.password,
        timeout: email.timeout,
        ...(ca !== undefined ? { ca } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    }
  }
}

/** What `serve` warns about at start: the console backend, and credentials sent in the clear. */
export function emailWarnings(email: EmailSettings): string[] {
  const warnings: string[] = [];
  if (email.backend === 'console') {
    warnings.push('email.backend is "console": e-mails (with their activation and reset links) are written to standard output; this is for development only — configure SMTP for production (docs/email.md)');
  }
  if (email.backend === 'smtp' && email.security === 'none' && (email.user !== null || email.password !== null)) {
    warnings.push(`email.user/email.password are set but email.security is "none": the SMTP password would travel unencrypted to ${email.host}:${email.port}; set email.security to "starttls" or "tls"`);
  }
  return warnings;
}

/**
 * Refuse unusable e-mail settings before anything starts: the `email.templates`
 * overrides (unknown placeholders, names, …) and an unreadable `email.tlsCa`. Returns the
 * compiled templates. Throws `EmailConfigError` with one clear line.
 */
export function checkEmailSettings(email: EmailSettings): EmailTemplates {
  if (email.backend === 'smtp' && email.tlsCa !== null) readCa(email.tlsCa);
  try {
    return loadEmailTemplates(email.templates);
  } catch (e) {
    throw e instanceof EmailTemplateError ? new EmailConfigError(e.message) : e;
  }
}
