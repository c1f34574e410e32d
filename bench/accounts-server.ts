/**
 * The account benchmark's server process (forked with an IPC channel by bench/accounts.ts):
 * the built `dist/` as `gatehouse serve` runs it, djoser's route set at `/auth`, the
 * in-memory e-mail backend, a temporary SQLite file (or `BENCH_DATABASE`), and two users
 * with an e-mail address: one the load generator logs in as, one whose password reset is
 * requested. Prints `READY <url> <login username> <reset e-mail>`.
 *
 * Over IPC it measures itself: `{ cmd: 'start' }` resets the event-loop delay histogram
 * (perf_hooks `monitorEventLoopDelay`, 1 ms resolution) and the CPU clock
 * (`process.cpuUsage`); `{ cmd: 'stop' }` answers `{ p99Ms, maxMs, cpuUs }` for the time in
 * between. The login throttle and the account throttles (per client address, per e-mail
 * address) are off: the benchmark measures the work, not the refusals.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../dist/core/settings.js';
import { createGatehouse } from '../dist/server/app.js';
import { listen } from '../dist/server/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-accounts-'));
const settings = parseSettings({
  database: process.env.BENCH_DATABASE ?? join(dir, 'bench.sqlite3'),
  secretKey: 'bench-secret-key-0123456789abcdefghijklmnop',
  logLevel: 'silent',
  throttle: { loginEnabled: false, accountEmailRate: null, rates: { accounts: null } },
  accounts: { djoser: '/auth', domain: 'localhost:3000' },
  email: { backend: 'memory' },
});
const app = await createGatehouse(settings);
const tag = `${process.pid}-${Date.now()}`;
const login = await app.users.create({ username: `login-${tag}`, password: 'login-password-1', email: `login-${tag}@example.com` });
const reset = await app.users.create({ username: `reset-${tag}`, password: 'reset-password-1', email: `reset-${tag}@example.com` });
const running = await listen(app, '127.0.0.1', 0);

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let cpu = process.cpuUsage();
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'start') {
    delay.reset();
    cpu = process.cpuUsage();
  } else if (message.cmd === 'stop') {
    const used = process.cpuUsage(cpu);
    process.send?.({ p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6, cpuUs: used.user + used.system });
  }
});
process.stdout.write(`READY ${running.url} ${login.username} ${reset.email}\n`);
process.on('SIGTERM', () => void running.stop(100).then(() => process.exit(0)));
