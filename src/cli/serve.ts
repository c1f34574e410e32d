/**
 * `gatehouse serve`: the HTTP server, in one process or as a node:cluster primary with
 * `--workers N`. Everything that can be refused is refused before anything is written:
 * the settings, the database's directory, then the secret file and the database.
 *
 * A server that cannot listen (the port is taken, not allowed, the address not local)
 * fails once with one line, alone or with workers: a worker reports such a failure to
 * the primary (`reportStartupFailure`), which stops at once instead of restarting
 * workers that would fail the same way.
 */
import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { Settings } from '../core/settings.js';
import { checkEmailSettings, EmailConfigError, emailWarnings } from '../email/backend.js';
import { JwtKeyConfigError } from '../jwt/keyring/index.js';
import { createGatehouse, refuseBadSettings, StartupError } from '../server/app.js';
import { isClusterWorker, reportStartupFailure, runPrimary, workerCount } from '../server/cluster.js';
import { createLogger, type Logger } from '../server/logger.js';
import { listen } from '../server/serve.js';
import { isPostgresUrl, migratePostgres } from '../stores/postgres/index.js';
import { openDatabase } from '../stores/sqlite/index.js';
import { checkCreatable, describeDatabase } from './database.js';
import { CliError } from './errors.js';

/** What `serve` borrows from the main program. */
export interface ServeDeps {
  common: (cmd: Command) => Command;
  settingsFor: (opts: ServeOptions, extra: Record<string, unknown>) => Settings;
  settingsWithSecret: (opts: ServeOptions, extra: Record<string, unknown>) => { settings: Settings; generatedInto?: string };
  positiveInt: (value: string, name: string, or?: string) => number;
}

export interface ServeOptions {
  db?: string;
  config?: string;
  redis?: string;
  host?: string;
  port?: string;
  workers?: string;
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another server on that port? choose one with --port)',
  EACCES: 'permission denied (ports below 1024 need privileges; choose one with --port)',
  EADDRNOTAVAIL: 'no such local address (check --host)',
};

/** A failure restarting cannot fix, as one line; undefined for anything else (e.g. a database that is down). */
export function startupProblem(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && LISTEN_PROBLEMS[code]) return `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${LISTEN_PROBLEMS[code]}`;
  if (error instanceof StartupError || error instanceof JwtKeyConfigError) return error.message;
  return undefined;
}

/** Create or upgrade the database schema (before forking workers: exactly once). */
async function migrateOnce(database: string): Promise<void> {
  if (isPostgresUrl(database)) {
    await migratePostgres(database);
    return;
  }
  openDatabase(database).close();
}

/** Serve until SIGTERM/SIGINT (or, in a cluster worker, until the primary goes away), then stop gracefully. */
async function serveUntilSignal(settings: Settings, logger: Logger, inWorker: boolean): Promise<void> {
  const app = await createGatehouse(settings, { logger });
  const server = await listen(app, settings.host, settings.port, logger).catch(async (e: unknown) => {
    await app.close();
    throw e;
  });
  logger.info({ url: server.url, database: describeDatabase(settings.database) }, inWorker ? 'worker serving' : 'gatehouse listening');
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

/** A cluster worker: serve; a failure no restart fixes is reported to the primary, which prints it once. */
async function runWorker(settings: Settings, baseLogger: Logger): Promise<void> {
  const worker = cluster.worker!;
  const logger = baseLogger.child({ worker: worker.id, pid: process.pid });
  try {
    await serveUntilSignal(settings, logger, true);
  } catch (e) {
    const problem = startupProblem(e, settings.host, settings.port);
    if (problem === undefined || !(await reportStartupFailure(problem))) throw e;
    process.exitCode = 1;
  } finally {
    // The IPC channel would keep a worker alive (also one that failed to start): let
    // go of it, and make sure of the exit.
    if (process.connected) process.disconnect();
    setTimeout(() => process.exit(process.exitCode ?? 1), 2000).unref();
  }
}

export function registerServe(program: Command, deps: ServeDeps): void {
  deps
    .common(program.command('serve').description('run the HTTP server (creates and migrates the database on first start, in a directory that exists)'))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8000)')
    .option('--workers <n>', 'server processes sharing the port (node:cluster); 0 or "auto": one per CPU (default 1)')
    .action(async (opts: ServeOptions) => {
      const extra: Record<string, unknown> = {};
      if (opts.host !== undefined) extra.host = opts.host;
      if (opts.port !== undefined) extra.port = deps.positiveInt(opts.port, '--port');
      if (opts.workers !== undefined) extra.workers = opts.workers === 'auto' ? 'auto' : deps.positiveInt(opts.workers, '--workers', '"auto"');
      const worker = isClusterWorker();
      const configured = deps.settingsFor(opts, extra);
      const count = workerCount(configured.workers);
      if (!worker && count > 1 && configured.database === ':memory:') {
        throw new CliError('several workers need a database they can share (a SQLite file or a postgres:// URL), not :memory:', 2);
      }
      if (!worker) {
        checkCreatable(configured.database);
        try {
          refuseBadSettings(configured); // before the secret file or the database is written
          checkEmailSettings(configured.email);
        } catch (e) {
          throw e instanceof StartupError || e instanceof EmailConfigError ? new CliError(`serve: ${e.message}`) : e;
        }
      }
      // The primary (or the only process) resolves the secret: a generated file is written
      // once, before any worker exists, and every worker reads that same file.
      const { settings, generatedInto } = deps.settingsWithSecret(opts, extra);
      const baseLogger = createLogger(settings.logLevel);
      if (generatedInto) baseLogger.warn({ file: generatedInto }, 'no secretKey configured: generated one into the file (mode 0600); keep it safe');
      if (worker) return runWorker(settings, baseLogger);
      for (const warning of emailWarnings(settings.email)) baseLogger.warn(warning);
      if (count > 1) {
        await migrateOnce(settings.database);
        const result = await runPrimary({ workers: count, logger: baseLogger });
        if (result.startupFailure !== undefined) throw new CliError(`serve: ${result.startupFailure}`);
        if (result.code !== 0) throw new CliError('serve: a worker failed (see the log above)');
        return;
      }
      try {
        await serveUntilSignal(settings, baseLogger, false);
      } catch (e) {
        const problem = startupProblem(e, settings.host, settings.port);
        throw problem === undefined ? e : new CliError(`serve: ${problem}`);
      }
    });
}
