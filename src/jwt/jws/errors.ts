/**
 * Typed errors of the JWS layer.
 *
 * Two classes, one per phase:
 * - {@link JwsKeyError}: thrown while loading or combining keys (configuration time).
 *   The server should refuse to start on it.
 * - {@link JwsError}: thrown while verifying a token (request time). The JWT layer
 *   maps every `JwsError` to simplejwt's `token_not_valid` 401.
 *
 * Invariant (docs/security.md #U2): no message, property or `cause` of either class ever
 * contains the token, a segment of it, or key material. Messages are fixed strings
 * chosen by this module; parser errors (whose V8 messages quote their input) are
 * never attached as `cause`.
 */

/**
 * Created without a stack trace: a refused token is expected control flow, answered
 * with a fixed body and never logged with a stack, and capturing one would cost more
 * than the checks. (The same rule as the rest of Gatehouse's client-input errors, kept
 * here so that this layer imports nothing from outside itself.)
 */
class StacklessError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** Why a token was refused. Stable codes, safe to log and to count in metrics. */
export type JwsErrorReason =
  /** Not a compact JWS: wrong segment count, empty segment, bad base64url, bad JSON, non-object header/payload, duplicate header member, missing/non-string `alg`. */
  | 'malformed'
  /** Longer than the configured cap (default 8192 bytes). Checked before anything else. */
  | 'too_large'
  /** Well formed but uses something Gatehouse never accepts: JWE, `crit`, `b64`, `cty`, header-supplied keys (`jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256`), a `typ` other than JWT. */
  | 'unsupported'
  /** `alg` differs from the algorithm pinned by every candidate key (this includes `none` in any spelling). */
  | 'alg_mismatch'
  /** The key set is in strict-kid mode and the token's `kid` (or its absence) selects no single key. */
  | 'unknown_kid'
  /** The signature does not verify under any candidate key, or has the wrong length. */
  | 'bad_signature';

const MESSAGES: Readonly<Record<JwsErrorReason, string>> = {
  malformed: 'The token is not a well-formed compact JWS.',
  too_large: 'The token exceeds the maximum accepted size.',
  unsupported: 'The token uses a JOSE feature that is not accepted.',
  alg_mismatch: 'The token algorithm does not match the key algorithm.',
  unknown_kid: 'The token does not identify a known key.',
  bad_signature: 'The token signature is invalid.',
};

/**
 * A token was refused. `reason` is the machine-readable cause; `detail` a fixed,
 * token-free English hint for logs (e.g. "header has crit").
 */
export class JwsError extends StacklessError {
  override readonly name = 'JwsError';
  readonly reason: JwsErrorReason;
  readonly detail: string;
  constructor(reason: JwsErrorReason, detail?: string) {
    super(detail === undefined ? MESSAGES[reason] : `${MESSAGES[reason]} (${detail})`);
    this.reason = reason;
    this.detail = detail ?? reason;
  }
}

/** Why a key (or key set) was refused at load time. */
export type JwsKeyErrorReason =
  | 'unsupported_alg'
  | 'bad_input'
  | 'empty_secret'
  | 'weak_secret'
  | 'secret_too_short'
  | 'key_type_mismatch'
  | 'weak_rsa_key'
  | 'wrong_curve'
  | 'bad_jwk'
  | 'wrong_use'
  | 'kid_mismatch'
  | 'not_a_signing_key'
  | 'secret_not_publishable'
  | 'empty_key_set'
  | 'mixed_key_set'
  | 'duplicate_kid'
  | 'unknown_key';

/**
 * A key or key set was refused. The message says what to fix; it never contains
 * the key material itself.
 */
export class JwsKeyError extends Error {
  override readonly name = 'JwsKeyError';
  readonly reason: JwsKeyErrorReason;
  constructor(reason: JwsKeyErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
