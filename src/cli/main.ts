/**
 * The `gatehouse` command line. Each command is a thin call into the services;
 * every command takes `--db`, `--config` and `--redis`, and `--help`.
 *
 * Nothing is written before the inputs are validated: the settings, then the database
 * (`./database.ts`: `serve` and `migrate` may create a SQLite file in a directory that
 * exists; every other command needs an existing database), then the password; only then
 * the generated secret file and the database itself. Every command that opens a database
 * names it (standard error, so standard output stays the result: SQLite path, or the
 * PostgreSQL URL without its password). Passwords are asked twice without echo on a
 * terminal (`./prompt.ts`), or read from standard input with `--password-stdin`; a
 * command that would have to ask, with no terminal to ask on, is refused. New passwords go
 * through the password validators, as in Django's `createsuperuser` (`./password-check.ts`).
 *
 * Exit codes: 0 success, 1 the operation failed (unknown user, bad settings, …),
 * 2 wrong usage.
 */
import { INVALID_EMAIL, isValidEmail, normalizeEmail } from '../accounts/email-address.js';
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSettings, SettingsError, type Settings } from '../core/settings.js';
import { drfDateTime } from '../core/json.js';
import { cliEventHook } from './events.js';
import { registerEmailCommands } from './email.js';
import { registerKeyCommands } from './keys.js';
import { registerImportDjango } from './import-django/index.js';
import { DrfTokenRowsRefused, importDrfTokenRows } from './import-django/drf-tokens.js';
import { JwtKeyConfigError } from '../jwt/keyring/index.js';
import { createGatehouse, openStores, StartupError, type Gatehouse } from '../server/app.js';
import { resolveSecret, SecretRequired } from '../server/secret.js';
import { isPostgresUrl, migratePostgres } from '../stores/postgres/index.js';
import { migrate, openDatabase, schemaVersion } from '../stores/sqlite/index.js';
import { UsernameTaken } from '../stores/types.js';
import { isLegacyDrfKey } from '../tokens/keys.js';
import { InvalidUsername, validateUsername } from '../users/service.js';
import { checkCreatable, describeDatabase, requireDatabase } from './database.js';
import { CliError } from './errors.js';
import { formatDuration } from './format.js';
import { registerLockCommands } from './locks.js';
import { acceptablePassword, validatorsFor } from './password-check.js';
import { PromptAborted, promptNewPassword, readLine } from './prompt.js';
import { registerServe } from './serve.js';
import { revokeToken } from './tokens.js';
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey, type CreateApiKeyOptions, type UpdateApiKeyOptions } from './apikeys.js';
import { registerUserCommands } from './users.js';
import { registerMfaCommands } from './mfa.js';

export { CliError } from './errors.js';

interface CommonOptions {
  db?: string;
  config?: string;
  redis?: string;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  /** Is standard input a terminal (a password may be asked for)? Absent: no. */
  stdinIsTTY?: boolean;
  /** Ask for a new password twice without echo (only called when `stdinIsTTY`). */
  promptPassword?: () => Promise<string>;
  /** Ask a question on the terminal and read the visible answer (only called when `stdinIsTTY`). */
  promptLine?: (question: string) => Promise<string>;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    if (process.stdin.isTTY) throw new CliError('--password-stdin: standard input is a terminal; pipe the password in, or leave out --password-stdin to be asked for it', 2);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
  stdinIsTTY: process.stdin.isTTY === true,
  promptPassword: () => promptNewPassword({ input: process.stdin, output: process.stderr }),
  promptLine: (question) => readLine(question, { input: process.stdin, output: process.stderr }),
};

function settingsFor(opts: CommonOptions, io: CliIo, extra: Record<string, unknown> = {}): Settings {
  const overrides: Record<string, unknown> = { ...extra };
  if (opts.db !== undefined) overrides.database = opts.db;
  if (opts.redis !== undefined) overrides.redis = { url: opts.redis };
  return loadSettings({ ...(opts.config !== undefined ? { configPath: opts.config } : {}), env: io.env, overrides });
}

/** Settings with the secret resolved as `serve` does (configured, or the generated file beside the database). */
function settingsWithSecret(opts: CommonOptions, io: CliIo, extra: Record<string, unknown> = {}): { settings: Settings; generatedInto?: string } {
  const settings = settingsFor(opts, io, extra);
  const secret = resolveSecret(settings.secretKey, settings.database);
  return { settings: { ...settings, secretKey: secret.secret }, ...(secret.generated && secret.file ? { generatedInto: secret.file } : {}) };
}

