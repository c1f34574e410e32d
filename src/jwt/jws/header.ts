/**
 * The JOSE protected header: decoding, validation and a small cache.
 *
 * Rules (each failure is a `JwsError`; the algorithm itself is compared with the
 * key later, in verify.ts):
 * - canonical base64url of strict UTF-8 JSON, a single object, no duplicate member
 *   names at any depth → else `malformed`;
 * - `alg` present and a string, `kid` (if present) a string, `typ` (if present) a
 *   string → else `malformed`;
 * - `typ`, when present, must be `JWT` or `application/jwt`, compared
 *   case-insensitively as media types are (RFC 7515 §4.1.9, RFC 7519 §5.1). PyJWT and
 *   simplejwt always send `"typ":"JWT"`; other values (`at+jwt`, `JOSE`, a refresh or
 *   logout token type) belong to other token kinds and are refused → `unsupported`;
 * - refused outright → `unsupported`: `crit` (no extension is understood, RFC 7515
 *   §4.1.11), `b64` (RFC 7797 unencoded payloads are never JWTs), `cty` (nested JWTs
 *   are not accepted), `enc`/`zip` (JWE parameters), and the header-supplied key
 *   parameters `jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256`: they are never fetched,
 *   never used as a key, and their presence alone refuses the token (RFC 8725 §3.10).
 *
 * Header segments repeat (every token of one key has the same header), so a parsed,
 * deeply frozen header is cached by its exact segment string. The cache is a pure
 * function of its key (U6: same input, same answer), holds only headers that passed,
 * and is bounded (cleared when full).
 */
import { decodeBase64url } from './base64url.js';
import { JwsError } from './errors.js';
import { hasDuplicateMember, parseJsonObject, type JsonRecord } from './json.js';

/** A validated protected header. Deeply frozen, null prototype. */
export interface ParsedHeader {
  /** The whole header object (frozen). */
  readonly header: Readonly<JsonRecord>;
  /** `header.alg`, not yet compared with any key. */
  readonly alg: string;
  /** `header.kid` when present. */
  readonly kid: string | undefined;
}

/** Header parameters whose mere presence refuses a token. */
export const REFUSED_HEADER_PARAMETERS: readonly string[] = Object.freeze([
  'crit', 'b64', 'cty', 'enc', 'zip', 'jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256',
]);

const CACHE_LIMIT = 256;
const cache = new Map<string, ParsedHeader>();

/**
 * Decodes and validates a protected-header segment (see module rules).
 * @throws JwsError `malformed` | `unsupported`
 */
export function parseProtectedHeader(segment: string): ParsedHeader {
  const hit = cache.get(segment);
  if (hit !== undefined) return hit;
  const parsed = parseUncached(segment);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(segment, parsed);
  return parsed;
}

function parseUncached(segment: string): ParsedHeader {
  if (segment.length === 0) throw new JwsError('malformed', 'empty header');
  const bytes = decodeBase64url(segment);
  const header = parseJsonObject(bytes, 'header');
  if (hasDuplicateMember(bytes.toString('utf8'))) throw new JwsError('malformed', 'duplicate header member');
  validateHeaderObject(header);
  return Object.freeze({ header: deepFreeze(header), alg: header.alg as string, kid: header.kid as string | undefined });
}

/**
 * Applies the header rules to an already-parsed object (also used by `signCompact`
 * so that Gatehouse never signs what it would refuse).
 * @throws JwsError `malformed` | `unsupported`
 */
export function validateHeaderObject(header: Readonly<JsonRecord>): void {
  if (typeof header.alg !== 'string') throw new JwsError('malformed', 'alg missing or not a string');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new JwsError('malformed', 'kid not a string');
  for (const name of REFUSED_HEADER_PARAMETERS) {
    if (Object.hasOwn(header, name)) throw new JwsError('unsupported', `header has ${name}`);
  }
  if (header.typ !== undefined) {
    if (typeof header.typ !== 'string') throw new JwsError('malformed', 'typ not a string');
    if (!isJwtTyp(header.typ)) throw new JwsError('unsupported', 'typ is not JWT');
  }
}

/** True for `JWT` / `application/jwt` in any letter case. */
export function isJwtTyp(typ: string): boolean {
  const t = typ.toLowerCase();
  return t === 'jwt' || t === 'application/jwt';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
