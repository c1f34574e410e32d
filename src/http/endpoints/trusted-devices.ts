/**
 * Trusted devices over HTTP (docs/mfa.md, "Trusted devices"), for the signed-in user
 * (JWT or opaque token; never an API key):
 * - `GET    /api/auth/mfa/trusted-devices/`         the caller's devices (id, label, times; never the secret);
 * - `DELETE /api/auth/mfa/trusted-devices/`         forget them all (204);
 * - `POST   /api/auth/mfa/trusted-devices/revoke/`  `{"id"}`: forget one (204; 404 when it is not the caller's).
 * (A device id is not a number, which path parameters are: the one to revoke is in the body.)
 */
import type { Authenticator } from '../../core/authenticator.js';
import { NotFound, type JsonObject } from '../../core/errors.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { TrustedDeviceRecord } from '../../stores/types.js';
import type { TrustedDevices } from '../../mfa/trusted-devices.js';
import { validateCharFields } from '../fields.js';
import type { Route } from '../route.js';

const iso = (ms: number): string => new Date(ms).toISOString();

function deviceView(d: TrustedDeviceRecord): JsonObject {
  return { id: d.id, label: d.label, created: iso(d.createdAt), last_used: iso(d.lastUsedAt), expires: iso(d.expiresAt) };
}

export function trustedDeviceRoutes(devices: TrustedDevices, authenticators: readonly Authenticator[], prefix = '/api/auth/mfa/trusted-devices'): Route[] {
  const policy = { authenticators, permissions: [IsAuthenticated], noStore: true } as const;
  return [
    {
      ...policy,
      path: `${prefix}/`,
      name: 'Trusted Device List',
      methods: {
        GET: async (ctx) => ({ body: (await devices.list(ctx.principal!.user.id)).map(deviceView) }),
        DELETE: async (ctx) => {
          await devices.revokeAll(ctx.principal!.user.id);
          return { status: 204 };
        },
      },
    },
    {
      ...policy,
      path: `${prefix}/revoke/`,
      name: 'Trusted Device Revoke',
      fields: [{ name: 'id', label: 'Id' }],
      methods: {
        POST: async (ctx) => {
          const { id } = validateCharFields(await ctx.body(), [{ name: 'id', maxLength: 64 }]) as { id: string };
          if (!(await devices.revoke(ctx.principal!.user.id, id))) throw new NotFound();
          return { status: 204 };
        },
      },
    },
  ];
}
