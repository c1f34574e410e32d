/**
 * Test key material, generated once per process: one key (pair) per algorithm.
 * RSA keys are 2048-bit and shared by RS* and PS* (same material, different pins).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { importKey, JWS_ALGORITHMS, type JwsAlgorithm, type JwsKey } from '../../src/jwt/jws/index.js';

export interface TestKey {
  readonly alg: JwsAlgorithm;
  /** Signing key (secret or private). */
  readonly signer: JwsKey;
  /** Verification key (secret or public). */
  readonly verifier: JwsKey;
  /** Raw material for other libraries: a secret (bytes) or a key pair. */
  readonly secret?: Buffer;
  readonly privateKey?: KeyObject;
  readonly publicKey?: KeyObject;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** A private/public KeyObject pair. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const ec: Readonly<Record<'ES256' | 'ES384' | 'ES512', KeyPair>> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
const ed = generateKeyPairSync('ed25519');

export const RSA_PAIR = rsa;
export const EC_PAIRS = ec;
export const ED_PAIR = ed;

function make(alg: JwsAlgorithm): TestKey {
  if (alg.startsWith('HS')) {
    const secret = randomBytes(Number(alg.slice(2)) / 8);
    const key = importKey({ alg, secret });
    return { alg, signer: key, verifier: key, secret };
  }
  const pair = alg === 'ES256' || alg === 'ES384' || alg === 'ES512' ? ec[alg] : alg === 'EdDSA' ? ed : rsa;
  return {
    alg,
    signer: importKey({ alg, keyObject: pair.privateKey }),
    verifier: importKey({ alg, keyObject: pair.publicKey }),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  };
}

/** One TestKey per supported algorithm. */
export const KEYS: ReadonlyMap<JwsAlgorithm, TestKey> = new Map(JWS_ALGORITHMS.map((alg) => [alg, make(alg)]));

export function keyFor(alg: JwsAlgorithm): TestKey {
  return KEYS.get(alg) as TestKey;
}
