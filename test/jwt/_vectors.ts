/**
 * Where the shared test vectors live, and how to load them.
 *
 * The vectors are read from the read-only `shared/` folder next to the repository
 * (`<repo>/../shared`), never copied into the repo. `WYCHEPROOF_DIR` and
 * `JOSE_COOKBOOK_DIR` override the locations. When they are missing, tests skip
 * with a message — except under `CI=true`, where a missing folder fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHARED = new URL('../../../shared/', import.meta.url);

export const WYCHEPROOF_DIR = process.env.WYCHEPROOF_DIR ?? fileURLToPath(new URL('vectors/wycheproof/testvectors_v1/', SHARED));
export const COOKBOOK_DIR = process.env.JOSE_COOKBOOK_DIR ?? fileURLToPath(new URL('vectors/jose-cookbook/', SHARED));
export const TRANSCRIPTS_DIR = fileURLToPath(new URL('reference/transcripts/', SHARED));

/**
 * `undefined` when `dir` exists, else a skip message. Throws under CI so a missing
 * vector folder can never turn a red build green.
 */
export function missing(dir: string): string | undefined {
  if (existsSync(dir)) return undefined;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`test vectors missing at ${dir}`);
  return `test vectors not found at ${dir} (set WYCHEPROOF_DIR / JOSE_COOKBOOK_DIR)`;
}

/** Parses a JSON file below `dir`. */
export function loadJson<T>(dir: string, file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';
