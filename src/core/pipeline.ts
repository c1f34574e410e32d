/**
 * The request pipeline, in DRF's order: authenticate → permissions → throttles.
 * Framework adapters call these; they know nothing about any framework.
 */
import type { Authenticator } from './authenticator.js';
import { ApiError, AuthenticationFailed, NotAuthenticated, PermissionDenied } from './errors.js';
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
): Principal | null | Promise<Principal | null> {
  for (let i = from; i < authenticators.length; i++) {
    const result = (authenticators[i] as Authenticator).authenticate(req);
    if (result instanceof Promise) return result.then((p) => p ?? authenticate(req, authenticators, i + 1));
    if (result) return result;
  }
  return null;
}

/** What a permission sees. */
export interface PermissionContext {
  req: RequestView;
  principal: Principal | null;
}

/** A permission (DRF `BasePermission`). */
export interface Permission {
  /** Message of the 403 when this permission refuses an authenticated caller. */
  readonly message?: string;
  hasPermission(ctx: PermissionContext): boolean | Promise<boolean>;
}

/**
 * DRF's `check_permissions`: the first refusing permission decides. An anonymous caller
 * on a route with authenticators gets `NotAuthenticated`; otherwise `PermissionDenied`
 * with the permission's message. Synchronous while the permissions are.
 */
export function checkPermissions(
  ctx: PermissionContext,
  permissions: readonly Permission[],
  authenticators: readonly Authenticator[],
  from = 0,
): void | Promise<void> {
  for (let i = from; i < permissions.length; i++) {
    const permission = permissions[i] as Permission;
    const allowed = permission.hasPermission(ctx);
    if (allowed instanceof Promise) {
      return allowed.then((ok) => {
        if (!ok) refuse(ctx, permission, authenticators);
        return checkPermissions(ctx, permissions, authenticators, i + 1);
      });
    }
    if (!allowed) refuse(ctx, permission, authenticators);
  }
}

function refuse(ctx: PermissionContext, permission: Permission, authenticators: readonly Authenticator[]): never {
  if (authenticators.length > 0 && !ctx.principal) throw new NotAuthenticated();
  throw new PermissionDenied(permission.message);
}

/** A response as the core describes it; adapters write it their framework's way. */
export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body; `undefined` means no body (204). */
  body: JsonValue | undefined;
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
