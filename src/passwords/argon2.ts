/**
 * Django's Argon2 hasher: the word `argon2` followed by the argon2 PHC string, e.g.
 * `argon2$argon2id$v=19$m=19456,t=2,p=1$<b64 salt>$<b64 hash>` (unpadded standard
 * base64). Django's salt is 22 random [a-zA-Z0-9] characters used as ASCII bytes.
 *
 * Parsing is done here, and the hash is recomputed with `@node-rs/argon2` `hashRaw`
 * (async, off the event loop) and compared with `crypto.timingSafeEqual`, so every
 * variant argon2-cffi accepts is handled the same way: argon2id, argon2i, argon2d,
 * version 19 or 16, and the pre-2016 strings without a `v=` field (= version 16).
 */
import { hashRaw } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import { constantTimeEqual, decodeBase64Strict, encodeBase64, parseCanonicalInt, saltTooShort } from './encoding.js';
import { ARGON2_HASH_LENGTH, type Argon2Params, type CostLimits } from './policy.js';

export type Argon2Type = 'argon2d' | 'argon2i' | 'argon2id';

/** A parsed Django argon2 hash string. */
export interface Argon2Hash {
  readonly kind: 'argon2';
  readonly type: Argon2Type;
  /** 0x13 (`v=19`) or 0x10 (`v=16`, or no `v=` field). */
  readonly version: 0x10 | 0x13;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

// The package's `Algorithm` / `Version` are `const enum`s that do not exist at run
// time (the exported objects are empty), so their numeric values are spelled out.
const ALGORITHM: Record<Argon2Type, Algorithm> = {
  argon2d: 0 as Algorithm,
  argon2i: 1 as Algorithm,
  argon2id: 2 as Algorithm,
};
const VERSION: Record<0x10 | 0x13, Version> = { 0x10: 0 as Version, 0x13: 1 as Version };

const PHC = /^\$(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=([0-9]+),t=([0-9]+),p=([0-9]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Parse `argon2$argon2…`. Returns null (never throws) for anything else: not the
 * Django prefix, unknown variant or version, non-canonical numbers, parameters out of
 * argon2's ranges or above `limits`, non-canonical base64, salt < 8 or hash < 4 bytes.
 */
export function parseArgon2(encoded: string, limits: CostLimits): Argon2Hash | null {
  if (!encoded.startsWith('argon2$')) return null;
  const m = PHC.exec(encoded.slice('argon2'.length));
  if (!m) return null;
  const [, type, v, mText, tText, pText, saltText, hashText] = m as unknown as [string, Argon2Type, string | undefined, string, string, string, string, string];
  const parallelism = parseCanonicalInt(pText, Math.min(255, limits.argon2MaxParallelism));
  const timeCost = parseCanonicalInt(tText, limits.argon2MaxTime);
  const memoryCost = parseCanonicalInt(mText, limits.argon2MaxMemoryKiB);
  if (parallelism === null || timeCost === null || memoryCost === null || memoryCost < 8 * parallelism) return null;
  const salt = decodeBase64Strict(saltText, false);
  const hash = decodeBase64Strict(hashText, false);
  if (salt === null || hash === null || salt.length < 8 || hash.length < 4 || hash.length > 1024) return null;
  return { kind: 'argon2', type, version: v === '19' ? 0x13 : 0x10, memoryCost, timeCost, parallelism, salt, hash };
}

/** The raw argon2 output for `password` with the given parameters (async, thread pool). */
function computeRaw(password: Uint8Array, p: Omit<Argon2Hash, 'kind' | 'hash'>, outputLen: number): Promise<Buffer> {
  return hashRaw(password, {
    algorithm: ALGORITHM[p.type],
    version: VERSION[p.version],
    memoryCost: p.memoryCost,
    timeCost: p.timeCost,
    parallelism: p.parallelism,
    outputLen,
    salt: p.salt,
  });
}

/**
 * Recompute the hash with the stored parameters and compare in constant time.
 * Resolves false on mismatch and when the native library refuses the parameters;
 * never rejects.
 */
export async function verifyArgon2(parsed: Argon2Hash, password: Uint8Array): Promise<boolean> {
  let raw: Buffer;
  try {
    raw = await computeRaw(password, parsed, parsed.hash.length);
  } catch {
    return false;
  }
  return constantTimeEqual(raw, parsed.hash);
}

/** The PHC string argon2-cffi writes, prefixed with `argon2` as Django stores it. */
export function encodeArgon2(p: Omit<Argon2Hash, 'kind'>): string {
  const v = p.version === 0x13 ? 19 : 16;
  return `argon2$${p.type}$v=${v}$m=${p.memoryCost},t=${p.timeCost},p=${p.parallelism}$${encodeBase64(p.salt, false)}$${encodeBase64(p.hash, false)}`;
}

/**
 * A new argon2id (v=19) hash with `params`, a 32-byte output and a Django-style salt
 * (`salt`, 22 [a-zA-Z0-9] characters, used as ASCII bytes), so Django reads it as one
 * of its own. Rejects only on an internal error of the native library.
 */
export async function hashArgon2(password: Uint8Array, params: Argon2Params, salt: string): Promise<string> {
  const p = { type: 'argon2id' as const, version: 0x13 as const, ...params, salt: Buffer.from(salt, 'ascii') };
  const hash = await computeRaw(password, p, ARGON2_HASH_LENGTH);
  return encodeArgon2({ ...p, hash });
}

/**
 * Django's `Argon2PasswordHasher.must_update` against `params`: variant other than
 * argon2id, version other than 19, any of m/t/p different, hash length other than
 * 32 bytes, or a salt under 128 bits by Django's count (fewer than 22 bytes).
 */
export function argon2NeedsUpdate(parsed: Argon2Hash, params: Argon2Params): boolean {
  return (
    parsed.type !== 'argon2id' ||
    parsed.version !== 0x13 ||
    parsed.memoryCost !== params.memoryCost ||
    parsed.timeCost !== params.timeCost ||
    parsed.parallelism !== params.parallelism ||
    parsed.hash.length !== ARGON2_HASH_LENGTH ||
    saltTooShort(parsed.salt.length)
  );
}
