/**
 * Express 5 adapter. Express's `Request`/`Response` are node:http's `IncomingMessage`/
 * `ServerResponse`, so the conversion is node:http's; only the middleware shape and the
 * mount path differ. No global type augmentation: the principal is read with
 * `principalOf(req)`.
 *
 *   app.use(endpoints(gatehouse, { prefix: '/auth' }));      // before express.json()
 *   app.get('/notes', protect(gatehouse, { permissions: [IsAuthenticated] }), (req, res) => {
 *     res.json({ user: principalOf(req)!.user.username });
 *   });
 *   app.use(errorHandler());                                  // Gatehouse errors thrown by your routes
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, ParseError, PayloadTooLarge, UnsupportedMediaType } from '../../core/errors.js';
import { isPromise } from '../../core/maybe.js';
import type { RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import {
  answerOf,
  assertMountable,
  incomingBody,
  incomingSlots,
  incomingView,
  mountedPath,
  normalizePrefix,
  pathOf,
  readBody,
  resolveGuard,
  runGuard,
  serveEngine,
  writeAnswer,
  type EndpointsApp,
  type GuardSource,
} from '../adapter.js';
import { mediaType } from '../body.js';
import { failureResponse } from '../failure.js';
import type { GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';
export { answerExpectations } from '../adapter.js';

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;
/**
 * A middleware in node:http types: Express 5's `Request` and `Response` extend them, so it
 * fits `app.use` and route handler lists without requiring `@types/express`.
 */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;
