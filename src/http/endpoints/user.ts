/**
 * `GET /api/me/`: the caller, as dj-rest-auth's `UserDetailsView` renders it.
 */
import type { Authenticator } from '../../core/authenticator.js';
import type { JsonObject } from '../../core/errors.js';
import type { User } from '../../core/user.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { Route } from '../route.js';

/** dj-rest-auth's `UserDetailsSerializer`: `{"pk","username","email","first_name","last_name"}`. */
export const userDetails = (u: User): JsonObject => ({ pk: u.id, username: u.username, email: u.email, first_name: u.firstName, last_name: u.lastName });

export function userRoutes(authenticators: readonly Authenticator[], prefix = ''): Route[] {
  return [
    {
      path: `${prefix}/api/me/`,
      name: 'User Details',
      authenticators,
      permissions: [IsAuthenticated],
      methods: {
        GET: (ctx) => ({ body: userDetails(ctx.principal!.user) }),
      },
    },
  ];
}

/** `GET /healthz`: liveness, no authentication. */
export function healthRoutes(check?: () => boolean): Route[] {
  return [
    {
      path: '/healthz',
      name: 'Health',
      methods: {
        GET: () => (check && !check() ? { status: 503, body: { status: 'unavailable' } } : { body: { status: 'ok' } }),
      },
    },
  ];
}
