/**
 * The `gatehouse` command line. Each command is a thin call into the services;
 * every command takes `--db` and `--config`, and `--help`.
 * Exit codes: 0 success, 1 the operation failed (unknown user, bad settings, …),
 * 2 wrong usage.
 */
import { Command, CommanderError, Option } from 'commander';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { loadSettings, SettingsError, type Settings } from '../core/settings.js';
import { drfDateTime } from '../core/json.js';
import { cliEventHook } from './events.js';
import { registerKeyCommands } from './keys.js';
import { registerImportDjango } from './import-django/index.js';
import { DrfTokenRowsRefused, importDrfTokenRows } from './import-django/drf-tokens.js';
import { JwtKeyConfigError } from '../jwt/keyring/index.js';
import { createGatehouse, StartupError, type Gatehouse } from '../server/app.js';
import { createLogger, type Logger } from '../server/logger.js';
import { resolveSecret, SecretRequired } from '../server/secret.js';
import { isClusterWorker, runPrimary, workerCount } from '../server/cluster.js';
import { listen } from '../server/serve.js';
import { isPostgresUrl, migratePostgres, redactUrl } from '../stores/postgres/index.js';
import { migrate, openDatabase, schemaVersion } from '../stores/sqlite/index.js';
import { UsernameTaken } from '../stores/types.js';
import { isLegacyDrfKey } from '../tokens/keys.js';
import { InvalidUsername } from '../users/service.js';

