/**
 * The HTTP benchmark's requests without sockets: `engine.handle` in one process, from the
 * built `dist/`, on the same server setup as bench/server.ts (`/healthz`, `/api/me/` with an
 * opaque token and with a JWT, `/api/me-apikey/` with an API key). No load generator and
 * no kernel in between, so what authentication itself costs shows even on a busy machine
 * where the HTTP figures drift. Rounds alternate their order; the median is reported.
 *
 *   npm run build && node --import tsx bench/auth-loop.ts   # LOOP_N=200000 LOOP_ROUNDS=6
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchApp } from './bench-app.js';

const N = Number(process.env.LOOP_N ?? 200_000);
const ROUNDS = Number(process.env.LOOP_ROUNDS ?? 6);

const { app, token, access, apiKey } = await benchApp(join(mkdtempSync(join(tmpdir(), 'gatehouse-loop-')), 'bench.sqlite3'));

const rows: Array<[string, string, Record<string, string>]> = [
  ['GET /healthz (no auth)', '/healthz', {}],
  ['GET /api/me/ (opaque token)', '/api/me/', { authorization: `Token ${token}` }],
  ['GET /api/me-apikey/ (API key)', '/api/me-apikey/', { 'x-api-key': apiKey }],
  ['GET /api/me/ (JWT, HS256)', '/api/me/', { authorization: `Bearer ${access}` }],
];
const noBody = async () => Buffer.alloc(0);

/** ns per request over `N` requests of one row (each must answer 200). */
async function measure([name, path, headers]: (typeof rows)[number]): Promise<number> {
  const req = { method: 'GET', path, headers: { host: 'bench', ...headers }, cookies: {}, remoteAddress: '127.0.0.1' };
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const res = await app.engine.handle(req, noBody);
    if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
  }
  return Number(process.hrtime.bigint() - start) / N;
}

try {
  for (const r of rows) await measure(r); // warm up
  const ns = new Map<string, number[]>(rows.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of round % 2 === 0 ? rows : [...rows].reverse()) ns.get(r[0])!.push(await measure(r));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\nGatehouse in one process (engine.handle, no sockets) — ${ROUNDS} rounds × ${N} requests per row, order alternating`);
  console.log('endpoint'.padEnd(34), 'µs/req'.padStart(8), 'range'.padStart(14));
  for (const [name] of rows) {
    const xs = ns.get(name)!.map((x) => x / 1000);
    console.log(name.padEnd(34), median(xs).toFixed(2).padStart(8), `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`.padStart(14));
  }
  const perRound = ns.get(rows[2]![0])!.map((k, i) => k / ns.get(rows[1]![0])![i]!);
  console.log(`\nAPI key ÷ opaque token, time per request within each round: ${median(perRound).toFixed(3)} (${Math.min(...perRound).toFixed(3)}–${Math.max(...perRound).toFixed(3)}); below 1: the API key costs less`);
} finally {
  await app.close();
}
