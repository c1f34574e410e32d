/**
 * Input parsers with the inputs that used to make them backtrack (long white-space runs,
 * `"a" + spaces + "a"`, …) still give DRF's exact answers; the speed of the same inputs is
 * measured by `npm run bench:parsers`, not here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, ValidationError } from '../../src/core/errors.js';
import { MAX_JSON_DEPTH, parseBody } from '../../src/http/body.js';
import { pyStrip, validateCharFields } from '../../src/http/fields.js';
import { startServer, type TestServer } from '../helpers.js';

/** Every character Python's `str.isspace()` accepts (checked against CPython 3.12). */
const PY_SPACE = '\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

describe('pyStrip is Python str.strip()', () => {
  test('strips every Python white-space character at both ends, keeps them inside', () => {
    assert.equal(pyStrip(`${PY_SPACE}a${PY_SPACE}b${PY_SPACE}`), `a${PY_SPACE}b`);
    assert.equal(pyStrip(PY_SPACE), '');
    assert.equal(pyStrip(''), '');
  });

  test('keeps what Python keeps: BOM, zero-width space, NUL, other controls', () => {
    for (const kept of ['\ufeff', '\u200b', '\u0000', '\u0008', '\u180e', '\u0084', '\u0086']) {
      assert.equal(pyStrip(` ${kept} `), kept, `U+${kept.charCodeAt(0).toString(16)}`);
    }
  });

  test('16 KiB of white space around and inside a value', () => {
    const run = ' \t\u3000'.repeat(5000);
    assert.equal(pyStrip(`${run}alice${run}`), 'alice');
    assert.equal(pyStrip(`a${run}a`), `a${run}a`);
    assert.throws(
      () => validateCharFields({ username: `a${' '.repeat(16 * 1024)}a` }, [{ name: 'username', maxLength: 150 }]),
      (e: unknown) => e instanceof ValidationError && e.fields.username?.[0] === 'Ensure this field has no more than 150 characters.',
    );
    assert.deepEqual(validateCharFields({ username: `${run}bob${run}` }, [{ name: 'username', maxLength: 150 }]), { username: 'bob' });
  });
});

describe('JSON bodies: nesting is capped before parsing', () => {
  const json = (text: string) => parseBody(Buffer.from(text), 'application/json', ['json'], 1 << 20);

  test(`${MAX_JSON_DEPTH} levels parse; one more is a 400 JSON parse error`, async () => {
    const nested = (levels: number) => `{"username":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const ok = await json(nested(MAX_JSON_DEPTH));
    assert.ok(Array.isArray(ok.username));
    await assert.rejects(json(nested(MAX_JSON_DEPTH + 1)), (e: unknown) => e instanceof ParseError && e.message === `JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels`);
  });

  test('brackets inside strings (escaped quotes too) are not nesting', async () => {
    const brackets = `\\"${'[{'.repeat(4000)}`;
    const body = await json(JSON.stringify({ username: brackets, password: 'x' }));
    assert.equal(body.username, brackets);
  });
});

describe('white-space-laden fields over HTTP get DRF\'s answers', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    await s.createUser('alice', 'alice-password-1');
  });
  after(() => s.close());

  test('username padded with 16 000 spaces logs in (AuthTokenSerializer trims it)', async () => {
    const pad = ' '.repeat(8000);
    const res = await s.send('POST', '/api-token-auth/', { body: { username: `${pad}alice${pad}`, password: 'alice-password-1' } });
    assert.equal(res.status, 200, res.text.slice(0, 200));
    assert.equal(typeof (res.json as { token: string }).token, 'string');
  });

  test('"a" + 16 000 spaces + "a" is a wrong username, not a hang or a 5xx', async () => {
    const res = await s.send('POST', '/api-token-auth/', { body: { username: `a${' '.repeat(16_000)}a`, password: 'alice-password-1' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
  });

  test('a field of 8000 white-space characters (14 KB) is blank', async () => {
    const res = await s.send('POST', '/api/token/', { body: { username: ' \t\u3000\u0085'.repeat(2000), password: ' '.repeat(100) } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { username: ['This field may not be blank.'], password: ['This field may not be blank.'] });
  });

  test('an over-long username (combining marks, 14 KB) is a failed login like any unknown user', async () => {
    const username = `a${'\u0301\u0316'.repeat(3500)}`;
    const drf = await s.send('POST', '/api-token-auth/', { body: { username, password: 'alice-password-1' } });
    assert.equal(drf.status, 400);
    assert.deepEqual(drf.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
    const jwt = await s.send('POST', '/api/token/', { body: { username, password: 'alice-password-1' } });
    assert.equal(jwt.status, 401);
    assert.equal((jwt.json as { detail: string }).detail, 'No active account found with the given credentials');
  });

  test('the password is not trimmed by AuthTokenSerializer: surrounding white space makes it wrong', async () => {
    const res = await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: ` ${'\t'.repeat(8000)}alice-password-1` } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
  });
});
