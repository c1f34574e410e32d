/**
 * Notes API on plain node:http with Gatehouse (no framework: a small route table).
 *
 *   node --import tsx examples/node/server.ts           # http://127.0.0.1:8000
 *
 * In your project: `import { endpoints, protect, permissionContextOf, readBody } from 'gatehouse/node'`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotFound, ParseError } from '../../src/core/errors.js';
import { endpoints, permissionContextOf, protect, readBody } from '../../src/http/node/index.js';
import { checkObjectPermissions } from '../../src/permissions/index.js';
import type { Gatehouse } from '../../src/server/app.js';
import { examplePolicies, exampleGatehouse, isMain, NoteStore, noteText, present, register } from '../shared/notes.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function createApp(gatehouse: Gatehouse): Listener {
  const notes = new NoteStore();
  const policy = examplePolicies(gatehouse);
  const limit = gatehouse.settings.http.maxBodySize;
  /** The JSON body (Gatehouse's reader: 413 over the limit), or DRF's 400. */
  const json = async (req: IncomingMessage): Promise<unknown> => {
    const raw = await readBody(req, limit);
    try {
      return raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch (e) {
      throw new ParseError(`JSON parse error - ${(e as Error).message}`);
    }
  };
  const pathOf = (req: IncomingMessage) => (req.url ?? '/').split('?', 1)[0]!;

  // `protect` answers the policy's refusals, and the Gatehouse errors a handler throws, as DRF does.
  const routes: Array<[method: string, pattern: RegExp, listener: Listener]> = [
    ['POST', /^\/register$/, protect(gatehouse, policy.register, async (req, res) => sendJson(res, 201, await register(gatehouse, await json(req))))],
    ['GET', /^\/notes$/, protect(gatehouse, policy.authenticated, (_req, res, principal) => sendJson(res, 200, notes.list(principal!.user.id).map(present)))],
    ['POST', /^\/notes$/, protect(gatehouse, policy.authenticated, async (req, res, principal) => sendJson(res, 201, present(notes.create(principal!, noteText(await json(req))))))],
    ['GET', /^\/notes\/export$/, protect(gatehouse, policy.export, (_req, res, principal) => sendJson(res, 200, { notes: notes.list(principal!.user.id).map(present) }))],
    [
      'PATCH',
      /^\/notes\/\d{1,9}$/,
      protect(gatehouse, policy.authenticated, async (req, res) => {
        const note = notes.get(Number(pathOf(req).split('/')[2]));
        if (!note) throw new NotFound();
        await checkObjectPermissions(permissionContextOf(req), policy.edit, note, policy.authenticators);
        sendJson(res, 200, present(notes.update(note, noteText(await json(req)))));
      }),
    ],
    ['GET', /^\/admin\/notes$/, protect(gatehouse, policy.admin, (_req, res) => sendJson(res, 200, notes.list().map(present)))],
  ];

  const auth = endpoints(gatehouse, { prefix: '/auth' }); // token endpoints under /auth
  return (req, res) => {
    if (auth(req, res, () => undefined)) return;
    const path = pathOf(req);
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (route) return route[2](req, res);
    sendJson(res, 404, { detail: 'Not found.' });
  };
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
  console.log(`notes API (node:http) on ${url}`);
}