/** Refuse a missing database (before anything is written) and name the one in use on standard error. */
async function useExistingDatabase(settings: Settings, io: CliIo): Promise<void> {
  await requireDatabase(settings.database);
  io.stderr(`gatehouse: database ${describeDatabase(settings.database)}\n`);
}

/**
 * Run `fn` on the application over an existing database. `validate` runs first, after
 * the settings and the database check and before anything is written (a password
 * prompt, a username check).
 */
async function withApp<T>(opts: CommonOptions, io: CliIo, fn: (app: Gatehouse) => Promise<T>, validate?: () => Promise<void>, extra: Record<string, unknown> = {}): Promise<T> {
  await useExistingDatabase(settingsFor(opts, io), io);
  await validate?.();
  const { settings, generatedInto } = settingsWithSecret(opts, io, extra);
  if (generatedInto) io.stderr(`gatehouse: no secretKey configured: generated one into ${resolve(generatedInto)} (mode 0600); keep it safe\n`);
  const app = await createGatehouse(settings);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** A password read from stdin: one trailing newline (from `echo`) is dropped. */
async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text === '') throw new CliError('the password read from standard input is empty');
  return text;
}

/**
 * The new password of `createuser` / `changepassword`: from standard input with
 * `--password-stdin`, else asked twice on the terminal; with neither, a usage error
 * (never a wait on a pipe).
 */
async function newPassword(io: CliIo, opts: { passwordStdin?: boolean }, command: string, alternative = ''): Promise<string> {
  if (opts.passwordStdin) return passwordFromStdin(io);
  if (!io.stdinIsTTY || !io.promptPassword) {
    throw new CliError(`${command}: standard input is not a terminal, so the password cannot be asked for; pipe it in with --password-stdin${alternative}`, 2);
  }
  try {
    return await io.promptPassword();
  } catch (e) {
    if (e instanceof PromptAborted) throw new CliError(`${command}: no password (${e.message}); nothing was changed`);
    throw e;
  }
}

async function requireUser(app: Gatehouse, username: string) {
  const user = await app.users.getByUsername(username);
  if (!user) throw new CliError(`user "${username}" does not exist`);
  return user;
}

/** The user named `username`, if any. Read before asking for a password (opens the stores only; needs no secret). */
async function existingUser(settings: Settings, username: string) {
  const stores = await openStores(settings);
  try {
    return await stores.users.getByUsername(username);
  } finally {
    await stores.close();
  }
}

const userExists = async (settings: Settings, username: string): Promise<boolean> => (await existingUser(settings, username)) !== null;

const common = (cmd: Command) =>
  cmd
    .addOption(new Option('--db <path-or-url>', 'SQLite file or postgres:// URL (default ./gatehouse.sqlite3, or settings `database`)'))
    .addOption(new Option('--redis <url>', 'Redis URL shared by several instances: throttles, revocations (settings `redis.url`, GATEHOUSE_REDIS)'))
    .addOption(new Option('--config <file>', 'settings file (default ./gatehouse.config.json, or GATEHOUSE_CONFIG)'));

function positiveInt(value: string, name: string, or?: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new CliError(`${name} must be a positive integer${or ? ` or ${or}` : ''}, got "${value}"`, 2);
  return Number(value);
}

