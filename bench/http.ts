/**
 * HTTP benchmark: requests/s of endpoints of one Gatehouse server, side by side in
 * one run, as ratios to the same server's unauthenticated `GET /healthz`.
 * The server runs in its own process from the built `dist/` (what `gatehouse serve`
 * runs); the load comes from `wrk` when it is installed (Debian package `wrk`, a C
 * client that needs far less CPU than the server) or else from autocannon in this
 * process. On a 2-core machine the server and the load generator each get a core.
 *
 *   npm run bench                 # 6 rounds × 3 s per endpoint, order alternating
 *   BENCH_JWT_DENYLIST=1 npm run bench   # the same with the per-request access-token denylist
 *   BENCH_SECONDS=5 BENCH_ROUNDS=10 npm run bench
 *   BENCH_DATABASE=postgres://postgres@127.0.0.1:5432/test?schema=gh_bench npm run bench
 *   BENCH_WRITES=1 npm run bench   # adds logins (argon2id + a row) and refreshes
 *
 * Besides requests/s, each row reports the server process's CPU time per request
 * (user + system, from /proc), which a busy machine disturbs far less than throughput,
 * and a `/healthz` row that carries a header as long as the JWT one: an authenticated
 * request costs the HTTP parser its credential's bytes before any authentication runs,
 * so that row separates what authentication costs from what the bytes cost.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USE_WRK } from './client.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const serverEntry = fileURLToPath(new URL('./server.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), serverEntry], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise<{ url: string; token: string; jwt: string; username: string; refresh: string; apiKey: string }>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /READY (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)/.exec(out);
    if (m) resolve({ url: m[1]!, token: m[2]!, jwt: m[3]!, username: m[4]!, refresh: m[5]!, apiKey: m[6]! });
  });
  child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

interface Case {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON body to POST (every request the same). */
  post?: string;
}

const cases: Case[] = [
  { name: 'GET /healthz (no auth)', path: '/healthz' },
  { name: 'GET /api/me/ (opaque token)', path: '/api/me/', headers: { Authorization: `Token ${ready.token}` } },
  { name: 'GET /api/me-apikey/ (API key)', path: '/api/me-apikey/', headers: { 'X-Api-Key': ready.apiKey } },
  { name: 'GET /api/me/ (JWT, HS256)', path: '/api/me/', headers: { Authorization: `Bearer ${ready.jwt}` } },
  { name: 'GET /healthz (+JWT-sized header)', path: '/healthz', headers: { 'X-Padding': `Bearer ${ready.jwt}` } },
];
if (process.env.BENCH_WRITES === '1') {
  const json = { 'Content-Type': 'application/json' };
  cases.push(
    { name: 'POST /api/token/ (login, argon2id)', path: '/api/token/', headers: json, post: JSON.stringify({ username: ready.username, password: 'alice-password-1' }) },
    { name: 'POST /api/token/refresh/', path: '/api/token/refresh/', headers: json, post: JSON.stringify({ refresh: ready.refresh }) },
  );
}

/** The server process's CPU time so far (user + system), in seconds; null where /proc is absent. */
function serverCpuSeconds(): number | null {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

interface Sample {
  rps: number;
  /** Server CPU µs per request, or null. */
  cpuUs: number | null;
}


/** One measurement with wrk: requests/s and request count, failing on any non-2xx answer. */
function runWrk(c: Case, seconds: number): Promise<{ rps: number; requests: number }> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`];
  for (const [k, v] of Object.entries(c.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (c.post !== undefined) {
    const script = join(mkdtempSync(join(tmpdir(), 'gatehouse-wrk-')), 'post.lua');
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(c.post)}\n`);
    args.push('-s', script);
  }
  args.push(ready.url + c.path);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      if (/Non-2xx|Socket errors/.test(out)) return reject(new Error(`${c.name}: failed requests\n${out}`));
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const n = /(\d+) requests in/.exec(out);
      if (m && n) resolve({ rps: Number(m[1]), requests: Number(n[1]) });
      else reject(new Error(`wrk output not understood:\n${out}`));
    });
  });
}

async function run(c: Case, seconds: number): Promise<Sample> {
  const cpu0 = serverCpuSeconds();
  let rps: number;
  let requests: number;
  if (USE_WRK) ({ rps, requests } = await runWrk(c, seconds));
  else {
    const result = await autocannon({
      url: ready.url + c.path,
      connections: CONNECTIONS,
      duration: seconds,
      headers: c.headers ?? {},
      ...(c.post !== undefined ? { method: 'POST' as const, body: c.post } : {}),
    });
    const bad = result.non2xx + result.errors + result.timeouts;
    if (bad > 0) throw new Error(`${c.name}: ${bad} failed requests`);
    rps = result.requests.average;
    requests = result.requests.total;
  }
  const cpu1 = serverCpuSeconds();
  return { rps, cpuUs: cpu0 === null || cpu1 === null || requests === 0 ? null : ((cpu1 - cpu0) * 1e6) / requests };
}

