/**
 * Errors raised by the password hasher. None of them ever carries the password.
 */

/**
 * Too many hashing operations are running or waiting (`maxConcurrent` + `maxQueue`
 * reached). Nothing was computed; the caller should answer 503 (with `Retry-After`)
 * rather than queue more work (docs/security.md #91).
 */
export class PasswordHasherBusy extends Error {
  override readonly name = 'PasswordHasherBusy';
  constructor(message = 'Password hasher is busy; try again later.') {
    super(message);
  }
}

/**
 * `hash()` was given a password longer than `MAX_PASSWORD_BYTES` (4096) UTF-8 bytes.
 * The caller should answer 400 (a validation error), never 500.
 */
export class PasswordTooLong extends Error {
  override readonly name = 'PasswordTooLong';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`Password is longer than ${maxBytes} bytes.`);
    this.maxBytes = maxBytes;
  }
}

/**
 * `hash()` was given a string that is not well-formed UTF-16 (a lone surrogate, which
 * can arrive through a JSON `"\ud800"` escape). It has no UTF-8 encoding; hashing the
 * U+FFFD replacement instead would make different passwords collide, so it is refused.
 * The caller should answer 400. `verify()` answers `valid: false` for such strings.
 */
export class PasswordNotWellFormed extends Error {
  override readonly name = 'PasswordNotWellFormed';
  constructor() {
    super('Password is not well-formed Unicode.');
  }
}
