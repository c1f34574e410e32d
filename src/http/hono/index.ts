/**
 * Hono adapter, on the Fetch API (`Request`/`Response`), so it runs wherever Hono runs;
 * on Node.js serve it with `@hono/node-server`. No global augmentation: the principal is
 * a typed context variable for the apps that opt in (`new Hono<GatehouseEnv>()`), and
 * `principalOf(c)` for those that do not.
 *
 *   const app = new Hono<GatehouseEnv>();
 *   app.use(endpoints(gatehouse, { prefix: '/auth' }));
 *   app.get('/notes', protect(gatehouse, { permissions: [IsAuthenticated] }), (c) => c.json({ user: c.get('principal')!.user.username }));
 *   app.onError(errorHandler);   // Gatehouse errors thrown by your routes
 *
 * On `@hono/node-server` the node:http request (`c.env.incoming`) is read as the other adapters
 * read theirs (headers as received, the body from the socket, a refused body lingered);
 * elsewhere the Fetch `Request` is (see `fetchView`).
 */
import type { IncomingMessage } from 'node:http';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { ApiError } from '../../core/errors.js';
import type { CoreResponse } from '../../core/pipeline.js';
import type { RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import {
  answerOf,
  assertMountable,
  fetchBody,
  fetchView,
  hasListHeader,
  incomingBody,
  incomingView,
  mountedPath,
  normalizePrefix,
  pathOf,
  payloadOf,
  RequestSlots,
  resolveGuard,
  runGuard,
  serveEngine,
  toWire,
  type Answer,
  type BodySource,
  type EndpointsApp,
  type GuardSource,
} from '../adapter.js';
import { failureResponse } from '../failure.js';
import type { GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';

/** The context variables `protect` sets: `c.get('principal')`. */
export type GatehouseVariables = { principal: Principal | null };
/** Opt in to typed variables: `new Hono<GatehouseEnv>()` (or merge `GatehouseVariables` into your own `Variables`). */
export type GatehouseEnv = { Variables: GatehouseVariables };

export { answerExpectations } from '../adapter.js';

/** How the client's address is found: the socket peer on Node.js, or your runtime's way. */
export type RemoteAddress = (c: Context) => string;

/** The node:http request under `@hono/node-server` (`c.env.incoming`); undefined elsewhere. */
function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.rawHeaders === 'object' && typeof incoming.on === 'function' ? incoming : undefined;
}

/**
 * With `@hono/node-server` the node:http request is `c.env.incoming`; elsewhere there is no
 * socket to ask, give `remoteAddress` (e.g. Bun/Deno `getConnInfo(c).remote.address`).
 */
export const nodeServerAddress: RemoteAddress = (c) => incomingOf(c)?.socket?.remoteAddress ?? '';

export interface AdapterOptions {
  /** Default: `nodeServerAddress` (the socket of `@hono/node-server`), else ''. */
  remoteAddress?: RemoteAddress;
}

/** The framework-free view of a Hono request; `path` overrides the URL's path. */
export function requestView(c: Context, path?: string, remoteAddress: RemoteAddress = nodeServerAddress): RequestView {
  const raw = c.req.raw;
  const incoming = incomingOf(c);
  if (incoming) return incomingView(incoming, path ?? pathOf(raw.url), raw.method, () => remoteAddress(c));
  return fetchView(raw, path, () => remoteAddress(c));
}

/** The request body: the node:http request's when it is still unread, else the Fetch request's. */
function bodyOf(c: Context): BodySource {
  const incoming = incomingOf(c);
  return incoming && !incoming.readableDidRead && !c.req.raw.bodyUsed ? incomingBody(incoming) : fetchBody(c.req.raw);
}

/** An answer as a Fetch `Response` (HEAD: the headers of GET, no body). */
function respond(answer: Answer): Response {
  const { status, headers } = answer.wire;
  const body = payloadOf(answer) ?? null;
  // Several Set-Cookie lines (cookie mode) arrive as an array: one header line each, never
  // folded. Without one, a plain object keeps @hono/node-server on its fast path.
  if (!hasListHeader(headers)) return new Response(body, { status, headers: headers as Record<string, string> });
  const list = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') list.set(name, value);
    else for (const v of value) list.append(name, v);
  }
  return new Response(body, { status, headers: list });
}

/** A core response as a Fetch `Response` (HEAD: the headers of GET, no body). */
export function toResponse(response: CoreResponse, headOnly = false): Response {
  return respond({ wire: toWire(response), headOnly });
}

const slots = new RequestSlots<Context>('hono');

/** `principalOf(req)`: what `protect` found (null: anonymous); `permissionContextOf(req)`: DRF's `(request, request.user)` for object permissions. */
export const { principalOf, permissionContextOf } = slots.accessors();

/**
 * A middleware running DRF's pipeline for your route: it answers the error itself (401 with
 * the first authenticator's challenge, 403, 429 with `Retry-After`, …) or sets
 * `c.var.principal` (typed through `GatehouseVariables`) and calls `next()`.
 *
 *   app.get('/admin', protect(gatehouse, { permissions: [IsAdminUser] }), handler)
 */
export function protect(source: GuardSource, policy?: GuardPolicy, options: AdapterOptions = {}): MiddlewareHandler<GatehouseEnv> {
  const guard = resolveGuard(source, policy);
  const remoteAddress = options.remoteAddress ?? nodeServerAddress;
  return async (c, next) => {
    const pass = (principal: Principal | null) => {
      c.set('principal', principal);
      return next();
    };
    return runGuard<Context, Response | void>(guard, requestView(c, undefined, remoteAddress), slots, c, pass, respond);
  };
}

export interface EndpointsOptions extends AdapterOptions {
  /** Mount point, e.g. `/auth`: `/auth/api/token/` is the engine's `/api/token/`. Default: none. */
  prefix?: string;
  /** Largest request body (413 beyond); default `settings.http.maxBodySize`. */
  maxBodySize?: number;
}

/**
 * A middleware serving every token endpoint of `app.engine` under `prefix` (`app.use(...)`
 * or `app.all('/auth/*', ...)`); other paths go to `next()`. Every path under the prefix is
 * answered (unknown ones: JSON 404). The body is read from the Fetch request's stream, lazily
 * (after authentication, as DRF), with Gatehouse's limit and its 413/415/400 errors.
 */
export function endpoints(app: EndpointsApp, options: EndpointsOptions = {}): MiddlewareHandler {
  const engine = app.engine;
  const limit = options.maxBodySize ?? app.settings.http.maxBodySize;
  const prefix = normalizePrefix(options.prefix);
  assertMountable(app, prefix);
  const remoteAddress = options.remoteAddress ?? nodeServerAddress;
  return async (c, next) => {
    const path = mountedPath(c.req.raw.url, prefix);
    if (path === null) return next();
    const answer = await serveEngine(engine, requestView(c, path, remoteAddress), bodyOf(c), limit);
    // The client went away mid-body: this answer goes nowhere.
    return answer ? respond(answer) : new Response(null, { status: 499 });
  };
}

/**
 * A Hono `onError` handler: Gatehouse's typed errors thrown by your routes (`PermissionDenied`
 * from an object check, `NotFound`, `ValidationError`, …) are answered as DRF renders them;
 * anything else as Hono's default handler does.
 *
 *   app.onError(errorHandler)
 */
export const errorHandler: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) {
    const view = requestView(c);
    return respond(answerOf(failureResponse(err, view), view));
  }
  if ('getResponse' in err && typeof err.getResponse === 'function') return err.getResponse() as Response;
  console.error(err);
  return c.text('Internal Server Error', 500);
};
