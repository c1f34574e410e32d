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
import { parseCookies, type RequestView } from '../../core/request.js';
import type { CoreResponse, PermissionContext } from '../../core/pipeline.js';
import type { Principal } from '../../core/user.js';
import { assertMountable, pathOf, RequestSlots, resolveGuard, stripPrefix, toWire, type EndpointsApp, type GuardSource } from '../adapter.js';
import { failureResponse } from '../failure.js';
import type { GuardPolicy } from '../guard.js';
import { readStream } from '../node/index.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';

/** `RequestView` over a Fastify request (its node:http headers); cookies parsed on first use. */
class FastifyRequestView implements RequestView {
  readonly method: string;
  readonly headers: Record<string, string | undefined>;
  readonly remoteAddress: string;
  #cookies: Record<string, string> | undefined;
  constructor(
    request: FastifyRequest,
    readonly path: string,
  ) {
    const raw = request.raw;
    this.method = request.method.toUpperCase();
    this.headers = raw.headers as Record<string, string | undefined>;
    // The socket peer: Gatehouse's own `http.trustedProxies` decide about X-Forwarded-For.
    this.remoteAddress = raw.socket.remoteAddress ?? '';
  }
  get cookies(): Record<string, string> {
    return (this.#cookies ??= parseCookies(this.headers.cookie));
  }
}

/** The framework-free view of a Fastify request; `path` overrides the URL's path. */
export function requestView(request: FastifyRequest, path?: string): RequestView {
  return new FastifyRequestView(request, path ?? pathOf(request.url));
}

/** Send a core response through Fastify's reply (its hooks, e.g. CORS headers, still apply). */
export function sendResponse(reply: FastifyReply, response: CoreResponse): FastifyReply {
  const wire = toWire(response);
  reply.code(wire.status).headers(wire.headers);
  // A Buffer is sent as it is (a JSON string would get `; charset=utf-8` appended, which DRF
  // does not send). For HEAD node:http drops the payload; Content-Length stays.
  return reply.send(wire.payload === undefined ? undefined : Buffer.from(wire.payload, 'utf8'));
}

const slots = new RequestSlots<FastifyRequest>('fastify');

/**
 * The principal `protect` found for this request (null: anonymous, allowed by the policy).
 * Throws when the request did not go through `protect`.
 */
export function principalOf(request: FastifyRequest): Principal | null {
  return slots.principal(request);
}

/**
 * DRF's `(request, request.user)` for this request, as object permissions want it:
 * `checkObjectPermissions(permissionContextOf(request), permissions, obj, authenticators)`.
 * Throws when the request did not go through `protect`.
 */
export function permissionContextOf(request: FastifyRequest): PermissionContext {
  return slots.context(request);
}

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
    const view = requestView(request);
    const outcome = guard(view);
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => {
          if (!o.ok) return void sendResponse(reply, o.response);
          slots.set(request, view, o.principal);
          done();
        },
        (e: unknown) => done(e as Error),
      );
      return;
    }
    if (!outcome.ok) return void sendResponse(reply, outcome.response);
    slots.set(request, view, outcome.principal);
    done();
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
  return sendResponse(reply, failureResponse(apiError, requestView(request)));
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
    reply.header('connection', 'close'); // a refused body may still be arriving
    // Any other error here is unexpected (the engine never throws): 503, logged.
    return sendResponse(reply, failureResponse(fastifyBodyError(error, request, limit) ?? error, view, { logger: request.log }));
  });

  function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const view = viewOf(request);
    let bodyRead = false;
    const read = () => {
      bodyRead = true;
      return readStream(payloads.get(request) ?? request.raw, request.headers['content-length'], limit);
    };
    return engine.handle(view, read).then((response) => {
      const raw = request.raw;
      if (!bodyRead && !raw.readableEnded) {
        const declared = Number(raw.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) reply.header('connection', 'close');
        raw.resume();
      } else if (response.status === 413) reply.header('connection', 'close');
      return sendResponse(reply, response);
    });
  }
  const methods = [...instance.supportedMethods];
  instance.route({ method: methods, url: '/', handler, exposeHeadRoute: false });
  instance.route({ method: methods, url: '/*', handler, exposeHeadRoute: false });
  done();
};
