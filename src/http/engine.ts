/**
 * The framework-free HTTP engine: match a route, then run DRF's pipeline
 * (content negotiation → authentication → permissions → method → handler) and turn
 * every outcome, including every error, into a JSON response. Nothing thrown here
 * reaches a client as a stack trace.
 */
import type { Authenticator } from '../core/authenticator.js';
import { MethodNotAllowed, NotAcceptable, NotFound, ValidationError } from '../core/errors.js';
import { runPolicy, socketAddress, type ClientAddressResolver, type CoreResponse, type ResponseHeaders } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import { isPromise } from '../core/maybe.js';
import { NotADictionary, parseBody, parserMediaTypes, type BodyData, type MediaParser } from './body.js';
import { isPreflight, type CorsPolicy } from './cors.js';
import { failureResponse, type EngineLogger } from './failure.js';
import type { Handler, HandlerContext, Route } from './route.js';

const DEFAULT_PARSERS: readonly MediaParser[] = ['json', 'form', 'multipart'];
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Reads the request body; rejects with `PayloadTooLarge` past the limit. */
export type BodyReader = () => Promise<Buffer>;

export type { EngineLogger } from './failure.js';

interface CompiledRoute {
  route: Route;
  segments: string[];
  allow: string;
  authenticators: readonly Authenticator[];
  parsers: readonly MediaParser[];
}

const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];
const methodRank = (m: string): number => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);

/** Does the `Accept` header allow `application/json`? (DRF answers 406 before auth.) */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept === '*/*' || accept === 'application/json') return true; // the common cases, without parsing
  for (const item of accept.split(',')) {
    const [range, ...params] = item.split(';');
    const type = (range ?? '').trim().toLowerCase();
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    if (type === '*/*' || type === 'application/*' || type === 'application/json' || type === '') return true;
  }
  return false;
}

/**
 * `headers` with `cookies` added after its own `Set-Cookie` lines (an array travels to
 * the adapter as several lines: `setCookieHeaders`).
 */
function withCookies(headers: ResponseHeaders, cookies: readonly string[]): ResponseHeaders {
  const own = headers['Set-Cookie'];
  const before = own === undefined ? [] : Array.isArray(own) ? own : [own];
  return { ...headers, 'Set-Cookie': [...before, ...cookies] };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** One answered request, as `EngineOptions.observe` sees it (access log, metrics). */
export interface ObservedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The matched route's pattern (`/api/auth/tokens/:id/`), or null when none matched (404). */
  route: string | null;
  status: number;
  /** Milliseconds from the start of `handle` to its answer. */
  ms: number;
  /** The authenticated user's id, when authentication ran and succeeded. */
  userId: number | null;
  /** What the request failed with (an `ApiError`, or anything unexpected), if anything. */
  error: unknown;
}

/** What `observe` needs filled while a request runs. */
interface Observation {
  route: string | null;
  userId: number | null;
  error: unknown;
}

export interface EngineOptions {
  maxBodySize: number;
  /** Told of every answered request (never of its credentials). Must not throw. */
  observe?: (request: ObservedRequest) => void;
  logger?: EngineLogger;
  /** How throttles find the client's address (trusted proxies); default the socket peer. */
  clientAddress?: ClientAddressResolver;
  /** CORS for browsers on other origins (`cors.*`); none: no CORS header is ever sent. */
  cors?: CorsPolicy;
}

