/**
 * Typed API errors and their DRF wire form.
 *
 * Every failure a client can see is one of these classes. Each knows its HTTP
 * status and renders the exact JSON body DRF / simplejwt / knox send for the
 * same situation (`{"detail": ...}`, optional `code`, field-error maps). The
 * 401-vs-403 decision for authentication errors is not made here but in
 * `toErrorResponse` (pipeline.ts), from the route's first authenticator, as DRF does.
 */

import { ExpectedError } from './expected-error.js';

/** A JSON value as it goes on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export abstract class ApiError extends ExpectedError {
  abstract readonly status: number;
  /** DRF's machine code for the error (`not_authenticated`, `parse_error`, …). */
  abstract readonly code: string;
  /** Extra response headers (e.g. `Retry-After`). */
  headers(): Record<string, string> {
    return {};
  }
  /** The JSON body, exactly as DRF renders it. */
  abstract body(): JsonValue;
}

/** An error whose body is `{"detail": message}` plus optional extra keys. */
export abstract class DetailError extends ApiError {
  constructor(
    readonly detail: string,
    /** Keys added after `detail` (simplejwt adds `code`, `messages`). */
    readonly extra?: JsonObject,
  ) {
    super(detail);
  }
  body(): JsonValue {
    return this.extra ? { detail: this.detail, ...this.extra } : { detail: this.detail };
  }
}

/**
 * Credentials were presented and are wrong (DRF `AuthenticationFailed`).
 * Sent as 401 with the route's challenge, or 403 when the route has none.
 */
export class AuthenticationFailed extends DetailError {
  readonly status = 401;
  readonly code: string;
  constructor(detail = 'Incorrect authentication credentials.', extra?: JsonObject, code = 'authentication_failed') {
    super(detail, extra);
    this.code = code;
  }
}

/** No credentials were presented where they are needed (DRF `NotAuthenticated`). */
export class NotAuthenticated extends DetailError {
  readonly status = 401;
  readonly code = 'not_authenticated';
  constructor(detail = 'Authentication credentials were not provided.') {
    super(detail);
  }
}

/** Authenticated (or anonymous on a route without authenticators) but not allowed. */
export class PermissionDenied extends DetailError {
  readonly status = 403;
  readonly code = 'permission_denied';
  constructor(detail = 'You do not have permission to perform this action.') {
    super(detail);
  }
}

export class NotFound extends DetailError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(detail = 'Not found.') {
    super(detail);
  }
}

export class MethodNotAllowed extends DetailError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(method: string) {
    super(`Method "${method}" not allowed.`);
  }
}

export class NotAcceptable extends DetailError {
  readonly status = 406;
  readonly code = 'not_acceptable';
  constructor() {
    super('Could not satisfy the request Accept header.');
  }
}

export class PayloadTooLarge extends DetailError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(limit: number) {
    super(`Request body exceeds the limit of ${limit} bytes.`);
  }
}

export class UnsupportedMediaType extends DetailError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  constructor(mediaType: string) {
    super(`Unsupported media type "${mediaType}" in request.`);
  }
}

/** Malformed request body (DRF `ParseError`). */
export class ParseError extends DetailError {
  readonly status = 400;
  readonly code = 'parse_error';
  constructor(detail = 'Malformed request.') {
    super(detail);
  }
}

/** Field errors as DRF serializers render them: `{"field": ["msg", …], "non_field_errors": […]}`. */
export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid';
  constructor(readonly fields: Record<string, string[]>) {
    super('Invalid input.');
  }
  static nonField(message: string): ValidationError {
    return new ValidationError({ non_field_errors: [message] });
  }
  body(): JsonValue {
    return this.fields;
  }
}

/**
 * An account change was made but its e-mail could not be sent (both account layouts):
 * 503 `{"detail": <what was done>, "code": "email_failed"}`; the mail can be asked for again.
 */
export class EmailNotSent extends ApiError {
  readonly status = 503;
  readonly code = 'email_failed';
  body(): JsonValue {
    return { detail: this.message, code: this.code };
  }
}

/** Rate limit exceeded (DRF `Throttled`); `wait` in seconds or null when unknown. */
export class Throttled extends ApiError {
  readonly status = 429;
  readonly code = 'throttled';
  readonly seconds: number | null;
  constructor(wait: number | null) {
    const seconds = wait === null ? null : Math.ceil(wait);
    super(
      seconds === null
        ? 'Request was throttled.'
        : `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    );
    this.seconds = seconds;
  }
  override headers(): Record<string, string> {
    return this.seconds === null ? {} : { 'Retry-After': String(this.seconds) };
  }
  body(): JsonValue {
    return { detail: this.message };
  }
}

/** A backing service (database, hashing pool) cannot answer now; the client may retry. */
export class ServiceUnavailable extends DetailError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  constructor(readonly retryAfter = 1) {
    super('Service temporarily unavailable.');
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }
}

/**
 * knox's token-limit refusal: 403 with the key `error`, not `detail`
 * (`{"error":"Maximum amount of tokens allowed per user exceeded."}`).
 */
export class TokenLimitExceeded extends ApiError {
  readonly status = 403;
  readonly code = 'token_limit';
  constructor() {
    super('Maximum amount of tokens allowed per user exceeded.');
  }
  body(): JsonValue {
    return { error: this.message };
  }
}
