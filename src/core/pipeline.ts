/**
 * The request pipeline, in DRF's order: authenticate → permissions → throttles.
 * Framework adapters call these; they know nothing about any framework.
 */
import type { Authenticator } from './authenticator.js';
import { isPromise, type MaybePromise } from './maybe.js';
import { ApiError, AuthenticationFailed, NotAuthenticated, PermissionDenied, Throttled } from './errors.js';
import type { Throttle, ThrottleContext, ThrottleDecision } from './throttle.js';
import type { JsonValue } from './errors.js';
import type { RequestView } from './request.js';
import type { Principal } from './user.js';

/**
 * Run the authenticators in order, as DRF's `Request._authenticate` does: the first
 * non-null principal wins, a thrown error stops the chain, all-null means anonymous.
 * Synchronous while the authenticators are (the hot path allocates no promise).
 */
export function authenticate(
  req: RequestView,
  authenticators: readonly Authenticator[],
  from = 0,
): MaybePromise<Principal | null> {
  for (let i = from; i < authenticators.length; i++) {
    const result = (authenticators[i] as Authenticator).authenticate(req);
    if (isPromise(result)) return result.then((p) => p ?? authenticate(req, authenticators, i + 1));
    if (result) return result;
  }
  return null;
}

/** What a permission sees. */
export interface PermissionContext {
  req: RequestView;
  principal: Principal | null;
}

/**
 * A permission's answer that carries the message of its refusal. Each evaluation returns
 * its own, so concurrent requests on one permission object never share a message.
 * `message` absent: the permission's `message`, else DRF's default text.
 */
export interface PermissionVerdict {
  readonly ok: boolean;
  readonly message?: string | undefined;
}

/** What `hasPermission` may return: a plain boolean (DRF's `has_permission`) or a verdict. */
export type PermissionAnswer = boolean | PermissionVerdict;

/** A permission (DRF `BasePermission`). */
export interface Permission {
  /** Message of the 403 when this permission refuses with a plain `false` (DRF's `message` attribute). */
  readonly message?: string;
  hasPermission(ctx: PermissionContext): MaybePromise<PermissionAnswer>;
  hasObjectPermission?(ctx: PermissionContext, obj: unknown): MaybePromise<PermissionAnswer>; // DRF `has_object_permission`; absent = allowed (see `checkObjectPermissions` in src/permissions)
}

const ALLOWED: PermissionVerdict = Object.freeze({ ok: true });

/** A permission's answer as a verdict: a refusal without a message of its own takes the permission's `message`. */
export function toVerdict(permission: Permission, answer: PermissionAnswer): PermissionVerdict {
  if (answer === true) return ALLOWED;
  if (answer === false) return { ok: false, message: permission.message };
  return answer.ok || answer.message !== undefined ? answer : { ok: false, message: permission.message };
}

/**
 * DRF's `check_permissions`: the first refusing permission decides. An anonymous caller
 * on a route with authenticators gets `NotAuthenticated`; otherwise `PermissionDenied`
 * with the message of that refusal. Synchronous while the permissions are.
 */
export function checkPermissions(
  ctx: PermissionContext,
  permissions: readonly Permission[],
  authenticators: readonly Authenticator[],
  from = 0,
): MaybePromise<void> {
  for (let i = from; i < permissions.length; i++) {
    const permission = permissions[i] as Permission;
    const answer = permission.hasPermission(ctx);
    if (isPromise(answer)) {
      return answer.then((a) => {
        enforce(ctx, toVerdict(permission, a), authenticators);
        return checkPermissions(ctx, permissions, authenticators, i + 1);
      });
    }
    enforce(ctx, toVerdict(permission, answer), authenticators);
  }
}

/** Throw for a refusal: `NotAuthenticated` for an anonymous caller on a route with authenticators, else `PermissionDenied(message)`. */
export function enforce(ctx: PermissionContext, verdict: PermissionVerdict, authenticators: readonly Authenticator[]): void {
  if (verdict.ok) return;
  if (authenticators.length > 0 && !ctx.principal) throw new NotAuthenticated();
  throw new PermissionDenied(verdict.message);
}

/**
 * DRF's `check_throttles`: every throttle is consulted; if any refuses, `Throttled`
 * with the longest wait. Synchronous while the throttles are.
 */
