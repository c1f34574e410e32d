/**
 * `GET /api/me/`: the caller, as dj-rest-auth's `UserDetailsView` renders it.
 */
import type { Authenticator } from '../../core/authenticator.js';
import { IsAuthenticated } from '../../permissions/index.js';
import type { Route } from '../route.js';

export function userRoutes(authenticators: readonly Authenticator[], prefix = ''): Route[] {
  return [
    {
      path: `${prefix}/api/me/`,
      name: 'User Details',
      authenticators,
      permissions: [IsAuthenticated],
      methods: {
        GET: (ctx) => {
          const u = ctx.principal!.user;
          return { body: { pk: u.id, username: u.username, email: u.email, first_name: u.firstName, last_name: u.lastName } };
        },
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
