/**
 * node:http adapter: turns an `IncomingMessage` into a `RequestView`, runs the engine or a
 * guard, writes the `CoreResponse`. Plumbing only: what the adapters share is in
 * `../adapter.ts`, all behaviour in the core.
 *
 *   const server = createServer(endpoints(gatehouse, { prefix: '/auth' }));   // the token endpoints
 *   answerExpectations(server);                                               // JSON 417 for an unknown `Expect`
 *   protect(gatehouse, { permissions: [IsAuthenticated] }, (req, res, principal) => …)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFound } from '../../core/errors.js';
import { isPromise } from '../../core/maybe.js';
import type { CoreResponse } from '../../core/pipeline.js';
import type { RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import {
  answerOf,
  assertMountable,
  handlerFailure,
  incomingBody,
  incomingView,
  mountedPath,
  normalizePrefix,
  pathOf,
  incomingSlots,
  resolveGuard,
  runGuard,
  serveEngine,
  stderrLogger,
  toWire,
  writeAnswer,
  type Answer,
  type EndpointsApp,
  type GuardFactory,
  type GuardSource,
} from '../adapter.js';
import { Engine } from '../engine.js';
import { failureResponse, type EngineLogger } from '../failure.js';
import type { Guard, GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';
export { answerExpectations, readBody } from '../adapter.js';

/**
 * The framework-free view of a node:http request (headers, cookies, address read on first
 * use). `path` overrides the request target's path (a mount prefix already stripped).
 */
export function requestView(req: IncomingMessage, path?: string): RequestView {
  return incomingView(req, path);
}

/** Write a core response the node:http way (HEAD: GET's headers, no body). */
export function writeResponse(res: ServerResponse, response: CoreResponse, headOnly = false): void {
  writeAnswer(res, { wire: toWire(response), headOnly });
}

/** Write what the engine answered; nothing when the client went away. */
function write(res: ServerResponse, answer: Answer | null): void {
  if (answer) writeAnswer(res, answer);
}

function serve(engine: Engine, req: IncomingMessage, res: ServerResponse, path: string, maxBodySize: number): void {
  void serveEngine(engine, incomingView(req, path), incomingBody(req), maxBodySize).then((answer) => write(res, answer));
}

export interface NodeListenerOptions {
  maxBodySize: number;
}

/** A `(req, res)` listener for `http.createServer` running the engine (no prefix). */
export function nodeListener(engine: Engine, options: NodeListenerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => serve(engine, req, res, pathOf(req.url ?? '/'), options.maxBodySize);
}

export interface EndpointsOptions {
  /** Mount point, e.g. `/auth`: `/auth/api/token/` is the engine's `/api/token/`. Default: none. */
  prefix?: string;
  /** Largest request body (413 beyond); default `settings.http.maxBodySize` of the application. */
  maxBodySize?: number;
}

/**
 * A node:http listener (also a connect-style middleware) for the token endpoints.
 * Returns true when it answered. A path outside `prefix` is passed to `next` when one is
 * given and returns false; without `next` (the listener is the whole server) it gets
 * Gatehouse's JSON 404. Every path under the prefix is answered by the engine (unknown
 * ones with a JSON 404).
 */
export type EndpointsListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => boolean;

/** Mount every token endpoint of `app.engine` (or of a bare `Engine`, then `maxBodySize` is required). */
export function endpoints(source: Engine | EndpointsApp, options: EndpointsOptions = {}): EndpointsListener {
  const engine = source instanceof Engine ? source : source.engine;
  const maxBodySize = options.maxBodySize ?? (source instanceof Engine ? undefined : source.settings.http.maxBodySize);
  if (maxBodySize === undefined) throw new TypeError('endpoints(engine, options): maxBodySize is required with a bare Engine');
  const prefix = normalizePrefix(options.prefix);
  assertMountable(source, prefix);
  return (req, res, next) => {
    const path = mountedPath(req.url ?? '/', prefix);
    if (path === null && next) {
      next();
      return false;
    }
    if (path === null) {
      // Outside the prefix and no `next`: this listener is the whole server.
      const view = incomingView(req);
      incomingBody(req).discard(false);
      writeAnswer(res, answerOf(failureResponse(new NotFound(), view), view));
      return true;
    }
    serve(engine, req, res, path, maxBodySize);
    return true;
  };
}

/** Your handler behind `protect`: it runs only when the policy let the request through. */
export type ProtectedHandler = (req: IncomingMessage, res: ServerResponse, principal: Principal | null) => unknown;

export interface ProtectOptions {
  /** Where errors thrown by `handler` (other than Gatehouse's typed errors) are logged; default stderr. */
  logger?: EngineLogger;
}

const slots = incomingSlots;

/** `principalOf(req)`: what `protect` found (null: anonymous); `permissionContextOf(req)`: DRF's `(request, request.user)` for object permissions. */
export const { principalOf, permissionContextOf } = slots.accessors();

/**
 * Protect a node:http handler: run the guard (authenticators → permissions → throttles)
 * and answer DRF's error response, or call `handler(req, res, principal)`. A Gatehouse
 * error thrown by the handler (`PermissionDenied`, `NotFound`, `ValidationError`, …) is
 * answered as DRF renders it; anything else is logged and answered 503.
 *
 *   protect(app.guard({ permissions: [IsAdminUser] }), handler)
 *   protect(app, { permissions: [IsAdminUser] }, handler)
 */
export function protect(guard: Guard, handler: ProtectedHandler, options?: ProtectOptions): (req: IncomingMessage, res: ServerResponse) => void;
export function protect(app: GuardFactory, policy: GuardPolicy, handler: ProtectedHandler, options?: ProtectOptions): (req: IncomingMessage, res: ServerResponse) => void;
export function protect(
  source: GuardSource,
  a: GuardPolicy | ProtectedHandler,
  b?: ProtectedHandler | ProtectOptions,
  c?: ProtectOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const byGuard = typeof source === 'function';
  const guard = byGuard ? resolveGuard(source, typeof a === 'function' ? undefined : (a as GuardPolicy)) : resolveGuard(source, a as GuardPolicy);
  const handler = (byGuard ? a : b) as ProtectedHandler;
  if (typeof handler !== 'function') throw new TypeError('protect(): the handler must be a function');
  const logger = ((byGuard ? b : c) as ProtectOptions | undefined)?.logger ?? stderrLogger;
  const fail = (req: IncomingMessage, res: ServerResponse, view: RequestView, error: unknown) => {
    if (res.headersSent) {
      logger.error({ path: view.path, method: view.method }, 'handler failed after the response started');
      res.destroy();
      return;
    }
    write(res, handlerFailure(error, view, req, logger));
  };
  const run = (req: IncomingMessage, res: ServerResponse, view: RequestView, principal: Principal | null) => {
    try {
      const result = handler(req, res, principal);
      if (isPromise(result)) result.catch((e: unknown) => fail(req, res, view, e));
    } catch (e) {
      fail(req, res, view, e);
    }
  };
  return (req, res) => {
    const view = incomingView(req);
    const done = runGuard(guard, view, slots, req, (principal) => run(req, res, view, principal), (answer) => writeAnswer(res, answer));
    if (isPromise(done)) done.catch((e: unknown) => fail(req, res, view, e));
  };
}
