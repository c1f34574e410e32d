/**
 * What the JWKS endpoint publishes: the public half of asymmetric keys only.
 *
 * Every entry is built by the jws layer's `publicJwk` (an allow-list of public
 * members), so `d`, `p`, `q`, `dp`, `dq`, `qi` and `k` can never appear (docs/security.md
 * #104). HMAC keys are never published. The static key from the settings has no `kid`
 * in the tokens it signs (like simplejwt); it is published under its RFC 7638
 * thumbprint so that the document stays stable across restarts.
 */
import { createHash } from 'node:crypto';
import { publicJwk, type JwsKey, type PublicJwk } from '../jws/index.js';

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a published key. */
export function jwkThumbprint(jwk: PublicJwk): string {
  let canonical: string;
  if (jwk.kty === 'RSA') canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  else if (jwk.kty === 'EC') canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  else canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/** The JWK to publish for `key`, or null for an HMAC key. `kid` overrides the key's own. */
export function publishable(key: JwsKey, kid?: string): PublicJwk | null {
  if (key.kind === 'secret') return null;
  const jwk = publicJwk(key);
  const id = kid ?? jwk.kid ?? jwkThumbprint(jwk);
  // Rebuilt so that members come in a conventional order: kty, kid, use, alg, then the key.
  const { kty, use, alg, kid: _ignored, ...material } = jwk;
  return Object.freeze({ kty, kid: id, use, alg, ...material });
}
