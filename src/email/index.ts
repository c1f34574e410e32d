/**
 * E-mail: backends (SMTP, console, in-memory), templates, and the `Mailer` that joins them.
 * Nothing here loads nodemailer until an SMTP delivery happens.
 */
export { EmailSendError, type EmailBackend, type EmailMessage } from './types.js';
export { checkEmailSettings, createEmailBackend, emailWarnings, EmailConfigError, type EmailBackendOptions, type EmailSettings } from './backend.js';
export { ConsoleEmailBackend, formatConsoleMessage, type ConsoleTarget } from './console.js';
export { MemoryEmailBackend } from './memory.js';
export { SmtpEmailBackend, type SmtpOptions } from './smtp.js';
export { EMAIL_KINDS, EMAIL_VARIABLES, EmailTemplateError, EmailTemplates, loadEmailTemplates, renderEmail, type EmailContext, type EmailKind, type RenderedEmail } from './templates.js';
export { Mailer } from './mailer.js';
export { testEmail } from './test-email.js';
