/**
 * Token verification: grammar → header → key selection → signature → payload.
 *
 * Order matters: nothing is decoded beyond the size cap and the grammar, the
 * algorithm comes from the key (the header's `alg` must merely equal it), and the
 * payload is parsed only after the signature verified, so unauthenticated bytes
 * never reach `JSON.parse`.
 *
 * Two levels:
 * - {@link verifyCompact}: the bare JWS layer; the payload is returned as bytes
 *   (RFC 7520 / Wycheproof vectors have non-JSON payloads). Optionally accepts an
 *   empty payload segment.
 * - {@link verify}: the JWT layer's entry point; the payload must additionally be a
 *   UTF-8 JSON object, returned with a null prototype at every depth. Duplicate
 *   member names in the payload keep the last value, as Python's `json` (and so
 *   PyJWT / simplejwt) does; this happens only after the signature verified.
 *
 * Performance (HS256, simplejwt's default, is the hot path). Figures from the 2-core
 * dev box, Node 20: jose 6 `jwtVerify` ≈ 14k/s, jsonwebtoken ≈ 3k/s, fast-jwt ≈ 188k/s,
 * and the "raw limit" ≈ 234k/s — createHmac + timingSafeEqual + base64url decode +
 * JSON.parse with no checks at all. A library call spends most of that budget, so the
 * HMAC path is written on node:crypto here: it is the product itself, not a wrapper.
 * It must stay ≥ 0.95× the raw limit while doing strictly more (grammar, header
 * rules, key pinning, UTF-8 and null-prototype payloads). How it gets there:
 *   1. the header segment is identical for every token of a key, so it is decoded and
 *      validated once and cached (header.ts);
 *   2. the HMAC reuses precomputed key blocks and allocates no Buffer (signature.ts
 *      `createMac`) — native Buffer creation was the largest single cost;
 *   3. signature and payload bytes are decoded into scratch buffers (Buffer-pool churn
 *      was ~15 % of the time);
 *   4. a flat payload gets its null prototype with `Object.setPrototypeOf` instead of
 *      a copy (json.ts).
 * bench/verify.ts measures all contenders in one interleaved run; see its output
 * (typically Gatehouse ≈ 1.1× the raw limit, fast-jwt ≈ 0.7×, jose ≈ 0.05×).
 */
import type { JwsAlgorithm } from './algorithms.js';
import { DEFAULT_MAX_TOKEN_BYTES, splitCompact } from './compact.js';
import { JwsError } from './errors.js';
import { parseProtectedHeader } from './header.js';
import { parseJsonObject, type JsonRecord } from './json.js';
import { internalsOf, type JwsKey } from './keys.js';
import { compileKeySet, keySetOf, type JwsKeySet, type KeySetOptions } from './keyset.js';
import { verifyBytes } from './signature.js';

/** A verified protected header (deeply frozen, null prototype). */
export interface JwsHeader {
  readonly alg: JwsAlgorithm;
  readonly kid?: string;
  readonly typ?: string;
  readonly [parameter: string]: unknown;
}

/** Options common to both verification levels. */
export interface VerifyOptions {
  /**
   * Refuse longer tokens (`too_large`) before any parsing. Default 8192. Counted in
   * characters, which equal bytes for every token that can pass (they are ASCII).
   * A non-positive or NaN value is a TypeError, never "no limit".
   */
  readonly maxTokenBytes?: number;
}

/** Options of {@link verifyCompact}. */
export interface VerifyCompactOptions extends VerifyOptions {
  /** Accept `header..signature` (an empty payload). Never valid for a JWT. Default false. */
  readonly allowEmptyPayload?: boolean;
}

/** Result of {@link verifyCompact}. */
export interface VerifiedCompact {
  readonly header: JwsHeader;
  /** The decoded payload bytes. */
  readonly payload: Buffer;
  /** `header.payload`, the exact signed bytes (ASCII). */
  readonly signingInput: string;
  /** The key whose signature matched. */
  readonly key: JwsKey;
}

/** Result of {@link verify}. */
export interface VerifiedJws {
  readonly header: JwsHeader;
  /** The claims: a null-prototype object (nested objects too). */
  readonly payload: Record<string, unknown>;
  readonly signingInput: string;
  readonly key: JwsKey;
}

/** A reusable verifier over a fixed key set; see {@link verifierFor}. */
export interface JwsVerifier {
  readonly keySet: JwsKeySet;
  /** {@link verify} with this verifier's keys. */
  verify(token: string, options?: VerifyOptions): VerifiedJws;
  /** {@link verifyCompact} with this verifier's keys. */
  verifyCompact(token: string, options?: VerifyCompactOptions): VerifiedCompact;
}

