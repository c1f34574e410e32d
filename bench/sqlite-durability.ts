/**
 * What `synchronous = FULL` costs next to `NORMAL` on this machine's disk (SQLite, WAL).
 *
 *     node --import tsx bench/sqlite-durability.ts [directory]     # ~10 s
 *
 * FULL fsyncs the WAL at every commit, so a revocation the client saw acknowledged
 * survives a power cut; NORMAL fsyncs only at checkpoints and may lose the last commits.
 * Two write paths are timed, one commit each, as the server runs them one after another:
 * a login's write (`OpaqueTokenService.issue`: insert the token row) and a revocation
 * (`revoke`: delete it). Password hashing, which dominates a real login, is left out.
 * The directory (default: the system's temporary directory) should be on the disk the
 * database will live on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../src/core/settings.js';
import { createServices } from '../src/server/app.js';
import { SqliteStores } from '../src/stores/sqlite/index.js';

const OPERATIONS = 400;
const ROUNDS = 3;

async function measure(path: string, synchronous: 'NORMAL' | 'FULL'): Promise<{ logins: number; revocations: number }> {
  const stores = SqliteStores.open(path);
  stores.db.pragma(`synchronous = ${synchronous}`);
  try {
    const { tokens } = createServices(parseSettings({ secretKey: 'bench-secret-bench-secret-bench-secret-0123' }), stores);
    const user = await stores.users.create({ username: `u${Date.now()}`, password: '!', dateJoined: new Date() });
    let t0 = performance.now();
    const ids: number[] = [];
    for (let i = 0; i < OPERATIONS; i++) ids.push((await tokens.issue(user)).record.id);
    const logins = OPERATIONS / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (const id of ids) await tokens.revoke(id);
    const revocations = OPERATIONS / ((performance.now() - t0) / 1000);
    return { logins, revocations };
  } finally {
    await stores.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'gatehouse-durability-'));
try {
  const results: Record<string, { logins: number[]; revocations: number[] }> = { NORMAL: { logins: [], revocations: [] }, FULL: { logins: [], revocations: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['NORMAL', 'FULL'] as const) {
      const r = await measure(join(dir, 'bench.sqlite3'), mode);
      results[mode]!.logins.push(r.logins);
      results[mode]!.revocations.push(r.revocations);
    }
  }
  console.log(`SQLite WAL, ${OPERATIONS} sequential commits per run, median of ${ROUNDS} (${dir}):`);
  for (const [mode, r] of Object.entries(results)) {
    console.log(`  synchronous=${mode.padEnd(6)}  token issue (login write) ${median(r.logins).toFixed(0).padStart(7)}/s   revocation ${median(r.revocations).toFixed(0).padStart(7)}/s`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
