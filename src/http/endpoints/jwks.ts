/**
 * `GET /.well-known/jwks.json`: the public keys that verify this server's tokens
 * (RFC 7517 JWK Set), for resource servers that verify JWTs themselves (e.g.
 * simplejwt with `JWK_URL`, jose `createRemoteJWKSet`).
 *
 * No authentication. Only public members of asymmetric keys are published (the static
 * key under its RFC 7638 thumbprint, ring keys that are active or verify-only); with
 * an HMAC algorithm the set is empty. Cacheable for 5 minutes: a rotated key is
 * published as soon as it is created, and verifiers refetch on an unknown `kid`.
 *
 * Failure modes: a store failure while reloading the ring propagates (the engine
 * answers 503).
 */
import type { JsonValue } from '../../core/errors.js';
import type { JwtKeys } from '../../jwt/keyring/index.js';
import type { Route } from '../route.js';

export function jwksRoutes(keys: JwtKeys, prefix = ''): Route[] {
  return [
    {
      path: `${prefix}/.well-known/jwks.json`,
      name: 'JSON Web Key Set',
      methods: {
        GET: async () => {
          const set = await keys.jwks();
          return { headers: { 'Cache-Control': 'public, max-age=300' }, body: set as unknown as JsonValue };
        },
      },
    },
  ];
}
