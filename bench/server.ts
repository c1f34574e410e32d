/**
 * The benchmark's server process: the built `dist/` (what `gatehouse serve` runs) on a temporary
 * SQLite file, with one user and one opaque token. Prints `READY <url> <token>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../dist/core/settings.js';
import { createGatehouse } from '../dist/server/app.js';
import { listen } from '../dist/server/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const settings = parseSettings({ database: join(dir, 'bench.sqlite3'), secretKey: 'bench-secret-key-0123456789abcdefghijklmnop', logLevel: 'silent' });
const app = createGatehouse(settings);
const user = await app.users.create({ username: 'alice', password: 'alice-password-1' });
const { key } = await app.tokens.issue(user);
const running = await listen(app, '127.0.0.1', 0);
process.stdout.write(`READY ${running.url} ${key}\n`);
process.on('SIGTERM', () => void running.stop(100).then(() => process.exit(0)));
