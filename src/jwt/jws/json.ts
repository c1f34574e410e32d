/**
 * JSON handling for JOSE headers and JWT payloads.
 *
 * - Input must be strict UTF-8 (RFC 8725 §3.7); a BOM, UTF-16 or invalid bytes fail.
 * - Output objects have a `null` prototype at every depth, so keys such as
 *   `__proto__`, `constructor` or `prototype` are plain own data and cannot reach
 *   `Object.prototype` when later code merges or spreads claims.
 * - Parser messages (V8 quotes the input in them) never escape: every failure is a
 *   token-free `JwsError('malformed')`.
 * - Serialisation follows Python's `json.dumps(..., separators=(",", ":"))` with its
 *   default `ensure_ascii=True`, so Gatehouse and PyJWT/simplejwt produce the same bytes.
 */
import { isUtf8 } from 'node:buffer';
import { JwsError } from './errors.js';

/** A JSON object as returned by this module: null prototype, string keys. */
export type JsonRecord = Record<string, unknown>;

/**
 * Parses `bytes` as one UTF-8 JSON text that must be an object; the result and every
 * object inside it get a `null` prototype.
 * @throws JwsError('malformed') on invalid UTF-8, invalid JSON, trailing bytes, or a
 *   top-level value that is not an object (array, string, number, boolean, null).
 */
export function parseJsonObject(bytes: Buffer, what: 'header' | 'payload'): JsonRecord {
  if (!isUtf8(bytes)) throw new JwsError('malformed', `${what} is not UTF-8`);
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JwsError('malformed', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwsError('malformed', `${what} is not a JSON object`);
  }
  // Fast path: no "{" after the first character means no nested object anywhere
  // (a "{" inside a string only sends us down the general path).
  if (text.indexOf('{', 1) === -1) return Object.setPrototypeOf(value, null) as JsonRecord;
  return nullPrototypeDeep(value) as JsonRecord;
}

/**
 * Gives every plain object in a freshly parsed JSON value a `null` prototype, in
 * place (arrays stay arrays; their elements are visited). JSON.parse stores a
 * `"__proto__"` member as an own data property, never as the prototype, and with no
 * prototype left there is no inherited `constructor` / `toString` / `__proto__`
 * accessor for later code to trip over. Depth is bounded by the token size cap.
 *
 * Consumers: copy claims with spread (`{ ...claims }`), which defines `"__proto__"`
 * as data; `Object.assign({}, claims)` would invoke the setter on its plain target.
 */
export function nullPrototypeDeep(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (const item of value) nullPrototypeDeep(item);
    return value;
  }
  Object.setPrototypeOf(value, null);
  const record = value as JsonRecord;
  for (const key in record) nullPrototypeDeep(record[key]);
  return value;
}

/**
 * True when some JSON object in `text` (at any depth) repeats a member name, after
 * unescaping (`"alg"` and `"\u0061lg"` are the same name). `text` must already be
 * known-valid JSON (call after `JSON.parse` succeeded).
 *
 * RFC 7515 §4 lets a JWS parser either reject duplicates or keep the last one; the
 * header is where parser differentials matter (`alg`, `crit`), so headers with
 * duplicates are refused.
 */
export function hasDuplicateMember(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22 || Number.isNaN(d)) break;
        else j++;
      }
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (expectKey && top) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(name)) return true;
        top.add(name);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
    i++;
  }
  return false;
}

const NON_ASCII = /[\u0080-\uffff]/g;

/**
 * `JSON.stringify` with every non-ASCII UTF-16 unit written as a lowercase `\uXXXX`
 * escape, which is what Python's `json.dumps` (`ensure_ascii=True`) emits. Key order
 * is the object's own order, so JS objects whose keys look like array indices
 * (`"1"`) are emitted first — avoid such claim names if byte equality with PyJWT matters.
 * @throws TypeError when the value has no JSON form (e.g. `undefined`, a function) or
 *   contains a `BigInt` / cycle (from `JSON.stringify`).
 */
export function stringifyLikePython(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text.replace(NON_ASCII, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}
