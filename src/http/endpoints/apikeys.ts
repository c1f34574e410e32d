/**
 * API key management over HTTP (mounted at `/api/auth/apikeys/` when `apiKeys.enabled`):
 * - `GET    /api/auth/apikeys/`      the caller's keys (staff: every key), never a secret;
 * - `POST   /api/auth/apikeys/`      create: `{"name", "scopes"?, "expires"?, "rate"?, "user"?}`
 *   → 201 with the key in `key`, the only time it is shown;
 * - `GET    /api/auth/apikeys/:id/`  one key; `DELETE` revokes it (204).
 * Who may do what is `src/apikeys/management.ts`; attribute validation is the service's.
 * A key the caller may not see answers 404, as if it did not exist.
 */
import type { Authenticator } from '../../core/authenticator.js';
import { NotFound, ValidationError, type JsonObject } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { ApiKeyRecord } from '../../stores/types.js';
import type { ApiKeyService, NewApiKey } from '../../apikeys/service.js';
import { canSee, httpActor, ownerFor, requireGrantable, requireManager } from '../../apikeys/management.js';
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

/** The request body as `NewApiKey` fields; type errors as DRF field errors. */
function readNewKey(data: BodyData, now: number): Omit<NewApiKey, 'userId'> & { user?: number | null } {
  const errors: Record<string, string[]> = {};
  const { name, scopes, expires, rate, user } = data;
  if (typeof name !== 'string') errors.name = ['This field is required.'];
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))) errors.scopes = ['Expected a list of strings.'];
  let expiresAt: number | null = null;
  if (expires !== undefined && expires !== null) {
    try {
      if (typeof expires !== 'string' && typeof expires !== 'number') throw new Error();
      expiresAt = now + parseDuration(expires);
    } catch {
      errors.expires = ['Must be a duration such as "30d" or a number of seconds.'];
    }
  }
  if (rate !== undefined && rate !== null && (typeof rate !== 'string' || rate.length > 32)) errors.rate = ['Must be a rate such as "100/min".'];
  if (user !== undefined && user !== null && !Number.isSafeInteger(user)) errors.user = ['A valid integer is required.'];
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return {
    name: name as string,
    scopes: (scopes as string[] | undefined) ?? [],
    expiresAt,
    rate: (rate as string | null | undefined) ?? null,
    ...(user !== undefined ? { user: user as number | null } : {}),
  };
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
          const input = readNewKey(await ctx.body(), clock.now());
          requireGrantable(principal, input.scopes ?? []);
          const { user, ...rest } = input;
          const issued = await apiKeys.create({ ...rest, userId: ownerFor(principal, user) }, httpActor(principal));
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
