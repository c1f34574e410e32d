/**
 * Adapter benchmark: requests/s of the same Gatehouse application through each adapter
 * (node:http, Express 5, Fastify 5, Hono on @hono/node-server), one server process at a time
 * from the built `dist/`, loaded by `wrk` (or autocannon when wrk is missing), as bench/http.ts.
 *
 *   GET /healthz    the engine, no authentication
 *   GET /api/me/    the engine, JWT (HS256) + IsAuthenticated
 *   GET /notes      the application's own route behind protect() (JWT + IsAuthenticated)
 *
 *   npm run bench:adapters                       # 3 rounds × 5 s per case
 *   BENCH_SECONDS=10 BENCH_ROUNDS=5 BENCH_ADAPTERS=node,fastify npm run bench:adapters
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { USE_WRK } from './client.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'node,express,fastify,hono').split(',');
const serverEntry = fileURLToPath(new URL('./adapter-server.ts', import.meta.url));


interface Case {
  name: string;
  path: string;
  auth: boolean;
}
const CASES: Case[] = [
  { name: 'GET /healthz', path: '/healthz', auth: false },
  { name: 'GET /api/me/ (JWT)', path: '/api/me/', auth: true },
  { name: 'GET /notes (protect, JWT)', path: '/notes', auth: true },
];

async function start(adapter: string): Promise<{ child: ChildProcess; url: string; jwt: string }> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), serverEntry, adapter], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ url: string; jwt: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+) (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, jwt: m[2]! });
    });
    child.on('exit', (code) => reject(new Error(`${adapter} bench server exited with ${code}`)));
  });
  return { child, ...ready };
}

function runWrk(url: string, headers: Record<string, string>, seconds: number, label: string): Promise<number> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      if (/Non-2xx|Socket errors/.test(out)) return reject(new Error(`${label}: failed requests\n${out}`));
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`wrk output not understood:\n${out}`));
    });
  });
}

async function measure(url: string, headers: Record<string, string>, seconds: number, label: string): Promise<number> {
  if (USE_WRK) return runWrk(url, headers, seconds, label);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${label}: ${bad} failed requests`);
  return result.requests.average;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Every server is up at once (idle ones cost nothing) and the rounds interleave the adapters,
// so a noisy neighbour on the machine spreads over all of them instead of one.
const servers = new Map<string, { child: ChildProcess; url: string; jwt: string }>();
const samples = new Map<string, Map<string, number[]>>();
try {
  for (const adapter of ADAPTERS) {
    servers.set(adapter, await start(adapter));
    samples.set(adapter, new Map(CASES.map((c) => [c.name, []])));
  }
  const headersOf = (adapter: string, c: Case): Record<string, string> => (c.auth ? { Authorization: `Bearer ${servers.get(adapter)!.jwt}` } : {});
  for (const adapter of ADAPTERS) {
    for (const c of CASES) await measure(servers.get(adapter)!.url + c.path, headersOf(adapter, c), 1, `${adapter} ${c.name}`); // warm up
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const adapter of ADAPTERS) {
      for (const c of CASES) {
        samples.get(adapter)!.get(c.name)!.push(await measure(servers.get(adapter)!.url + c.path, headersOf(adapter, c), SECONDS, `${adapter} ${c.name}`));
      }
    }
  }
} finally {
  for (const { child } of servers.values()) child.kill('SIGTERM');
}
const results = new Map<string, Map<string, number>>();
for (const [adapter, byCase] of samples) results.set(adapter, new Map([...byCase].map(([name, xs]) => [name, median(xs)])));

const base = results.get('node') ?? results.get(ADAPTERS[0]!)!;
const baseName = results.has('node') ? 'node' : ADAPTERS[0]!;
console.log(`\nGatehouse adapter benchmark — ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, client ${USE_WRK ? 'wrk' : 'autocannon'}, median req/s`);
console.log(`(× ${baseName}: against the same case on ${baseName}; /me÷/healthz: the cost of JWT auth within the adapter)\n`);
const header = ['adapter'.padEnd(9)];
for (const c of CASES) header.push(c.name.padStart(26), `× ${baseName}`.padStart(8));
header.push('/me÷/healthz'.padStart(13));
console.log(header.join(' '));
for (const [adapter, row] of results) {
  const line = [adapter.padEnd(9)];
  for (const c of CASES) {
    const v = row.get(c.name)!;
    line.push(v.toFixed(0).padStart(26), (v / base.get(c.name)!).toFixed(2).padStart(8));
  }
  line.push((row.get(CASES[1]!.name)! / row.get(CASES[0]!.name)!).toFixed(3).padStart(13));
  console.log(line.join(' '));
}
