/**
 * The same small application on each adapter (node:http, Express, Fastify, Hono), on a real
 * loopback server: the token endpoints under `/auth` (or at the root, after the application's
 * own routes, as docs/frameworks/*.md show for Django's paths), and routes of "your own"
 * protected with `protect(app, policy)`.
 *
 *   GET /notes      IsAuthenticated                     → {"username": …}
 *   GET /admin      IsAdminUser                         → {"username": …, "admin": true}
 *   GET /limited    AllowAny + the given throttle       → {"username": … | null}
 *   GET /boom       IsAuthenticated, then the handler throws PermissionDenied("Not yours.")
 *   GET /token-only [TokenAuthentication] + IsAuthenticated (challenge `Token`)
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { PermissionDenied } from '../../src/core/errors.js';
import type { Throttle } from '../../src/core/throttle.js';
import type { Principal } from '../../src/core/user.js';
import type { GuardPolicy } from '../../src/http/guard.js';
import { IsAdminUser, IsAuthenticated } from '../../src/permissions/index.js';
import type { Gatehouse } from '../../src/server/app.js';
import * as gNode from '../../src/http/node/index.js';
import * as gExpress from '../../src/http/express/index.js';
import * as gFastify from '../../src/http/fastify/index.js';
import * as gHono from '../../src/http/hono/index.js';

export type AdapterName = 'node' | 'express' | 'fastify' | 'hono';
export const ADAPTERS: readonly AdapterName[] = ['node', 'express', 'fastify', 'hono'];

export interface Running {
  url: string;
  /** The node:http server underneath (every adapter here runs on one). */
  server: Server;
  close(): Promise<void>;
}

export interface AppSpec {
  gatehouse: Gatehouse;
  /** The throttle of `GET /limited`. */
  throttle: Throttle;
  /** Where the engine is mounted; default `/auth`. `''`: at the root, after the application's own routes. */
  prefix?: string;
}

const prefixOf = (spec: AppSpec) => spec.prefix ?? '/auth';

interface Route {
  path: string;
  policy: (g: Gatehouse) => GuardPolicy;
  body: (principal: Principal | null) => unknown;
}

const username = (p: Principal | null) => p?.user.username ?? null;

function routes(spec: AppSpec): Route[] {
  return [
    { path: '/notes', policy: () => ({ permissions: [IsAuthenticated] }), body: (p) => ({ username: username(p) }) },
    { path: '/admin', policy: () => ({ permissions: [IsAdminUser] }), body: (p) => ({ username: username(p), admin: true }) },
    { path: '/limited', policy: () => ({ throttles: [spec.throttle] }), body: (p) => ({ username: username(p) }) },
    {
      path: '/boom',
      policy: () => ({ permissions: [IsAuthenticated] }),
      body: () => {
        throw new PermissionDenied('Not yours.');
      },
    },
    {
      path: '/token-only',
      policy: (g) => ({ authenticators: [g.authenticators.token], permissions: [IsAuthenticated] }),
      body: (p) => ({ username: username(p) }),
    },
  ];
}

function listening(server: Server): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export async function startNode(spec: AppSpec): Promise<Running> {
  const g = spec.gatehouse;
  const auth = gNode.endpoints(g, { prefix: prefixOf(spec) });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const table = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  for (const r of routes(spec)) table.set(r.path, gNode.protect(g, r.policy(g), (_req, res, principal) => json(res, 200, r.body(principal))));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = req.method === 'GET' || req.method === 'HEAD' ? table.get(path) : undefined;
    if (prefixOf(spec) === '' && route) return route(req, res); // at the root: your routes first
    if (auth(req, res, () => undefined)) return;
    if (route) return route(req, res);
    json(res, 404, { error: 'not here' });
  });
  return listening(gNode.answerExpectations(server));
}

export async function startExpress(spec: AppSpec): Promise<Running> {
  const g = spec.gatehouse;
  const app = express();
  const root = prefixOf(spec) === '';
  if (!root) app.use(gExpress.endpoints(g, { prefix: prefixOf(spec) }));
  for (const r of routes(spec)) {
    app.get(r.path, gExpress.protect(g, r.policy(g)), (req, res) => {
      res.json(r.body(gExpress.principalOf(req)));
    });
  }
  if (root) app.use(gExpress.endpoints(g)); // at the root: after your routes
  app.use(gExpress.errorHandler());
  return listening(gExpress.answerExpectations(createServer(app)));
}

export async function startFastify(spec: AppSpec): Promise<Running> {
  const g = spec.gatehouse;
  const app = Fastify();
  // At the root the plugin answers what no route of the application matches, whatever the order.
  await app.register(gFastify.gatehouseFastify, { gatehouse: g, ...(prefixOf(spec) === '' ? {} : { prefix: prefixOf(spec) }) });
  for (const r of routes(spec)) {
    app.get(r.path, { preHandler: gFastify.protect(g, r.policy(g)) }, async (request) => r.body(gFastify.principalOf(request)));
  }
  app.setErrorHandler(gFastify.errorHandler);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server: app.server, close: () => app.close() };
}

export async function startHono(spec: AppSpec): Promise<Running> {
  const g = spec.gatehouse;
  const app = new Hono<gHono.GatehouseEnv>();
  const root = prefixOf(spec) === '';
  if (!root) app.use(gHono.endpoints(g, { prefix: prefixOf(spec) }));
  for (const r of routes(spec)) {
    app.get(r.path, gHono.protect(g, r.policy(g)), (c) => c.json(r.body(c.get('principal')) as object));
  }
  if (root) app.use(gHono.endpoints(g)); // at the root: after your routes
  app.onError(gHono.errorHandler);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        server: server as Server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as Server).closeAllConnections?.();
          }),
      });
    });
    gHono.answerExpectations(server);
  });
}

export function startAdapter(name: AdapterName, spec: AppSpec): Promise<Running> {
  switch (name) {
    case 'node':
      return startNode(spec);
    case 'express':
      return startExpress(spec);
    case 'fastify':
      return startFastify(spec);
    case 'hono':
      return startHono(spec);
  }
}
