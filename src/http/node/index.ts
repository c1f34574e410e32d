/**
 * node:http adapter: turns an `IncomingMessage` into a `RequestView`, runs the engine or a
 * guard, writes the `CoreResponse`. Thin by design: all behaviour lives in the core.
 *
 *   createServer(endpoints(gatehouse, { prefix: '/auth' }))              // the token endpoints
 *   protect(gatehouse, { permissions: [IsAuthenticated] }, (req, res, principal) => …)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFound, PayloadTooLarge } from '../../core/errors.js';
import type { CoreResponse, PermissionContext } from '../../core/pipeline.js';
import { parseCookies, type RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import { assertMountable, incomingSlots, normalizePrefix, resolveGuard, stderrLogger, stripPrefix, toWire, type EndpointsApp, type GuardFactory, type GuardSource } from '../adapter.js';
import { Engine } from '../engine.js';
import { failureResponse, type EngineLogger } from '../failure.js';
import type { Guard, GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';

/** `RequestView` over node:http's headers (which are already latin-1 strings); cookies parsed on first use. */
class NodeRequestView implements RequestView {
  readonly method: string;
  readonly headers: Record<string, string | undefined>;
  readonly remoteAddress: string;
  #cookies: Record<string, string> | undefined;
  constructor(
    req: IncomingMessage,
    readonly path: string,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.headers = req.headers as Record<string, string | undefined>;
    this.remoteAddress = req.socket.remoteAddress ?? '';
  }
  get cookies(): Record<string, string> {
    return (this.#cookies ??= parseCookies(this.headers.cookie));
  }
}

/**
 * Build the framework-free view of a node:http request (cookies parsed on first use).
 * `path` overrides the request target's path (a mount prefix already stripped).
 */
export function requestView(req: IncomingMessage, path?: string): RequestView {
  if (path === undefined) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    path = q < 0 ? url : url.slice(0, q);
  }
  return new NodeRequestView(req, path);
}

/** Read the whole body, refusing (413) as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readStream(req, req.headers['content-length'], limit);
}

/**
 * Read a node stream to its end, refusing (413) up front when the declared length is over
 * `limit`, or as soon as the bytes are (the rest is discarded, not buffered).
 */
export function readStream(stream: NodeJS.ReadableStream, declaredLength: string | undefined, limit: number): Promise<Buffer> {
  const declared = Number(declaredLength);
  if (declaredLength && Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        stream.off('data', onData);
        stream.resume();
        reject(new PayloadTooLarge(limit));
        return;
      }
      chunks.push(buf);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks, size)));
    stream.once('error', reject);
  });
}

/** Write a core response the node:http way. */
export function writeResponse(res: ServerResponse, response: CoreResponse, headOnly = false): void {
  const wire = toWire(response);
  res.writeHead(wire.status, wire.headers);
  res.end(headOnly ? undefined : wire.payload); // HEAD: GET's headers, Content-Length included, no body
}

/**
 * After the engine answered: discard a body nobody read (without waiting for an oversized
 * one: the connection is closed instead), and close after a 413.
 */
export function settleBody(req: IncomingMessage, res: ServerResponse, response: CoreResponse, bodyRead: boolean, maxBodySize: number): void {
  if (!bodyRead && !req.readableEnded) {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodySize) res.setHeader('Connection', 'close');
    req.resume();
  } else if (response.status === 413) res.setHeader('Connection', 'close');
}

/** Run the engine for one request and write its answer. `readRaw` defaults to reading `req`. */
export function serveEngine(
  engine: Engine,
  view: RequestView,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodySize: number,
  readRaw: () => Promise<Buffer> = () => readBody(req, maxBodySize),
): Promise<void> {
  let bodyRead = false;
  const reader = () => {
    bodyRead = true;
    return readRaw();
  };
  return engine.handle(view, reader).then((response) => {
    settleBody(req, res, response, bodyRead, maxBodySize);
    writeResponse(res, response, view.method === 'HEAD');
  });
}

export interface NodeListenerOptions {
  maxBodySize: number;
}

/** A `(req, res)` listener for `http.createServer` running the engine (no prefix). */
export function nodeListener(engine: Engine, options: NodeListenerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void serveEngine(engine, requestView(req), req, res, options.maxBodySize);
  };
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
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q < 0 ? url : url.slice(0, q);
    const path = stripPrefix(fullPath, prefix);
    if (path === null && next) {
      next();
      return false;
    }
    if (path === null) {
      // Outside the prefix and no `next`: this listener is the whole server.
      req.resume();
      writeResponse(res, failureResponse(new NotFound(), requestView(req, fullPath)), req.method === 'HEAD');
      return true;
    }
    void serveEngine(engine, requestView(req, path), req, res, maxBodySize);
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

/**
 * The principal `protect` found for this request (null: anonymous, allowed by the
 * policy). Throws when the request did not go through `protect`.
 */
export function principalOf(req: IncomingMessage): Principal | null {
  return slots.principal(req);
}

/**
 * DRF's `(request, request.user)` for this request, as object permissions want it:
 * `checkObjectPermissions(permissionContextOf(req), permissions, obj, authenticators)`.
 * Throws when the request did not go through `protect`.
 */
export function permissionContextOf(req: IncomingMessage): PermissionContext {
  return slots.context(req);
}

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
  const fail = (res: ServerResponse, view: RequestView, error: unknown) => {
    if (res.headersSent) {
      logger.error({ path: view.path, method: view.method }, 'handler failed after the response started');
      res.destroy();
      return;
    }
    const response = failureResponse(error, view, { logger });
    if (response.status === 413) res.setHeader('Connection', 'close'); // the rest of the body is not read
    writeResponse(res, response, view.method === 'HEAD');
  };
  const run = (req: IncomingMessage, res: ServerResponse, view: RequestView, principal: Principal | null) => {
    slots.set(req, view, principal);
    try {
      const result = handler(req, res, principal);
      if (result instanceof Promise) result.catch((e: unknown) => fail(res, view, e));
    } catch (e) {
      fail(res, view, e);
    }
  };
  return (req, res) => {
    const view = requestView(req);
    const outcome = guard(view);
    if (outcome instanceof Promise) {
      void outcome.then((o) => (o.ok ? run(req, res, view, o.principal) : writeResponse(res, o.response, view.method === 'HEAD')));
    } else if (outcome.ok) run(req, res, view, outcome.principal);
    else writeResponse(res, outcome.response, view.method === 'HEAD');
  };
}
