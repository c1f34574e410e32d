/**
 * The JWS compact serialization grammar (RFC 7515 §7.1), strictly:
 *
 *     token = header "." payload "." signature      ; exactly three segments
 *
 * each segment canonical unpadded base64url (see base64url.ts) and non-empty (the
 * payload may be empty only when a caller of the bare JWS layer asks for it). A
 * five-segment string is a JWE and is refused as `unsupported` without looking
 * further (no decryption is ever attempted); any other count, the JSON
 * serializations, whitespace, padding and foreign characters are `malformed`.
 * The size cap is checked first, before any scanning.
 */
import { isCanonicalBase64url } from './base64url.js';
import { JwsError } from './errors.js';

/** Default cap on the token length, in bytes (the token is ASCII when valid). */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** The three segments of a compact JWS, still encoded. */
export interface CompactParts {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `header + "." + payload`: the exact bytes the signature covers. */
  readonly signingInput: string;
}

/**
 * Splits and grammar-checks a compact JWS. The header segment is only checked for
 * emptiness here; its content is checked by `parseProtectedHeader`.
 * @throws JwsError `too_large` | `unsupported` (JWE) | `malformed`
 */
export function splitCompact(token: unknown, maxBytes: number, allowEmptyPayload = false): CompactParts {
  if (typeof token !== 'string') throw new JwsError('malformed', 'token is not a string');
  if (token.length > maxBytes) throw new JwsError('too_large');
  const a = token.indexOf('.');
  const b = a < 0 ? -1 : token.indexOf('.', a + 1);
  if (b < 0) throw new JwsError('malformed', 'fewer than three segments');
  if (token.indexOf('.', b + 1) !== -1) {
    throw JWE_SHAPE.test(token)
      ? new JwsError('unsupported', 'JWE compact serialization')
      : new JwsError('malformed', 'more than three segments');
  }
  if (a === 0) throw new JwsError('malformed', 'empty header segment');
  if (b === token.length - 1) throw new JwsError('malformed', 'empty signature segment');
  if (b === a + 1 && !allowEmptyPayload) throw new JwsError('malformed', 'empty payload segment');
  const payload = token.slice(a + 1, b);
  const signature = token.slice(b + 1);
  if (!isCanonicalBase64url(payload)) throw new JwsError('malformed', 'invalid base64url in payload');
  if (!isCanonicalBase64url(signature)) throw new JwsError('malformed', 'invalid base64url in signature');
  return { header: token.slice(0, a), payload, signature, signingInput: token.slice(0, b) };
}

/** Five base64url segments (the JWE encrypted-key segment may be empty). */
const JWE_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
