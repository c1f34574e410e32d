/**
 * Scale-out test harness: real `gatehouse serve` processes (bin/gatehouse.js, so
 * `npm run build` first — `npm test` does), their JSON log lines, the CLI, a TCP proxy
 * that can take PostgreSQL away from one process, and an in-process admin instance on
 * the same database (users, password changes) — the shared state is only ever the
 * database, as between real instances.
 *
 * Every spawned process is killed when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseSettings, type SettingsInput } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { FlakyProxy } from '../stores/flaky-proxy.js';

export const GATEHOUSE_BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
export const SECRET = 'scale-out-test-secret-0123456789-abcdefghijklmnop';

/** One JSON log line of a server process. */
export interface LogLine {
  level?: number;
  msg?: string;
  pid?: number;
  worker?: number;
  url?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` from the "gatehouse listening" line. */
  url: string;
  /** Pid of the process started (the primary with `--workers`). */
  pid: number;
  proc: ChildProcess;
  /** Parsed stdout lines so far. */
  readonly lines: LogLine[];
  readonly stderr: string;
  /** The first line (already logged or to come) matching `pred`. */
  waitForLog(pred: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Send `signal` (default SIGTERM) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Environment for child processes: the test runner's, without any GATEHOUSE_* setting. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && !k.startsWith('NODE_TEST')) env[k] = v;
  return { ...env, ...extra };
}

/** A temporary directory, removed by `cleanup()`. */
export function tempDir(label: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `gatehouse-${label}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface SpawnOptions {
  /** SQLite path or postgres:// URL (`--db`). */
  database: string;
  /** Written to a config file (`--config`). */
  config?: SettingsInput;
  /** Directory for the config file. */
  dir: string;
  /** More `serve` arguments (`--workers 2`, `--redis …`). */
  args?: string[];
  /** Extra environment variables (`GATEHOUSE_SECRET_KEY` is set unless `secret: null`). */
  env?: Record<string, string>;
  secret?: string | null;
  /** How long to wait for "gatehouse listening", ms (default 20000). */
  startTimeoutMs?: number;
}

let configFiles = 0;

/** Start `gatehouse serve --port 0` and wait until it listens. */
export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const configPath = join(o.dir, `config-${process.pid}-${++configFiles}.json`);
  writeFileSync(configPath, JSON.stringify({ logLevel: 'info', ...o.config }));
  const env = childEnv({ ...(o.secret === null ? {} : { GATEHOUSE_SECRET_KEY: o.secret ?? SECRET }), ...o.env });
  const proc = spawn(process.execPath, [GATEHOUSE_BIN, 'serve', '--db', o.database, '--port', '0', '--config', configPath, ...(o.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  const lines: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  let pending = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of waiters) {
        if (w.pred(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  const waitForLog = (pred: (l: LogLine) => boolean, what: string, timeoutMs = 15_000): Promise<LogLine> => {
    const found = lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((e) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`server exited (${e.code ?? e.signal}) before ${what}; stderr: ${stderr.slice(-2000)}`));
      });
    });
  };
  let listening: LogLine;
  try {
    listening = await waitForLog((l) => l.msg === 'gatehouse listening', '"gatehouse listening"', o.startTimeoutMs ?? 20_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    url: String(listening.url),
    pid: proc.pid!,
    proc,
    lines,
    get stderr() {
      return stderr;
    },
    waitForLog,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
  };
}

/** Run the `gatehouse` CLI to completion. */
export function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
    env: childEnv({ GATEHOUSE_SECRET_KEY: SECRET, ...options.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  proc.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => {
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An in-process Gatehouse on the same database as the servers (same secret and
 * settings): creates users, changes passwords — another instance, as far as the
 * servers can tell.
 */
export async function adminInstance(database: string, config: SettingsInput = {}): Promise<Gatehouse> {
  return createGatehouse(parseSettings({ ...config, database, secretKey: SECRET, logLevel: 'silent' }));
}

/** A proxy in front of the server of `url`. */
export function proxyFor(url: string): FlakyProxy {
  const u = new URL(url);
  return new FlakyProxy({ host: u.hostname, port: Number(u.port || 5432) });
}

/** `url` with `?schema=` set. */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** The payload of a JWT (not verified: for reading `jti` in tests). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Poll `attempt` until it returns true; resolves to the ms elapsed since `since`. Throws after `timeoutMs` (a hang guard, not a timing assertion). */
export async function until(what: string, attempt: () => Promise<boolean>, since = performance.now(), timeoutMs = 5000): Promise<number> {
  for (;;) {
    if (await attempt()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`still not ${what} after ${timeoutMs} ms`);
  }
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** "p50 x ms, p99 y ms, max z ms (n)". */
export function summarize(values: readonly number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n=${s.length})`;
}
