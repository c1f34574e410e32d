/**
 * Django's `CommonPasswordValidator` list: one password a line, gzip-compressed or plain
 * text (as Django reads it: gzip first, plain text if that fails), each line stripped.
 * The default is the list Django ships (20,000 passwords, lower-cased, BSD licence:
 * data/LICENSE-django.txt), bundled in the package's `data/` directory. Each file is read
 * once, on first use, and kept (the default one is shared by every validator set).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { pyStrip } from './python-text.js';

/** The bundled list (beside `src/` and `dist/`: the same path from both). */
export const DEFAULT_COMMON_PASSWORDS_FILE = fileURLToPath(new URL('../../../data/common-passwords.txt.gz', import.meta.url));

/** Largest list file read (uncompressed); Django's list is about 180 KB. */
const MAX_LIST_BYTES = 64 * 1024 * 1024;

/** The list file could not be read. */
export class CommonPasswordsFileError extends Error {
  constructor(path: string, cause: unknown) {
    super(`passwords.commonPasswordsFile: cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CommonPasswordsFileError';
  }
}

const loaded = new Map<string, ReadonlySet<string>>();

/** The lines of a list file, as Python iterates a text file (no empty last line after the final newline). */
function linesOf(raw: Buffer): string[] {
  if (raw.length > MAX_LIST_BYTES) throw new Error(`larger than ${MAX_LIST_BYTES} bytes`);
  const gzipped = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const bytes = gzipped ? gunzipSync(raw, { maxOutputLength: MAX_LIST_BYTES }) : raw;
  const lines = bytes.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The passwords of the list at `path` (read once per path). Throws `CommonPasswordsFileError`. */
export function commonPasswords(path: string = DEFAULT_COMMON_PASSWORDS_FILE): ReadonlySet<string> {
  const known = loaded.get(path);
  if (known) return known;
  let set: Set<string>;
  try {
    set = new Set(linesOf(readFileSync(path)).map(pyStrip));
  } catch (e) {
    throw new CommonPasswordsFileError(path, e);
  }
  loaded.set(path, set);
  return set;
}
