/**
 * `gatehouse mfa status USER` and `gatehouse mfa reset USER`: an administrator looks at a
 * user's second factors and removes them all (a user who lost both the device and the
 * recovery codes). The reset removes every factor of every registered method, the
 * recovery codes and the user's wrong-proof counter (when the throttle store is this
 * process's, i.e. not Redis, the running servers keep theirs); sessions are kept. It is
 * audited (`mfa_disabled` by `cli`, and the `cli` event). Works whether or not
 * `mfa.enabled` is set where the command runs.
 */
import type { Command } from 'commander';
import type { User } from '../core/user.js';
import type { Gatehouse } from '../server/app.js';
import { CliError } from './errors.js';

interface Options {
  db?: string;
  config?: string;
  redis?: string;
}

export interface MfaCommandDeps {
  io: { stdout: (text: string) => void };
  common: (cmd: Command) => Command;
  /** The application with `mfa.enabled` forced on. */
  withMfaApp: <T>(opts: Options, fn: (app: Gatehouse) => Promise<T>) => Promise<T>;
  requireUser: (app: Gatehouse, username: string) => Promise<User>;
}

function mfaOf(app: Gatehouse): NonNullable<Gatehouse['mfa']> {
  if (!app.mfa) throw new CliError('second factors are not available on this database');
  return app.mfa;
}

/** The status lines of one user. */
export async function mfaStatusText(app: Gatehouse, user: User): Promise<string> {
  const s = await mfaOf(app).service.status(user);
  const totp = s.totp.confirmed ? 'confirmed' : s.totp.enrolled ? 'being set up (not a factor yet)' : 'none';
  return [
    `User: ${user.username}`,
    `Second factor: ${s.methods.length > 0 ? `on (${s.methods.join(', ')})` : 'off'}`,
    `TOTP: ${totp}`,
    `Recovery codes remaining: ${s.recoveryCodesRemaining}`,
  ].join('\n') + '\n';
}

export function registerMfaCommands(program: Command, deps: MfaCommandDeps): void {
  const { io, common, withMfaApp, requireUser } = deps;
  const mfa = program.command('mfa').description("show or reset a user's second factors");
  common(mfa.command('status').description("a user's second factors: methods, TOTP, recovery codes left (never a secret)").argument('<username>')).action(
    async (username: string, opts: Options) => {
      await withMfaApp(opts, async (app) => io.stdout(await mfaStatusText(app, await requireUser(app, username))));
    },
  );
  common(mfa.command('reset').description('remove every second factor and recovery code of a user (a locked-out user); sessions are kept').argument('<username>')).action(
    async (username: string, opts: Options) => {
      await withMfaApp(opts, async (app) => {
        const user = await requireUser(app, username);
        const removed = await mfaOf(app).service.reset(user);
        io.stdout(`Removed ${removed} second factor${removed === 1 ? '' : 's'} and the recovery codes of ${user.username}.\n`);
      });
    },
  );
}
