/**
 * Account benchmark: what sign-up and password-reset requests cost a Gatehouse server
 * that is serving logins at the same time. The server (bench/accounts-server.ts: the built
 * `dist/`, djoser's routes at `/auth`, the in-memory e-mail backend) runs in its own
 * process; this process sends it a steady 100 logins/s (`POST /api/token/`, argon2id
 * verification; node's http client, open loop: one request every 10 ms whatever the
 * answers) for the whole run, and in each round measures, one after the other:
 *
 *   logins only                 the background alone (the event loop's baseline)
 *   POST /auth/users/           sign-up: a new user per request (argon2id hash + a row + the activation e-mail)
 *   POST /auth/users/reset_password/   a reset request for an existing user (token + e-mail)
 *
 * Per row: requests/s (wrk when installed, else autocannon; `BENCH_CONNECTIONS`, default 8),
 * the server's event-loop delay p99 and max (perf_hooks `monitorEventLoopDelay` inside the
 * server), the server's CPU time per request (`process.cpuUsage`: gross, and net of the
 * background logins' CPU as measured in the "logins only" row of the same round), and the
 * logins' own rate and p99 latency during the row. Rounds alternate their order (forward,
 * reversed) as in bench/http.ts; medians over rounds are printed.
 *
 *   npm run bench:accounts
 *   BENCH_SECONDS=5 BENCH_ROUNDS=6 BENCH_LOGIN_RATE=100 npm run bench:accounts
 */
import autocannon from 'autocannon';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USE_WRK } from './client.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const LOGIN_RATE = Number(process.env.BENCH_LOGIN_RATE ?? 100);
const PASSWORD = 'correct-horse-battery-9';

const serverEntry = fileURLToPath(new URL('./accounts-server.ts', import.meta.url));
const child = fork(serverEntry, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const ready = await new Promise<{ url: string; username: string; resetEmail: string }>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /READY (\S+) (\S+) (\S+)/.exec(out);
    if (m) resolve({ url: m[1]!, username: m[2]!, resetEmail: m[3]! });
  });
  child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

interface ServerStats {
  p99Ms: number;
  maxMs: number;
  cpuUs: number;
}

/** Ask the server to start measuring; resolves once the message is sent. */
function startMeasuring(): Promise<void> {
  return new Promise((resolve, reject) => child.send({ cmd: 'start' }, (e) => (e ? reject(e) : resolve())));
}

/** The server's event-loop delay and CPU time since `startMeasuring`. */
function stopMeasuring(): Promise<ServerStats> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerStats));
    child.send({ cmd: 'stop' }, (e) => e && reject(e));
  });
}

// ---------------------------------------------------------------- the background logins

/** Open-loop logins at `rate`/s: sent on schedule whatever the answers; counts and latencies per window. */
class LoginLoad {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly body = JSON.stringify({ username: ready.username, password: 'login-password-1' });
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private sent = 0;
  latencies: number[] = [];
  failed = 0;

  start(rate: number): void {
    this.started = performance.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - this.started) / 1000) * rate);
      for (; this.sent < due; this.sent++) this.one();
    }, 2);
  }

  /** Forget what was counted so far (a new measuring window). */
  window(): void {
    this.latencies = [];
    this.failed = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }

  private one(): void {
    const t0 = performance.now();
    const url = new URL('/api/token/', ready.url);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: this.agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(this.body) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) this.latencies.push(performance.now() - t0);
          else this.failed++;
        });
      },
    );
    req.on('error', () => this.failed++);
    req.end(this.body);
  }
}

// ---------------------------------------------------------------- the measured rows

interface Row {
  name: string;
  path: string | null;
  /** The JSON body of request `n` of a run tagged `tag` (unique per run). */
  body?: (tag: string, n: number) => string;
  /** The same body for every request (wrk's static body). */
  fixed?: boolean;
}

const signUpBody = (tag: string, n: number) => {
  const name = `u${tag}x${n}`;
  return JSON.stringify({ username: name, email: `${name}@example.com`, password: PASSWORD, re_password: PASSWORD });
};
const ROWS: Row[] = [
  { name: 'logins only (CPU per login)', path: null },
  { name: 'POST /auth/users/ (sign-up)', path: '/auth/users/', body: signUpBody },
  { name: 'POST /auth/users/reset_password/', path: '/auth/users/reset_password/', body: () => JSON.stringify({ email: ready.resetEmail }), fixed: true },
];


/** A wrk script POSTing JSON: the fixed body, or one made per request (sign-up: a new username each time). */
function wrkScript(row: Row, tag: string): string {
  const lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"'];
  if (row.fixed) lines.push(`wrk.body = ${JSON.stringify(row.body!(tag, 0))}`);
  else {
    // Every occurrence of request 0's name is replaced by request n's: the template is split on it.
    const parts = row.body!(tag, 0).split(`u${tag}x0`).map((p) => JSON.stringify(p));
    lines.push('local n = 0', 'request = function()', '  n = n + 1', `  local name = "u${tag}x" .. n`, `  return wrk.format(nil, nil, nil, ${parts.join(' .. name .. ')})`, 'end');
  }
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-wrk-')), 'post.lua');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** What one load run gave: answered requests, how many were refused (non-2xx) or failed (socket errors), req/s of the accepted ones. */
interface Load {
  requests: number;
  refused: number;
  rps: number;
}

function runWrk(row: Row, tag: string, seconds: number): Promise<Load> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '10s', '-s', wrkScript(row, tag), ready.url + row.path!];
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const n = /(\d+) requests in/.exec(out);
      if (!m || !n) return reject(new Error(`wrk output not understood:\n${out}`));
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
      const requests = Number(n[1]);
      const refused = non2xx + errors;
      resolve({ requests, refused, rps: requests > 0 ? (Number(m[1]) * (requests - non2xx)) / requests : 0 });
    });
  });
}