/** Anything that names the keys a token may be verified with. */
export type VerificationKeys = JwsKey | readonly JwsKey[] | JwsKeySet | JwsVerifier;

/**
 * Builds a verifier for a key set (rotation / JWKS). Build it once per key-set
 * change and reuse it; passing a bare array to {@link verify} re-validates the set
 * on every call.
 * @throws JwsKeyError `empty_key_set` | `mixed_key_set` | `duplicate_kid` | `unknown_key`
 */
export function verifierFor(keys: readonly JwsKey[], options: KeySetOptions = {}): JwsVerifier {
  const keySet = compileKeySet(keys, options);
  return Object.freeze({
    keySet,
    verify: (token: string, opts?: VerifyOptions) => verify(token, keySet, opts),
    verifyCompact: (token: string, opts?: VerifyCompactOptions) => verifyCompact(token, keySet, opts),
  });
}

/**
 * Verifies a compact JWS and returns its payload bytes (no JSON parsing).
 * @throws JwsError `too_large` | `malformed` | `unsupported` | `alg_mismatch` |
 *   `unknown_kid` | `bad_signature`; JwsKeyError `unknown_key` / set errors for bad `keys`.
 */
export function verifyCompact(token: string, keys: VerificationKeys, options: VerifyCompactOptions = NO_OPTIONS): VerifiedCompact {
  const checked = checkSignature(token, toKeySet(keys), options.maxTokenBytes, options.allowEmptyPayload === true);
  return {
    header: checked.header,
    payload: Buffer.from(checked.payload, 'base64url'), // a fresh copy the caller owns
    signingInput: checked.signingInput,
    key: checked.key,
  };
}

/**
 * Verifies a compact JWS whose payload is a JSON object (a JWT), without checking
 * any claim (that is the JWT layer's job).
 * @throws JwsError as {@link verifyCompact}, plus `malformed` when the payload is
 *   empty, not UTF-8, not JSON, or not an object.
 */
export function verify(token: string, keys: VerificationKeys, options: VerifyOptions = NO_OPTIONS): VerifiedJws {
  const checked = checkSignature(token, toKeySet(keys), options.maxTokenBytes, false);
  return {
    header: checked.header,
    payload: parseJsonObject(decodeTransient(checked.payload, PAYLOAD_SCRATCH), 'payload'),
    signingInput: checked.signingInput,
    key: checked.key,
  };
}

interface Checked {
  readonly header: JwsHeader;
  readonly payload: string;
  readonly signingInput: string;
  readonly key: JwsKey;
}

const NO_OPTIONS: VerifyCompactOptions = Object.freeze({});

function checkSignature(token: string, set: JwsKeySet, maxBytes: number | undefined, allowEmptyPayload: boolean): Checked {
  const max = maxBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (!(max > 0)) throw new TypeError('maxTokenBytes must be a positive number');
  const parts = splitCompact(token, max, allowEmptyPayload);
  const { header, alg, kid } = parseProtectedHeader(parts.header);
  const candidates = set.select(alg, kid);
  const sigSegment = parts.signature;
  let signature: Buffer | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const key = candidates[i] as JwsKey;
    const k = internalsOf(key);
    if (sigSegment.length !== k.sigChars) continue;
    signature ??= decodeTransient(sigSegment, SIGNATURE_SCRATCH);
    if (verifyBytes(k, parts.signingInput, signature)) {
      return { header: header as JsonRecord as JwsHeader, payload: parts.payload, signingInput: parts.signingInput, key };
    }
  }
  throw new JwsError('bad_signature');
}

// Scratch buffers for bytes that are consumed before the call returns (signature,
// payload text). Decoding into them avoids Buffer-pool churn, which profiling showed
// to cost ~15 % of an HS256 verification. Synchronous use only; never returned.
const SIGNATURE_SCRATCH = Buffer.allocUnsafe(1024);
const PAYLOAD_SCRATCH = Buffer.allocUnsafe(8192);

/** Decodes already-validated base64url into `scratch` when it fits (a view), else into a new Buffer. */
function decodeTransient(segment: string, scratch: Buffer): Buffer {
  if (segment.length > scratch.length) return Buffer.from(segment, 'base64url');
  return scratch.subarray(0, scratch.write(segment, 'base64url'));
}

function toKeySet(keys: VerificationKeys): JwsKeySet {
  if (Array.isArray(keys)) return compileKeySet(keys as readonly JwsKey[]);
  const k = keys as JwsKey | JwsKeySet | JwsVerifier;
  if ('keySet' in k) return k.keySet;
  if ('select' in k) return k;
  return keySetOf(k);
}
