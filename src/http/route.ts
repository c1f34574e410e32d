/**
 * Routes: a path, the handlers per method, and the route's policy (authenticators,
 * permissions, parsers). Framework-free: the endpoints of Gatehouse are routes, and
 * the adapters only carry requests to `Engine.handle` and responses back.
 */
import type { JsonValue } from '../core/errors.js';
import type { Policy, ResponseHeaders } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import type { Principal } from '../core/user.js';
import type { BodyData, MediaParser } from './body.js';

/** What a handler returns. `body: undefined` sends no body (e.g. 204). */
export interface HandlerResult {
  status?: number;
  headers?: ResponseHeaders;
  body?: JsonValue;
  /** A body that is not JSON (`/metrics`), sent as is instead of `body`. */
  text?: { contentType: string; payload: string };
}

/** What a handler receives. */
export interface HandlerContext {
  req: RequestView;
  principal: Principal | null;
  /** Path parameters (`:id` → `params.id`). */
  params: Record<string, string>;
  /** The parsed body (read and parsed on first call; errors are typed). */
  body(): Promise<BodyData>;
  /**
   * Add a `Set-Cookie` line to the response, sent only if the handler then answers
   * (never with an error response); after the handler's own `Set-Cookie` lines.
   */
  setCookie(line: string): void;
}

export type Handler = (ctx: HandlerContext) => Promise<HandlerResult> | HandlerResult;

/** A field shown in `OPTIONS` metadata (DRF's `SimpleMetadata`). */
export interface MetadataField {
  name: string;
  label: string;
  type?: string;
  required?: boolean;
  /** Shown as `read_only: true, required: false` (a response-only field such as `token`). */
  readOnly?: boolean;
}

export interface Route extends Policy {
  /** e.g. `/api/auth/tokens/:id/`; the trailing slash is optional when matching. */
  path: string;
  /** Handlers by upper-case method; GET also answers HEAD. */
  methods: Partial<Record<string, Handler>>;
  /** Body parsers (default: JSON, form and multipart, as DRF). */
  parsers?: readonly MediaParser[];
  /** Answers whatever the `Accept` header says (no 406): a route that renders something other than JSON. */
  anyAccept?: boolean;
  /** Adds `Cache-Control: no-store` (responses that carry credentials). */
  noStore?: boolean;
  /**
   * A challenge used when the route has no authenticators but answers 401 itself
   * (simplejwt's token views override `get_authenticate_header`).
   */
  challenge?: string;
  /** For `OPTIONS`: name, description and the POST fields. */
  name?: string;
  description?: string;
  fields?: readonly MetadataField[];
}
