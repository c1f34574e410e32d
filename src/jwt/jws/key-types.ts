/**
 * The key types the JWS modules share (a module of types only, so that keys.ts, jwk.ts and
 * signature.ts need not import each other's types: no cycle, even an erased one).
 */
import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec, JwsAlgorithm } from './algorithms.js';

/**
 * Computes the HMAC of an ASCII string under one fixed key. The returned Buffer is
 * owned by the function and overwritten by its next call: compare it at once.
 */
export type MacFunction = (data: string) => Buffer;

/** A loaded key, pinned to one algorithm. Frozen; create only with `importKey` (keys.ts). */
export interface JwsKey {
  /** The only algorithm this key signs or verifies. */
  readonly alg: JwsAlgorithm;
  /** Key id, sent as the `kid` header when signing and used to select the key when verifying. */
  readonly kid?: string;
  /** `secret` (HMAC), `private` (can sign and verify), `public` (verify only). */
  readonly kind: 'secret' | 'private' | 'public';
  /** The key itself: a secret, private or public KeyObject. */
  readonly key: KeyObject;
  /** For asymmetric keys: the public KeyObject used to verify (equals `key` for public keys). */
  readonly publicKey?: KeyObject;
}

/** Internal, per-key data that must not be reachable from the public object. */
export interface KeyInternals {
  readonly spec: AlgorithmSpec;
  /** Secret or public key used to verify. */
  readonly verifyKey: KeyObject;
  /** Secret or private key used to sign; undefined for public keys. */
  readonly signKey: KeyObject | undefined;
  /** Exact signature length in bytes. */
  readonly sigBytes: number;
  /** Exact signature segment length in base64url characters. */
  readonly sigChars: number;
  /** HMAC keys: the precomputed MAC function (see signature.ts). */
  readonly mac?: MacFunction;
}
