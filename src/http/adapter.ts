/**
 * What every framework adapter shares, so that each stays a thin converter: how a
 * `protect(...)` argument becomes a guard, how a `CoreResponse` becomes status + headers
 * + payload, mount prefixes, the per-request principal slot, and reading a body with a
 * limit from a Web stream. No framework is imported here.
 */
import type { IncomingMessage } from 'node:http';
import { PayloadTooLarge } from '../core/errors.js';
import { renderJson } from '../core/json.js';
import type { CoreResponse, PermissionContext } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { Engine } from './engine.js';
import type { EngineLogger } from './failure.js';
import type { Guard, GuardPolicy } from './guard.js';

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

/** What the token endpoints are mounted from: the `Gatehouse` object fits. */
export interface EndpointsApp {
  engine: Engine;
  settings: { http: { maxBodySize: number } };
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

/** Headers every Gatehouse response carries (Django's security middleware defaults). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
});

/** A core response as it goes on the wire: final headers (Content-Type/Length included) and the JSON text. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  /** undefined: no body (204, or a body-less response). */
  payload: string | undefined;
}

/** Render a core response once, the same way for every adapter. */
export function toWire(response: CoreResponse): WireResponse {
  const headers: Record<string, string> = { ...COMMON_HEADERS, ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    payload = renderJson(response.body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  } else if (response.status !== 204 && response.status !== 304) {
    headers['Content-Length'] = '0';
  }
  return { status: response.status, headers, payload };
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

/** The path of a request target (`/a/b?x=1` → `/a/b`). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
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
}

/** The slots of node:http requests, shared by the node and Express adapters (Express's requests are node's). */
export const incomingSlots = new RequestSlots<IncomingMessage>('node, gatehouse/express');

/** Read a Web `ReadableStream` body, refusing (413) once it exceeds `limit` bytes. */
export async function readWebBody(body: ReadableStream<Uint8Array> | null, declaredLength: string | null | undefined, limit: number): Promise<Buffer> {
  const declared = Number(declaredLength);
  if (declaredLength && Number.isFinite(declared) && declared > limit) throw new PayloadTooLarge(limit);
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => undefined);
      throw new PayloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** Where an adapter reports errors thrown by the application's own handlers. */
export const stderrLogger: EngineLogger = {
  warn: (obj, msg) => console.warn(`gatehouse: ${msg}`, obj),
  error: (obj, msg) => console.error(`gatehouse: ${msg}`, obj),
};
