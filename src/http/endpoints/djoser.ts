/**
 * djoser 2.1's routes (`djoser.urls`, `djoser.urls.authtoken`, `djoser.urls.jwt`) over the
 * account service: `djoserRoutes(deps, prefix)` (e.g. `prefix` `/auth`).
 *
 * Bodies, field names, error order, statuses and messages are djoser's; every deliberate
 * difference is listed in docs/compatibility.md (djoser section). The routes live in
 * ./djoser/: users (sign-up, list, one user, me), actions (activation, password and
 * username change and reset), tokens (token and JWT login).
 */
import type { Route } from '../route.js';
import { actionRoutes } from './djoser/actions.js';
import { djoserEnv, type DjoserDeps } from './djoser/env.js';
import { tokenRoutes } from './djoser/tokens.js';
import { userRoutes } from './djoser/users.js';

export type { DjoserDeps, DjoserOptions } from './djoser/env.js';

/** Every djoser route under `prefix`. */
export function djoserRoutes(deps: DjoserDeps, prefix: string): Route[] {
  const env = djoserEnv(deps);
  return [...userRoutes(env, prefix), ...actionRoutes(env, prefix), ...tokenRoutes(env, prefix)];
}
