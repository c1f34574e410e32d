/**
 * HTTP benchmark: requests/s of endpoints of one Gatehouse server, side by side in
 * one run, as ratios to the same server's unauthenticated `GET /healthz`.
 * The server runs in its own process from the built `dist/` (what `gatehouse serve`
 * runs); the load comes from `wrk` when it is installed (Debian package `wrk`, a C
 * client that needs far less CPU than the server) or else from autocannon in this
 * process. On a 2-core machine the server and the load generator each get a core.
 *
 *   npm run bench                 # 3 rounds × 5 s per endpoint
 *   BENCH_JWT_DENYLIST=1 npm run bench   # the same with the per-request access-token denylist
 *   BENCH_SECONDS=10 BENCH_ROUNDS=5 npm run bench
 */
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const serverEntry = fileURLToPath(new URL('./server.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), serverEntry], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise<{ url: string; token: string; jwt: string }>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /READY (\S+) (\S+) (\S+)/.exec(out);
    if (m) resolve({ url: m[1]!, token: m[2]!, jwt: m[3]! });
  });
  child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

interface Case {
  name: string;
  path: string;
  headers?: Record<string, string>;
}

const cases: Case[] = [
  { name: 'GET /healthz (no auth)', path: '/healthz' },
  { name: 'GET /api/me/ (opaque token)', path: '/api/me/', headers: { Authorization: `Token ${ready.token}` } },
  { name: 'GET /api/me/ (JWT, HS256)', path: '/api/me/', headers: { Authorization: `Bearer ${ready.jwt}` } },
];

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status === 1; // wrk --version exits 1 after printing
  }
}
const USE_WRK = process.env.BENCH_CLIENT !== 'autocannon' && hasWrk();

/** One measurement with wrk: requests/s, failing on any non-2xx answer. */
function runWrk(c: Case, seconds: number): Promise<number> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`];
  for (const [k, v] of Object.entries(c.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(ready.url + c.path);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      if (/Non-2xx|Socket errors/.test(out)) return reject(new Error(`${c.name}: failed requests\n${out}`));
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`wrk output not understood:\n${out}`));
    });
  });
}

async function run(c: Case, seconds: number): Promise<number> {
  if (USE_WRK) return runWrk(c, seconds);
  const result = await autocannon({ url: ready.url + c.path, connections: CONNECTIONS, duration: seconds, headers: c.headers ?? {} });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${c.name}: ${bad} failed requests`);
  return result.requests.average;
}

try {
  for (const c of cases) await run(c, 1); // warm up
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) samples.get(c.name)!.push(await run(c, SECONDS));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(samples.get(cases[0]!.name)!);
  console.log(`\nGatehouse HTTP benchmark — ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, client ${USE_WRK ? 'wrk' : 'autocannon'}, median req/s`);
  console.log('endpoint'.padEnd(34), 'req/s'.padStart(10), 'ratio'.padStart(8));
  for (const c of cases) {
    const m = median(samples.get(c.name)!);
    console.log(c.name.padEnd(34), m.toFixed(0).padStart(10), (m / base).toFixed(3).padStart(8));
  }
  console.log('\nGoals: opaque token ≥ 0.85 × /healthz; JWT ≥ 0.90 × /healthz.');
} finally {
  child.kill('SIGTERM');
}
