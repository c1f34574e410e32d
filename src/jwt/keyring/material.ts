/**
 * Key material of ring keys: generating a fresh key for an algorithm, and turning
 * the bytes kept (encrypted) in the store back into a {@link JwsKey}.
 *
 * - HS256/384/512: 64 random bytes (≥ every HMAC hash size).
 * - RS256/PS256: 2048-bit RSA; RS384/RS512/PS384/PS512: 3072-bit RSA (128-bit
 *   security to match the hash); e = 65537.
 * - ES256/ES384/ES512: P-256 / P-384 / P-521. EdDSA: Ed25519.
 *
 * The stored plaintext is the raw secret (HMAC) or the PKCS#8 DER private key.
 *
 * Failure modes: {@link keyFromMaterial} throws JwtKeyConfigError when the bytes do not
 * form a key acceptable for the algorithm (importKey's rules apply to ring keys too).
 */
import { createPrivateKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { importKey, JwsKeyError, type JwsAlgorithm, type JwsKey } from '../jws/index.js';
import { JwtKeyConfigError } from './errors.js';

const generatePair = promisify(generateKeyPair);

/** True for the HMAC algorithms (shared secrets). */
export function isHmac(alg: string): boolean {
  return alg === 'HS256' || alg === 'HS384' || alg === 'HS512';
}

/** A freshly generated key and the bytes to store (encrypted) for it. */
export interface GeneratedKey {
  readonly key: JwsKey;
  /** Secret bytes or PKCS#8 DER; the caller zeroes them once sealed. */
  readonly material: Buffer;
}

/** Generates a new key for `alg`, pinned to it, with id `kid`. */
export async function generateKey(alg: JwsAlgorithm, kid: string): Promise<GeneratedKey> {
  if (isHmac(alg)) {
    const material = randomBytes(64);
    return { key: importKey({ alg, kid, secret: material }), material: Buffer.from(material) };
  }
  let privateKey: KeyObject;
  if (alg === 'EdDSA') {
    ({ privateKey } = await generatePair('ed25519'));
  } else if (alg === 'ES256' || alg === 'ES384' || alg === 'ES512') {
    const namedCurve = alg === 'ES256' ? 'P-256' : alg === 'ES384' ? 'P-384' : 'P-521';
    ({ privateKey } = await generatePair('ec', { namedCurve }));
  } else {
    const modulusLength = alg.endsWith('256') ? 2048 : 3072;
    ({ privateKey } = await generatePair('rsa', { modulusLength, publicExponent: 0x10001 }));
  }
  const material = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { key: importKey({ alg, kid, keyObject: privateKey }), material };
}

/**
 * The key stored for (`kid`, `alg`) from its decrypted material.
 * @throws JwtKeyConfigError when the material is not a valid key for `alg`.
 */
export function keyFromMaterial(alg: JwsAlgorithm, kid: string, material: Buffer): JwsKey {
  try {
    if (isHmac(alg)) return importKey({ alg, kid, secret: new Uint8Array(material) });
    return importKey({ alg, kid, keyObject: createPrivateKey({ key: material, format: 'der', type: 'pkcs8' }) });
  } catch (e) {
    const why = e instanceof JwsKeyError ? e.message : 'the stored bytes are not a private key';
    throw new JwtKeyConfigError(`key ring entry "${kid}" (${alg}) is not a usable key: ${why}`);
  }
}
