/**
 * Errors answering a client's bad input carry no stack trace (they are control flow, and
 * capturing one was the largest cost of a refused request); other errors keep theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationFailed, NotAuthenticated, ServiceUnavailable } from '../../src/core/errors.js';
import { ExpectedError } from '../../src/core/expected-error.js';
import { TokenError } from '../../src/jwt/claims.js';
import { JwsError } from '../../src/jwt/jws/index.js';

const frames = (e: Error) => (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).length;

test('client-facing errors are created without stack frames, and stay real Errors', () => {
  const errors: Error[] = [new NotAuthenticated(), new AuthenticationFailed('Invalid token.'), new TokenError('Token is invalid'), new JwsError('bad_signature'), new ServiceUnavailable(1)];
  for (const e of errors) {
    // JwsError has its own stackless base: the JWS layer imports nothing from the rest of src/.
    assert.ok(e instanceof Error && (e instanceof ExpectedError || e instanceof JwsError), e.constructor.name);
    assert.equal(frames(e), 0, `${e.constructor.name} has no stack frames`);
    assert.ok(e.message.length > 0);
  }
  assert.equal(new NotAuthenticated().message, 'Authentication credentials were not provided.');
});

test('the stack trace limit is restored: other errors keep their stacks', () => {
  const before = Error.stackTraceLimit;
  void new NotAuthenticated();
  assert.equal(Error.stackTraceLimit, before);
  assert.ok(frames(new Error('a bug')) > 0);
  assert.ok(frames(new RangeError('another')) > 0);
});
