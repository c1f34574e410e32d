/**
 * `gatehouse users list` and `gatehouse users set USER --staff/--no-staff/--active/--inactive`
 * (and `--superuser/--no-superuser`): the account flags Django's admin edits. Making a
 * user inactive refuses their tokens from the next request on (every authenticator
 * checks `is_active`, JWT with `jwt.checkUserIsActive`); nothing is revoked, so
 * `--active` gives them back.
 */
import type { Command } from 'commander';
import { drfDateTime } from '../core/json.js';
import type { User } from '../core/user.js';
import type { Gatehouse } from '../server/app.js';
import type { UserPatch } from '../stores/types.js';
import { CliError } from './errors.js';

interface Options {
  db?: string;
  config?: string;
  redis?: string;
}

/** What the user commands borrow from the main program. */
export interface UserCommandDeps {
  io: { stdout: (text: string) => void };
  common: (cmd: Command) => Command;
  withApp: <T>(opts: Options, fn: (app: Gatehouse) => Promise<T>) => Promise<T>;
  requireUser: (app: Gatehouse, username: string) => Promise<User>;
}

const flags = (u: User) => [u.isActive ? 'active' : 'inactive', ...(u.isStaff ? ['staff'] : []), ...(u.isSuperuser ? ['superuser'] : []), ...(u.password.startsWith('!') ? ['unusable-password'] : [])].join(',');

/** `--staff`/`--no-staff` … → a patch; commander leaves an option undefined when it is not given. */
function patchOf(opts: { staff?: boolean; superuser?: boolean; active?: boolean; inactive?: boolean }): UserPatch {
  if (opts.active && opts.inactive) throw new CliError('users set: --active and --inactive exclude each other', 2);
  const patch: UserPatch = {};
  if (opts.staff !== undefined) patch.isStaff = opts.staff;
  if (opts.superuser !== undefined) patch.isSuperuser = opts.superuser;
  if (opts.active) patch.isActive = true;
  // Disabled by an administrator: no longer "pending", so no activation link can re-enable it (docs/security.md #148).
  if (opts.inactive) Object.assign(patch, { isActive: false, emailVerified: true });
  if (Object.keys(patch).length === 0) throw new CliError('users set: nothing to change (pass --staff, --no-staff, --superuser, --no-superuser, --active or --inactive)', 2);
  return patch;
}

export function registerUserCommands(program: Command, deps: UserCommandDeps): void {
  const { io, common, withApp, requireUser } = deps;
  const users = program.command('users').description('list users, change their flags');

  common(users.command('list').description('list users: id, username, e-mail, flags, last login (never password hashes)')).action(async (opts: Options) => {
    await withApp(opts, async (app) => {
      const list = await app.stores.users.list();
      if (list.length === 0) io.stdout('There are no users.\n');
      for (const u of list) {
        io.stdout(`${u.id}\t${u.username}\t${u.email || '-'}\t${flags(u)}\tlast login ${u.lastLogin ? drfDateTime(u.lastLogin.getTime()) : '-'}\n`);
      }
    });
  });

  common(users.command('set').description("change a user's flags (is_staff, is_superuser, is_active)").argument('<username>'))
    .option('--staff', 'give staff status (is_staff)')
    .option('--no-staff', 'take staff status away')
    .option('--superuser', 'give superuser status (is_superuser)')
    .option('--no-superuser', 'take superuser status away')
    .option('--active', 'allow the account to log in again (is_active)')
    .option('--inactive', "refuse the account's logins and tokens from the next request on (for good: no activation link re-enables it)")
    .action(async (username: string, opts: Options & { staff?: boolean; superuser?: boolean; active?: boolean; inactive?: boolean }) => {
      const patch = patchOf(opts);
      await withApp(opts, async (app) => {
        const user = await requireUser(app, username);
        const updated = await app.users.update(user.id, patch);
        if (!updated) throw new CliError(`user "${username}" does not exist`);
        io.stdout(`User ${username}: ${flags(user)} → ${flags(updated)}.\n`);
      });
    });
}
