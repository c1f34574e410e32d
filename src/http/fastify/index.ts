/**
 * Fastify 5 adapter: a plugin serving the token endpoints under its register prefix, and a
 * `preHandler` protecting your own routes. The plugin is encapsulated: its raw-body
 * content-type parser and its error handler apply to the token endpoints only. No
 * `declare module 'fastify'` augmentation: the principal is read with `principalOf(request)`.
 *
 *   await fastify.register(gatehouseFastify, { gatehouse, prefix: '/auth' });
 *   fastify.get('/notes', { preHandler: protect(gatehouse, { permissions: [IsAuthenticated] }) }, (request) => {
 *     return { user: principalOf(request)!.user.username };
 *   });
 *   fastify.setErrorHandler(errorHandler);   // optional: Gatehouse errors thrown by your routes
 */
import type { FastifyError, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError, ParseError, PayloadTooLarge, UnsupportedMediaType } from '../../core/errors.js';
import { isPromise } from '../../core/maybe.js';
import type { CoreResponse } from '../../core/pipeline.js';
import type { RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import {
  answerExpectations,
  answerOf,
  assertMountable,
  incomingBody,
  incomingView,
  pathOf,
  payloadOf,
  readStream,
  RequestSlots,
  resolveGuard,
  runGuard,
  serveEngine,
  stripPrefix,
  toWire,
  type Answer,
  type EndpointsApp,
  type GuardSource,
} from '../adapter.js';
import { failureResponse } from '../failure.js';
import type { GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';

/** The framework-free view of a Fastify request (its node:http request); `path` overrides the URL's path. */
export function requestView(request: FastifyRequest, path?: string): RequestView {
  return incomingView(request.raw, path ?? pathOf(request.url), request.method);
}

/** Send an answer through Fastify's reply (its hooks, e.g. CORS headers, still apply). */
function send(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.wire.status).headers(answer.wire.headers);
  // A Buffer is sent as it is (a JSON string would get `; charset=utf-8` appended, which DRF
  // does not send). For HEAD node:http drops the payload; Content-Length stays.
  const payload = payloadOf(answer);
  return reply.send(payload === undefined ? undefined : Buffer.from(payload, 'utf8'));
}

/** Send a core response through Fastify's reply. */
export function sendResponse(reply: FastifyReply, response: CoreResponse): FastifyReply {
  return send(reply, { wire: toWire(response), headOnly: false });
}

const slots = new RequestSlots<FastifyRequest>('fastify');

/** `principalOf(req)`: what `protect` found (null: anonymous); `permissionContextOf(req)`: DRF's `(request, request.user)` for object permissions. */
export const { principalOf, permissionContextOf } = slots.accessors();

/** A `preHandler` hook in Fastify's callback style (no promise on the cached hot path). */
export type ProtectHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * A `preHandler` running DRF's pipeline for your route: it answers the error itself (401 with
 * the first authenticator's challenge, 403, 429 with `Retry-After`, …) or lets the handler
 * run with the principal stored for `principalOf(request)`.
 *
 *   fastify.get('/admin', { preHandler: protect(gatehouse, { permissions: [IsAdminUser] }) }, handler)
 */
export function protect(source: GuardSource, policy?: GuardPolicy): ProtectHook {
  const guard = resolveGuard(source, policy);
  return (request, reply, done) => {
    const pending = runGuard(guard, requestView(request), slots, request, () => done(), (answer) => void send(reply, answer));
    if (isPromise(pending)) pending.catch((e: unknown) => done(e as Error));
  };
}

/**
 * Fastify's own body errors (its content-type parsers: 413, 415, malformed or empty JSON) as
 * the DRF-shaped errors Gatehouse answers elsewhere; null for any other error.
 */
function fastifyBodyError(err: unknown, request: FastifyRequest, limit: number | undefined): ApiError | null {
  if (err instanceof ApiError) return err;
  if (typeof err !== 'object' || err === null) return null;
  const error = err as Partial<FastifyError>;
  const contentType = () => (request.headers['content-type'] ?? '').trim();
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge(limit ?? request.routeOptions.bodyLimit ?? 0);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(contentType());
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ParseError(`JSON parse error - ${error.message ?? ''}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ParseError(error.message);
    default:
      return null;
  }
}

/**
 * A Fastify error handler for your routes: Gatehouse's typed errors (`PermissionDenied` from
 * an object check, `NotFound`, `ValidationError`, …) and Fastify's body-parser errors (413,
 * 415, malformed JSON) are answered as DRF renders them; anything else is re-thrown to
 * Fastify's default handling.
 *
 *   fastify.setErrorHandler(errorHandler)
 */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = fastifyBodyError(error, request, undefined);
  if (!apiError) throw error;
  const view = requestView(request);
  return send(reply, answerOf(failureResponse(apiError, view), view));
}

export interface GatehouseFastifyOptions {
  /** The application (`createGatehouse(...)`): its `engine` serves the endpoints. */
  gatehouse: EndpointsApp;
  /** Largest request body (413 beyond); default `settings.http.maxBodySize`. */
  maxBodySize?: number;
}

/**
 * The token endpoints as an encapsulated Fastify plugin; mount it under a prefix with
 * Fastify's own `prefix` register option. Every path under the prefix, every method, is
 * answered by Gatehouse (unknown paths: JSON 404). Bodies are read raw by Gatehouse, lazily
 * (after authentication, as DRF), with its own 413/415/400 errors; Fastify's body parsers
 * and error responses do not apply inside the plugin.
 */
export const gatehouseFastify: FastifyPluginCallback<GatehouseFastifyOptions> = (instance: FastifyInstance, options, done) => {
  const { engine } = options.gatehouse;
  const limit = options.maxBodySize ?? options.gatehouse.settings.http.maxBodySize;
  const prefix = instance.prefix;
  try {
    assertMountable(options.gatehouse, prefix);
  } catch (e) {
    done(e as Error);
    return;
  }
  answerExpectations(instance.server);
  const payloads = new WeakMap<FastifyRequest, NodeJS.ReadableStream>();

  const viewOf = (request: FastifyRequest): RequestView => {
    const full = pathOf(request.url);
    // A route matched case-insensitively or with duplicate slashes: cut by length.
    const path = stripPrefix(full, prefix) ?? (full.slice(prefix.length) || '/');
    return requestView(request, path.startsWith('/') ? path : `/${path}`);
  };

  // Keep the body unread: Gatehouse reads it when (and if) the endpoint needs it.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (request, payload, parsed) => {
    payloads.set(request, payload);
    parsed(null, undefined);
  });
  instance.setErrorHandler((error, request, reply) => {
    // Fastify refuses a malformed Content-Type (415) before any parser runs; Gatehouse decides
    // later, after authentication (DRF's order), from the still unread body.
    if ((error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && !request.raw.readableDidRead) return handler(request, reply);
    const view = viewOf(request);
    // Any other error here is unexpected (the engine never throws): 503, logged.
    const response = failureResponse(fastifyBodyError(error, request, limit) ?? error, view, { logger: request.log });
    response.headers = { ...response.headers, Connection: 'close' }; // a refused body may still be arriving
    incomingBody(request.raw).discard(true);
    return send(reply, answerOf(response, view));
  });

  function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = request.raw;
    const body = incomingBody(raw, (max) => readStream(payloads.get(request) ?? raw, raw.headers['content-length'], max));
    return serveEngine(engine, viewOf(request), body, limit).then((answer) => (answer ? send(reply, answer) : reply.hijack()));
  }
  const methods = [...instance.supportedMethods];
  instance.route({ method: methods, url: '/', handler, exposeHeadRoute: false });
  instance.route({ method: methods, url: '/*', handler, exposeHeadRoute: false });
  done();
};