async function runAutocannon(row: Row, tag: string, seconds: number): Promise<Load> {
  let n = 0;
  const result = await autocannon({
    url: ready.url + row.path!,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'Content-Type': 'application/json' }, setupRequest: (req) => ({ ...req, body: row.body!(tag, ++n) }) }],
  });
  const refused = result.non2xx + result.errors + result.timeouts;
  const total = result.requests.total;
  return { requests: total, refused, rps: total > 0 ? (result.requests.average * (total - result.non2xx)) / total : 0 };
}

interface Sample extends Load {
  server: ServerStats;
  loginRate: number;
  loginP99Ms: number;
  loginFailed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]! : NaN);
const median = (xs: number[]) => percentile(xs, 50);

let runs = 0;
async function measure(row: Row, logins: LoginLoad, seconds: number): Promise<Sample> {
  const tag = `${process.pid}r${runs++}`;
  logins.window();
  await startMeasuring();
  const t0 = performance.now();
  let load: Load = { rps: 0, requests: 0, refused: 0 };
  if (row.path === null) await sleep(seconds * 1000);
  else load = USE_WRK ? await runWrk(row, tag, seconds) : await runAutocannon(row, tag, seconds);
  const server = await stopMeasuring();
  const elapsed = (performance.now() - t0) / 1000;
  return { ...load, server, loginRate: logins.latencies.length / elapsed, loginP99Ms: percentile(logins.latencies, 99), loginFailed: logins.failed };
}

const logins = new LoginLoad();
const loadBefore = loadavg()[0]!;
try {
  logins.start(LOGIN_RATE);
  await sleep(1000);
  for (const row of ROWS) await measure(row, logins, 1); // warm up
  const samples = new Map<string, Sample[]>(ROWS.map((r) => [r.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ROWS : [...ROWS].reverse();
    for (const row of order) samples.get(row.name)!.push(await measure(row, logins, SECONDS));
  }
  const base = samples.get(ROWS[0]!.name)!;
  // The background's CPU per second of each round, to take out of the rows' CPU.
  const baseCpuPerS = base.map((s) => s.server.cpuUs / SECONDS);
  console.log(
    `\nGatehouse account benchmark — ${process.env.BENCH_DATABASE ? 'BENCH_DATABASE' : 'SQLite file'}; ${ROUNDS} rounds × ${SECONDS}s (order alternating), ${CONNECTIONS} connections, client ${USE_WRK ? 'wrk' : 'autocannon'}, ${LOGIN_RATE} logins/s alongside`,
  );
  console.log(
    'row'.padEnd(34),
    'req/s'.padStart(7),
    'refused/all'.padStart(12),
    'CPU µs/req'.padStart(11),
    '(net)'.padStart(8),
    'loop p99 ms'.padStart(12),
    'max ms'.padStart(7),
    'logins/s'.padStart(9),
    'login p99 ms'.padStart(13),
  );
  let failedLogins = 0;
  for (const row of ROWS) {
    const xs = samples.get(row.name)!;
    failedLogins += xs.reduce((a, s) => a + s.loginFailed, 0);
    // Per accepted request (a refusal costs next to nothing); the background row: per completed login.
    const done = (s: Sample) => (row.path === null ? s.loginRate * SECONDS : s.requests - s.refused);
    const gross = xs.map((s) => (done(s) > 0 ? s.server.cpuUs / done(s) : NaN));
    const net = xs.map((s, i) => (row.path !== null && done(s) > 0 ? (s.server.cpuUs - baseCpuPerS[i]! * SECONDS) / done(s) : NaN));
    const fmt = (v: number, d = 0) => (Number.isNaN(v) ? '—' : v.toFixed(d));
    console.log(
      row.name.padEnd(34),
      fmt(median(xs.map((s) => s.rps))).padStart(7),
      `${xs.reduce((a, s) => a + s.refused, 0)}/${xs.reduce((a, s) => a + s.requests, 0)}`.padStart(12),
      fmt(median(gross)).padStart(11),
      fmt(median(net)).padStart(8),
      fmt(median(xs.map((s) => s.server.p99Ms)), 1).padStart(12),
      fmt(median(xs.map((s) => s.server.maxMs)), 1).padStart(7),
      fmt(median(xs.map((s) => s.loginRate))).padStart(9),
      fmt(median(xs.map((s) => s.loginP99Ms)), 0).padStart(13),
    );
  }
  console.log('\nreq/s, loop delay and logins: medians over rounds. CPU µs/req: the server process\'s CPU time (user + system) over the row ÷ its accepted requests');
  console.log('(the background row: ÷ the logins completed);');
  console.log('(net): less the CPU the background logins took per second in the same round\'s "logins only" row. Loop delay: monitorEventLoopDelay in the server.');
  console.log(`Machine load average (1 min): ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (other processes compete for the cores).`);
  if (failedLogins > 0) console.log(`${failedLogins} background logins failed (non-200, e.g. 503 when the password-hash queue is full, or a connection error).`);
  console.log('refused/all: requests of the row answered non-2xx (503 when the password-hash queue is full) or failed, over all rounds; req/s counts accepted ones only.');
} finally {
  logins.stop();
  child.kill('SIGTERM');
}
