/**
 * Everything the four framework adapters share, so that each one only converts its
 * framework's request → `RequestView` and `CoreResponse` → its framework's response:
 *
 * - request views (headers, cookies and the client address read on first use), and the
 *   refusal of a credential presented twice (`Authorization` twice, a cookie twice);
 * - paths: query stripping, mount prefixes;
 * - bodies: reading with a limit (node streams and Web streams), a client that goes away
 *   mid-body (quiet, nothing written), and what happens to an unread or refused body
 *   (discarded; after a refusal the connection closes once the client has read the answer);
 * - responses: one rendering (`toWire`), HEAD, `Set-Cookie` lines as arrays, writing on
 *   node:http's `ServerResponse`, JSON 417 for an `Expect` Node would answer bare;
 * - `protect()`: resolving its argument, running the guard, the per-request principal slot.
 *
 * No framework is imported here; node:http is, as three of the four run on it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AuthenticationFailed, DetailError, PayloadTooLarge, type ApiError } from '../core/errors.js';
import { renderJson } from '../core/json.js';
import { then, type MaybePromise } from '../core/maybe.js';
import type { CoreResponse, PermissionContext, ResponseHeaders } from '../core/pipeline.js';
import { parseCookies, type RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { BodyReader, Engine } from './engine.js';
import { failureResponse, type EngineLogger } from './failure.js';
import type { Guard, GuardPolicy } from './guard.js';

// ---------------------------------------------------------------- protect(): the guard

/** Something that makes guards from a policy: the `Gatehouse` object (`app.guard(policy)`). */
export interface GuardFactory {
  guard(policy?: GuardPolicy): Guard;
}

/** What `protect(...)` accepts: a ready guard, or the application plus a policy. */
export type GuardSource = Guard | GuardFactory;

/** `protect(guard)` or `protect(app, policy)` → the guard. */
export function resolveGuard(source: GuardSource, policy?: GuardPolicy): Guard {
  if (typeof source === 'function') {
    if (policy !== undefined) throw new TypeError('protect(guard, policy): a guard already has its policy; pass the application to protect(app, policy)');
    return source;
  }
  if (source && typeof source.guard === 'function') return source.guard(policy);
  throw new TypeError('protect(): expected a guard (app.guard(policy)) or the Gatehouse application');
}

/**
 * What `protect()` found for a request — the principal and the request's view, i.e. DRF's
 * `(request, request.user)` for object permissions — kept beside the framework's request
 * object (never on it, never in a global type).
 */
export class RequestSlots<K extends object> {
  private readonly map = new WeakMap<K, PermissionContext>();
  constructor(private readonly adapter: string) {}
  set(key: K, req: RequestView, principal: Principal | null): void {
    this.map.set(key, { req, principal });
  }
  /** The permission context (`checkObjectPermissions(ctx, …)`); throws when `protect()` did not run. */
  context(key: K): PermissionContext {
    const ctx = this.map.get(key);
    if (ctx === undefined) {
      throw new Error(`gatehouse/${this.adapter}: principalOf() was called for a request that protect() did not let through (is the route protected?)`);
    }
    return ctx;
  }
  /** The principal (null: anonymous, allowed by the policy); throws when `protect()` did not run. */
  principal(key: K): Principal | null {
    return this.context(key).principal;
  }
  /** The two functions every adapter exports over its slots. */
  accessors(): SlotAccessors<K> {
    return { principalOf: (key) => this.principal(key), permissionContextOf: (key) => this.context(key) };
  }
}

export interface SlotAccessors<K> {
  /**
   * The principal `protect` found for this request (null: anonymous, allowed by the policy).
   * Throws when the request did not go through `protect`.
   */
  principalOf(request: K): Principal | null;
  /**
   * DRF's `(request, request.user)` for this request, as object permissions want it:
   * `checkObjectPermissions(permissionContextOf(request), permissions, obj, authenticators)`.
   * Throws when the request did not go through `protect`.
   */
  permissionContextOf(request: K): PermissionContext;
}

