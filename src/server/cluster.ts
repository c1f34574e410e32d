/**
 * `gatehouse serve --workers N`: N server processes on one port (node:cluster).
 *
 * The primary does what must happen once, before any worker exists: it resolves the
 * settings and the secret (a generated secret file is written here, so every worker
 * reads the same one) and migrates the database. Then it forks the workers, which run
 * the ordinary single-process server on the shared listening socket (the primary
 * accepts connections and hands them out round-robin). Workers share nothing in memory:
 * they share the database (SQLite in WAL mode, or PostgreSQL with its change
 * notifications) and, when configured, Redis.
 *
 * A worker that dies is replaced, after a delay that doubles while workers keep dying
 * young (never a fork loop), and the primary gives up (exit 1) when workers keep
 * failing before they ever listen — a configuration or environment problem that
 * restarting cannot fix. A worker that knows its failure is of that kind (the port is
 * taken, the settings are refused) says so (`reportStartupFailure`) before exiting: the
 * primary then stops at once, with that one message, as a single process would. SIGTERM/SIGINT are forwarded: each worker stops accepting,
 * finishes its in-flight requests and exits; the primary exits when all have (status
 * 0 when every worker exited cleanly).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from './logger.js';

/** `workers` as configured → a process count (`0` / `auto`: one per CPU). */
export function workerCount(workers: number | 'auto'): number {
  return workers === 'auto' || workers === 0 ? Math.max(1, availableParallelism()) : workers;
}

/** Is this process a cluster worker (forked by `runPrimary`)? */
export const isClusterWorker = (): boolean => cluster.isWorker;

/** The message a worker sends its primary when it cannot start and restarting cannot help. */
interface StartupFailure {
  gatehouse: 'startup-failed';
  message: string;
}

const isStartupFailure = (m: unknown): m is StartupFailure =>
  typeof m === 'object' && m !== null && (m as StartupFailure).gatehouse === 'startup-failed' && typeof (m as StartupFailure).message === 'string';

/**
 * In a worker: tell the primary that this worker cannot start for a reason no restart
 * fixes (`message` is the operator's one-line explanation). Resolves once it is sent;
 * false when this process is not a connected worker.
 */
export function reportStartupFailure(message: string): Promise<boolean> {
  if (!cluster.isWorker || !process.send || !process.connected) return Promise.resolve(false);
  const failure: StartupFailure = { gatehouse: 'startup-failed', message };
  return new Promise((resolve) => process.send!(failure, undefined, {}, (error: Error | null) => resolve(error === null)));
}

/** How the primary ended: the exit status, and the failure a worker reported, if any. */
export interface PrimaryResult {
  code: number;
  /** Set when a worker reported that it cannot start (`reportStartupFailure`). */
  startupFailure?: string;
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** How long workers get to finish their requests after SIGTERM before they are killed, ms (default 15000). */
  graceMs?: number;
  /** First restart delay after a worker died young, ms (default 100); doubles up to `maxRestartDelayMs`. */
  minRestartDelayMs?: number;
  /** Longest restart delay, ms (default 30000). */
  maxRestartDelayMs?: number;
  /** A worker that ran at least this long died "old": the next restart is immediate and the delay resets, ms (default 10000). */
  stableAfterMs?: number;
  /** Give up (exit 1) after this many workers in a row exited before listening (default 5). */
  maxStartupFailures?: number;
}

interface Tracked {
  worker: Worker;
  startedAt: number;
  listening: boolean;
}

/**
 * Run the primary: fork `workers` workers (re-running this command), keep them alive,
 * shut them down on SIGTERM/SIGINT. Resolves to the process exit status (and the
 * startup failure a worker reported, which stops everything at once).
 */
