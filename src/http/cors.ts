/**
 * CORS for the token endpoints (a single-page application on another origin), as
 * django-cors-headers does it for DRF: an allow-list of exact origins, echoed back one
 * at a time (never `*`, never the request's `Origin` unless it is on the list),
 * preflights answered 204 before authentication, and `Vary: Origin` on every response
 * whose headers depend on the `Origin`. Nothing is allowed unless origins are listed.
 */
import type { CoreResponse, ResponseHeaders } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), compared with the request's serialized `Origin`. */
  allowedOrigins: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). */
  allowCredentials: boolean;
  /** Request headers a preflight allows (`Access-Control-Allow-Headers`). */
  allowedHeaders: readonly string[];
  /** Response headers scripts may read besides the safelisted ones (`Access-Control-Expose-Headers`). */
  exposedHeaders: readonly string[];
  /** How long a browser may cache a preflight, in milliseconds (`Access-Control-Max-Age`, in seconds). */
  maxAge: number;
}

/** Is this request a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)? */
export function isPreflight(req: RequestView): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

/** `Vary` of `headers` with `Origin` added (once). */
function varyOrigin(headers: ResponseHeaders): string {
  const vary = headers.Vary;
  const existing = vary === undefined ? '' : Array.isArray(vary) ? vary.join(', ') : vary;
  if (existing === '') return 'Origin';
  if (existing.split(',').some((v) => v.trim().toLowerCase() === 'origin' || v.trim() === '*')) return existing;
  return `${existing}, Origin`;
}

export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly allowHeaders: string;
  private readonly exposeHeaders: string;
  private readonly maxAgeSeconds: string;

  constructor(private readonly options: CorsOptions) {
    this.origins = new Set(options.allowedOrigins.map((o) => new URL(o).origin));
    this.allowHeaders = [...new Set(options.allowedHeaders)].join(', ');
    this.exposeHeaders = [...new Set(options.exposedHeaders)].join(', ');
    this.maxAgeSeconds = String(Math.floor(options.maxAge / 1000));
  }

  /** The request's `Origin` when it is allowed, else null (absent, `null`, or not listed). */
  allowedOrigin(req: RequestView): string | null {
    const origin = req.headers.origin;
    return origin !== undefined && this.origins.has(origin) ? origin : null;
  }

  /** The headers every CORS response to an allowed origin carries. */
  private originHeaders(origin: string): Record<string, string> {
    const headers: Record<string, string> = { 'Access-Control-Allow-Origin': origin };
    if (this.options.allowCredentials) headers['Access-Control-Allow-Credentials'] = 'true';
    return headers;
  }

  /**
   * The answer to a preflight for a route allowing `allow` (its `Allow` list): 204, with
   * the CORS headers only for an allowed origin. Authentication does not run (a browser
   * sends no credentials with a preflight).
   */
  preflight(req: RequestView, allow: string): CoreResponse {
    const origin = this.allowedOrigin(req);
    const headers: Record<string, string> = { Vary: 'Origin' };
    if (origin !== null) {
      Object.assign(headers, this.originHeaders(origin), { 'Access-Control-Allow-Methods': allow, 'Access-Control-Max-Age': this.maxAgeSeconds });
      if (this.allowHeaders !== '') headers['Access-Control-Allow-Headers'] = this.allowHeaders;
    }
    return { status: 204, headers, body: undefined };
  }

  /** An actual (non-preflight) response with `Vary: Origin` and, for an allowed origin, the CORS headers. */
  decorate(req: RequestView, response: CoreResponse): CoreResponse {
    const headers: ResponseHeaders = { ...response.headers, Vary: varyOrigin(response.headers) };
    const origin = this.allowedOrigin(req);
    if (origin !== null) {
      Object.assign(headers, this.originHeaders(origin));
      if (this.exposeHeaders !== '') headers['Access-Control-Expose-Headers'] = this.exposeHeaders;
    }
    return { ...response, headers };
  }
}