/**
 * Run `guard` on `view`: when it lets the request through, the principal is stored in
 * `slots` under `key` and `pass` runs; otherwise `refuse` gets the answer to write.
 */
export function runGuard<K extends object, R>(
  guard: Guard,
  view: RequestView,
  slots: RequestSlots<K>,
  key: K,
  pass: (principal: Principal | null) => MaybePromise<R>,
  refuse: (answer: Answer) => MaybePromise<R>,
): MaybePromise<R> {
  return then(guard(view), (outcome) => {
    if (!outcome.ok) return refuse(answerOf(outcome.response, view));
    slots.set(key, view, outcome.principal);
    return pass(outcome.principal);
  });
}

/** The slots of node:http requests, shared by the node and Express adapters (Express's requests are node's). */
export const incomingSlots = new RequestSlots<IncomingMessage>('node, gatehouse/express');

// ---------------------------------------------------------------- mounting

/** What the token endpoints are mounted from: the `Gatehouse` object fits. */
export interface EndpointsApp {
  engine: Engine;
  settings: { http: { maxBodySize: number }; cookies?: { refreshPath: string } };
  /** Cookie mode, when on: it may refuse a mount prefix (the refresh cookie's path must reach it). */
  cookies?: { mountProblems(prefix: string): string[] } | undefined;
}

/**
 * Refuse to mount the token endpoints under `prefix` when cookie mode could not work
 * there (the browser would never send the refresh cookie to the refresh endpoint), with
 * the setting to change. A bare `Engine` has no cookie mode.
 */
export function assertMountable(source: object, prefix: string): void {
  const cookies = (source as Partial<EndpointsApp>).cookies;
  const problems = cookies ? cookies.mountProblems(prefix) : [];
  if (problems.length > 0) throw new TypeError(`cannot mount the token endpoints under "${prefix || '/'}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/**
 * Normalise a mount prefix: `''` (none) or `/a/b` (leading slash, no trailing slash).
 * Throws on a prefix that is not a path.
 */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (!prefix.startsWith('/') || /[?#\s]/.test(prefix)) throw new TypeError(`prefix "${prefix}" must be a path starting with "/"`);
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** `/auth/api/me/` under `/auth` → `/api/me/`; `/auth` → `/`; outside the prefix → null. */
export function stripPrefix(path: string, prefix: string): string | null {
  if (prefix === '') return path;
  if (!path.startsWith(prefix)) return null;
  if (path.length === prefix.length) return '/';
  return path.charCodeAt(prefix.length) === 47 /* / */ ? path.slice(prefix.length) : null;
}

/** The path of a request target (`/a/b?x=1` → `/a/b`), or of an absolute URL (`http://h/a/b?x` → `/a/b`); not decoded. */
export function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const scheme = target.indexOf('://');
    if (scheme >= 0) {
      start = target.indexOf('/', scheme + 3);
      if (start < 0) return '/';
    }
  }
  let end = target.length;
  for (let i = start; i < target.length; i++) {
    const ch = target.charCodeAt(i);
    if (ch === 63 /* ? */ || ch === 35 /* # */) {
      end = i;
      break;
    }
  }
  return start === 0 && end === target.length ? target : target.slice(start, end);
}

/** The path of a request target under `prefix`, prefix stripped (null: outside it). */
export function mountedPath(target: string, prefix: string): string | null {
  return stripPrefix(pathOf(target), prefix);
}

// ---------------------------------------------------------------- request views

/** `Authorization` sent on several header lines: refused, never one of them picked. */
export const REPEATED_AUTHORIZATION = 'Invalid token header. The Authorization header was sent more than once.';

/** A cookie sent twice under one name (e.g. one tossed in from a sibling subdomain): refused, never one of them picked. */
export function repeatedCookie(name: string): AuthenticationFailed {
  return new AuthenticationFailed(`Invalid cookie. The cookie "${name}" was sent more than once.`, undefined, 'repeated_cookie');
}