export function runPrimary(options: PrimaryOptions): Promise<PrimaryResult> {
  const { logger } = options;
  const graceMs = options.graceMs ?? 15_000;
  const minDelay = options.minRestartDelayMs ?? 100;
  const maxDelay = options.maxRestartDelayMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 10_000;
  const maxStartupFailures = options.maxStartupFailures ?? 5;

  const tracked = new Map<number, Tracked>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let youngDeaths = 0;
  let startupFailures = 0;
  let announced = false;
  let stopping = false;
  let failed = false;
  let killTimer: NodeJS.Timeout | undefined;
  let startupFailure: string | undefined;

  return new Promise<PrimaryResult>((resolve) => {
    const fork = () => {
      if (stopping) return;
      const worker = cluster.fork();
      tracked.set(worker.id, { worker, startedAt: Date.now(), listening: false });
    };

    const finishIfDone = () => {
      if (!stopping || tracked.size > 0) return;
      if (killTimer) clearTimeout(killTimer);
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      cluster.off('listening', onListening);
      cluster.off('exit', onExit);
      cluster.off('message', onMessage);
      logger.info({ pid: process.pid }, 'stopped');
      resolve({ code: failed ? 1 : 0, ...(startupFailure !== undefined ? { startupFailure } : {}) });
    };

    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason, workers: [...tracked.values()].map((t) => t.worker.process.pid) }, 'shutting down workers');
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      for (const { worker } of tracked.values()) {
        if (!worker.isDead()) worker.process.kill('SIGTERM');
      }
      killTimer = setTimeout(() => {
        for (const { worker } of tracked.values()) {
          logger.warn({ pid: worker.process.pid }, 'worker did not stop in time: killing it');
          worker.process.kill('SIGKILL');
          failed = true;
        }
      }, graceMs + 5000);
      finishIfDone();
    };

    const onListening = (worker: Worker, address: { address: string | null; port: number; addressType: number | string }) => {
      const t = tracked.get(worker.id);
      if (!t) return;
      t.listening = true;
      startupFailures = 0;
      const host = address.address ?? '0.0.0.0';
      const url = `http://${address.addressType === 6 || host.includes(':') ? `[${host}]` : host}:${address.port}`;
      logger.debug({ worker: worker.id, pid: worker.process.pid, url }, 'worker listening');
      if (!announced && [...tracked.values()].filter((x) => x.listening).length >= options.workers) {
        announced = true;
        logger.info({ url, workers: options.workers, pids: [...tracked.values()].map((x) => x.worker.process.pid) }, 'gatehouse listening');
      }
    };

    const onExit = (worker: Worker, code: number | null, signal: string | null) => {
      const t = tracked.get(worker.id);
      if (!t) return;
      tracked.delete(worker.id);
      if (stopping) {
        if (code !== 0) failed = true;
        // After a reported startup failure the workers' exits are expected: not worth a line each.
        const level = startupFailure === undefined ? 'info' : 'debug';
        logger[level]({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker stopped');
        finishIfDone();
        return;
      }
      const lived = Date.now() - t.startedAt;
      if (!t.listening) startupFailures++;
      if (startupFailures >= maxStartupFailures) {
        logger.error({ pid: worker.process.pid, code, signal, failures: startupFailures }, 'workers keep failing before they listen: giving up');
        failed = true;
        stop('workers failing at start');
        return;
      }
      youngDeaths = lived >= stableAfter ? 0 : youngDeaths + 1;
      const delay = youngDeaths === 0 ? 0 : Math.min(maxDelay, minDelay * 2 ** Math.min(youngDeaths - 1, 20));
      logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay }, 'worker exited: replacing it');
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        fork();
      }, delay);
      restartTimers.add(timer);
    };

    // A worker that cannot start and knows restarting would not help: stop everything, once.
    const onMessage = (worker: Worker, message: unknown) => {
      if (!isStartupFailure(message) || stopping || tracked.get(worker.id)?.listening !== false) return;
      startupFailure = message.message;
      failed = true;
      logger.error({ pid: worker.process.pid, error: message.message }, 'a worker cannot start (restarting would not help): stopping');
      stop('a worker cannot start');
    };

    const onSigterm = () => stop('SIGTERM');
    const onSigint = () => stop('SIGINT');
    process.on('SIGTERM', onSigterm);
    process.on('SIGINT', onSigint);
    cluster.on('listening', onListening);
    cluster.on('exit', onExit);
    cluster.on('message', onMessage);
    logger.info({ pid: process.pid, workers: options.workers }, 'starting workers');
    for (let i = 0; i < options.workers; i++) fork();
  });
}
