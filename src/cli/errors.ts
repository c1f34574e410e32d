/** An error the user can fix: printed as one line (`gatehouse: …`) without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    /** 1: the operation failed (unknown user, bad settings, …); 2: wrong usage. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
