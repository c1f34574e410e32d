/**
 * The DRF oracle (`../shared/oracle/drf/`, a real Django REST framework 3.14 server built
 * from Debian packages) as a test fixture: availability check, start on a free port with
 * a private state directory, stop, and `manage.py` commands against its database.
 *
 * The shared folder is found relative to this file (repo/test/oracle/ → ../../../shared),
 * because CI clones the repository into another folder with a copy of `shared/` beside it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const ORACLE_DIR = fileURLToPath(new URL('../../../shared/oracle/drf/', import.meta.url));
export const RUN_SH = join(ORACLE_DIR, 'run.sh');
export const INSTALL_HINT =
  'apt-get install -y python3-django python3-djangorestframework python3-djangorestframework-simplejwt gunicorn';

/** Why the oracle cannot run here, or null when it can. */
export function oracleUnavailable(): string | null {
  if (!existsSync(RUN_SH)) return `oracle not found at ${RUN_SH} (shared/ must sit beside the repository)`;
  const r = spawnSync(PYTHON, ['-c', 'import rest_framework, rest_framework_simplejwt, django'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return `oracle not installed: apt-get update && ${INSTALL_HINT} (${PYTHON} cannot import django, rest_framework, rest_framework_simplejwt)`;
  }
  return null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Oracle {
  url: string;
  port: number;
  stateDir: string;
  /** `manage.py <args>` with the oracle's settings and database; returns stdout. */
  manage(...args: string[]): string;
  /** `run.sh stop`, then delete the state directory. */
  stop(): void;
}

/**
 * `run.sh reset` on a free port with a fresh state directory (fresh database, users
 * re-created); `modes` are the oracle's mode variables (README: `DJRA_JWT=1`, …).
 */
export async function startOracle(modes: Record<string, string> = {}): Promise<Oracle> {
  const stateDir = realpathSync(mkdtempSync(join(tmpdir(), 'gatehouse-drf-oracle-')));
  let port = 0;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    const env = { ...process.env, ...modes, ORACLE_PORT: String(port), ORACLE_DIR_STATE: stateDir, PYTHONDONTWRITEBYTECODE: '1' };
    const r = spawnSync('sh', [RUN_SH, 'reset'], { env, encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      lastError = '';
      break;
    }
    lastError = `run.sh reset failed (status ${r.status}): ${r.stderr || r.stdout}`;
  }
  if (lastError) {
    rmSync(stateDir, { recursive: true, force: true });
    throw new Error(lastError);
  }
  const env = { ...process.env, ...modes, ORACLE_PORT: String(port), ORACLE_DIR_STATE: stateDir, PYTHONDONTWRITEBYTECODE: '1' };
  const pidFile = join(stateDir, 'server.pid');
  // If the test process dies without running `after`, still stop the daemon we started (by its PID).
  const onExit = () => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) process.kill(pid);
    } catch {
      /* already stopped */
    }
  };
  process.once('exit', onExit);
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stateDir,
    manage(...args: string[]) {
      const r = spawnSync(PYTHON, ['manage.py', ...args], { cwd: ORACLE_DIR, env, encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`manage.py ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      spawnSync('sh', [RUN_SH, 'stop'], { env, encoding: 'utf8', timeout: 30_000 });
      process.removeListener('exit', onExit);
      // run.sh remembers the state directory per user and port in the temp directory.
      const pointer = join(tmpdir(), `gatehouse-oracle-${process.getuid?.() ?? 0}-${port}.statedir`);
      try {
        if (readFileSync(pointer, 'utf8').trim() === stateDir) rmSync(pointer, { force: true });
      } catch {
        /* no pointer file */
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface RawHeadResponse {
  status: number;
  headers: Record<string, string>;
  /** Bytes the server sent after the headers (gunicorn + Django 3.2 send the GET body on HEAD). */
  trailingBytes: number;
}

/**
 * HEAD over a raw socket: gunicorn + Django 3.2 write a body after a HEAD response's headers,
 * which node:http's client rejects (`HPE_CLOSED_CONNECTION`). The status line and headers are
 * parsed; what follows is only counted. Header values are latin-1 strings sent as raw bytes,
 * like `send` in ../helpers.ts.
 */
export function rawHead(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<RawHeadResponse> {
  const url = new URL(path, baseUrl);
  const lines = [`HEAD ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`HEAD ${path}: timeout`)));
    socket.on('end', () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`HEAD ${path}: connection closed before the end of the headers`));
        return;
      }
      const [statusLine = '', ...fields] = data.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const out: Record<string, string> = {};
      for (const f of fields) {
        const i = f.indexOf(':');
        if (i <= 0) continue;
        const name = f.slice(0, i).trim().toLowerCase();
        const value = f.slice(i + 1).trim();
        out[name] = name in out ? `${out[name]}, ${value}` : value;
      }
      resolve({ status, headers: out, trailingBytes: data.length - end - 4 });
    });
    socket.end(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  });
}

