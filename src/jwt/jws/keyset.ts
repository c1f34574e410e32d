/**
 * Key sets: several keys accepted by one verifier (rotation, JWKS).
 *
 * Set rules, checked once when the set is built (docs/security.md #103):
 * - at least one key, each made by `importKey`;
 * - all symmetric (HMAC) or all asymmetric — never mixed (`mixed_key_set`);
 * - no two keys with the same `kid` (`duplicate_kid`).
 *
 * Selection for a token with header `alg` and maybe `kid`:
 * 1. `kid` present and a key has it → that key only; if its pinned algorithm is not
 *    the header's `alg` → `alg_mismatch` (no fall-through to other keys).
 * 2. otherwise → every key pinned to the header's `alg` (none → `alg_mismatch`).
 *    simplejwt/PyJWT tokens carry no `kid`, so rotation without kids works.
 * With `strictKid: true` (docs/security.md #12), step 2 is narrowed: an unknown `kid`, or
 * no `kid` while several keys share the algorithm, is `unknown_kid`.
 */
import type { JwsAlgorithm } from './algorithms.js';
import { JwsError, JwsKeyError } from './errors.js';
import { internalsOf, type JwsKey } from './keys.js';

/** Options for a key set. */
export interface KeySetOptions {
  /** Refuse tokens whose `kid` (or lack of one) does not select exactly one key. Default false. */
  readonly strictKid?: boolean;
}

/** A validated, immutable set of keys. Build with {@link compileKeySet}. */
export interface JwsKeySet {
  readonly keys: readonly JwsKey[];
  readonly strictKid: boolean;
  /** `true` when every key is an HMAC key. */
  readonly symmetric: boolean;
  /**
   * The keys to try for a token (see module doc).
   * @throws JwsError `alg_mismatch` | `unknown_kid`
   */
  select(alg: string, kid: string | undefined): readonly JwsKey[];
}

/**
 * Validates and indexes keys.
 * @throws JwsKeyError `empty_key_set` | `unknown_key` | `mixed_key_set` | `duplicate_kid`
 */
export function compileKeySet(keys: readonly JwsKey[], options: KeySetOptions = {}): JwsKeySet {
  if (!Array.isArray(keys) || keys.length === 0) throw new JwsKeyError('empty_key_set', 'A key set needs at least one key.');
  const unique = [...new Set(keys)];
  const byKid = new Map<string, readonly [JwsKey]>();
  const byAlg = new Map<string, JwsKey[]>();
  let symmetric: boolean | undefined;
  for (const key of unique) {
    const isSym = internalsOf(key).spec.family === 'hmac';
    if (symmetric === undefined) symmetric = isSym;
    else if (symmetric !== isSym) {
      throw new JwsKeyError('mixed_key_set', 'A key set must not mix HMAC secrets with asymmetric keys.');
    }
    if (key.kid !== undefined) {
      if (byKid.has(key.kid)) throw new JwsKeyError('duplicate_kid', 'Two keys in the set share the same kid.');
      byKid.set(key.kid, Object.freeze([key] as [JwsKey]));
    }
    const list = byAlg.get(key.alg);
    if (list === undefined) byAlg.set(key.alg, [key]);
    else list.push(key);
  }
  for (const list of byAlg.values()) Object.freeze(list);
  const strictKid = options.strictKid === true;
  const frozenKeys = Object.freeze(unique);
  return Object.freeze({
    keys: frozenKeys,
    strictKid,
    symmetric: symmetric === true,
    select(alg: string, kid: string | undefined): readonly JwsKey[] {
      if (kid !== undefined) {
        const hit = byKid.get(kid);
        if (hit !== undefined) {
          if (hit[0].alg !== alg) throw new JwsError('alg_mismatch');
          return hit;
        }
      }
      const candidates = byAlg.get(alg as JwsAlgorithm);
      if (candidates === undefined) throw new JwsError('alg_mismatch');
      if (strictKid && (kid !== undefined || candidates.length > 1)) throw new JwsError('unknown_kid');
      return candidates;
    },
  });
}

const SINGLE = new WeakMap<JwsKey, JwsKeySet>();

/** The (cached) one-key set for `key`. @throws JwsKeyError `unknown_key` */
export function keySetOf(key: JwsKey): JwsKeySet {
  let set = SINGLE.get(key);
  if (set === undefined) {
    set = compileKeySet([key]);
    SINGLE.set(key, set);
  }
  return set;
}
