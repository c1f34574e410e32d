/**
 * A short run of the scale-out soak (bench/soak.ts, `SOAK_SECONDS=4`): two server
 * processes, mixed traffic and revocations, then the acceptance and database checks.
 * The long run is `npm run bench:soak`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { postgresTestDb } from '../stores/postgres-helpers.js';

const postgres = await postgresTestDb('scale-out: short soak');
const soak = fileURLToPath(new URL('../../bench/soak.ts', import.meta.url));

test('scale-out soak, 4 seconds: no revoked credential accepted, no 5xx, database invariants hold', { skip: postgres === null }, async (t) => {
  await postgres?.cleanup();
  const proc = spawn(process.execPath, ['--import', 'tsx', soak], {
    env: { ...process.env, SOAK_SECONDS: '4', SOAK_CLIENTS: '6' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  clearTimeout(timer);
  for (const line of out.trim().split('\n')) t.diagnostic(line);
  assert.equal(code, 0, out);
  assert.match(out, /^OK: /m);
  assert.match(out, /revocations: [1-9]\d*/);
});
