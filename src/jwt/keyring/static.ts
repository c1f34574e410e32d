/**
 * The static key from the settings (simplejwt's `SIGNING_KEY` / `VERIFYING_KEY`):
 * it signs and verifies tokens without a `kid`, exactly as simplejwt does.
 *
 * - HS256/384/512: the secret is `jwt.signingKey ?? secretKey`, as UTF-8 bytes (like
 *   simplejwt / PyJWT). `jwt.verifyingKey` must be empty (an HMAC key has no public half).
 * - Asymmetric: `jwt.signingKey` is a PEM private key, `jwt.verifyingKey` a PEM public
 *   key or certificate; when only the private key is given, the public key is derived
 *   from it; when only the public key is given, the server verifies but cannot sign.
 *   Neither given: no static key (the key ring or `jwkUrl` must provide keys). The
 *   `secretKey` is never an asymmetric key.
 *
 * Failure modes: JwtKeyConfigError (docs/security.md #101–#102) naming the setting and the rule
 * it breaks — empty / short / weak HMAC secret for the algorithm, a PEM where a secret
 * is expected or the reverse, RSA < 2048 bits, wrong EC curve, a public key in
 * `signingKey` or a private key in `verifyingKey`, a `verifyingKey` that is not the
 * public half of `signingKey`. Messages never contain key material.
 */
import type { Settings } from '../../core/settings.js';
import { importKey, JwsKeyError, type JwsAlgorithm, type JwsKey } from '../jws/index.js';
import { JwtKeyConfigError } from './errors.js';
import { isHmac } from './material.js';

/** The static keys: either may be null (see the module doc). */
export interface StaticKeys {
  /** Signs tokens without a `kid`; null when the settings give no private key / secret. */
  readonly signer: JwsKey | null;
  /** Verifies tokens without a `kid`; null when the settings give no key at all. */
  readonly verifier: JwsKey | null;
}

/**
 * Loads the static key(s) for `settings.algorithm`.
 * @throws JwtKeyConfigError for any unusable configuration.
 */
export function staticKeys(settings: Settings['jwt'], secretKey: string): StaticKeys {
  const alg: JwsAlgorithm = settings.algorithm;
  if (isHmac(alg)) {
    if (settings.verifyingKey !== '') {
      throw new JwtKeyConfigError(`jwt.verifyingKey must be empty with ${alg}: an HMAC secret has no public key (set jwt.signingKey, or choose an asymmetric jwt.algorithm).`);
    }
    const fromSettings = settings.signingKey !== null;
    const label = fromSettings ? `jwt.signingKey (${alg})` : `secretKey (the ${alg} signing key while jwt.signingKey is not set)`;
    const secret = settings.signingKey ?? secretKey;
    if (typeof secret !== 'string' || secret.length === 0) throw new JwtKeyConfigError(`${label} is empty; set a random secret of at least ${hashBytes(alg)} bytes.`);
    const key = load(label, () => importKey({ alg, secret }));
    return { signer: key, verifier: key };
  }

  let signer: JwsKey | null = null;
  if (settings.signingKey !== null) {
    const label = `jwt.signingKey (${alg})`;
    signer = load(label, () => importKey({ alg, pem: settings.signingKey as string }));
    if (signer.kind !== 'private') {
      throw new JwtKeyConfigError(`${label} must be a PEM private key; it holds a public key or certificate (put that in jwt.verifyingKey).`);
    }
  }
  let verifier: JwsKey | null = signer;
  if (settings.verifyingKey !== '') {
    const label = `jwt.verifyingKey (${alg})`;
    const key = load(label, () => importKey({ alg, pem: settings.verifyingKey }));
    if (key.kind !== 'public') {
      throw new JwtKeyConfigError(`${label} must be a PEM public key or certificate, not a private key (the verifying key is public; the private key goes in jwt.signingKey).`);
    }
    if (signer !== null && !samePublicKey(signer, key)) {
      throw new JwtKeyConfigError('jwt.verifyingKey is not the public key of jwt.signingKey; tokens signed by this server would not verify (leave jwt.verifyingKey empty to derive it).');
    }
    verifier = key;
  }
  return { signer, verifier };
}

function hashBytes(alg: JwsAlgorithm): number {
  return alg === 'HS512' ? 64 : alg === 'HS384' ? 48 : 32;
}

function load(label: string, fn: () => JwsKey): JwsKey {
  try {
    return fn();
  } catch (e) {
    if (e instanceof JwsKeyError) throw new JwtKeyConfigError(`${label}: ${e.message}`, { cause: e });
    throw e;
  }
}

function samePublicKey(a: JwsKey, b: JwsKey): boolean {
  const der = (k: JwsKey) => (k.publicKey ?? k.key).export({ format: 'der', type: 'spki' });
  return der(a).equals(der(b));
}