/** `/a/b/` and `/a/b` are the same route: strip one trailing slash (not from `/`). */
function normalize(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

export class Engine {
  private readonly routes: CompiledRoute[] = [];
  /** Routes without parameters, by normalized path: one map lookup on the hot path. */
  private readonly exact = new Map<string, CompiledRoute>();

  private readonly clientAddress: ClientAddressResolver;

  constructor(routes: readonly Route[], private readonly options: EngineOptions) {
    this.clientAddress = options.clientAddress ?? socketAddress;
    for (const route of routes) this.add(route);
  }

  /** Register a route. */
  add(route: Route): void {
    const methods = Object.keys(route.methods);
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    methods.push('OPTIONS');
    // DRF lists `Allow` in Django's `http_method_names` order.
    methods.sort((a, b) => methodRank(a) - methodRank(b));
    const compiled: CompiledRoute = {
      route,
      segments: splitPath(route.path),
      allow: methods.join(', '),
      authenticators: route.authenticators ?? [],
      parsers: route.parsers ?? DEFAULT_PARSERS,
    };
    if (compiled.segments.some((seg) => seg.startsWith(':'))) this.routes.push(compiled);
    else this.exact.set(normalize(`/${compiled.segments.join('/')}`), compiled);
  }

  private match(path: string): { compiled: CompiledRoute; params: Record<string, string> } | null {
    const exact = this.exact.get(normalize(path));
    if (exact) return { compiled: exact, params: NO_PARAMS };
    const parts = splitPath(path);
    outer: for (const compiled of this.routes) {
      if (compiled.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const seg = compiled.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(':')) {
          if (!/^\d{1,15}$/.test(part)) continue outer;
          params[seg.slice(1)] = part;
        } else if (seg !== part) continue outer;
      }
      return { compiled, params };
    }
    return null;
  }

  /** Answer one request. Never throws. */
  handle(req: RequestView, readBody: BodyReader): Promise<CoreResponse> {
    const cors = this.options.cors;
    if (cors === undefined) return this.observed(req, readBody);
    if (isPreflight(req)) {
      const found = this.match(req.path);
      if (found) return Promise.resolve(cors.preflight(req, found.compiled.allow));
    }
    return this.observed(req, readBody).then((response) => cors.decorate(req, response));
  }

  /** `answer`, timed and reported to the observer (access log, metrics) when there is one. */
  private observed(req: RequestView, readBody: BodyReader): Promise<CoreResponse> {
    const observe = this.options.observe;
    return observe ? this.answerObserved(req, readBody, observe) : this.answer(req, readBody, null);
  }

  private async answerObserved(req: RequestView, readBody: BodyReader, observe: NonNullable<EngineOptions['observe']>): Promise<CoreResponse> {
    const started = performance.now();
    const seen: Observation = { route: null, userId: null, error: undefined };
    const response = await this.answer(req, readBody, seen);
    try {
      observe({ method: req.method, path: req.path, route: seen.route, status: response.status, ms: performance.now() - started, userId: seen.userId, error: seen.error });
    } catch {
      // An observer's failure (a log destination) never changes the answer.
    }
    return response;
  }

  private async answer(req: RequestView, readBody: BodyReader, seen: Observation | null): Promise<CoreResponse> {
    const found = this.match(req.path);
    if (!found) return failureResponse(new NotFound(), req, { logger: this.options.logger });
    const { compiled, params } = found;
    const { route } = compiled;
    if (seen) seen.route = route.path;
    const baseHeaders: Record<string, string> = { Allow: compiled.allow };
    if (route.noStore) {
      baseHeaders['Cache-Control'] = 'no-store';
      baseHeaders.Pragma = 'no-cache';
    }
    try {
      if (!route.anyAccept && !acceptsJson(req.headers.accept)) throw new NotAcceptable();
      // Awaited only when asynchronous: a cached token costs no promise on the hot path.
      let principal = runPolicy(req, route, this.clientAddress);
      if (isPromise(principal)) principal = await principal;
      const method = req.method === 'HEAD' && !route.methods.HEAD ? 'GET' : req.method;
      let handler: Handler | undefined = route.methods[method];
      if (!handler && method === 'OPTIONS') handler = () => ({ body: this.metadata(route, compiled) });
      if (!handler) throw new MethodNotAllowed(req.method);
      if (seen && principal) seen.userId = principal.user.id;
      let parsed: Promise<BodyData> | undefined;
      const cookies: string[] = [];
      const ctx: HandlerContext = {
        req,
        principal,
        params,
        body: () => (parsed ??= this.readAndParse(req, readBody, compiled.parsers)),
        setCookie: (line) => void cookies.push(line),
      };
      const result = await handler(ctx);
      return {
        status: result.status ?? 200,
        headers: cookies.length === 0 ? { ...baseHeaders, ...result.headers } : withCookies({ ...baseHeaders, ...result.headers }, cookies),
        body: result.body, // for HEAD the adapter sends the headers of this body, not the body
        ...(result.text ? { text: result.text } : {}),
      };
    } catch (error) {
      if (seen) seen.error = error;
      return failureResponse(error, req, { authenticators: compiled.authenticators, baseHeaders, challenge: route.challenge, logger: this.options.logger });
    }
  }

  private async readAndParse(req: RequestView, readBody: BodyReader, parsers: readonly MediaParser[]): Promise<BodyData> {
    const raw = await readBody();
    try {
      return await parseBody(raw, req.headers['content-type'], parsers, this.options.maxBodySize);
    } catch (e) {
      if (e instanceof NotADictionary) throw ValidationError.nonField(e.message);
      throw e;
    }
  }

  /** DRF `SimpleMetadata` for OPTIONS. */
  private metadata(route: Route, compiled: CompiledRoute) {
    const body: Record<string, import('../core/errors.js').JsonValue> = {
      name: route.name ?? '',
      description: route.description ?? '',
      renders: ['application/json'],
      parses: parserMediaTypes(compiled.parsers),
    };
    if (route.fields && route.methods.POST) {
      const post: Record<string, import('../core/errors.js').JsonValue> = {};
      for (const f of route.fields) {
        post[f.name] = { type: f.type ?? 'string', required: f.readOnly ? false : (f.required ?? true), read_only: f.readOnly === true, label: f.label };
      }
      body.actions = { POST: post };
    }
    return body;
  }
}
