/**
 * Key import: every key Gatehouse signs or verifies with is a {@link JwsKey} made
 * here. A JwsKey pins exactly one algorithm; the token header never chooses it.
 *
 * Load-time rules (docs/security.md #5, #7, #101–#103). Each violation throws a
 * {@link JwsKeyError} whose `reason` names the rule and whose message says what to fix:
 * - HMAC (`HS*`): the secret must be non-empty (`empty_secret`), not a known weak
 *   value (`weak_secret`; for string secrets also not one repeated character), at
 *   least as long as the hash (HS256 ≥ 32 bytes, HS384 ≥ 48, HS512 ≥ 64;
 *   `secret_too_short`, RFC 7518 §3.2), and not a PEM/public key (`key_type_mismatch`:
 *   the classic RS→HS confusion starts with someone pasting a public key as a secret).
 * - RSA (`RS*`, `PS*`): a plain `rsa` key (not `rsa-pss`) of ≥ 2048 bits with an odd
 *   public exponent ≥ 3 and without the ROCA fingerprint (`weak_rsa_key`).
 * - ECDSA: ES256 needs P-256, ES384 P-384, ES512 P-521 (`wrong_curve`).
 * - EdDSA: Ed25519 only (`wrong_curve` for Ed448).
 * - A symmetric source (secret, `oct` JWK, secret KeyObject) for an asymmetric
 *   algorithm, or the reverse, is `key_type_mismatch`.
 * - JWK metadata (`use`, `key_ops`, `alg`, `kid`): see jwk.ts.
 *
 * Keys are always node:crypto `KeyObject`s: PEM strings are parsed once here and
 * never reach a verifier (fast-jwt's CVE-2023-48223 family came from sniffing PEM
 * strings at verification time).
 */
import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { algorithmSpec, isJwsAlgorithm, type AlgorithmSpec, type JwsAlgorithm } from './algorithms.js';
import { base64urlLength } from './base64url.js';
import { JwsKeyError } from './errors.js';
import { asymmetricKeyFromJwk, octSecret, readJwkMetadata } from './jwk.js';
import { hasRocaFingerprint } from './roca.js';
import { createMac } from './signature.js';
import type { JwsKey, KeyInternals } from './key-types.js';

export type { JwsKey, KeyInternals } from './key-types.js';


/** What {@link importKey} takes: the pinned algorithm and exactly one key source. */
export interface ImportKeyOptions {
  /** The algorithm the key is pinned to. */
  readonly alg: JwsAlgorithm;
  /** Key id; must equal the JWK's `kid` when both are given. */
  readonly kid?: string;
  /** HMAC secret; a string is taken as its UTF-8 bytes (like PyJWT / simplejwt `SIGNING_KEY`). */
  readonly secret?: string | Uint8Array;
  /** PEM text: PKCS#8 / PKCS#1 / SEC1 private key, SPKI / PKCS#1 public key, or an X.509 certificate. */
  readonly pem?: string;
  /** A single JWK (RFC 7517) as a parsed object. */
  readonly jwk?: Readonly<Record<string, unknown>>;
  /** An existing node:crypto KeyObject. */
  readonly keyObject?: KeyObject;
}


const INTERNALS = new WeakMap<JwsKey, KeyInternals>();

/**
 * The internals of a key made by {@link importKey}.
 * @throws JwsKeyError `unknown_key` for any other object (hand-built look-alikes are refused).
 */
export function internalsOf(key: JwsKey): KeyInternals {
  const internals = INTERNALS.get(key);
  if (internals === undefined) throw new JwsKeyError('unknown_key', 'Keys must be created with importKey().');
  return internals;
}

/**
 * Known weak HMAC secrets (lower-cased, compared after trimming). Most are also
 * shorter than 32 bytes; they are listed so the error names the real problem.
 * Sources: jwt_tool's common-secret list, jwt.io / framework sample values.
 */
const WEAK_SECRETS: ReadonlySet<string> = new Set([
  '', 'secret', 'secrets', 'secretkey', 'secret_key', 'secret-key', 'mysecret', 'my_secret', 'mysecretkey',
  'my_secret_key', 'my-secret-key', 'supersecret', 'super_secret', 'super-secret', 'supersecretkey', 'topsecret',
  'changeme', 'change_me', 'change-me', 'changeit', 'changethis', 'password', 'passw0rd', 'pass', 'admin',
  'jwt', 'jwtsecret', 'jwt_secret', 'jwt-secret', 'jwtkey', 'jwt_key', 'key', 'private', 'privatekey',
  'default', 'test', 'testing', 'example', 'qwerty', '123456', '12345678', '1234567890', 'shhhhh',
  'shhhhhhared-secret', 'keyboard cat', 's3cr3t', 'hello', 'none', 'null', 'undefined', 'insecure',
  'your-256-bit-secret', 'your-384-bit-secret', 'your-512-bit-secret',
  'a-string-secret-at-least-256-bits-long',
  'your_jwt_secret', 'your-jwt-secret', 'your_secret_key', 'your-secret-key',
]);

