/**
 * The benchmark's server process: the built `dist/` (what `gatehouse serve` runs) on a temporary
 * SQLite file (or `BENCH_DATABASE`, e.g. a `postgres://` URL), with one user, an opaque token, a JWT access token
 * and an API key (`/api/me-apikey/`: `/api/me/` behind `ApiKeyAuthentication`).
 * Prints `READY <url> <opaque token> <jwt> <username> <refresh token> <api key>`. `BENCH_JWT_DENYLIST=1` turns on the access-token denylist.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../dist/core/settings.js';
import { createGatehouse } from '../dist/server/app.js';
import { listen } from '../dist/server/serve.js';
import { IsAuthenticated } from '../dist/permissions/index.js';
import { userDetails } from '../dist/http/endpoints/user.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const settings = parseSettings({
  database: process.env.BENCH_DATABASE ?? join(dir, 'bench.sqlite3'),
  secretKey: 'bench-secret-key-0123456789abcdefghijklmnop',
  logLevel: 'silent',
  apiKeys: { enabled: true },
  jwt: { accessTokenLifetime: '1h', ...(process.env.BENCH_JWT_DENYLIST === '1' ? { accessTokenDenylist: true } : {}) },
});
const app = await createGatehouse(settings);
const username = `bench-${process.pid}-${Date.now()}`;
const user = await app.users.create({ username, password: 'alice-password-1' });
const { key } = await app.tokens.issue(user);
const { access, refresh } = await app.jwt.obtainPair(user);
const { key: apiKey } = await app.apiKeys!.create({ name: 'bench', userId: user.id });
app.engine.add({
  path: '/api/me-apikey/',
  authenticators: [app.authenticators.apiKey!],
  permissions: [IsAuthenticated],
  methods: { GET: (ctx) => ({ body: userDetails(ctx.principal!.user) }) },
});
const running = await listen(app, '127.0.0.1', 0);
process.stdout.write(`READY ${running.url} ${key} ${access} ${username} ${refresh} ${apiKey}\n`);
process.on('SIGTERM', () => void running.stop(100).then(() => process.exit(0)));
