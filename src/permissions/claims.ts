/**
 * Permissions from token claims: scopes (OAuth 2 style) and roles.
 *
 * A JWT principal's `auth` is `{ kind, claims }` (`JwtAuth`, src/jwt/authentication.ts);
 * this module recognises it by shape (it may not import src/jwt): an object whose `kind`
 * is `access`, `refresh` or `sliding` and whose `claims` is a plain object. Opaque tokens
 * (`auth` is the token record), HTTP Basic (`auth` null) and anonymous callers carry no
 * claims. Claims are read only from the validated token the authenticator produced, never
 * from the request. An API key principal (`auth` an API key record, src/apikeys) grants
 * exactly the key's stored `scopes`, through the same `tokenScopes`.
 */
import type { Permission, PermissionContext } from '../core/pipeline.js';
import type { Principal } from '../core/user.js';
import { apiKeyOf } from '../apikeys/authentication.js';

const JWT_KINDS: ReadonlySet<string> = new Set(['access', 'refresh', 'sliding']);

/** The validated claims of a JWT principal, or null for any other principal. */
export function jwtClaimsOf(principal: Principal | null): Readonly<Record<string, unknown>> | null {
  const auth: unknown = principal?.auth;
  if (typeof auth !== 'object' || auth === null) return null;
  const { kind, claims } = auth as { kind?: unknown; claims?: unknown };
  if (typeof kind !== 'string' || !JWT_KINDS.has(kind)) return null;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return null;
  return claims as Readonly<Record<string, unknown>>;
}

/** Split an RFC 6749 §3.3 scope string: tokens separated by spaces (runs tolerated). */
function splitScope(value: string): string[] {
  return value.split(' ').filter((s) => s !== '');
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((e) => typeof e === 'string');

/**
 * The scopes a principal's token grants, or null when it grants none (not a JWT, or no
 * scope claim). The FIRST present claim of `scope`, `scp`, `scopes` is used, the others
 * ignored:
 * - `scope`: a space-separated string (RFC 8693 / RFC 9068);
 * - `scp`: an array of strings, or a space-separated string (as Microsoft Entra issues);
 * - `scopes`: an array of strings.
 * A present claim of any other type (number, object, array with a non-string) means no
 * scopes at all — it never falls through to the next claim (fail closed).
 */
export function tokenScopes(principal: Principal | null): ReadonlySet<string> | null {
  const apiKey = apiKeyOf(principal);
  if (apiKey) return new Set(apiKey.scopes);
  const claims = jwtClaimsOf(principal);
  if (!claims) return null;
  if (Object.hasOwn(claims, 'scope')) return typeof claims.scope === 'string' ? new Set(splitScope(claims.scope)) : null;
  if (Object.hasOwn(claims, 'scp')) {
    const scp = claims.scp;
    if (typeof scp === 'string') return new Set(splitScope(scp));
    return isStringArray(scp) ? new Set(scp) : null;
  }
  if (Object.hasOwn(claims, 'scopes')) return isStringArray(claims.scopes) ? new Set(claims.scopes) : null;
  return null;
}

/**
 * The roles of a principal (empty for anonymous):
 * - `staff` when `user.isStaff`, `superuser` when `user.isSuperuser` (Django's flags, for
 *   every kind of credential; `superuser` does NOT imply `staff`, as in Django);
 * - for a JWT, every string of its `roles` claim (an array of strings; any other type, or
 *   an array holding a non-string, contributes nothing). The claim is whatever the token's
 *   issuer put there (e.g. a `claims` hook): it is as trustworthy as the signing key and
 *   lasts as long as the token, so a role removed from a user survives in unexpired tokens.
 * Roles compare exactly (case-sensitive).
 */
export function principalRoles(principal: Principal | null): ReadonlySet<string> {
  const roles = new Set<string>();
  if (!principal) return roles;
  if (principal.user.isStaff === true) roles.add('staff');
  if (principal.user.isSuperuser === true) roles.add('superuser');
  const claims = jwtClaimsOf(principal);
  if (claims && Object.hasOwn(claims, 'roles') && isStringArray(claims.roles)) for (const r of claims.roles) roles.add(r);
  return roles;
}

function names(kind: string, values: readonly string[]): readonly string[] {
  if (values.length === 0) throw new TypeError(`${kind}() needs at least one name`);
  for (const v of values) {
    if (typeof v !== 'string' || v === '' || v.includes(' ')) throw new TypeError(`${kind}(): ${JSON.stringify(v)} is not a valid name (non-empty, no spaces)`);
  }
  return Object.freeze([...values]);
}

/** A permission requiring token scopes; `scopes` lists them. */
export interface ScopePermission extends Permission {
  readonly scopes: readonly string[];
}

/** A permission requiring one of some roles; `roles` lists them. */
export interface RolePermission extends Permission {
  readonly roles: readonly string[];
}

/**
 * Allows a caller whose JWT grants EVERY one of `scopes` (see `tokenScopes` for the claims
 * read). Refuses anonymous callers (→ 401 on a route with authenticators), opaque-token and
 * Basic callers (no scopes: → 403), and JWTs without a usable scope claim. For "any of",
 * compose: `or(HasScope('a'), HasScope('b'))`. No message of its own (DRF's default 403
 * text); add one with `withMessage`. No object-level rule (every object allowed).
 * Throws `TypeError` at construction for no scope, an empty one, or one containing a space.
 */
export function HasScope(...scopes: string[]): ScopePermission {
  const required = names('HasScope', scopes);
  return Object.freeze({
    scopes: required,
    hasPermission(ctx: PermissionContext): boolean {
      const granted = tokenScopes(ctx.principal);
      return granted !== null && required.every((s) => granted.has(s));
    },
  });
}

/**
 * Allows a caller having AT LEAST ONE of `roles` (see `principalRoles`: `staff` /
 * `superuser` from the user's flags, plus a JWT's `roles` claim). For "all of", compose:
 * `and(HasRole('a'), HasRole('b'))`. Refuses anonymous callers (→ 401 on a route with
 * authenticators) and callers without the role (→ 403, DRF's default text; add a message
 * with `withMessage`). `HasRole('staff')` equals `IsAdminUser` for every credential. No
 * object-level rule.
 * Throws `TypeError` at construction for no role, an empty one, or one containing a space.
 */
export function HasRole(...roles: string[]): RolePermission {
  const wanted = names('HasRole', roles);
  return Object.freeze({
    roles: wanted,
    hasPermission(ctx: PermissionContext): boolean {
      if (!ctx.principal) return false;
      const held = principalRoles(ctx.principal);
      return wanted.some((r) => held.has(r));
    },
  });
}
