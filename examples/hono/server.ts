/**
 * Notes API on Hono (served on Node.js by @hono/node-server) with Gatehouse.
 *
 *   node --import tsx examples/hono/server.ts           # http://127.0.0.1:8000
 *
 * In your project: `import { endpoints, protect, permissionContextOf, errorHandler, type GatehouseEnv } from 'gatehouse/hono'`.
 */
import type { Server } from 'node:http';
import { Hono, type Context } from 'hono';
import { serve } from '@hono/node-server';
import { NotFound, ParseError } from '../../src/core/errors.js';
import { endpoints, errorHandler, permissionContextOf, protect, type GatehouseEnv } from '../../src/http/hono/index.js';
import { checkObjectPermissions } from '../../src/permissions/index.js';
import type { Gatehouse } from '../../src/server/app.js';
import { examplePolicies, exampleGatehouse, isMain, NoteStore, noteText, present, register } from '../shared/notes.js';

/** The JSON body, or DRF's 400 for malformed JSON. */
const json = (c: Context): Promise<unknown> =>
  c.req.json().catch((e: unknown) => {
    throw new ParseError(`JSON parse error - ${(e as Error).message}`);
  });

export function createApp(gatehouse: Gatehouse): Hono<GatehouseEnv> {
  const notes = new NoteStore();
  const policy = examplePolicies(gatehouse);
  // GatehouseEnv types `c.get('principal')` as `Principal | null`.
  const app = new Hono<GatehouseEnv>();

  app.use(endpoints(gatehouse, { prefix: '/auth' })); // token endpoints under /auth
  app.onError(errorHandler); // Gatehouse errors (403 from the object check, 400, 404) as DRF renders them

  app.post('/register', protect(gatehouse, policy.register), async (c) => c.json(await register(gatehouse, await json(c)), 201));
  app.get('/notes', protect(gatehouse, policy.authenticated), (c) => c.json(notes.list(c.get('principal')!.user.id).map(present)));
  app.post('/notes', protect(gatehouse, policy.authenticated), async (c) => c.json(present(notes.create(c.get('principal')!, noteText(await json(c)))), 201));
  app.get('/notes/export', protect(gatehouse, policy.export), (c) => c.json({ notes: notes.list(c.get('principal')!.user.id).map(present) }));
  app.patch('/notes/:id', protect(gatehouse, policy.authenticated), async (c) => {
    const note = notes.get(Number(c.req.param('id')));
    if (!note) throw new NotFound();
    await checkObjectPermissions(permissionContextOf(c), policy.edit, note, policy.authenticators);
    return c.json(present(notes.update(note, noteText(await json(c)))));
  });
  app.get('/admin/notes', protect(gatehouse, policy.admin), (c) => c.json(notes.list().map(present)));
  return app;
}

export async function start(options: { port?: number; host?: string; gatehouse?: Gatehouse } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const gatehouse = options.gatehouse ?? (await exampleGatehouse());
  const app = createApp(gatehouse);
  const host = options.host ?? '127.0.0.1';
  let server: Server | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port: options.port ?? 8000, hostname: host }, (info) => resolve(info.port)) as Server;
  });
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeAllConnections();
      }).then(() => (options.gatehouse ? undefined : gatehouse.close())),
  };
}

if (isMain(import.meta.url)) {
  const { url } = await start({ port: Number(process.env.PORT ?? 8000) });
  console.log(`notes API (Hono) on ${url}`);
}