/**
 * Loads a key and pins it to `options.alg` (see the module doc for every rule).
 * @throws JwsKeyError on any rule violation, on unparsable input, or when zero or
 *   several of `secret` / `pem` / `jwk` / `keyObject` are given.
 */
export function importKey(options: ImportKeyOptions): JwsKey {
  const { alg } = options;
  if (!isJwsAlgorithm(alg)) throw new JwsKeyError('unsupported_alg', 'Unsupported algorithm; use one of HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.');
  const spec = algorithmSpec(alg);
  const sources = [options.secret, options.pem, options.jwk, options.keyObject].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new JwsKeyError('bad_input', 'Give exactly one of secret, pem, jwk or keyObject.');
  if (options.kid !== undefined && (typeof options.kid !== 'string' || options.kid.length === 0)) {
    throw new JwsKeyError('bad_input', 'kid must be a non-empty string.');
  }

  let kid = options.kid;
  let material: KeyObject;
  if (options.jwk !== undefined) {
    const meta = readJwkMetadata(options.jwk, alg);
    if (meta.kid !== undefined) {
      if (kid !== undefined && kid !== meta.kid) throw new JwsKeyError('kid_mismatch', 'kid differs from the JWK "kid".');
      kid = meta.kid;
    }
    if (spec.family === 'hmac') {
      if (meta.kty !== 'oct') throw mismatch(alg);
      material = secretKey(octSecret(options.jwk), spec, false);
    } else {
      if (meta.kty === 'oct') throw mismatch(alg);
      material = asymmetricKeyFromJwk(options.jwk, meta.isPrivate);
    }
  } else if (options.secret !== undefined) {
    if (spec.family !== 'hmac') throw mismatch(alg);
    const s = options.secret;
    if (typeof s === 'string') material = secretKey(Buffer.from(s, 'utf8'), spec, true);
    else if (s instanceof Uint8Array) material = secretKey(Buffer.from(s), spec, false);
    else throw new JwsKeyError('bad_input', 'secret must be a string or bytes.');
  } else if (options.pem !== undefined) {
    if (spec.family === 'hmac') throw mismatch(alg);
    if (typeof options.pem !== 'string') throw new JwsKeyError('bad_input', 'pem must be a string.');
    material = keyFromPem(options.pem);
  } else {
    const ko = options.keyObject;
    if (!(ko instanceof KeyObject)) throw new JwsKeyError('bad_input', 'keyObject must be a node:crypto KeyObject.');
    if ((ko.type === 'secret') !== (spec.family === 'hmac')) throw mismatch(alg);
    material = ko.type === 'secret' ? secretKey(ko.export(), spec, false) : ko;
  }

  return register(alg, kid, material, spec);
}

function mismatch(alg: JwsAlgorithm): JwsKeyError {
  return algorithmSpec(alg).family === 'hmac'
    ? new JwsKeyError('key_type_mismatch', `${alg} needs a shared secret, not an asymmetric key.`)
    : new JwsKeyError('key_type_mismatch', `${alg} needs an asymmetric key, not a shared secret.`);
}

function secretKey(bytes: Buffer, spec: AlgorithmSpec, fromString: boolean): KeyObject {
  if (bytes.length === 0) throw new JwsKeyError('empty_secret', `The ${spec.alg} secret is empty.`);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN') || text.includes('"kty"')) {
    throw new JwsKeyError('key_type_mismatch', `The ${spec.alg} secret looks like a PEM or JWK key; an asymmetric key is never an HMAC secret.`);
  }
  if (WEAK_SECRETS.has(bytes.toString('utf8').trim().toLowerCase())) {
    throw new JwsKeyError('weak_secret', `The ${spec.alg} secret is a well-known value; generate a random one (e.g. 64 random bytes).`);
  }
  if (fromString && bytes.every((b) => b === bytes[0])) {
    throw new JwsKeyError('weak_secret', `The ${spec.alg} secret is one repeated character; generate a random one.`);
  }
  if (bytes.length < spec.hashBytes) {
    throw new JwsKeyError('secret_too_short', `The ${spec.alg} secret has ${bytes.length} bytes; at least ${spec.hashBytes} are required (RFC 7518 §3.2).`);
  }
  return createSecretKey(bytes);
}

