/**
 * The benchmark's server process: the built `dist/` (what `gatehouse serve` runs) on a temporary
 * SQLite file (or `BENCH_DATABASE`, e.g. a `postgres://` URL), with one user, an opaque token, a JWT access token
 * and an API key (`/api/me-apikey/`: `/api/me/` behind `ApiKeyAuthentication`).
 * Prints `READY <url> <opaque token> <jwt> <username> <refresh token> <api key>`. `BENCH_JWT_DENYLIST=1` turns on the access-token denylist.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../dist/server/serve.js';
import { benchApp } from './bench-app.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const { app, username, token: key, access, refresh, apiKey } = await benchApp(process.env.BENCH_DATABASE ?? join(dir, 'bench.sqlite3'));
const running = await listen(app, '127.0.0.1', 0);
process.stdout.write(`READY ${running.url} ${key} ${access} ${username} ${refresh} ${apiKey}\n`);
process.on('SIGTERM', () => void running.stop(100).then(() => process.exit(0)));
