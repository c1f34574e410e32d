/**
 * JSON Web Keys (RFC 7517): reading them as key input, and publishing public keys.
 *
 * Reading (used by `importKey`): a JWK is accepted only if its metadata agrees with
 * the algorithm the caller pins — `use` absent or `"sig"`; `key_ops` absent or a
 * non-empty list of distinct strings, each `"sign"` or `"verify"`; `alg` absent or
 * equal to the pinned algorithm; `kid` absent or a non-empty string. A JWK marked for
 * encryption (`use: "enc"`, `key_ops: ["encrypt", …]`, `alg: "A256GCM"`) can never
 * become a signature key. Key material is then handed to node:crypto's own JWK
 * importer (which validates EC points and RSA structure).
 *
 * Publishing: {@link publicJwk} builds a JWK from an allow-list of public members,
 * so private members (`d`, `p`, `q`, `dp`, `dq`, `qi`) and secrets (`k`) cannot leak.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from './algorithms.js';
import { decodeBase64url } from './base64url.js';
import { JwsKeyError } from './errors.js';
import type { JwsKey } from './key-types.js';

/** The metadata of a JWK that `importKey` needs. */
export interface JwkMetadata {
  readonly kty: string;
  readonly kid: string | undefined;
  readonly isPrivate: boolean;
}

const ALLOWED_OPS = new Set(['sign', 'verify']);

/**
 * Checks `use`, `key_ops`, `alg`, `kid` and `kty` of a JWK against the pinned
 * algorithm.
 * @throws JwsKeyError `bad_jwk` (not an object, `kty` missing, malformed members),
 *   `wrong_use` (`use` ≠ sig, `key_ops` not sign/verify), `unsupported_alg` (JWK
 *   `alg` differs from the pinned one).
 */
export function readJwkMetadata(jwk: unknown, alg: JwsAlgorithm): JwkMetadata {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new JwsKeyError('bad_jwk', 'The JWK must be a JSON object.');
  }
  const j = jwk as Record<string, unknown>;
  if (Object.hasOwn(j, 'keys')) throw new JwsKeyError('bad_jwk', 'Pass one JWK, not a JWK Set; import each key separately.');
  if (typeof j.kty !== 'string') throw new JwsKeyError('bad_jwk', 'The JWK has no "kty".');
  if (j.use !== undefined && j.use !== 'sig') {
    throw new JwsKeyError('wrong_use', 'The JWK is not a signature key ("use" must be "sig").');
  }
  if (j.key_ops !== undefined) {
    const ops = j.key_ops;
    if (!Array.isArray(ops) || ops.length === 0 || new Set(ops).size !== ops.length) {
      throw new JwsKeyError('wrong_use', 'The JWK "key_ops" must be a non-empty list of distinct operations.');
    }
    for (const op of ops) {
      if (typeof op !== 'string' || !ALLOWED_OPS.has(op)) {
        throw new JwsKeyError('wrong_use', 'The JWK "key_ops" allows operations other than "sign" and "verify".');
      }
    }
  }
  if (j.alg !== undefined && j.alg !== alg) {
    throw new JwsKeyError('unsupported_alg', `The JWK "alg" does not match the pinned algorithm ${alg}.`);
  }
  if (j.kid !== undefined && (typeof j.kid !== 'string' || j.kid.length === 0)) {
    throw new JwsKeyError('bad_jwk', 'The JWK "kid" must be a non-empty string.');
  }
  return { kty: j.kty, kid: j.kid as string | undefined, isPrivate: j.d !== undefined };
}

/**
 * The secret bytes of an `oct` JWK (`k`, canonical base64url; may be empty — the
 * caller's length rules then refuse it).
 * @throws JwsKeyError `bad_jwk`
 */
export function octSecret(jwk: Readonly<Record<string, unknown>>): Buffer {
  if (typeof jwk.k !== 'string') throw new JwsKeyError('bad_jwk', 'The "oct" JWK has no "k".');
  try {
    return decodeBase64url(jwk.k);
  } catch {
    throw new JwsKeyError('bad_jwk', 'The JWK "k" is not canonical base64url.');
  }
}

/**
 * A KeyObject from an RSA / EC / OKP JWK (private when `d` is present).
 * @throws JwsKeyError `bad_jwk` when node:crypto refuses the key (invalid point,
 *   coordinates of the wrong size for `crv`, missing RSA CRT members, …).
 */
export function asymmetricKeyFromJwk(jwk: Readonly<Record<string, unknown>>, isPrivate: boolean): KeyObject {
  try {
    const input = { key: jwk as JsonWebKey, format: 'jwk' as const };
    return isPrivate ? createPrivateKey(input) : createPublicKey(input);
  } catch {
    throw new JwsKeyError('bad_jwk', 'The JWK is not a valid key (node:crypto refused it).');
  }
}

/** A published public key: only public members, plus `kid`, `alg` and `use`. */
export interface PublicJwk {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid?: string;
  readonly use: 'sig';
  readonly alg: JwsAlgorithm;
  readonly n?: string;
  readonly e?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
}

/**
 * The JWK to publish in a JWKS document for `key` (public or private asymmetric
 * key; for a private key, its public half).
 * @throws JwsKeyError `secret_not_publishable` for HMAC keys.
 */
export function publicJwk(key: JwsKey): PublicJwk {
  if (key.kind === 'secret' || key.publicKey === undefined) {
    throw new JwsKeyError('secret_not_publishable', 'HMAC secrets are never published in a JWKS.');
  }
  const full = key.publicKey.export({ format: 'jwk' });
  const head = { kid: key.kid, use: 'sig' as const, alg: key.alg };
  let out: PublicJwk;
  if (full.kty === 'RSA') {
    out = { kty: 'RSA', ...head, n: String(full.n), e: String(full.e) };
  } else if (full.kty === 'EC') {
    out = { kty: 'EC', ...head, crv: String(full.crv), x: String(full.x), y: String(full.y) };
  } else if (full.kty === 'OKP') {
    out = { kty: 'OKP', ...head, crv: String(full.crv), x: String(full.x) };
  } else {
    throw new JwsKeyError('key_type_mismatch', 'Unsupported key type for a JWKS.');
  }
  if (out.kid === undefined) delete (out as { kid?: string }).kid;
  return Object.freeze(out);
}
