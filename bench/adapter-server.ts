/**
 * The adapter benchmark's server process: the built `dist/` on one adapter (argv[2]: node,
 * express, fastify or hono), the token endpoints at the root and a protected route of the
 * application's own (`GET /notes`, IsAuthenticated), on a temporary SQLite file with one user.
 * Prints `READY <url> <jwt>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../dist/core/settings.js';
import { createGatehouse } from '../dist/server/app.js';
import { IsAuthenticated } from '../dist/permissions/index.js';

const adapter = process.argv[2] ?? 'node';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const settings = parseSettings({
  database: join(dir, 'bench.sqlite3'),
  secretKey: 'bench-secret-key-0123456789abcdefghijklmnop',
  logLevel: 'silent',
  jwt: { accessTokenLifetime: '1h' },
});
const gatehouse = await createGatehouse(settings);
const user = await gatehouse.users.create({ username: 'alice', password: 'alice-password-1' });
const { access } = await gatehouse.jwt.obtainPair(user);
const policy = { permissions: [IsAuthenticated] };

let port: number;
if (adapter === 'node') {
  const g = await import('../dist/http/node/index.js');
  const auth = g.endpoints(gatehouse);
  const notes = g.protect(gatehouse, policy, (_req: IncomingMessage, res: ServerResponse, principal) => {
    const body = JSON.stringify({ username: principal?.user.username });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  const server = createServer((req, res) => (req.url === '/notes' ? notes(req, res) : void auth(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
} else if (adapter === 'express') {
  const { default: express } = await import('express');
  const g = await import('../dist/http/express/index.js');
  const app = express();
  app.get('/notes', g.protect(gatehouse, policy), (req, res) => void res.json({ username: g.principalOf(req)?.user.username }));
  app.use(g.endpoints(gatehouse));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
} else if (adapter === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const g = await import('../dist/http/fastify/index.js');
  const app = Fastify({ logger: false });
  await app.register(g.gatehouseFastify, { gatehouse });
  app.get('/notes', { preHandler: g.protect(gatehouse, policy) }, async (request) => ({ username: g.principalOf(request)?.user.username }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
} else if (adapter === 'hono') {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const g = await import('../dist/http/hono/index.js');
  const app = new Hono();
  app.get('/notes', g.protect(gatehouse, policy), (c) => c.json({ username: g.principalOf(c)?.user.username }));
  app.use(g.endpoints(gatehouse));
  port = await new Promise<number>((r) => serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => r(info.port)));
} else {
  throw new Error(`unknown adapter ${adapter}`);
}
process.stdout.write(`READY http://127.0.0.1:${port} ${access}\n`);
process.on('SIGTERM', () => process.exit(0));
