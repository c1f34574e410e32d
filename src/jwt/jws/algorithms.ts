/**
 * The JWS algorithms Gatehouse accepts (RFC 7518 §3 plus RFC 8037 EdDSA) and what
 * each one needs from a key. `none` is not in the list and cannot be added.
 */

/** A signature algorithm, spelled exactly as in the JOSE `alg` header (case-sensitive). */
export type JwsAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA';

/** The primitive family behind an algorithm. */
export type AlgorithmFamily = 'hmac' | 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa';

/** Static facts about one algorithm. */
export interface AlgorithmSpec {
  readonly alg: JwsAlgorithm;
  readonly family: AlgorithmFamily;
  /** node:crypto digest name; `null` for EdDSA (the hash is part of the scheme). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** Digest size in bytes (HMAC minimum key size, PSS salt length); 0 for EdDSA. */
  readonly hashBytes: number;
  /** Fixed signature size in bytes (HMAC, ECDSA r||s, Ed25519); `null` for RSA (= modulus size). */
  readonly sigBytes: number | null;
  /** ECDSA: node:crypto `namedCurve` (OpenSSL name) and JWK `crv`. */
  readonly curve?: { readonly node: string; readonly jwk: 'P-256' | 'P-384' | 'P-521' };
}

function spec(s: AlgorithmSpec): AlgorithmSpec {
  return Object.freeze(s);
}

const SPECS: ReadonlyMap<string, AlgorithmSpec> = new Map<string, AlgorithmSpec>([
  ['HS256', spec({ alg: 'HS256', family: 'hmac', hash: 'sha256', hashBytes: 32, sigBytes: 32 })],
  ['HS384', spec({ alg: 'HS384', family: 'hmac', hash: 'sha384', hashBytes: 48, sigBytes: 48 })],
  ['HS512', spec({ alg: 'HS512', family: 'hmac', hash: 'sha512', hashBytes: 64, sigBytes: 64 })],
  ['RS256', spec({ alg: 'RS256', family: 'rsa-pkcs1', hash: 'sha256', hashBytes: 32, sigBytes: null })],
  ['RS384', spec({ alg: 'RS384', family: 'rsa-pkcs1', hash: 'sha384', hashBytes: 48, sigBytes: null })],
  ['RS512', spec({ alg: 'RS512', family: 'rsa-pkcs1', hash: 'sha512', hashBytes: 64, sigBytes: null })],
  ['PS256', spec({ alg: 'PS256', family: 'rsa-pss', hash: 'sha256', hashBytes: 32, sigBytes: null })],
  ['PS384', spec({ alg: 'PS384', family: 'rsa-pss', hash: 'sha384', hashBytes: 48, sigBytes: null })],
  ['PS512', spec({ alg: 'PS512', family: 'rsa-pss', hash: 'sha512', hashBytes: 64, sigBytes: null })],
  ['ES256', spec({ alg: 'ES256', family: 'ecdsa', hash: 'sha256', hashBytes: 32, sigBytes: 64, curve: { node: 'prime256v1', jwk: 'P-256' } })],
  ['ES384', spec({ alg: 'ES384', family: 'ecdsa', hash: 'sha384', hashBytes: 48, sigBytes: 96, curve: { node: 'secp384r1', jwk: 'P-384' } })],
  ['ES512', spec({ alg: 'ES512', family: 'ecdsa', hash: 'sha512', hashBytes: 64, sigBytes: 132, curve: { node: 'secp521r1', jwk: 'P-521' } })],
  ['EdDSA', spec({ alg: 'EdDSA', family: 'eddsa', hash: null, hashBytes: 0, sigBytes: 64 })],
]);

/** Every supported algorithm, in a stable order. */
export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([...SPECS.keys()] as JwsAlgorithm[]);

/** True when `value` is exactly (case-sensitively) one of the supported algorithm names. */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && SPECS.has(value);
}

/**
 * The spec of a supported algorithm. Throws `TypeError` for anything else
 * (callers validate with {@link isJwsAlgorithm} first).
 */
export function algorithmSpec(alg: JwsAlgorithm): AlgorithmSpec {
  const s = SPECS.get(alg);
  if (s === undefined) throw new TypeError('unsupported JWS algorithm');
  return s;
}

/** True for the HMAC algorithms (symmetric keys). */
export function isSymmetric(alg: JwsAlgorithm): boolean {
  return algorithmSpec(alg).family === 'hmac';
}
