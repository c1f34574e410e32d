/**
 * `ExpectedError`: the base of errors that answer a client's bad input (a wrong token, a
 * missing credential, a malformed body) — expected control flow, not bugs.
 *
 * Such errors are created without a stack trace. V8 captures one for every `Error`
 * (about 5 µs here, the largest single cost of a refused request), and nobody reads it:
 * these errors are answered with a fixed body and never logged with a stack. With it,
 * refusing an anonymous or garbage-token request cost several times what accepting a
 * valid token does: a flood of bad credentials was cheap to send and dear to answer.
 * Unexpected errors (store failures, bugs) keep their stacks: they do not extend this.
 */
export class ExpectedError extends Error {
  constructor(message?: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