/** `record` with a getter throwing `error` for `name`: whoever reads that credential gets the refusal (401/403 from its route). */
function refusing<T extends object>(record: T, name: string, error: () => ApiError): T {
  return Object.defineProperty(record, name, {
    get: () => {
      throw error();
    },
    enumerable: true,
    configurable: true,
  });
}

/** Header names (lower case) counted in `lines` (`[name, value, name, value, …]`, as node's `rawHeaders`). */
function countLines(lines: readonly string[], lowerName: string): number {
  let n = 0;
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) n++;
  }
  return n;
}

/**
 * The headers a view shows: `headers` as they are, unless `Authorization` came on several
 * lines (node:http keeps only the first): then reading it throws.
 */
function guardedHeaders(headers: Record<string, string | undefined>, lines: readonly string[] | undefined): Record<string, string | undefined> {
  if (lines === undefined || countLines(lines, 'authorization') < 2) return headers;
  return refusing({ ...headers }, 'authorization', () => new AuthenticationFailed(REPEATED_AUTHORIZATION, undefined, 'bad_authorization_header'));
}

/** The `Cookie` header as a map; a name that appears twice throws when read. */
function cookieMap(header: string | undefined): Record<string, string> {
  const cookies = parseCookies(header);
  if (header === undefined || !header.includes(';')) return cookies;
  const seen = new Set<string>();
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (name === '') continue;
    if (seen.has(name)) refusing(cookies, name, () => repeatedCookie(name));
    seen.add(name);
  }
  return cookies;
}

