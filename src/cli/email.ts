/**
 * `gatehouse sendtestemail ADDRESS...` (Django's `sendtestemail`): one test message to the
 * given addresses through the configured `email.backend`. A delivery that fails prints
 * the backend's one-line reason (server, port, what went wrong; never the password) and
 * exits 1. Needs the settings only, no database.
 */
import type { Command } from 'commander';
import type { Settings } from '../core/settings.js';
import { createEmailBackend, EmailConfigError } from '../email/backend.js';
import { testEmail } from '../email/test-email.js';
import { EmailSendError } from '../email/types.js';
import { CliError } from './errors.js';

interface Options {
  db?: string;
  config?: string;
  redis?: string;
}

export interface EmailCommandDeps {
  io: { stdout: (text: string) => void; stderr: (text: string) => void };
  common: (cmd: Command) => Command;
  settingsFor: (opts: Options) => Settings;
}

/** An address as a command-line argument: one line, one `@`, at most 254 characters. */
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

export function registerEmailCommands(program: Command, deps: EmailCommandDeps): void {
  const { io, common, settingsFor } = deps;
  common(program.command('sendtestemail').description('send a test e-mail through the configured email.backend (Django sendtestemail)').argument('<address...>', 'recipients'))
    .action(async (addresses: string[], opts: Options) => {
      const bad = addresses.find((a) => a.length > 254 || !ADDRESS.test(a));
      if (bad !== undefined) throw new CliError(`sendtestemail: not an e-mail address: ${JSON.stringify(bad.slice(0, 254))}`, 2);
      const { email } = settingsFor(opts);
      let backend;
      try {
        backend = createEmailBackend(email, { stdout: { write: io.stdout } });
      } catch (e) {
        throw e instanceof EmailConfigError ? new CliError(`sendtestemail: ${e.message}`) : e;
      }
      try {
        await backend.send(testEmail(email.from, addresses));
      } catch (e) {
        throw e instanceof EmailSendError ? new CliError(`sendtestemail: ${e.message}`) : e;
      } finally {
        await backend.close?.();
      }
      const via = email.backend === 'smtp' ? `SMTP server ${email.host}:${email.port}` : `the ${email.backend} backend`;
      io.stderr(`gatehouse: sent a test e-mail to ${addresses.join(', ')} through ${via}\n`);
    });
}
