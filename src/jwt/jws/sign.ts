/**
 * Token signing.
 *
 * {@link sign} produces exactly what PyJWT's `jwt.encode` (and so simplejwt)
 * produces for the same claims and key: header members sorted by name
 * (`sort_headers=True`), `{"alg":…,"kid":…,"typ":"JWT"}`, compact separators, and
 * non-ASCII characters escaped as `\uXXXX` (`ensure_ascii=True`); payload members in
 * their insertion order. A simplejwt token re-signed here is byte-identical
 * (tested against the oracle transcripts).
 *
 * {@link signCompact} is the bare JWS form (caller-chosen header and payload bytes),
 * used for interoperability vectors; it still refuses headers that Gatehouse itself
 * would refuse to verify.
 */
import { encodeBase64url } from './base64url.js';
import { JwsError, JwsKeyError } from './errors.js';
import { REFUSED_HEADER_PARAMETERS, validateHeaderObject } from './header.js';
import { stringifyLikePython, type JsonRecord } from './json.js';
import { internalsOf, type JwsKey, type KeyInternals } from './keys.js';
import { signBytes } from './signature.js';

const RESERVED_IN_EXTRAS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ', ...REFUSED_HEADER_PARAMETERS]);

/**
 * Signs a JWT: `payload` is a claims object (serialized like Python's `json.dumps`),
 * or already-encoded bytes / a string taken as UTF-8.
 * `headerExtras` may add private header parameters; it may not set `alg`, `kid`,
 * `typ` or any parameter the verifier refuses (`crit`, `b64`, `cty`, `jwk`, `jku`, …).
 * @throws JwsKeyError `not_a_signing_key` for public keys, `unknown_key` for keys not
 *   made by `importKey`; TypeError for a reserved extra header or a payload with no
 *   JSON form.
 */
export function sign(payload: Readonly<Record<string, unknown>> | string | Uint8Array, key: JwsKey, headerExtras?: Readonly<Record<string, unknown>>): string {
  // Null-prototype objects: an extra named "__proto__" stays a plain member.
  const header: JsonRecord = Object.create(null) as JsonRecord;
  header.alg = key.alg;
  header.typ = 'JWT';
  if (key.kid !== undefined) header.kid = key.kid;
  if (headerExtras !== undefined) {
    for (const name of Object.keys(headerExtras)) {
      if (RESERVED_IN_EXTRAS.has(name)) throw new TypeError(`header parameter "${name}" cannot be set as an extra`);
      header[name] = headerExtras[name];
    }
  }
  const sorted: JsonRecord = Object.create(null) as JsonRecord;
  for (const name of Object.keys(header).sort()) sorted[name] = header[name];
  const body = typeof payload === 'string' || payload instanceof Uint8Array ? payload : stringifyLikePython(payload);
  return signEncoded(encodeBase64url(stringifyLikePython(sorted)), body, signerOf(key));
}

/**
 * Signs `payload` bytes under a caller-built protected header, serialized in the
 * header's own member order. `header.alg` must equal the key's algorithm and
 * `header.kid`, if present, the key's kid.
 * @throws TypeError when the header disagrees with the key or breaks a header rule
 *   (see header.ts); JwsKeyError as {@link sign}.
 */
export function signCompact(header: Readonly<Record<string, unknown>>, payload: string | Uint8Array, key: JwsKey): string {
  const k = signerOf(key);
  if (header.alg !== key.alg) throw new TypeError('header alg must equal the key algorithm');
  if (header.kid !== undefined && key.kid !== undefined && header.kid !== key.kid) throw new TypeError('header kid must equal the key kid');
  try {
    validateHeaderObject(header);
  } catch (e) {
    if (e instanceof JwsError) throw new TypeError(`refused header: ${e.detail}`);
    throw e;
  }
  return signEncoded(encodeBase64url(stringifyLikePython(header)), payload, k);
}

function signerOf(key: JwsKey): KeyInternals {
  const k = internalsOf(key);
  if (k.signKey === undefined) throw new JwsKeyError('not_a_signing_key', 'A public key cannot sign; import the private key.');
  return k;
}

function signEncoded(encodedHeader: string, payload: string | Uint8Array, k: KeyInternals): string {
  const signingInput = `${encodedHeader}.${encodeBase64url(payload)}`;
  return `${signingInput}.${signBytes(k, Buffer.from(signingInput, 'latin1')).toString('base64url')}`;
}
