/**
 * Notes API on Express 5 with Gatehouse.
 *
 *   node --import tsx examples/express/server.ts        # http://127.0.0.1:8000
 *
 * In your project: `import { endpoints, protect, principalOf, permissionContextOf, errorHandler } from 'gatehouse/express'`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { NotFound } from '../../src/core/errors.js';
import { endpoints, errorHandler, permissionContextOf, principalOf, protect } from '../../src/http/express/index.js';
import { checkObjectPermissions } from '../../src/permissions/index.js';
import type { Gatehouse } from '../../src/server/app.js';
import { examplePolicies, exampleGatehouse, isMain, NoteStore, noteText, present, register } from '../shared/notes.js';

export function createApp(gatehouse: Gatehouse): express.Express {
  const notes = new NoteStore();
  const policy = examplePolicies(gatehouse);
  const app = express();

  // Token endpoints under /auth (before express.json(): Gatehouse reads its bodies itself).
  app.use(endpoints(gatehouse, { prefix: '/auth' }));
  app.use(express.json());

  app.post('/register', protect(gatehouse, policy.register), async (req, res) => {
    res.status(201).json(await register(gatehouse, req.body));
  });
  app.get('/notes', protect(gatehouse, policy.authenticated), (req, res) => {
    res.json(notes.list(principalOf(req)!.user.id).map(present));
  });
  app.post('/notes', protect(gatehouse, policy.authenticated), (req, res) => {
    res.status(201).json(present(notes.create(principalOf(req)!, noteText(req.body))));
  });
  app.get('/notes/export', protect(gatehouse, policy.export), (req, res) => {
    res.json({ notes: notes.list(principalOf(req)!.user.id).map(present) });
  });
  app.patch('/notes/:id', protect(gatehouse, policy.authenticated), async (req, res) => {
    const note = notes.get(Number(req.params.id));
    if (!note) throw new NotFound();
    await checkObjectPermissions(permissionContextOf(req), policy.edit, note, policy.authenticators);
    res.json(present(notes.update(note, noteText(req.body))));
  });
  app.get('/admin/notes', protect(gatehouse, policy.admin), (_req, res) => {
    res.json(notes.list().map(present));
  });

  app.use(errorHandler()); // Gatehouse errors (403 from the object check, 400, 404) as DRF renders them
  return app;
}

export async function start(options: { port?: number; host?: string; gatehouse?: Gatehouse } = {}): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const gatehouse = options.gatehouse ?? (await exampleGatehouse());
  const server = createServer(createApp(gatehouse));
  await new Promise<void>((resolve) => server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => (options.gatehouse ? undefined : gatehouse.close())),
  };
}

if (isMain(import.meta.url)) {
  const { url } = await start({ port: Number(process.env.PORT ?? 8000) });
  console.log(`notes API (Express) on ${url}`);
}