/** The `RequestView` every adapter builds: method and path given, the rest read on first use. */
abstract class LazyView implements RequestView {
  #headers: Record<string, string | undefined> | undefined;
  #cookies: Record<string, string> | undefined;
  #address: string | undefined;
  readonly method: string;
  constructor(
    method: string,
    readonly path: string,
  ) {
    this.method = method.toUpperCase();
  }
  /** Header names in lower case, values latin-1 strings. */
  protected abstract headerRecord(): Record<string, string | undefined>;
  /** The header lines as received, when the server keeps them (`rawHeaders`). */
  protected abstract headerLines(): readonly string[] | undefined;
  protected abstract address(): string;
  get headers(): Record<string, string | undefined> {
    return (this.#headers ??= guardedHeaders(this.headerRecord(), this.headerLines()));
  }
  get cookies(): Record<string, string> {
    return (this.#cookies ??= cookieMap(this.headers.cookie));
  }
  get remoteAddress(): string {
    return (this.#address ??= this.address());
  }
}

/** A view of a node:http request (node, Express, Fastify, Hono on `@hono/node-server`). */
class IncomingView extends LazyView {
  constructor(
    private readonly req: IncomingMessage,
    path: string,
    method: string,
    private readonly addressOf: ((req: IncomingMessage) => string) | undefined,
  ) {
    super(method, path);
  }
  protected headerRecord(): Record<string, string | undefined> {
    return this.req.headers as Record<string, string | undefined>;
  }
  protected headerLines(): readonly string[] {
    return this.req.rawHeaders;
  }
  protected address(): string {
    // The socket peer: Gatehouse's own `http.trustedProxies` decide about X-Forwarded-For.
    return this.addressOf ? this.addressOf(this.req) : (this.req.socket.remoteAddress ?? '');
  }
}

/**
 * The view of a node:http request. `path` defaults to the request target's (query
 * stripped); `remoteAddress` to the socket peer.
 */
export function incomingView(req: IncomingMessage, path?: string, method?: string, remoteAddress?: (req: IncomingMessage) => string): RequestView {
  return new IncomingView(req, path ?? pathOf(req.url ?? '/'), method ?? req.method ?? 'GET', remoteAddress);
}

/** `RequestView.headers` over Fetch `Headers`: lower-case names, read lazily. */
function fetchHeaderRecord(headers: Headers): Record<string, string | undefined> {
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

/**
 * A view of a Fetch `Request` (Hono off Node.js). Web headers are ByteStrings (one char per
 * byte), the latin-1 convention of `RequestView`. Repeated lines arrive joined with ", "
 * and cannot be counted: an `Authorization` joined so is refused as malformed by
 * Gatehouse's authenticators (it has more than two words).
 */
class FetchView extends LazyView {
  constructor(
    private readonly request: Request,
    path: string,
    private readonly addressOf: () => string,
  ) {
    super(request.method, path);
  }
  protected headerRecord(): Record<string, string | undefined> {
    return fetchHeaderRecord(this.request.headers);
  }
  protected headerLines(): undefined {
    return undefined;
  }
  protected address(): string {
    return this.addressOf();
  }
}

/** The view of a Fetch `Request`; `path` defaults to its URL's (query stripped, not decoded). */
export function fetchView(request: Request, path: string | undefined, remoteAddress: () => string): RequestView {
  return new FetchView(request, path ?? pathOf(request.url), remoteAddress);
}

// ---------------------------------------------------------------- bodies

/** The client closed the connection before its body arrived: nothing is logged, nothing written. */
export class ClientGone extends DetailError {
  readonly status = 499;
  readonly code = 'client_closed_request';
  constructor() {
    super('Client closed the request.');
  }
}

function declaredTooLarge(declaredLength: string | null | undefined, limit: number): boolean {
  const declared = Number(declaredLength);
  return !!declaredLength && Number.isFinite(declared) && declared > limit;
}

/**
 * Read a node stream to its end, refusing (413) up front when the declared length is over
 * `limit`, or as soon as the bytes are (nothing more is buffered; what follows is the
 * caller's to discard). A stream that fails or closes before its end → `ClientGone`.
 */
export function readStream(stream: NodeJS.ReadableStream, declaredLength: string | undefined, limit: number): Promise<Buffer> {
  if (declaredTooLarge(declaredLength, limit)) return Promise.reject(new PayloadTooLarge(limit));
  const readable = stream as NodeJS.ReadableStream & { destroyed?: boolean; readableEnded?: boolean };
  if (readable.destroyed && !readable.readableEnded) return Promise.reject(new ClientGone()); // closed before anyone listened
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: unknown) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onGone);
      stream.off('close', onGone);
      if (error) reject(error);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        stream.pause();
        stop(new PayloadTooLarge(limit));
      } else chunks.push(buf);
    };
    const onEnd = () => {
      stop(null);
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = () => stop(new ClientGone());
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onGone);
    stream.once('close', onGone);
  });
}

/** Read a node:http request's body with a limit (413 beyond it). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readStream(req, req.headers['content-length'], limit);
}

/** How long, and how many bytes, a refused body is still read and thrown away so the client can read the answer (nginx's lingering close). */
export const LINGER_MS = 5_000;
export const LINGER_BYTES = 64 * 1024 * 1024;

/** Read a Web `ReadableStream` to its end and throw it away, at most `LINGER_BYTES` / `LINGER_MS`. */
async function discardWeb(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = Date.now() + LINGER_MS;
  let left = LINGER_BYTES;
  try {
    while (left > 0 && Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.byteLength;
    }
  } catch {
    return; // the client is gone: nothing left to discard
  }
  await reader.cancel().catch(() => undefined);
}

/** Read a Web `ReadableStream` body, refusing (413) once it exceeds `limit` bytes; a stream that fails → `ClientGone`. */
export async function readWebBody(body: ReadableStream<Uint8Array> | null, declaredLength: string | null | undefined, limit: number): Promise<Buffer> {
  if (declaredTooLarge(declaredLength, limit)) throw new PayloadTooLarge(limit);
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read().catch(() => {
      throw new ClientGone();
    });
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > limit) {
      void discardWeb(reader);
      throw new PayloadTooLarge(limit);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks, size);
}

