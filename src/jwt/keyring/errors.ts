/**
 * Errors of the key ring.
 *
 * - {@link JwtKeyConfigError}: the JWT key configuration cannot be used (a weak or
 *   mismatched key in the settings, a ring that cannot be decrypted with this
 *   `secretKey`, a ring key of another algorithm, no key that could sign). Thrown by
 *   `createJwtKeys` (the server must refuse to start) and by `signer()` when no usable
 *   signing key exists. The message says what to fix.
 * - {@link KeyRingError}: a key-ring management request cannot be done (unknown `kid`,
 *   retiring the active key without `force`, …). Used by the CLI.
 *
 * Invariant: no message or `cause` contains key material or a token.
 */
export class JwtKeyConfigError extends Error {
  override readonly name = 'JwtKeyConfigError';
}

export class KeyRingError extends Error {
  override readonly name = 'KeyRingError';
}
