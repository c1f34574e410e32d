/**
 * Request body parsing as DRF's parsers do it: JSON, form and multipart, chosen by
 * `Content-Type`. The result is a null-prototype object of field → value, so a
 * `__proto__` key is only data. Errors are typed: 415 for other media types, 400
 * `JSON parse error - …` for malformed JSON, 413 (raised by the adapter's reader)
 * for bodies over the limit.
 */
import busboy from 'busboy';
import { Readable } from 'node:stream';
import { ParseError, UnsupportedMediaType } from '../core/errors.js';

export type BodyData = Record<string, unknown>;
export type MediaParser = 'json' | 'form' | 'multipart';

const MEDIA: Record<MediaParser, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  multipart: 'multipart/form-data',
};

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** The media types a route parses, for `OPTIONS` metadata. */
export function parserMediaTypes(parsers: readonly MediaParser[]): string[] {
  return parsers.map((p) => MEDIA[p]);
}

// ignoreBOM keeps a leading BOM in the text, so JSON.parse refuses it as Python's json does (DRF: 400).
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8');

/** Copy a parsed JSON object into a null-prototype record. */
function ownRecord(value: Record<string, unknown>): BodyData {
  const out = Object.create(null) as BodyData;
  for (const key of Object.keys(value)) out[key] = value[key];
  return out;
}

/** Python's type name for DRF's "Expected a dictionary, but got X." */
function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/** Thrown when the body parses but is not an object (DRF serializer's `non_field_errors`). */
export class NotADictionary extends Error {
  constructor(readonly typeName: string) {
    super(typeName === 'NoneType' ? 'No data provided' : `Invalid data. Expected a dictionary, but got ${typeName}.`);
  }
}

/**
 * Deepest nesting of arrays and objects a JSON body may have. The token endpoints take
 * flat objects; CPython's `json` gives up (RecursionError) a little under 1000 levels, and
 * V8 parses deep nesting about ten times slower per byte than flat JSON.
 */
export const MAX_JSON_DEPTH = 512;

/** Does the JSON text in `raw` nest arrays/objects deeper than `max`? One linear scan of the bytes, strings skipped. */
export function jsonTooDeep(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

function parseJson(raw: Buffer): BodyData {
  if (jsonTooDeep(raw, MAX_JSON_DEPTH)) throw new ParseError(`JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels`);
  let text: string;
  try {
    text = utf8Strict.decode(raw);
  } catch {
    throw new ParseError('JSON parse error - request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError(`JSON parse error - ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NotADictionary(pyTypeName(value));
  return ownRecord(value as Record<string, unknown>);
}

function parseForm(raw: Buffer): BodyData {
  const out = Object.create(null) as BodyData;
  // Django's QueryDict: invalid UTF-8 is replaced, the last value of a repeated key wins.
  for (const [k, v] of new URLSearchParams(utf8Lenient.decode(raw))) out[k] = v;
  return out;
}

function parseMultipart(raw: Buffer, contentType: string, limit: number): Promise<BodyData> {
  return new Promise((resolve, reject) => {
    const out = Object.create(null) as BodyData;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: limit, fields: 100, files: 10, parts: 110 }, defParamCharset: 'utf8' });
    } catch (e) {
      reject(new ParseError(`Multipart form parse error - ${(e as Error).message}`));
      return;
    }
    parser.on('field', (name, value) => {
      out[name] = value;
    });
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('error', (e: Error) => reject(new ParseError(`Multipart form parse error - ${e.message}`)));
    parser.on('close', () => resolve(out));
    Readable.from([raw]).pipe(parser);
  });
}

/**
 * Parse `raw` per `Content-Type`. An empty body is `{}` whatever its type (DRF treats a
 * missing stream as empty data). Throws `UnsupportedMediaType`, `ParseError` or
 * `NotADictionary`.
 */
export async function parseBody(raw: Buffer, contentType: string | undefined, parsers: readonly MediaParser[], limit: number): Promise<BodyData> {
  if (raw.length === 0) return Object.create(null) as BodyData;
  const type = mediaType(contentType);
  for (const parser of parsers) {
    if (type !== MEDIA[parser]) continue;
    if (parser === 'json') return parseJson(raw);
    if (parser === 'form') return parseForm(raw);
    return parseMultipart(raw, contentType as string, limit);
  }
  throw new UnsupportedMediaType((contentType ?? '').trim());
}
