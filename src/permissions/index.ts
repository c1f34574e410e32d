/**
 * Permission classes with DRF's semantics (`rest_framework.permissions`).
 */
import type { Permission, PermissionContext } from '../core/pipeline.js';
import { SAFE_METHODS } from '../core/request.js';

/** Everyone (DRF's default). */
export const AllowAny: Permission = { hasPermission: () => true };

/** Any authenticated caller. */
export const IsAuthenticated: Permission = { hasPermission: (ctx: PermissionContext) => ctx.principal !== null };

/** Staff users only (`user.is_staff`). */
export const IsAdminUser: Permission = { hasPermission: (ctx: PermissionContext) => ctx.principal?.user.isStaff === true };

/** Authenticated callers, or anyone for GET/HEAD/OPTIONS. */
export const IsAuthenticatedOrReadOnly: Permission = {
  hasPermission: (ctx: PermissionContext) => SAFE_METHODS.has(ctx.req.method) || ctx.principal !== null,
};