/** What a password change revoked, exactly (it depends on `jwt.checkRevokeToken` and cookie mode). */
function passwordChangeReport(settings: Settings, username: string, opaque: number): string {
  const lines = [`Password changed for user ${username}.`, `Revoked ${opaque} opaque token${opaque === 1 ? '' : 's'} (refused from the next request on).`];
  if (settings.jwt.checkRevokeToken) {
    lines.push('JWTs: every access, refresh and sliding token issued before now is refused on its next use (jwt.checkRevokeToken).');
  } else {
    lines.push(
      'JWTs: refresh and sliding tokens revoked. Access tokens already issued stay valid until they expire ' +
        `(at most jwt.accessTokenLifetime = ${formatDuration(settings.jwt.accessTokenLifetime)})` +
        `${settings.cookies.enabled ? ', except cookie-mode access cookies, whose session is revoked' : ''}, ` +
        'as jwt.checkRevokeToken is off in these settings (on the servers, it refuses them at once).',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Parse `key,user` CSV rows (an optional header row `key,user` is skipped). */
export function parseDrfTokenRows(text: string): Array<{ line: number; key: string; user: string }> {
  const rows: Array<{ line: number; key: string; user: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [key = '', user = '', ...rest] = line.split(',').map((s) => s.trim());
    if (i === 0 && key.toLowerCase() === 'key') return;
    if (rest.length > 0 || key === '' || user === '') throw new CliError(`line ${i + 1}: expected "key,user"`);
    rows.push({ line: i + 1, key, user });
  });
  return rows;
}

/** The package version (package.json beside `dist/` and `src/`). */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: authentication for REST APIs (DRF / simplejwt / knox compatible).')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program.version(version(), '-V, --version', 'print the version');

  registerServe(program, {
    common,
    settingsFor: (opts, extra) => settingsFor(opts, io, extra),
    settingsWithSecret: (opts, extra) => settingsWithSecret(opts, io, extra),
    positiveInt,
  });

  common(program.command('migrate').description('create or upgrade the database schema (SQLite file in a directory that exists, or PostgreSQL URL)')).action(
    async (opts: CommonOptions) => {
      const settings = settingsFor(opts, io);
      checkCreatable(settings.database);
      io.stdout(`Database: ${describeDatabase(settings.database)}\n`);
      const report = (applied: string[], version: string) =>
        io.stdout(
          applied.length
            ? `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n${applied.map((m) => `  ${m.replace(/^(\d+) /, '$1: ')}\n`).join('')}`
            : `No migrations to apply${version}.\n`,
        );
      if (isPostgresUrl(settings.database)) {
        report(await migratePostgres(settings.database), '');
        return;
      }
      const db = openDatabase(settings.database, { migrate: false });
      try {
        const applied = migrate(db);
        report(applied, ` (schema version ${schemaVersion(db)})`);
      } finally {
        db.close();
      }
    },
  );

  common(program.command('createuser').description('create a user (the password is asked twice on a terminal)').argument('<username>'))
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .option('--no-password', 'create the user with an unusable password (Django\'s set_unusable_password)')
    .option('--email <email>', 'e-mail address (checked and normalised as Django does; unique unless accounts.uniqueEmail is false)', '')
    .option('--staff', 'give staff status (is_staff)')
    .option('--superuser', 'give superuser status (is_superuser and is_staff)')
    .option('--inactive', 'create the account inactive')
    .option('--skip-password-validation', 'keep a password the validators refuse (settings passwords.validators)')
    .action(async (username: string, opts: CommonOptions & { passwordStdin?: boolean; password: boolean; email: string; staff?: boolean; superuser?: boolean; inactive?: boolean; skipPasswordValidation?: boolean }) => {
      if (opts.passwordStdin && !opts.password) throw new CliError('createuser: --password-stdin and --no-password exclude each other', 2);
      try {
        validateUsername(username);
      } catch (e) {
        if (e instanceof InvalidUsername) throw new CliError(`createuser: ${e.message}`);
        throw e;
      }
      const email = normalizeEmail(opts.email);
      if (email !== '' && !isValidEmail(email)) throw new CliError(`createuser: --email ${JSON.stringify(opts.email)}: ${INVALID_EMAIL}`, 2);
      let password: string | null = null;
      const askPassword = async () => {
        if (!opts.password) return;
        const settings = settingsFor(opts, io);
        if (await userExists(settings, username)) throw new CliError(`createuser: ${new UsernameTaken(username).message}`);
        password = await acceptablePassword(validatorsFor(settings), {
          command: 'createuser',
          username,
          owner: { username, email: opts.email },
          read: () => newPassword(io, opts, 'createuser', ', or pass --no-password for an unusable password'),
          interactive: !opts.passwordStdin,
          skipValidation: opts.skipPasswordValidation === true,
          io,
        });
      };
      await withApp(
        opts,
        io,
        async (app) => {
          if (email !== '' && app.settings.accounts.uniqueEmail && (await app.stores.users.findByEmail(email)).length > 0) {
            throw new CliError(`createuser: another user has the e-mail address ${email} (accounts.uniqueEmail)`);
          }
          try {
            const user = await app.users.create({
              username,
              password,
              email,
              isStaff: opts.staff === true || opts.superuser === true,
              isSuperuser: opts.superuser === true,
              isActive: opts.inactive !== true,
            });
            io.stdout(`Created user ${user.username} (id ${user.id})${password === null ? ' with an unusable password' : ''}.\n`);
          } catch (e) {
            if (e instanceof UsernameTaken || e instanceof InvalidUsername) throw new CliError(`createuser: ${e.message}`);
            throw e;
          }
        },
        askPassword,
      );
    });

  common(program.command('changepassword').description("set a user's password, asked twice on a terminal (revokes the user's opaque tokens and refresh tokens)").argument('<username>'))
    .option('--password-stdin', 'read the new password from standard input (for scripts)')
    .option('--skip-password-validation', 'keep a password the validators refuse (settings passwords.validators)')
    .action(async (username: string, opts: CommonOptions & { passwordStdin?: boolean; skipPasswordValidation?: boolean }) => {
      let password = '';
      await withApp(
        opts,
        io,
        async (app) => {
          const user = await requireUser(app, username);
          const opaque = (await app.tokens.list(user.id)).length;
          await app.users.setPassword(user, password);
          io.stdout(passwordChangeReport(app.settings, username, opaque));
        },
        async () => {
          const settings = settingsFor(opts, io);
          const user = await existingUser(settings, username);
          if (!user) throw new CliError(`user "${username}" does not exist`);
          if (!opts.passwordStdin && io.stdinIsTTY) io.stderr(`Changing password for user "${username}"\n`);
          password = await acceptablePassword(validatorsFor(settings), {
            command: 'changepassword',
            username,
            owner: user,
            read: () => newPassword(io, opts, 'changepassword'),
            interactive: !opts.passwordStdin,
            skipValidation: opts.skipPasswordValidation === true,
            io,
          });
        },
      );
    });

  common(program.command('deleteuser').description('delete a user and all of their tokens').argument('<username>')).action(
    async (username: string, opts: CommonOptions) => {
      await withApp(opts, io, async (app) => {
        const user = await requireUser(app, username);
        await app.users.delete(user);
        io.stdout(`Deleted user ${username}.\n`);
      });
    },
  );

  common(program.command('createtoken').description('create a token for a user and print it (DRF drf_create_token)').argument('<username>'))
    .option('-r, --reset', "revoke the user's existing tokens first")
    .action(async (username: string, opts: CommonOptions & { reset?: boolean }) => {
      await withApp(opts, io, async (app) => {
        const user = await requireUser(app, username);
        if (opts.reset) await app.tokens.revokeAll(user.id);
        const { key } = await app.tokens.issue(user, { label: 'cli', onLimit: 'evictOldest' });
        io.stdout(`Generated token ${key} for user ${username}\n`);
      });
    });

  const tokens = program.command('tokens').description('list or revoke opaque tokens');
  common(tokens.command('list').description("list a user's tokens (never the secrets)").argument('<username>')).action(
    async (username: string, opts: CommonOptions) => {
      await withApp(opts, io, async (app) => {
        const user = await requireUser(app, username);
        const list = await app.tokens.list(user.id);
        if (list.length === 0) io.stdout(`User ${username} has no tokens.\n`);
        for (const t of list) {
          const when = (ms: number | null) => (ms === null ? '-' : drfDateTime(ms));
          io.stdout(`${t.id}\t${t.prefix}…\tcreated ${when(t.createdAt)}\tlast used ${when(t.lastUsedAt)}\texpires ${when(t.expiresAt)}\t${t.label ?? ''}\n`);
        }
      });
    },
  );
  common(
    tokens
      .command('revoke')
      .description('revoke a token by its id or by the prefix `tokens list` shows (e.g. 3fa2b1c0…)')
      .argument('<id-or-prefix>', 'the token id, or its 8-character prefix (with or without the trailing "…")'),
  ).action(async (which: string, opts: CommonOptions) => {
    await withApp(opts, io, async (app) => io.stdout(await revokeToken(app, which)));
  });

  const apikeys = program.command('apikeys').description('create, list, update or revoke API keys');
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  common(
    apikeys
      .command('create')
      .description('create an API key and print it (shown this once)')
      .requiredOption('--name <name>', 'what the key is for')
      .option('--user <username>', 'owner (default: none, a service identity)')
      .option('--scope <scope>', 'a scope the key grants (repeatable)', collect)
      .option('--expires <duration>', 'lifetime, e.g. 30d (default: never)')
      .option('--rate <rate>', 'per-key throttle rate, e.g. 100/min'),
  ).action(async (opts: CommonOptions & CreateApiKeyOptions) => {
    await withApp(opts, io, async (app) => io.stdout(await createApiKey(app, opts)));
  });
  common(apikeys.command('list').description('list API keys (never the secrets)').option('--user <username>', "only this user's keys")).action(
    async (opts: CommonOptions & { user?: string }) => {
      await withApp(opts, io, async (app) => io.stdout(await listApiKeys(app, opts.user)));
    },
  );
  common(apikeys.command('revoke').description('revoke an API key by its id or the identifier `apikeys list` shows').argument('<id-or-identifier>')).action(
    async (which: string, opts: CommonOptions) => {
      await withApp(opts, io, async (app) => io.stdout(await revokeApiKey(app, which)));
    },
  );
  common(
    apikeys
      .command('update')
      .description("change an API key's name, scopes, rate or expiry")
      .argument('<id-or-identifier>')
      .option('--name <name>', 'a new name')
      .option('--scopes <list>', 'the scopes, comma-separated (replaces them; "" for none)')
      .option('--rate <rate>', 'per-key throttle rate, e.g. 100/min, or none')
      .option('--expires <duration>', 'lifetime from now, e.g. 30d, or none'),
  ).action(async (which: string, opts: CommonOptions & UpdateApiKeyOptions) => {
    await withApp(opts, io, async (app) => io.stdout(await updateApiKey(app, which, opts)));
  });

  common(
    program.command('flushexpired').description('delete expired opaque tokens and expired JWT blacklist rows (simplejwt flushexpiredtokens)'),
  ).action(async (opts: CommonOptions) => {
    await withApp(opts, io, async (app) => {
      const n = await app.tokens.flushExpired();
      const j = await app.jwt.flushExpired();
      io.stdout(`Deleted ${n} expired token${n === 1 ? '' : 's'} and ${j} expired JWT record${j === 1 ? '' : 's'}.\n`);
    });
  });

  common(
    program
      .command('import-drf-tokens')
      .description('import DRF authtoken keys from CSV rows "key,user" (user = username); they keep working, stored hashed')
      .argument('[file]', 'CSV file; standard input when absent or "-"'),
  ).action(async (file: string | undefined, opts: CommonOptions) => {
    const settings = settingsFor(opts, io);
    await useExistingDatabase(settings, io);
    const text = file === undefined || file === '-' ? await io.readStdin() : readCsv(file);
    const rows = parseDrfTokenRows(text);
    for (const row of rows) {
      if (!isLegacyDrfKey(row.key)) throw new CliError(`line ${row.line}: "key" must be 40 lowercase hex characters (a DRF authtoken key)`);
    }
    const { imported, present } = await importDrfTokenRows(rows, settings).catch((e: unknown) => {
      throw e instanceof DrfTokenRowsRefused ? new CliError(`nothing was imported:\n${e.problems.map((p) => `  ${p}`).join('\n')}`) : e;
    });
    io.stdout(`Imported ${imported} token${imported === 1 ? '' : 's'}${present ? `, ${present} already present` : ''}.\n`);
  });

  registerKeyCommands(program, { io, settingsFor: (opts) => settingsFor(opts, io), common, fail: (message, exitCode) => new CliError(message, exitCode), useDatabase: (settings) => useExistingDatabase(settings, io) });
  registerImportDjango(program, { io, settingsFor: (opts) => settingsFor(opts, io), common, fail: (message, exitCode) => new CliError(message, exitCode) });
  registerUserCommands(program, { io, common, withApp: (opts, fn) => withApp(opts, io, fn), requireUser });
  registerLockCommands(program, { io, common, settingsFor: (opts) => settingsFor(opts, io), withApp: (opts, fn) => withApp(opts, io, fn) });
  registerEmailCommands(program, { io, common, settingsFor: (opts) => settingsFor(opts, io) });
  registerMfaCommands(program, { io, common, withMfaApp: (opts, fn) => withApp(opts, io, fn, undefined, { mfa: { enabled: true } }), requireUser });

  return program;
}

function readCsv(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Run the CLI; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  program.hook('postAction', cliEventHook({ write: io.stderr, env: io.env }));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof CliError) {
      io.stderr(`gatehouse: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof SettingsError || e instanceof StartupError || e instanceof JwtKeyConfigError || e instanceof SecretRequired) {
      io.stderr(`gatehouse: ${e.message}\n`);
      return 1;
    }
    io.stderr(`gatehouse: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}
