/**
 * Notes API on Fastify 5 with Gatehouse.
 *
 *   node --import tsx examples/fastify/server.ts        # http://127.0.0.1:8000
 *
 * In your project: `import { gatehouseFastify, protect, principalOf, permissionContextOf, errorHandler } from 'gatehouse/fastify'`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { NotFound } from '../../src/core/errors.js';
import { errorHandler, gatehouseFastify, permissionContextOf, principalOf, protect } from '../../src/http/fastify/index.js';
import { checkObjectPermissions } from '../../src/permissions/index.js';
import type { Gatehouse } from '../../src/server/app.js';
import { examplePolicies, exampleGatehouse, isMain, NoteStore, noteText, present, register } from '../shared/notes.js';

export async function createApp(gatehouse: Gatehouse): Promise<FastifyInstance> {
  const notes = new NoteStore();
  const policy = examplePolicies(gatehouse);
  const app = Fastify();

  // Token endpoints under /auth: an encapsulated plugin (its raw-body parsing stays inside).
  await app.register(gatehouseFastify, { gatehouse, prefix: '/auth' });
  // Gatehouse errors (403 from the object check, 400, 404) and Fastify's body errors as DRF renders them.
  app.setErrorHandler(errorHandler);

  app.post('/register', { preHandler: protect(gatehouse, policy.register) }, async (request, reply) => {
    return reply.code(201).send(await register(gatehouse, request.body));
  });
  app.get('/notes', { preHandler: protect(gatehouse, policy.authenticated) }, async (request) => {
    return notes.list(principalOf(request)!.user.id).map(present);
  });
  app.post('/notes', { preHandler: protect(gatehouse, policy.authenticated) }, async (request, reply) => {
    return reply.code(201).send(present(notes.create(principalOf(request)!, noteText(request.body))));
  });
  app.get('/notes/export', { preHandler: protect(gatehouse, policy.export) }, async (request) => {
    return { notes: notes.list(principalOf(request)!.user.id).map(present) };
  });
  app.patch<{ Params: { id: string } }>('/notes/:id', { preHandler: protect(gatehouse, policy.authenticated) }, async (request) => {
    const note = notes.get(Number(request.params.id));
    if (!note) throw new NotFound();
    await checkObjectPermissions(permissionContextOf(request), policy.edit, note, policy.authenticators);
    return present(notes.update(note, noteText(request.body)));
  });
  app.get('/admin/notes', { preHandler: protect(gatehouse, policy.admin) }, async () => notes.list().map(present));
  return app;
}

export async function start(options: { port?: number; host?: string; gatehouse?: Gatehouse } = {}): Promise<{ url: string; app: FastifyInstance; close(): Promise<void> }> {
  const gatehouse = options.gatehouse ?? (await exampleGatehouse());
  const app = await createApp(gatehouse);
  await app.listen({ port: options.port ?? 8000, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    app,
    close: () => app.close().then(() => (options.gatehouse ? undefined : gatehouse.close())),
  };
}

if (isMain(import.meta.url)) {
  const { url } = await start({ port: Number(process.env.PORT ?? 8000) });
  console.log(`notes API (Fastify) on ${url}`);
}
