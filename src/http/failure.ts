/**
 * Any failure → its response: `ApiError`s as DRF renders them (401-vs-403 from the first
 * authenticator), a full hashing queue and everything unexpected (a failing store, a
 * bug) as 503 with `Retry-After`, logged without the request's credentials. Shared by
 * the engine and by guards, so every adapter answers errors the same way.
 */
import type { Authenticator } from '../core/authenticator.js';
import { ApiError, ServiceUnavailable } from '../core/errors.js';
import { errorResponse, type CoreResponse } from '../core/pipeline.js';
import type { RequestView } from '../core/request.js';
import { PasswordHasherBusy } from '../passwords/index.js';

/** Where failures are reported (a pino logger fits). */
export interface EngineLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FailureOptions {
  authenticators?: readonly Authenticator[];
  /** Headers every response of the route carries (`Allow`, `Cache-Control`). */
  baseHeaders?: Record<string, string>;
  /** Challenge for a route without authenticators that still answers 401 (simplejwt's views). */
  challenge?: string | undefined;
  logger?: EngineLogger | undefined;
}

function describe(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'unknown', message: String(error) };
}

export function failureResponse(error: unknown, req: RequestView, options: FailureOptions = {}): CoreResponse {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if (error instanceof PasswordHasherBusy) {
    options.logger?.warn({ path: req.path }, 'password hashing queue full');
    apiError = new ServiceUnavailable(1);
  } else {
    options.logger?.error({ err: describe(error), path: req.path, method: req.method }, 'request failed');
    apiError = new ServiceUnavailable(1);
  }
  const authenticators = options.authenticators ?? [];
  const challenge = options.challenge;
  const challengers: readonly Authenticator[] =
    authenticators.length === 0 && challenge ? [{ name: 'route', authenticate: () => null, challenge: () => challenge }] : authenticators;
  const res = errorResponse(apiError, req, challengers);
  res.headers = { ...options.baseHeaders, ...res.headers };
  return res;
}
