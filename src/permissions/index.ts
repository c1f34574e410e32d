/**
 * Permission classes with DRF's semantics (`rest_framework.permissions`): the four
 * built-ins, scopes and roles from token claims, DRF's `&` / `|` / `~` operators and
 * object-level checks.
 *
 * A refusal becomes, in `checkPermissions` / `checkObjectPermissions`: `NotAuthenticated`
 * (401 with the route's first authenticator's challenge, or 403 without one) for an
 * anonymous caller on a route with authenticators, else `PermissionDenied` (403) with the
 * permission's `message` or DRF's default text.
 */
import type { Permission, PermissionContext } from '../core/pipeline.js';
import { SAFE_METHODS } from '../core/request.js';

/** Everyone (DRF's default). Never refuses. */
export const AllowAny: Permission = { hasPermission: () => true };

/** Any authenticated caller. Refuses anonymous callers (→ 401/403 `NotAuthenticated`). */
export const IsAuthenticated: Permission = { hasPermission: (ctx: PermissionContext) => ctx.principal !== null };

/** Staff users only (`user.is_staff`). Refuses anonymous callers and non-staff users (403, default text). */
export const IsAdminUser: Permission = { hasPermission: (ctx: PermissionContext) => ctx.principal?.user.isStaff === true };

/** Authenticated callers, or anyone for GET/HEAD/OPTIONS. Refuses anonymous unsafe methods. */
export const IsAuthenticatedOrReadOnly: Permission = {
  hasPermission: (ctx: PermissionContext) => SAFE_METHODS.has(ctx.req.method) || ctx.principal !== null,
};

export { and, or, not, withMessage, checkObjectPermissions } from './compose.js';
export { HasScope, HasRole, tokenScopes, principalRoles, jwtClaimsOf } from './claims.js';
export type { ScopePermission, RolePermission } from './claims.js';