function keyFromPem(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // not a (clear-text) private key: try public key / certificate
  }
  try {
    return createPublicKey(pem);
  } catch {
    throw new JwsKeyError('bad_input', 'The PEM text is not a readable private key, public key or certificate (encrypted private keys are not supported).');
  }
}

function register(alg: JwsAlgorithm, kid: string | undefined, material: KeyObject, spec: AlgorithmSpec): JwsKey {
  let key: JwsKey;
  let internals: KeyInternals;
  if (material.type === 'secret') {
    key = Object.freeze(kid === undefined ? { alg, kind: 'secret' as const, key: material } : { alg, kid, kind: 'secret' as const, key: material });
    const sigBytes = spec.sigBytes as number;
    const mac = createMac(spec.hash as 'sha256' | 'sha384' | 'sha512', material);
    internals = { spec, verifyKey: material, signKey: material, sigBytes, sigChars: base64urlLength(sigBytes), mac };
  } else {
    const publicKey = material.type === 'private' ? createPublicKey(material) : material;
    const sigBytes = checkAsymmetric(publicKey, spec);
    const kind = material.type === 'private' ? ('private' as const) : ('public' as const);
    key = Object.freeze(kid === undefined ? { alg, kind, key: material, publicKey } : { alg, kid, kind, key: material, publicKey });
    internals = {
      spec,
      verifyKey: publicKey,
      signKey: material.type === 'private' ? material : undefined,
      sigBytes,
      sigChars: base64urlLength(sigBytes),
    };
  }
  INTERNALS.set(key, Object.freeze(internals));
  return key;
}

/** Checks an asymmetric public key against the algorithm; returns the exact signature size. */
function checkAsymmetric(publicKey: KeyObject, spec: AlgorithmSpec): number {
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'rsa-pkcs1':
    case 'rsa-pss': {
      if (type === 'rsa-pss') throw new JwsKeyError('key_type_mismatch', `${spec.alg}: RSASSA-PSS-restricted keys (OID id-RSASSA-PSS) are not supported; use a plain RSA key.`);
      if (type !== 'rsa') throw new JwsKeyError('key_type_mismatch', `${spec.alg} needs an RSA key, got ${String(type)}.`);
      const bits = details.modulusLength ?? 0;
      const e = details.publicExponent ?? 0n;
      if (bits < 2048) throw new JwsKeyError('weak_rsa_key', `${spec.alg}: the RSA key has ${bits} bits; at least 2048 are required (RFC 7518 §3.3).`);
      if (e < 3n || e % 2n === 0n) throw new JwsKeyError('weak_rsa_key', `${spec.alg}: the RSA public exponent must be odd and at least 3 (65537 is standard).`);
      const n = publicKey.export({ format: 'jwk' }).n;
      if (typeof n !== 'string' || hasRocaFingerprint(BigInt('0x' + Buffer.from(n, 'base64url').toString('hex')))) {
        throw new JwsKeyError('weak_rsa_key', `${spec.alg}: the RSA key has the ROCA fingerprint (CVE-2017-15361); replace it.`);
      }
      return Math.ceil(bits / 8);
    }
    case 'ecdsa': {
      if (type !== 'ec') throw new JwsKeyError('key_type_mismatch', `${spec.alg} needs an EC key, got ${String(type)}.`);
      const curve = spec.curve as NonNullable<AlgorithmSpec['curve']>;
      if (details.namedCurve !== curve.node) {
        throw new JwsKeyError('wrong_curve', `${spec.alg} needs a ${curve.jwk} key, got ${String(details.namedCurve)}.`);
      }
      return spec.sigBytes as number;
    }
    case 'eddsa': {
      if (type === 'ed448') throw new JwsKeyError('wrong_curve', 'EdDSA keys must be Ed25519 (Ed448 is not accepted).');
      if (type !== 'ed25519') throw new JwsKeyError('key_type_mismatch', `EdDSA needs an Ed25519 key, got ${String(type)}.`);
      return spec.sigBytes as number;
    }
    default:
      throw new JwsKeyError('key_type_mismatch', `${spec.alg} needs a shared secret.`);
  }
}
