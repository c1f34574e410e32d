/**
 * Gatehouse JWS primitives: keys pinned to one algorithm, strict compact JWS
 * signing and verification on node:crypto, JWKS publishing.
 *
 * Typical use:
 *
 *     const key = importKey({ alg: 'HS256', secret: process.env.SIGNING_KEY! });
 *     const token = sign({ token_type: 'access', exp, iat, jti, user_id: '1' }, key);
 *     const { payload } = verify(token, key);          // throws JwsError
 *
 * Rotation: `const v = verifierFor([current, previous]); v.verify(token)`.
 */
export { JWS_ALGORITHMS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
export { decodeBase64url, encodeBase64url, isCanonicalBase64url } from './base64url.js';
export { DEFAULT_MAX_TOKEN_BYTES } from './compact.js';
export { JwsError, JwsKeyError, type JwsErrorReason, type JwsKeyErrorReason } from './errors.js';
export { publicJwk, type PublicJwk } from './jwk.js';
export { importKey, type ImportKeyOptions, type JwsKey } from './keys.js';
export { compileKeySet, type JwsKeySet, type KeySetOptions } from './keyset.js';
export { sign, signCompact } from './sign.js';
export {
  verify,
  verifyCompact,
  verifierFor,
  type JwsHeader,
  type JwsVerifier,
  type VerificationKeys,
  type VerifiedCompact,
  type VerifiedJws,
  type VerifyCompactOptions,
  type VerifyOptions,
} from './verify.js';