export function checkThrottles(ctx: ThrottleContext, throttles: readonly Throttle[]): MaybePromise<void> {
  if (throttles.length === 0) return;
  const decisions = throttles.map((t) => t.allow(ctx));
  const decide = (ds: ThrottleDecision[]): void => {
    const refused = ds.filter((d): d is { wait: number | null } => d !== null);
    if (refused.length === 0) return;
    const waits = refused.map((d) => d.wait).filter((w): w is number => w !== null);
    throw new Throttled(waits.length ? Math.max(...waits) : null);
  };
  return decisions.some(isPromise) ? Promise.all(decisions).then(decide) : decide(decisions as ThrottleDecision[]);
}

/** A route's or a guard's policy: DRF's `authentication_classes`, `permission_classes`, `throttle_classes`. */
export interface Policy {
  authenticators?: readonly Authenticator[];
  permissions?: readonly Permission[];
  throttles?: readonly Throttle[];
  /** DRF `throttle_scope`, for scoped throttles. */
  throttleScope?: string;
}

/** How the client's address is found (the trusted-proxy rules); default: the socket's peer. */
export type ClientAddressResolver = (req: RequestView) => string;
export const socketAddress: ClientAddressResolver = (req) => req.remoteAddress;

const NO_AUTHENTICATORS: readonly Authenticator[] = Object.freeze([]);

/**
 * DRF's `APIView.initial` after content negotiation: authenticate, check permissions,
 * check throttles — in that order, so an anonymous request to a protected route is never
 * counted by a throttle. Resolves to the principal (null: anonymous) or throws an
 * `ApiError`. Synchronous while every step is.
 */
export function runPolicy(
  req: RequestView,
  policy: Policy,
  clientAddress: ClientAddressResolver = socketAddress,
): MaybePromise<Principal | null> {
  // Straight-line while every step is synchronous: no closure or promise per request.
  const principal = authenticate(req, policy.authenticators ?? NO_AUTHENTICATORS);
  if (isPromise(principal)) return principal.then((p) => afterAuthentication(req, policy, clientAddress, p));
  return afterAuthentication(req, policy, clientAddress, principal);
}

/** `runPolicy` once the principal is known: permissions, then throttles. */
function afterAuthentication(req: RequestView, policy: Policy, clientAddress: ClientAddressResolver, principal: Principal | null): MaybePromise<Principal | null> {
  const permissions = policy.permissions;
  if (permissions !== undefined && permissions.length > 0) {
    const allowed = checkPermissions({ req, principal }, permissions, policy.authenticators ?? NO_AUTHENTICATORS);
    if (isPromise(allowed)) return allowed.then(() => afterPermissions(req, policy, clientAddress, principal));
  }
  return afterPermissions(req, policy, clientAddress, principal);
}

/** `runPolicy`'s last step: the throttles, if any. */
function afterPermissions(req: RequestView, policy: Policy, clientAddress: ClientAddressResolver, principal: Principal | null): MaybePromise<Principal | null> {
  if (!policy.throttles || policy.throttles.length === 0) return principal;
  const tctx: ThrottleContext = { req, principal, clientAddress: clientAddress(req), ...(policy.throttleScope ? { scope: policy.throttleScope } : {}) };
  const throttled = checkThrottles(tctx, policy.throttles);
  return isPromise(throttled) ? throttled.then(() => principal) : principal;
}

/** A response as the core describes it; adapters write it their framework's way. */
/** Response headers: one value, or one line per element (`Set-Cookie`, never folded: RFC 6265 §3). */
export type ResponseHeaders = Record<string, string | string[]>;

export interface CoreResponse {
  status: number;
  headers: ResponseHeaders;
  /** JSON body; `undefined` means no body (204). */
  body: JsonValue | undefined;
  /** A body that is not JSON (`/metrics`), sent as is instead of `body`. */
  text?: { contentType: string; payload: string };
}

/**
 * Turn an error into its response. Authentication errors become 401 with the
 * *first* authenticator's challenge, or 403 when it has none — the single place
 * DRF's 401-vs-403 rule lives.
 */
export function errorResponse(error: ApiError, req: RequestView, authenticators: readonly Authenticator[]): CoreResponse {
  const headers = error.headers();
  let status = error.status;
  if (error instanceof AuthenticationFailed || error instanceof NotAuthenticated) {
    const challenge = authenticators[0]?.challenge(req) ?? null;
    if (challenge) headers['WWW-Authenticate'] = challenge;
    else status = 403;
  }
  return { status, headers, body: error.body() };
}