const lingering = new WeakSet<Socket>();

/**
 * After a refusal whose body is still arriving (413, 417): the answer says
 * `Connection: close`, and Node closes the socket as soon as the answer is written — with
 * unread bytes in the socket, that close is a reset, and a client still writing its body
 * never reads the answer. So, as nginx and Go do, the rest of the body is read and thrown
 * away (at most `LINGER_BYTES`, `LINGER_MS`), the connection is half-closed after the
 * answer, and closed once the body has ended.
 */
export function lingerAfterRefusal(req: IncomingMessage): void {
  const socket = req.socket as Socket | null;
  if (!socket || socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  let bodyDone = req.complete || req.readableEnded;
  let written = false;
  let left = LINGER_BYTES;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  const ended = () => {
    bodyDone = true;
    if (written) close();
  };
  if (!bodyDone) {
    req.on('data', (chunk: Buffer) => {
      left -= chunk.length;
      if (left < 0) close();
    });
    req.once('end', ended);
    req.once('error', close);
    req.resume();
  }
  socket.once('close', () => clearTimeout(timer));
  // Node calls destroySoon() once a `Connection: close` answer is written: half-close instead.
  socket.destroySoon = function lingeringClose(this: Socket) {
    written = true;
    this.end();
    if (bodyDone) close();
  };
}

// ---------------------------------------------------------------- responses

/** Headers every Gatehouse response carries (Django's security middleware defaults). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
});

/** Response header values: a string, or one line each for `Set-Cookie` (never folded, RFC 6265 §3). */
export type WireHeaders = ResponseHeaders;

/** A core response as it goes on the wire: final headers (Content-Type/Length included) and the JSON text. */
export interface WireResponse {
  status: number;
  headers: WireHeaders;
  /** undefined: no body (204, or a body-less response). */
  payload: string | undefined;
}

/** Render a core response once, the same way for every adapter. */
export function toWire(response: CoreResponse): WireResponse {
  const headers: WireHeaders = { ...COMMON_HEADERS, ...response.headers };
  let payload: string | undefined;
  if (response.text !== undefined) {
    payload = response.text.payload;
    headers['Content-Type'] = response.text.contentType;
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  } else if (response.body !== undefined) {
    payload = renderJson(response.body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  } else if (response.status !== 204 && response.status !== 304) {
    headers['Content-Length'] = '0';
  }
  return { status: response.status, headers, payload };
}

/** What an adapter writes: the wire response; for HEAD, its headers without the payload. */
export interface Answer {
  wire: WireResponse;
  /** HEAD: GET's headers, `Content-Length` included, no body. */
  headOnly: boolean;
}

/** The answer to `view` for a core response. */
export function answerOf(response: CoreResponse, view: RequestView): Answer {
  return { wire: toWire(response), headOnly: view.method === 'HEAD' };
}

/** The payload to send: none for HEAD or a body-less response. */
export function payloadOf(answer: Answer): string | undefined {
  return answer.headOnly ? undefined : answer.wire.payload;
}

/** Is any header value a list (several `Set-Cookie` lines)? */
export function hasListHeader(headers: WireHeaders): boolean {
  for (const name in headers) if (Array.isArray(headers[name])) return true;
  return false;
}

/** Write an answer on node:http's `ServerResponse` (node, Express). */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.wire.status, answer.wire.headers);
  res.end(payloadOf(answer));
}

// ---------------------------------------------------------------- serving the engine

/** A request's body as the engine reads it, and what is done with it once the engine has answered. */
export interface BodySource {
  /** The bytes (limited), for the engine; rejects with `PayloadTooLarge` or `ClientGone`. */
  read(limit: number): Promise<Buffer>;
  /** The declared `Content-Length`, if any. */
  readonly declaredLength: string | null | undefined;
  /** Still arriving, unread (the engine did not ask for it, or refused it): thrown away; `linger` after a refusal. */
  discard(linger: boolean): void;
}

