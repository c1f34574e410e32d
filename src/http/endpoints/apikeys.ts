/**
 * API key management over HTTP (mounted at `/api/auth/apikeys/` when `apiKeys.enabled`):
 * - `GET    /api/auth/apikeys/`      the caller's keys (staff: every key), never a secret;
 * - `POST   /api/auth/apikeys/`      create: `{"name", "scopes"?, "expires"?, "rate"?, "user"?}`
 *   → 201 with the key in `key`, the only time it is shown;
 * - `GET    /api/auth/apikeys/:id/`  one key; `DELETE` revokes it (204);
 * - `PATCH  /api/auth/apikeys/:id/`  change `name`, `scopes`, `rate`, `expires` (who may
 *   change what: `requireUpdatable`) → 200 with the key as listed.
 * Who may do what is `src/apikeys/management.ts`; attribute validation is the service's.
 * A key the caller may not see answers 404, as if it did not exist.
 */
import type { Authenticator } from '../../core/authenticator.js';
import { NotFound, ValidationError, type JsonObject } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { ApiKeyPatch, ApiKeyRecord } from '../../stores/types.js';
import type { ApiKeyService } from '../../apikeys/service.js';
import { canSee, httpActor, ownerFor, requireGrantable, requireManager, requireUpdatable } from '../../apikeys/management.js';
import type { BodyData } from '../body.js';
import type { Route } from '../route.js';

export interface ApiKeyEndpointDeps {
  apiKeys: ApiKeyService;
  authenticators: readonly Authenticator[];
  manageScope: string | null;
  prefix: string;
  clock: Clock;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A key as listed: its non-secret identifier (`prefix` + lookup id), never the secret or digest. */
export function apiKeyView(k: ApiKeyRecord, prefix: string): JsonObject {
  return {
    id: k.id,
    name: k.name,
    prefix: k.digest.includes('$') ? k.lookupId : `${prefix}${k.lookupId}`,
    user: k.userId,
    scopes: k.scopes,
    rate: k.rate,
    created: iso(k.createdAt),
    expires: iso(k.expiresAt),
    last_used: iso(k.lastUsedAt),
    revoked: iso(k.revokedAt),
  };
}

/**
 * A body's key attributes, type-checked (DRF field errors): `name`, `scopes` (list of
 * strings), `expires` (a duration from now; null: never), `rate` (null: none). Absent
 * fields are left out; `name` is required when `creating`. Values are checked by the
 * service's one validation (src/apikeys/attributes.ts).
 */
function readAttributes(data: BodyData, now: number, creating: boolean): ApiKeyPatch {
  const errors: Record<string, string[]> = {};
  const { name, scopes, expires, rate } = data;
  const out: ApiKeyPatch = {};
  if (typeof name === 'string') out.name = name;
  else if (creating || name !== undefined) errors.name = [creating && name === undefined ? 'This field is required.' : 'Not a valid string.'];
  if (scopes !== undefined) {
    if (Array.isArray(scopes) && scopes.length <= 1000 && scopes.every((s) => typeof s === 'string')) out.scopes = scopes as string[];
    else errors.scopes = ['Expected a list of strings.'];
  }
  if (expires === null) out.expiresAt = null;
  else if (expires !== undefined) {
    try {
      if (typeof expires !== 'string' && typeof expires !== 'number') throw new Error();
      out.expiresAt = now + parseDuration(expires);
    } catch {
      errors.expires = ['Must be a duration such as "30d" or a number of seconds.'];
    }
  }
  if (rate === null || (typeof rate === 'string' && rate.length <= 32)) out.rate = rate;
  else if (rate !== undefined) errors.rate = ['Must be a rate such as "100/min".'];
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return out;
}

/** The owner a body asks for (`user`, staff only: `ownerFor`); undefined when absent. */
function readOwner(data: BodyData): number | null | undefined {
  const { user } = data;
  if (user !== undefined && user !== null && !Number.isSafeInteger(user)) throw new ValidationError({ user: ['A valid integer is required.'] });
  return user as number | null | undefined;
}

export function apiKeyRoutes(deps: ApiKeyEndpointDeps, prefix = ''): Route[] {
  const { apiKeys, authenticators, manageScope, clock } = deps;
  const view = (k: ApiKeyRecord): JsonObject => apiKeyView(k, deps.prefix);
  const manager = (principal: Principal | null): Principal => {
    requireManager(principal!, manageScope);
    return principal!;
  };
  const visible = async (principal: Principal, id: string): Promise<ApiKeyRecord> => {
    const record = /^[0-9]{1,15}$/.test(id) ? await apiKeys.get(Number(id)) : null;
    if (!record || !canSee(principal, record)) throw new NotFound();
    return record;
  };
  return [
    {
      path: `${prefix}/api/auth/apikeys/`,
      name: 'API Key List',
      authenticators,
      permissions: [IsAuthenticated],
      noStore: true,
      methods: {
        GET: async (ctx) => {
          const principal = manager(ctx.principal);
          const list = await apiKeys.list(principal.user.isStaff ? undefined : principal.user.id);
          return { body: list.map(view) };
        },
        POST: async (ctx) => {
          const principal = manager(ctx.principal);
          const body = await ctx.body();
          const input = readAttributes(body, clock.now(), true);
          const user = readOwner(body);
          requireGrantable(principal, input.scopes ?? []);
          const issued = await apiKeys.create({ ...input, name: input.name as string, userId: ownerFor(principal, user) }, httpActor(principal));
          return { status: 201, body: { ...view(issued.record), key: issued.key } };
        },
      },
    },
    {
      path: `${prefix}/api/auth/apikeys/:id/`,
      name: 'API Key Instance',
      authenticators,
      permissions: [IsAuthenticated],
      methods: {
        GET: async (ctx) => ({ body: view(await visible(manager(ctx.principal), ctx.params.id ?? '')) }),
        PATCH: async (ctx) => {
          const principal = manager(ctx.principal);
          const record = await visible(principal, ctx.params.id ?? '');
          const patch = readAttributes(await ctx.body(), clock.now(), false);
          requireUpdatable(principal, record, patch);
          const updated = await apiKeys.update(record.id, patch, httpActor(principal));
          if (!updated) throw new NotFound();
          return { body: view(updated) };
        },
        DELETE: async (ctx) => {
          const principal = manager(ctx.principal);
          const record = await visible(principal, ctx.params.id ?? '');
          await apiKeys.revoke(record.id, httpActor(principal));
          return { status: 204 };
        },
      },
    },
  ];
}