try {
  for (const c of cases) await run(c, 1); // warm up
  // Rounds alternate the order (forward, then reversed), and each ratio is taken within a
  // pair of rounds: on a shared machine throughput drifts by ±10 % over a minute, and a
  // forward + reversed pair puts every row at the same mean distance in time from /healthz,
  // so a linear drift cancels out of its ratio. The median over pairs is reported.
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) samples.get(c.name)!.push(await run(c, SECONDS));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const pairs = Math.max(1, Math.floor(ROUNDS / 2));
  /** Per pair of rounds: f(this row's two samples, the base row's two samples; /healthz by default). */
  const perPair = (c: Case, f: (row: Sample[], base: Sample[]) => number | null, baseCase: Case = cases[0]!): number[] => {
    const row = samples.get(c.name)!;
    const base = samples.get(baseCase.name)!;
    const out: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const v = f(row.slice(2 * p, 2 * p + 2), base.slice(2 * p, 2 * p + 2));
      if (v !== null) out.push(v);
    }
    return out;
  };
  const sum = (xs: (number | null)[]) => xs.reduce<number>((a, x) => a + (x ?? NaN), 0);
  const rpsRatios = (c: Case, base?: Case) => perPair(c, (row, b) => sum(row.map((x) => x.rps)) / sum(b.map((x) => x.rps)), base);
  const cpuRatios = (c: Case, base?: Case) => perPair(c, (row, b) => {
    const r = sum(b.map((x) => x.cpuUs)) / sum(row.map((x) => x.cpuUs));
    return Number.isNaN(r) ? null : r;
  }, base);
  const rps = (c: Case) => median(samples.get(c.name)!.map((x) => x.rps));
  const cpu = (c: Case) => {
    const xs = samples.get(c.name)!.map((x) => x.cpuUs);
    return xs.every((x): x is number => x !== null) ? median(xs) : null;
  };
  const range = (xs: number[]) => (xs.length > 1 ? `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}` : '');
  const database = process.env.BENCH_DATABASE ? process.env.BENCH_DATABASE.replace(/\/\/[^@/]*@/, '//…@') : 'SQLite file';
  console.log(`\nGatehouse HTTP benchmark — ${database}; ${ROUNDS} rounds × ${SECONDS}s (order alternating), ${CONNECTIONS} connections, client ${USE_WRK ? 'wrk' : 'autocannon'}`);
  console.log('endpoint'.padEnd(34), 'req/s'.padStart(8), 'ratio'.padStart(7), '(per pair)'.padStart(13), 'CPU µs/req'.padStart(11), 'CPU ratio'.padStart(10));
  for (const c of cases) {
    const ratios = rpsRatios(c);
    const us = cpu(c);
    const cpuR = cpuRatios(c);
    console.log(
      c.name.padEnd(34),
      rps(c).toFixed(0).padStart(8),
      median(ratios).toFixed(3).padStart(7),
      range(ratios).padStart(13),
      (us === null ? '—' : us.toFixed(1)).padStart(11),
      (cpuR.length ? median(cpuR).toFixed(3) : '—').padStart(10),
    );
  }
  // The API key's own goal is the opaque token's: compare the two directly, within each pair.
  const [opaque, apiKey] = [cases[1]!, cases[2]!];
  const keyRps = rpsRatios(apiKey, opaque);
  const keyCpu = cpuRatios(apiKey, opaque);
  console.log(
    `\nAPI key ÷ opaque token, per pair: req/s ${median(keyRps).toFixed(3)} (${range(keyRps)})` +
      (keyCpu.length ? `, CPU ${median(keyCpu).toFixed(3)} (${range(keyCpu)}) — above 1: the API key costs less` : ''),
  );
  console.log('\nreq/s: median of rounds; ratio: median over pairs of rounds of this row\'s req/s ÷ /healthz req/s (its range over the pairs next to it);');
  console.log('CPU ratio: the same for the server\'s CPU time per request, /healthz ÷ this row (the ratio when the server alone is the bottleneck).');
  console.log('Goals: opaque token and API key ≥ 0.85 × /healthz; JWT ≥ 0.90 × /healthz.');
} finally {
  child.kill('SIGTERM');
}