/** The body of a node:http request. */
export function incomingBody(req: IncomingMessage, read: (limit: number) => Promise<Buffer> = (limit) => readBody(req, limit)): BodySource {
  return {
    read,
    declaredLength: req.headers['content-length'],
    discard(linger) {
      if (linger) lingerAfterRefusal(req);
      else if (!req.readableEnded) req.resume();
    },
  };
}

/** The body of a Fetch `Request` (off Node.js: the runtime closes the connection as it sees fit). */
export function fetchBody(request: Request): BodySource {
  return {
    read: (limit) => readWebBody(request.body, request.headers.get('content-length'), limit),
    declaredLength: request.headers.get('content-length'),
    discard: () => undefined,
  };
}

/**
 * Run the engine for one request. The answer to write, or null when the client went away
 * mid-body (nothing to write, nothing logged). A refused body (413), or an unread one
 * declared over the limit, closes the connection after the answer (`lingerAfterRefusal`);
 * any other unread body is discarded and the connection kept.
 */
export async function serveEngine(engine: Engine, view: RequestView, body: BodySource, limit: number): Promise<Answer | null> {
  let read: Promise<Buffer> | undefined;
  const reader: BodyReader = () => (read ??= body.read(limit));
  const response = await engine.handle(view, reader);
  const failure = read === undefined ? null : await read.then(() => null, (e: unknown) => e);
  if (failure instanceof ClientGone) return null;
  const refused = response.status === 413 || (read === undefined && declaredTooLarge(body.declaredLength, limit));
  if (refused) response.headers = { ...response.headers, Connection: 'close' };
  body.discard(refused);
  return answerOf(response, view);
}

/**
 * An error thrown by the application's handler behind `protect()` (node) → the answer to
 * write, or null when the client is gone. A Gatehouse error is answered as DRF renders it;
 * anything else is logged and answered 503. A 413 (the handler read too much) closes the
 * connection after the answer.
 */
export function handlerFailure(error: unknown, view: RequestView, req: IncomingMessage, logger: EngineLogger): Answer | null {
  if (error instanceof ClientGone) return null;
  const response = failureResponse(error, view, { logger });
  if (response.status === 413) {
    response.headers = { ...response.headers, Connection: 'close' };
    lingerAfterRefusal(req);
  }
  return answerOf(response, view);
}

// ---------------------------------------------------------------- Expect

/** `Expect` with anything but `100-continue` (417). */
export class ExpectationFailed extends DetailError {
  readonly status = 417;
  readonly code = 'expectation_failed';
  constructor() {
    super('Expectation failed: only "Expect: 100-continue" is supported.');
  }
}

const answering = new WeakSet<object>();

/**
 * Answer a request with an `Expect` other than `100-continue` with a JSON 417, as every
 * other error, instead of Node's bare one (`checkExpectation`). Call it once on the
 * node:http server (`gatehouse serve` and the Fastify plugin do; `serve()` of
 * `@hono/node-server` returns one); returns the server.
 */
export function answerExpectations<S extends NodeJS.EventEmitter>(server: S): S {
  if (answering.has(server)) return server;
  answering.add(server);
  (server as NodeJS.EventEmitter as Server).on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const view = incomingView(req);
    const response = failureResponse(new ExpectationFailed(), view);
    response.headers = { ...response.headers, Connection: 'close' };
    lingerAfterRefusal(req);
    writeAnswer(res, answerOf(response, view));
  });
  return server;
}

// ---------------------------------------------------------------- logging

/** Where an adapter reports errors thrown by the application's own handlers. */
export const stderrLogger: EngineLogger = {
  warn: (obj, msg) => console.warn(`gatehouse: ${msg}`, obj),
  error: (obj, msg) => console.error(`gatehouse: ${msg}`, obj),
};
