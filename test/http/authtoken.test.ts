/**
 * DRF authtoken wire behaviour (drf-wire.md §3.3, §4.1, §4.5), request by request
 * against a real server: every row of TokenAuthentication's table, the 401-vs-403
 * rule, and every ObtainAuthToken error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addTokenOnlyRoute, basicHeader, startServer, tokenHeader, type TestServer } from '../helpers.js';

let s: TestServer;
let aliceKey: string;
let bobKey: string;

before(async () => {
  s = await startServer();
  addTokenOnlyRoute(s, '/api/hello-token/');
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1');
  aliceKey = (await s.app.tokens.issue((await s.app.users.getByUsername('alice'))!)).key;
  bobKey = (await s.app.tokens.issue((await s.app.users.getByUsername('bob'))!)).key;
  await s.app.users.update((await s.app.users.getByUsername('bob'))!.id, { isActive: false });
});
after(() => s.close());

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };

describe('TokenAuthentication on a [Token] route (challenge: Token)', () => {
  const ME = '/api/hello-token/';
  const cases: Array<[string, string | undefined, number, unknown]> = [
    ['no header', undefined, 401, NOT_PROVIDED],
    ['empty Authorization', '', 401, NOT_PROVIDED],
    ['whitespace only', '   ', 401, NOT_PROVIDED],
    ['keyword only', 'Token', 401, { detail: 'Invalid token header. No credentials provided.' }],
    ['keyword + spaces only', 'Token    ', 401, { detail: 'Invalid token header. No credentials provided.' }],
    ['three parts', 'Token a b', 401, { detail: 'Invalid token header. Token string should not contain spaces.' }],
    ['invalid key', 'Token 0123456789abcdef0123456789abcdef01234567', 401, { detail: 'Invalid token.' }],
    ['Bearer scheme is not ours', 'Bearer 0123456789abcdef', 401, NOT_PROVIDED],
    ['Basic scheme is not ours', 'Basic YWxpY2U6eA==', 401, NOT_PROVIDED],
    ['latin-1 byte (not UTF-8)', 'Token caf\xe9', 401, { detail: 'Invalid token header. Token string should not contain invalid characters.' }],
    ['UTF-8 non-ASCII key', 'Token caf\xc3\xa9', 401, { detail: 'Invalid token.' }],
    ['huge key', `Token ${'a'.repeat(4000)}`, 401, { detail: 'Invalid token.' }],
  ];
  for (const [name, header, status, body] of cases) {
    test(name, async () => {
      const res = await s.send('GET', ME, header === undefined ? {} : { headers: { Authorization: header } });
      assert.equal(res.status, status);
      assert.equal(res.headers['www-authenticate'], 'Token');
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(res.json, body);
    });
  }

  test('valid key → the user; GET /api/me/ ([JWT, Token]) accepts it too, as dj-rest-auth renders it', async () => {
    const res = await s.send('GET', ME, { headers: tokenHeader(aliceKey) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.allow, 'GET, POST, HEAD, OPTIONS');
    const me = await s.send('GET', '/api/me/', { headers: tokenHeader(aliceKey) });
    assert.equal(me.text, `{"pk":1,"username":"alice","email":"","first_name":"","last_name":""}`);
    assert.equal(me.headers.allow, 'GET, HEAD, OPTIONS');
    const anon = await s.send('GET', '/api/me/');
    assert.equal(anon.headers['www-authenticate'], 'Bearer realm="api"', "JWT is first on /api/me/: its challenge");
    const bad = await s.send('GET', '/api/me/', { headers: tokenHeader('bogus') });
    assert.deepEqual([bad.status, bad.json, bad.headers['www-authenticate']], [401, { detail: 'Invalid token.' }, 'Bearer realm="api"']);
  });

  test('keyword is case-insensitive, tab is a separator', async () => {
    for (const header of [`token ${aliceKey}`, `TOKEN ${aliceKey}`, `Token\t${aliceKey}`, `  Token   ${aliceKey}  `]) {
      const res = await s.send('GET', ME, { headers: { Authorization: header } });
      assert.equal(res.status, 200, header.slice(0, 8));
    }
  });

  test('valid token of an inactive user → User inactive or deleted.', async () => {
    const res = await s.send('GET', ME, { headers: tokenHeader(bobKey) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { detail: 'User inactive or deleted.' });
  });

  test('the stored digest presented as a token is refused', async () => {
    const row = s.app.stores.tokens;
    const alice = (await s.app.users.getByUsername('alice'))!;
    const [first] = await row.listForUser(alice.id);
    const res = await s.send('GET', ME, { headers: tokenHeader(first!.digest) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { detail: 'Invalid token.' });
  });

  test('PUT with a valid token → 405 after authentication; anonymous PUT → 401 first', async () => {
    const ok = await s.send('PUT', ME, { headers: tokenHeader(aliceKey) });
    assert.equal(ok.status, 405);
    assert.deepEqual(ok.json, { detail: 'Method "PUT" not allowed.' });
    assert.equal(ok.headers.allow, 'GET, POST, HEAD, OPTIONS');
    const anon = await s.send('PUT', ME);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['www-authenticate'], 'Token');
  });

  test('HEAD with a valid token → 200, GET headers, no body; OPTIONS anonymous → 401', async () => {
    const head = await s.send('HEAD', ME, { headers: tokenHeader(aliceKey) });
    const get = await s.send('GET', ME, { headers: tokenHeader(aliceKey) });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-type'], 'application/json');
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    const options = await s.send('OPTIONS', ME);
    assert.equal(options.status, 401);
  });

  test('Accept: application/xml → 406 before authentication', async () => {
    const res = await s.send('GET', ME, { headers: { Accept: 'application/xml' } });
    assert.equal(res.status, 406);
    assert.deepEqual(res.json, { detail: 'Could not satisfy the request Accept header.' });
    const ok = await s.send('GET', ME, { headers: { ...tokenHeader(aliceKey), Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(ok.status, 200);
  });
});

describe('401 vs 403: the first authenticator decides (§4.1)', () => {
  test('a route whose first authenticator has no challenge answers 403', async () => {
    // /api-token-auth/ runs DRF's default classes: Basic behind a challenge-less first class.
    const res = await s.send('POST', '/api-token-auth/', {
      headers: basicHeader('alice', 'nope'),
      body: { username: 'alice', password: 'alice-password-1' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.deepEqual(res.json, { detail: 'Invalid username/password.' });
  });

  test('knox logout without a token → 401 with WWW-Authenticate: Token', async () => {
    const res = await s.send('POST', '/api/auth/logout/');
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], 'Token');
    assert.deepEqual(res.json, NOT_PROVIDED);
  });

  test('a route whose first authenticator is [Basic]: 401 with WWW-Authenticate: Basic realm="api"', async () => {
    const { BasicAuthentication } = await import('../../src/users/basic-authentication.js');
    const { IsAuthenticated } = await import('../../src/permissions/index.js');
    s.app.engine.add({
      path: '/api/hello-basic/',
      authenticators: [new BasicAuthentication(s.app.users)],
      permissions: [IsAuthenticated],
      methods: { GET: (ctx) => ({ body: { username: ctx.principal!.user.username } }) },
    });
    const anon = await s.send('GET', '/api/hello-basic/');
    assert.deepEqual([anon.status, anon.headers['www-authenticate'], anon.json], [401, 'Basic realm="api"', NOT_PROVIDED]);
    const wrong = await s.send('GET', '/api/hello-basic/', { headers: basicHeader('alice', 'nope') });
    assert.deepEqual([wrong.status, wrong.headers['www-authenticate'], wrong.json], [401, 'Basic realm="api"', { detail: 'Invalid username/password.' }]);
    const ok = await s.send('GET', '/api/hello-basic/', { headers: basicHeader('alice', 'alice-password-1') });
    assert.deepEqual([ok.status, ok.json], [200, { username: 'alice' }]);
  });

  test('a configured keyword (tokens.keyword "Key"): compared case-insensitively, named in the challenge; "Token" is then another scheme', async () => {
    const k = await startServer({ settings: { tokens: { keyword: 'Key' } } });
    try {
      addTokenOnlyRoute(k, '/api/hello-token/');
      await k.createUser('alice', 'alice-password-1');
      const key = (await k.app.tokens.issue((await k.app.users.getByUsername('alice'))!)).key;
      for (const scheme of ['Key', 'key', 'KEY']) {
        assert.equal((await k.send('GET', '/api/hello-token/', { headers: { Authorization: `${scheme} ${key}` } })).status, 200, scheme);
      }
      const other = await k.send('GET', '/api/hello-token/', { headers: tokenHeader(key) });
      assert.deepEqual([other.status, other.headers['www-authenticate'], other.json], [401, 'Key', NOT_PROVIDED]);
      const bad = await k.send('GET', '/api/hello-token/', { headers: { Authorization: 'Key' } });
      assert.deepEqual([bad.status, bad.json], [401, { detail: 'Invalid token header. No credentials provided.' }]);
      const login = await k.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal((await k.send('GET', '/api/me/', { headers: { Authorization: `Key ${(login.json as { token: string }).token}` } })).status, 200);
    } finally {
      await k.close();
    }
  });

  test('knox login without any credentials → 403 (default classes), not 401', async () => {
    const res = await s.send('POST', '/api/auth/login/');
    assert.equal(res.status, 403);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.deepEqual(res.json, NOT_PROVIDED);
  });
});

describe('POST /api-token-auth/ (ObtainAuthToken)', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) => s.send('POST', '/api-token-auth/', { body, headers });

  test('JSON, form and multipart all work; each call issues a new 64-hex key', async () => {
    const json = await post({ username: 'alice', password: 'alice-password-1' });
    assert.equal(json.status, 200);
    assert.match((json.json as { token: string }).token, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(json.json as object), ['token']);
    assert.equal(json.headers['cache-control'], 'no-store');
    assert.equal(json.headers.allow, 'POST, OPTIONS');

    const form = await post('username=alice&password=alice-password-1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 200);
    assert.notEqual((form.json as { token: string }).token, (json.json as { token: string }).token);

    const boundary = 'XyZ123';
    const multipart = [
      `--${boundary}`, 'Content-Disposition: form-data; name="username"', '', 'alice',
      `--${boundary}`, 'Content-Disposition: form-data; name="password"', '', 'alice-password-1',
      `--${boundary}--`, '',
    ].join('\r\n');
    const mp = await post(multipart, { 'Content-Type': `multipart/form-data; boundary=${boundary}` });
    assert.equal(mp.status, 200);

    for (const r of [json, form, mp]) {
      const key = (r.json as { token: string }).token;
      const me = await s.send('GET', '/api/me/', { headers: tokenHeader(key) });
      assert.equal(me.status, 200);
    }
  });

  test('a foreign Authorization header is ignored (default classes do not read Token)', async () => {
    const res = await post({ username: 'alice', password: 'alice-password-1' }, { Authorization: 'Token bogus' });
    assert.equal(res.status, 200);
  });

  const failures: Array<[string, unknown, unknown]> = [
    ['wrong password', { username: 'alice', password: 'nope' }, { non_field_errors: ['Unable to log in with provided credentials.'] }],
    ['unknown user', { username: 'mallory', password: 'x' }, { non_field_errors: ['Unable to log in with provided credentials.'] }],
    ['inactive user with the right password', { username: 'bob', password: 'bob-password-1' }, { non_field_errors: ['Unable to log in with provided credentials.'] }],
    ['missing password', { username: 'alice' }, { password: ['This field is required.'] }],
    ['empty body', {}, { username: ['This field is required.'], password: ['This field is required.'] }],
    ['blank strings', { username: '', password: '' }, { username: ['This field may not be blank.'], password: ['This field may not be blank.'] }],
    ['whitespace username is blank (trimmed)', { username: '   ', password: 'x' }, { username: ['This field may not be blank.'] }],
    ['null password', { username: 'alice', password: null }, { password: ['This field may not be null.'] }],
    ['array / object / bool values', { username: ['alice'], password: { $gt: '' } }, { username: ['Not a valid string.'], password: ['Not a valid string.'] }],
    ['bool password', { username: 'alice', password: true }, { password: ['Not a valid string.'] }],
    ['number username is coerced and fails to log in', { username: 12, password: 'x' }, { non_field_errors: ['Unable to log in with provided credentials.'] }],
    ['password is not trimmed', { username: 'alice', password: ' alice-password-1 ' }, { non_field_errors: ['Unable to log in with provided credentials.'] }],
    ['JSON array body', [1, 2], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
  ];
  for (const [name, body, expected] of failures) {
    test(`400: ${name}`, async () => {
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, expected);
      assert.equal(res.headers['www-authenticate'], undefined);
    });
  }

  test('400: malformed JSON → JSON parse error', async () => {
    const res = await post('{"username":', { 'Content-Type': 'application/json' });
    assert.equal(res.status, 400);
    assert.match((res.json as { detail: string }).detail, /^JSON parse error - /);
  });

  test('400: invalid UTF-8 in a JSON body', async () => {
    const res = await post(Buffer.from([0x7b, 0x22, 0x75, 0xff, 0x22, 0x3a, 0x31, 0x7d]), { 'Content-Type': 'application/json' });
    assert.equal(res.status, 400);
    assert.match((res.json as { detail: string }).detail, /^JSON parse error - /);
  });

  test('415: text/plain', async () => {
    const res = await post('x', { 'Content-Type': 'text/plain' });
    assert.equal(res.status, 415);
    assert.deepEqual(res.json, { detail: 'Unsupported media type "text/plain" in request.' });
  });

  test('405: GET', async () => {
    const res = await s.send('GET', '/api-token-auth/');
    assert.equal(res.status, 405);
    assert.deepEqual(res.json, { detail: 'Method "GET" not allowed.' });
    assert.equal(res.headers.allow, 'POST, OPTIONS');
  });

  test('413: body over the limit', async () => {
    const res = await post({ username: 'alice', password: 'x'.repeat(20_000) });
    assert.equal(res.status, 413);
    assert.equal((res.json as { detail: string }).detail.includes('limit'), true);
  });

  test('trailing slash is optional', async () => {
    const res = await s.send('POST', '/api-token-auth', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(res.status, 200);
  });

  test('OPTIONS → DRF metadata', async () => {
    const res = await s.send('OPTIONS', '/api-token-auth/');
    assert.equal(res.status, 200);
    const meta = res.json as { actions: { POST: Record<string, unknown> }; parses: string[] };
    assert.deepEqual(Object.keys(meta.actions.POST), ['username', 'password', 'token']);
    assert.deepEqual(meta.actions.POST.token, { type: 'string', required: false, read_only: true, label: 'Token' });
    assert.deepEqual(meta.parses, ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json']);
  });
});

describe('other routes', () => {
  test('unknown path → JSON 404', async () => {
    const res = await s.send('GET', '/nope/');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json, { detail: 'Not found.' });
  });

  test('GET /healthz', async () => {
    const res = await s.send('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  test('common security headers', async () => {
    const res = await s.send('GET', '/healthz');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });
});