export type ErrorMiddleware = (err: unknown, req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/** The request's full path: `originalUrl` (Express keeps it when a router strips its mount path). */
function fullView(req: IncomingMessage): RequestView {
  return incomingView(req, pathOf((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/'));
}

/** `principalOf(req)`: what `protect` found (null: anonymous); `permissionContextOf(req)`: DRF's `(request, request.user)` for object permissions. */
export const { principalOf, permissionContextOf } = incomingSlots.accessors();

/**
 * A middleware running DRF's pipeline for your route: it answers the error itself
 * (401 with the first authenticator's challenge, 403, 429 with `Retry-After`, …) or
 * calls `next()` with the principal stored for `principalOf(req)`.
 *
 *   protect(gatehouse, { permissions: [IsAdminUser], throttles: [...] })
 *   protect(gatehouse.guard({ ... }))
 */
export function protect(source: GuardSource, policy?: GuardPolicy): Middleware {
  const guard = resolveGuard(source, policy);
  return (req, res, next) => {
    const view = fullView(req);
    const done = runGuard(guard, view, incomingSlots, req, () => next(), (answer) => writeAnswer(res, answer));
    if (isPromise(done)) done.catch(next);
  };
}

export interface EndpointsOptions {
  /**
   * Mount point, e.g. `/auth`. Relative to where the middleware is mounted:
   * `app.use(endpoints(g, { prefix: '/auth' }))` and `app.use('/auth', endpoints(g))` are the same.
   */
  prefix?: string;
  /** Largest request body (413 beyond); default `settings.http.maxBodySize`. */
  maxBodySize?: number;
}

/** The body a body parser (express.json(), .urlencoded(), .raw(), .text()) left in `req.body`, as bytes again. */
function reserialize(req: IncomingMessage): Buffer {
  const body = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = mediaType(req.headers['content-type']);
  if (body !== null && typeof body === 'object') {
    if (type === 'application/json') return Buffer.from(JSON.stringify(body), 'utf8');
    if (type === 'application/x-www-form-urlencoded' && Object.values(body).every((v) => typeof v === 'string')) {
      return Buffer.from(new URLSearchParams(body as Record<string, string>).toString(), 'utf8');
    }
  }
  throw new Error(
    'gatehouse/express: the request body was already consumed by another middleware and cannot be recovered; ' +
      'mount endpoints() before express.json() / express.urlencoded() (or on its own path)',
  );
}

/**
 * A middleware serving every token endpoint of `app.engine` under `prefix`; other paths
 * go to `next()`. Every path under the prefix is answered (unknown ones: JSON 404).
 *
 * It reads the raw body itself, with Gatehouse's limit and errors (413, 415, 400), so mount
 * it before any body parser. If a parser already ran, `req.body` is serialised back
 * (JSON, flat forms, raw/text) — the parser's own limits and errors then apply first
 * (`errorHandler()` renders them as DRF would).
 */
export function endpoints(app: EndpointsApp, options: EndpointsOptions = {}): Middleware {
  const engine = app.engine;
  const maxBodySize = options.maxBodySize ?? app.settings.http.maxBodySize;
  const prefix = normalizePrefix(options.prefix);
  const mountError = mountChecker(app, prefix);
  return (req, res, next) => {
    const path = mountedPath(req.url ?? '/', prefix);
    if (path === null) return next();
    const refused = mountError((req as { baseUrl?: string }).baseUrl ?? '');
    if (refused) return next(refused);
    const consumed = req.readableEnded || req.readableDidRead;
    const read = consumed
      ? async (limit: number) => {
          const raw = reserialize(req);
          if (raw.length > limit) throw new PayloadTooLarge(limit);
          return raw;
        }
      : (limit: number) => readBody(req, limit);
    serveEngine(engine, incomingView(req, path), incomingBody(req, read), maxBodySize).then((answer) => answer && writeAnswer(res, answer), next);
  };
}

/**
 * The cookie-mode mount check (the refresh cookie's path must reach the refresh and
 * logout endpoints as the browser sees them). Express strips the path of
 * `app.use('/auth', endpoints(g))` before the middleware runs, so the full mount is
 * `req.baseUrl` + `prefix`, known at the first request. Mounting throws at once when no
 * outer path could make `cookies.refreshPath` fit (it does not end with
 * `<prefix>/api/token/`); otherwise each outer path is checked once, on its first
 * request, and a wrong one is passed to `next(error)` with the setting to change.
 */
function mountChecker(app: EndpointsApp, prefix: string): (base: string) => Error | undefined {
  const refreshPath = app.settings.cookies?.refreshPath;
  const outer = refreshPath?.endsWith(`${prefix}/api/token/`) ? refreshPath.slice(0, -`${prefix}/api/token/`.length) : null;
  if (outer === null || outer === '') assertMountable(app, prefix);
  const checked = new Map<string, Error | undefined>();
  return (base) => {
    if (!checked.has(base)) {
      try {
        assertMountable(app, base + prefix);
        checked.set(base, undefined);
      } catch (e) {
        checked.set(base, e as Error);
      }
    }
    return checked.get(base);
  };
}

/** body-parser's errors (from express.json() & co. mounted before Gatehouse) as DRF's. */
function bodyParserError(err: unknown, req: IncomingMessage): ApiError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { type?: unknown; limit?: unknown; message?: unknown };
  switch (e.type) {
    case 'entity.parse.failed':
      return new ParseError(`JSON parse error - ${String(e.message)}`);
    case 'entity.too.large':
      return new PayloadTooLarge(typeof e.limit === 'number' ? e.limit : 0);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaType((req.headers['content-type'] ?? '').trim());
    default:
      return null;
  }
}

/**
 * An Express error middleware (mount it last): Gatehouse's typed errors thrown by your
 * routes (`PermissionDenied` from an object check, `NotFound`, `ValidationError`,
 * `Throttled`, …) and body-parser's errors are answered as DRF renders them; anything
 * else goes on to the next error handler.
 */
export function errorHandler(): ErrorMiddleware {
  return (err, req, res, next) => {
    const apiError = err instanceof ApiError ? err : bodyParserError(err, req);
    if (!apiError || res.headersSent) return next(err);
    const view = fullView(req);
    writeAnswer(res, answerOf(failureResponse(apiError, view), view));
  };
}
