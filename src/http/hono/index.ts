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
 * Header values are taken from the Fetch `Headers` as they are: Web headers are ByteStrings
 * (one char per byte), exactly the latin-1 convention of `RequestView`. Duplicate headers
 * come joined with ", " (node:http keeps the first `Authorization`), which Gatehouse's
 * authenticators reject as malformed either way.
 */
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { ApiError } from '../../core/errors.js';
import type { CoreResponse, PermissionContext } from '../../core/pipeline.js';
import { parseCookies, type RequestView } from '../../core/request.js';
import type { Principal } from '../../core/user.js';
import { assertMountable, normalizePrefix, RequestSlots, readWebBody, resolveGuard, stripPrefix, toWire, type EndpointsApp, type GuardSource } from '../adapter.js';
import { failureResponse } from '../failure.js';
import type { GuardPolicy } from '../guard.js';

export type { GuardFactory, GuardSource, EndpointsApp } from '../adapter.js';

/** The context variables `protect` sets: `c.get('principal')`. */
export type GatehouseVariables = { principal: Principal | null };
/** Opt in to typed variables: `new Hono<GatehouseEnv>()` (or merge `GatehouseVariables` into your own `Variables`). */
export type GatehouseEnv = { Variables: GatehouseVariables };

/** How the client's address is found: the socket peer on Node.js, or your runtime's way. */
export type RemoteAddress = (c: Context) => string;

/**
 * With `@hono/node-server` the node:http request is `c.env.incoming`; elsewhere there is no
 * socket to ask, give `remoteAddress` (e.g. Bun/Deno `getConnInfo(c).remote.address`).
 */
export const nodeServerAddress: RemoteAddress = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? '';
};

export interface AdapterOptions {
  /** Default: `nodeServerAddress` (the socket of `@hono/node-server`), else ''. */
  remoteAddress?: RemoteAddress;
}

/** The path of `http://host/a/b?c` → `/a/b`, not decoded (as node:http gives it). */
function rawPath(url: string): string {
  const start = url.indexOf('/', url.indexOf(':') + 3);
  if (start < 0) return '/';
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch === 63 /* ? */ || ch === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

/** `RequestView.headers` over Fetch `Headers`: lower-case names, read lazily. */
function headerRecord(headers: Headers): Record<string, string | undefined> {
  const get = (name: string | symbol): string | undefined => {
    if (typeof name !== 'string') return undefined;
    try {
      return headers.get(name) ?? undefined;
    } catch {
      return undefined; // not a valid header name
    }
  };
  return new Proxy(Object.create(null) as Record<string, string | undefined>, {
    get: (_t, name) => get(name),
    has: (_t, name) => get(name) !== undefined,
    ownKeys: () => [...headers.keys()],
    getOwnPropertyDescriptor: (_t, name) => {
      const value = get(name);
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
  });
}

/** `RequestView` over a Hono context: headers, cookies and address read on first use (getters on the prototype: one object per request). */
class HonoRequestView implements RequestView {
  readonly method: string;
  readonly path: string;
  #headers: Record<string, string | undefined> | undefined;
  #cookies: Record<string, string> | undefined;
  #address: string | undefined;
  constructor(
    private readonly c: Context,
    path: string | undefined,
    private readonly resolveAddress: RemoteAddress,
  ) {
    const raw = c.req.raw;
    this.method = raw.method.toUpperCase();
    this.path = path ?? rawPath(raw.url);
  }
  get headers(): Record<string, string | undefined> {
    return (this.#headers ??= headerRecord(this.c.req.raw.headers));
  }
  get cookies(): Record<string, string> {
    return (this.#cookies ??= parseCookies(this.c.req.raw.headers.get('cookie') ?? undefined));
  }
  get remoteAddress(): string {
    return (this.#address ??= this.resolveAddress(this.c));
  }
}

/** The framework-free view of a Hono request; `path` overrides the URL's path. */
export function requestView(c: Context, path?: string, remoteAddress: RemoteAddress = nodeServerAddress): RequestView {
  return new HonoRequestView(c, path, remoteAddress);
}

/** A core response as a Fetch `Response` (HEAD: the headers of GET, no body). */
export function toResponse(response: CoreResponse, headOnly = false): Response {
  const wire = toWire(response);
  const body = headOnly ? null : (wire.payload ?? null);
  const all = wire.headers as Record<string, string | string[]>;
  // Several Set-Cookie lines (cookie mode) arrive as an array: one header line each, never
  // folded. Without one, a plain object keeps @hono/node-server on its fast path.
  let multi = false;
  for (const name in all) if (Array.isArray(all[name])) multi = true;
  if (!multi) return new Response(body, { status: wire.status, headers: wire.headers });
  const headers = new Headers();
  for (const [name, value] of Object.entries(all)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return new Response(body, { status: wire.status, headers });
}

const slots = new RequestSlots<Context>('hono');

/**
 * The principal `protect` found for this request (null: anonymous, allowed by the policy).
 * Throws when the request did not go through `protect`.
 */
export function principalOf(c: Context): Principal | null {
  return slots.principal(c);
}

/**
 * DRF's `(request, request.user)` for this request, as object permissions want it:
 * `checkObjectPermissions(permissionContextOf(c), permissions, obj, authenticators)`.
 * Throws when the request did not go through `protect`.
 */
export function permissionContextOf(c: Context): PermissionContext {
  return slots.context(c);
}

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
    const view = requestView(c, undefined, remoteAddress);
    let outcome = guard(view);
    if (outcome instanceof Promise) outcome = await outcome;
    if (!outcome.ok) return toResponse(outcome.response, view.method === 'HEAD');
    slots.set(c, view, outcome.principal);
    c.set('principal', outcome.principal);
    await next();
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
    const raw = c.req.raw;
    const path = stripPrefix(rawPath(raw.url), prefix);
    if (path === null) return next();
    const view = requestView(c, path, remoteAddress);
    let bodyRead = false;
    const read = () => {
      bodyRead = true;
      return readWebBody(raw.body, raw.headers.get('content-length'), limit);
    };
    const response = await engine.handle(view, read);
    if (response.status === 413 || (!bodyRead && Number(raw.headers.get('content-length')) > limit)) {
      response.headers = { ...response.headers, Connection: 'close' }; // a refused body may still be arriving
    }
    return toResponse(response, view.method === 'HEAD');
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
  if (err instanceof ApiError) return toResponse(failureResponse(err, requestView(c)), c.req.method === 'HEAD');
  if ('getResponse' in err && typeof err.getResponse === 'function') return err.getResponse() as Response;
  console.error(err);
  return c.text('Internal Server Error', 500);
};