/** An error the user can fix; printed without a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

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
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    if (process.stdin.isTTY) throw new CliError('--password-stdin: nothing on standard input (pipe the password in)');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
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

async function withApp<T>(opts: CommonOptions, io: CliIo, fn: (app: Gatehouse) => Promise<T>): Promise<T> {
  const { settings, generatedInto } = settingsWithSecret(opts, io);
  if (generatedInto) io.stderr(`gatehouse: no secretKey configured: generated one into ${generatedInto} (mode 0600); keep it safe\n`);
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

async function requireUser(app: Gatehouse, username: string) {
  const user = await app.users.getByUsername(username);
  if (!user) throw new CliError(`user "${username}" does not exist`);
  return user;
}

const common = (cmd: Command) =>
  cmd
    .addOption(new Option('--db <path-or-url>', 'SQLite file or postgres:// URL (default ./gatehouse.sqlite3, or settings `database`)'))
    .addOption(new Option('--redis <url>', 'Redis URL shared by several instances: throttles, revocations (settings `redis.url`, GATEHOUSE_REDIS)'))
    .addOption(new Option('--config <file>', 'settings file (default ./gatehouse.config.json, or GATEHOUSE_CONFIG)'));

function positiveInt(value: string, name: string, or?: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new CliError(`${name} must be a positive integer${or ? ` or ${or}` : ''}, got "${value}"`, 2);
  return Number(value);
}

/** Create or upgrade the database schema (before forking workers: exactly once). */
async function migrateOnce(database: string): Promise<void> {
  if (isPostgresUrl(database)) {
    await migratePostgres(database);
    return;
  }
  openDatabase(database).close();
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

/** Serve until SIGTERM/SIGINT (or, in a cluster worker, until the primary goes away), then stop gracefully. */
async function serveUntilSignal(settings: Settings, logger: Logger, inWorker: boolean): Promise<void> {
  const app = await createGatehouse(settings, { logger });
  const server = await listen(app, settings.host, settings.port, logger).catch(async (e: unknown) => {
    await app.close();
    throw e;
  });
  logger.info({ url: server.url, database: redactUrl(settings.database) }, inWorker ? 'worker serving' : 'gatehouse listening');
  const cleanup = setInterval(() => {
    void Promise.all([app.tokens.flushExpired(), app.jwt.flushExpired()]).catch((err: Error) =>
      logger.warn({ err: err.message }, 'expired-token cleanup failed'),
    );
  }, 3_600_000);
  cleanup.unref();
  await new Promise<void>((resolve) => {
    let shuttingDown = false;
    const shutdown = (signal: string) => {
      if (shuttingDown) return; // a worker may get the signal twice: from the terminal and from the primary
      shuttingDown = true;
      logger.info({ signal }, 'shutting down');
      clearInterval(cleanup);
      void server.stop().then(resolve);
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // A worker whose primary went away (killed) stops too, instead of serving on as an orphan.
    if (inWorker) process.on('disconnect', () => shutdown('primary gone'));
  });
}

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: authentication for REST APIs (DRF / simplejwt / knox compatible).')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  common(program.command('serve').description('run the HTTP server (creates and migrates the database on first start)'))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8000)')
    .option('--workers <n>', 'server processes sharing the port (node:cluster); 0 or "auto": one per CPU (default 1)')
    .action(async (opts: CommonOptions & { host?: string; port?: string; workers?: string }) => {
      const extra: Record<string, unknown> = {};
      if (opts.host !== undefined) extra.host = opts.host;
      if (opts.port !== undefined) extra.port = positiveInt(opts.port, '--port');
      if (opts.workers !== undefined) extra.workers = opts.workers === 'auto' ? 'auto' : positiveInt(opts.workers, '--workers', '"auto"');
      const worker = isClusterWorker();
      const configured = settingsFor(opts, io, extra);
      const count = workerCount(configured.workers);
      if (!worker && count > 1 && configured.database === ':memory:') {
        throw new CliError('several workers need a database they can share (a SQLite file or a postgres:// URL), not :memory:', 2);
      }
      // The primary (or the only process) resolves the secret: a generated file is written
      // once, before any worker exists, and every worker reads that same file.
      const { settings, generatedInto } = settingsWithSecret(opts, io, extra);
      const baseLogger = createLogger(settings.logLevel);
      if (generatedInto) baseLogger.warn({ file: generatedInto }, 'no secretKey configured: generated one into the file (mode 0600); keep it safe');
      if (!worker && count > 1) {
        await migrateOnce(settings.database);
        const code = await runPrimary({ workers: count, logger: baseLogger });
        if (code !== 0) throw new CliError('serve: a worker failed (see the log above)');
        return;
      }
      const clusterWorker = worker ? cluster.worker : undefined;
      const logger = clusterWorker ? baseLogger.child({ worker: clusterWorker.id, pid: process.pid }) : baseLogger;
      try {
        await serveUntilSignal(settings, logger, clusterWorker !== undefined);
      } finally {
        if (clusterWorker) {
          // The IPC channel would keep a worker alive (also one that failed to start): let
          // go of it, and make sure of the exit.
          if (process.connected) process.disconnect();
          setTimeout(() => process.exit(process.exitCode ?? 1), 2000).unref();
        }
      }
    });

  common(program.command('migrate').description('create or upgrade the database schema (SQLite file or PostgreSQL URL)')).action(async (opts: CommonOptions) => {
    const settings = settingsFor(opts, io);
    if (isPostgresUrl(settings.database)) {
      const applied = await migratePostgres(settings.database);
      io.stdout(applied.length ? applied.map((m) => `Applied ${m}\n`).join('') : 'No migrations to apply.\n');
      return;
    }
    const db = openDatabase(settings.database, { migrate: false });
    try {
      const applied = migrate(db);
      io.stdout(applied.length ? applied.map((m) => `Applied ${m}\n`).join('') : `No migrations to apply (schema version ${schemaVersion(db)}).\n`);
    } finally {
      db.close();
    }
  });

  common(program.command('createuser').description('create a user').argument('<username>'))
    .option('--password-stdin', 'read the password from standard input (else the password is unusable)')
    .option('--email <email>', 'e-mail address', '')
    .option('--staff', 'give staff status (is_staff)')
    .option('--superuser', 'give superuser status (is_superuser and is_staff)')
    .option('--inactive', 'create the account inactive')
    .action(async (username: string, opts: CommonOptions & { passwordStdin?: boolean; email: string; staff?: boolean; superuser?: boolean; inactive?: boolean }) => {
      const password = opts.passwordStdin ? await passwordFromStdin(io) : null;
      await withApp(opts, io, async (app) => {
        try {
          const user = await app.users.create({
            username,
            password,
            email: opts.email,
            isStaff: opts.staff === true || opts.superuser === true,
            isSuperuser: opts.superuser === true,
            isActive: opts.inactive !== true,
          });
          io.stdout(`Created user ${user.username} (id ${user.id})${password === null ? ' with an unusable password' : ''}.\n`);
        } catch (e) {
          if (e instanceof UsernameTaken || e instanceof InvalidUsername) throw new CliError(`createuser: ${e.message}`);
          throw e;
        }
      });
    });

  common(program.command('changepassword').description("set a user's password (revokes all of the user's tokens)").argument('<username>'))
    .requiredOption('--password-stdin', 'read the new password from standard input')
    .action(async (username: string, opts: CommonOptions) => {
      const password = await passwordFromStdin(io);
      await withApp(opts, io, async (app) => {
        const user = await requireUser(app, username);
        await app.users.setPassword(user, password);
        io.stdout(`Password changed for user ${username}; all of the user's tokens were revoked.\n`);
      });
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
  common(tokens.command('revoke').description('revoke a token by its id (from `tokens list`)').argument('<id>')).action(
    async (id: string, opts: CommonOptions) => {
      const tokenId = positiveInt(id, 'id');
      await withApp(opts, io, async (app) => {
        if (!(await app.tokens.revoke(tokenId))) throw new CliError(`token ${tokenId} does not exist`);
        io.stdout(`Revoked token ${tokenId}.\n`);
      });
    },
  );

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
    const text = file === undefined || file === '-' ? await io.readStdin() : readCsv(file);
    const rows = parseDrfTokenRows(text);
    for (const row of rows) {
      if (!isLegacyDrfKey(row.key)) throw new CliError(`line ${row.line}: "key" must be 40 lowercase hex characters (a DRF authtoken key)`);
    }
    const { imported, present } = await importDrfTokenRows(rows, settingsFor(opts, io)).catch((e: unknown) => {
      throw e instanceof DrfTokenRowsRefused ? new CliError(`nothing was imported:\n${e.problems.map((p) => `  ${p}`).join('\n')}`) : e;
    });
    io.stdout(`Imported ${imported} token${imported === 1 ? '' : 's'}${present ? `, ${present} already present` : ''}.\n`);
  });

  registerKeyCommands(program, { io, settingsFor: (opts) => settingsFor(opts, io), common, fail: (message, exitCode) => new CliError(message, exitCode) });
  registerImportDjango(program, { io, settingsFor: (opts) => settingsFor(opts, io), common, fail: (message, exitCode) => new CliError(message, exitCode) });

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