/** The oracle's users, as `run.sh` (re)creates them, in creation order (ids 1, 2, 3 on a fresh database). */
export const ORACLE_USERS = [
  { username: 'alice', password: 'alice-password-1', isActive: true, isStaff: false, isSuperuser: false },
  { username: 'bob', password: 'bob-password-1', isActive: false, isStaff: false, isSuperuser: false },
  { username: 'admin', password: 'admin-password-1', isActive: true, isStaff: true, isSuperuser: true },
] as const;

/**
 * The oracle's Django `SECRET_KEY`, read from `oracle/settings.py`. simplejwt signs with it
 * (HS256): its `SIMPLE_JWT` sets neither `SIGNING_KEY` nor `ALGORITHM`, which is checked here.
 */
export function oracleSecretKey(): string {
  const text = readFileSync(join(ORACLE_DIR, 'oracle', 'settings.py'), 'utf8');
  const m = /^SECRET_KEY\s*=\s*(["'])([^"'\\]+)\1\s*$/m.exec(text);
  if (!m) throw new Error(`no literal SECRET_KEY in ${join(ORACLE_DIR, 'oracle', 'settings.py')}`);
  if (/["'](SIGNING_KEY|ALGORITHM|VERIFYING_KEY)["']/.test(text)) {
    throw new Error('the oracle sets SIMPLE_JWT SIGNING_KEY/ALGORITHM/VERIFYING_KEY: SECRET_KEY is not its HS256 key any more');
  }
  return m[2]!;
}

/**
 * A JWT made by PyJWT through the oracle's `mkjwt.py` (claims as given; `key` defaults to
 * the oracle's key, `alg` to HS256, `none` for an unsigned token).
 */
export function mkjwt(claims: Record<string, unknown>, key = '', alg = 'HS256'): string {
  const r = spawnSync(PYTHON, [join(ORACLE_DIR, 'mkjwt.py'), JSON.stringify(claims), key, alg], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) throw new Error(`mkjwt.py failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

// ------------------------------------------------------------------ comparing answers

/** One field where Gatehouse and the oracle answered differently. */
export interface Mismatch {
  case: string;
  field: string;
  oracle: string;
  gatehouse: string;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** JSON with sorted object keys: key order in a JSON object is not compared. */
export const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    isPlainObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  ) ?? 'undefined';

const show = (v: unknown) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : canonical(v));

/** Differing fields of two answers; JSON objects are walked so that the table names the differing member. */
export function diffAnswers<W extends object>(name: string, o: W, g: W, fields?: ReadonlyArray<keyof W>): Mismatch[] {
  const out: Mismatch[] = [];
  const walk = (path: string, a: unknown, b: unknown) => {
    if (canonical(a) === canonical(b)) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(`${path}.${k}`, a[k], b[k]);
      return;
    }
    out.push({ case: name, field: path, oracle: show(a), gatehouse: show(b) });
  };
  const keys = fields ?? ([...new Set([...Object.keys(o), ...Object.keys(g)])] as Array<keyof W>);
  for (const field of keys) walk(String(field), o[field], g[field]);
  return out;
}

/** The mismatches as a Markdown table (printed before a failing comparison). */
export function mismatchTable(rows: Mismatch[]): string {
  const cols: Array<keyof Mismatch> = ['case', 'field', 'oracle', 'gatehouse'];
  const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 97)}...` : s);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => clip(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((col) => clip(r[col]))))].join('\n');
}
