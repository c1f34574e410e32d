/**
 * simplejwt wire behaviour (drf-wire.md §3.4, §4.3, §4.4, §5, §7; docs/security.md
 * groups D, E, F) against a real server: obtain, /api/me/ with Bearer tokens, refresh,
 * verify, blacklist, sliding tokens, rotation with reuse detection, revocation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { importKey, sign } from '../../src/jwt/jws/index.js';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { postgresTestDb } from '../stores/postgres-helpers.js';

const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
const hs256 = importKey({ alg: 'HS256', secret: SECRET });
const hs512 = importKey({ alg: 'HS512', secret: SECRET + SECRET });

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

// PostgreSQL for the reuse-detection cases (skipped with a notice when unreachable).
const postgres = await postgresTestDb('JWT over HTTP on PostgreSQL');
after(async () => {
  await postgres?.cleanup();
});
/** A database URL on a fresh PostgreSQL schema (shared by every server given it). */
function postgresDatabase(): string {
  const url = new URL(postgres!.url);
  url.searchParams.set('schema', postgres!.newSchema());
  return url.toString();
}

async function server(jwt: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startServer({ settings: { jwt, ...extra } });
  servers.push(s);
  await s.createUser('alice', 'alice-password-1');
  await s.createUser('bob', 'bob-password-1', { isActive: false });
  return s;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) };
}
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const CHALLENGE = 'Bearer realm="api"';

async function obtain(s: TestServer, username = 'alice', password = 'alice-password-1') {
  const res = await s.send('POST', '/api/token/', { body: { username, password } });
  assert.equal(res.status, 200, res.text);
  return res.json as { refresh: string; access: string };
}

/** A token signed with the server's key, claims as given (nowS = server clock in seconds). */
function forge(s: TestServer, claims: Record<string, unknown>, key = hs256): string {
  void s;
  return sign(claims, key);
}
const nowS = (s: TestServer) => Math.floor(s.clock.now() / 1000);
const accessClaims = (s: TestServer, extra: Record<string, unknown> = {}) => ({
  token_type: 'access',
  exp: nowS(s) + 300,
  iat: nowS(s),
  jti: 'a'.repeat(32),
  user_id: '1',
  ...extra,
});

describe('POST /api/token/ (obtain pair)', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  test('returns {"refresh","access"} with simplejwt 5.5.1 claims', async () => {
    const res = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object), ['refresh', 'access']);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers.allow, 'POST, OPTIONS');
    const { refresh, access } = res.json as { refresh: string; access: string };
    const r = decode(refresh);
    const a = decode(access);
    assert.deepEqual(r.header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(Object.keys(r.payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.deepEqual(Object.keys(a.payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.equal(r.payload.token_type, 'refresh');
    assert.equal(a.payload.token_type, 'access');
    assert.equal(r.payload.user_id, '1');
    assert.match(r.payload.jti as string, /^[0-9a-f]{32}$/);
    assert.notEqual(r.payload.jti, a.payload.jti);
    assert.equal(r.payload.iat, nowS(s));
    assert.equal(a.payload.iat, r.payload.iat);
    assert.equal(a.payload.exp, nowS(s) + 300);
    assert.equal(r.payload.exp, nowS(s) + 86400);
    // Nothing secret in the payload (docs/security.md #39).
    assert.doesNotMatch(JSON.stringify(r.payload), /argon2|pbkdf2|password/);
  });

  const failures: Array<[string, unknown, number, unknown]> = [
    ['wrong password', { username: 'alice', password: 'nope' }, 401, { detail: 'No active account found with the given credentials' }],
    ['unknown user', { username: 'nobody', password: 'x' }, 401, { detail: 'No active account found with the given credentials' }],
    ['inactive user, right password', { username: 'bob', password: 'bob-password-1' }, 401, { detail: 'No active account found with the given credentials' }],
    ['missing fields', {}, 400, { username: ['This field is required.'], password: ['This field is required.'] }],
    ['blank fields', { username: '', password: '' }, 400, { username: ['This field may not be blank.'], password: ['This field may not be blank.'] }],
    ['null password', { username: 'alice', password: null }, 400, { password: ['This field may not be null.'] }],
    ['operator injection', { username: 'alice', password: { $gt: '' } }, 400, { password: ['Not a valid string.'] }],
  ];
  for (const [name, body, status, expected] of failures) {
    test(`${status}: ${name}`, async () => {
      const res = await s.send('POST', '/api/token/', { body });
      assert.equal(res.status, status);
      assert.deepEqual(res.json, expected);
      assert.equal(res.headers['www-authenticate'], status === 401 ? CHALLENGE : undefined);
    });
  }

  test('GET → 405; form-encoded works; a garbage Authorization header is ignored', async () => {
    const get = await s.send('GET', '/api/token/');
    assert.equal(get.status, 405);
    assert.deepEqual(get.json, { detail: 'Method "GET" not allowed.' });
    const form = await s.send('POST', '/api/token/', { body: 'username=alice&password=alice-password-1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200);
    const garbage = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' }, headers: { Authorization: 'Bearer garbage' } });
    assert.equal(garbage.status, 200);
  });

  test('OPTIONS metadata names the view', async () => {
    const res = await s.send('OPTIONS', '/api/token/');
    assert.equal(res.status, 200);
    assert.equal((res.json as { name: string }).name, 'Token Obtain Pair');
  });
});

describe('JWTAuthentication on GET /api/me/ ([JWT, Token]: challenge Bearer realm="api")', () => {
  let s: TestServer;
  let access: string;
  let refresh: string;
  before(async () => {
    s = await server();
    ({ access, refresh } = await obtain(s));
  });
  const invalid = (message: string) => ({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  });
  const me = (headers: Record<string, string>) => s.send('GET', '/api/me/', { headers });

  test('a valid access token → the user', async () => {
    const res = await me(bearer(access));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { pk: 1, username: 'alice', email: '', first_name: '', last_name: '' });
  });

  test('header rules (§3.4)', async () => {
    const cases: Array<[string | undefined, unknown]> = [
      [undefined, { detail: 'Authentication credentials were not provided.' }],
      ['', { detail: 'Authentication credentials were not provided.' }],
      ['Bearer', { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' }],
      ['Bearer a b', { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' }],
      [`bearer ${access}`, { detail: 'Authentication credentials were not provided.' }], // case-sensitive, falls through
      [`JWT ${access}`, { detail: 'Authentication credentials were not provided.' }],
      ['Bearer garbage', invalid('Token is invalid')],
      ['Bearer caf\xe9', invalid('Token is invalid')],
      ['Token bogus', { detail: 'Invalid token.' }], // Token's message, JWT's challenge
    ];
    for (const [header, body] of cases) {
      const res = await me(header === undefined ? {} : { Authorization: header });
      assert.equal(res.status, 401, String(header));
      assert.equal(res.headers['www-authenticate'], CHALLENGE);
      assert.deepEqual(res.json, body, String(header));
    }
  });

  test('header rules hold for a token already in the verified cache (the split-free fast path)', async () => {
    assert.equal((await me(bearer(access))).status, 200); // now cached
    const twoValues = { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' };
    const cases: Array<[string, number, unknown]> = [
      [`Bearer ${access} extra`, 401, twoValues],
      [`Bearer ${access} ${access}`, 401, twoValues],
      [`Bearer ${access}x`, 401, invalid('Token is invalid')],
      [`Bearer ${access.slice(0, -1)}`, 401, invalid('Token is invalid')],
      [`Bearer  ${access}`, 200, null], // any run of whitespace separates, as bytes.split()
      [`Bearer\t${access}`, 200, null],
      [` Bearer ${access} `, 200, null],
      [`Bearer \t ${access}`, 200, null],
      [`BearerX ${access}`, 401, { detail: 'Authentication credentials were not provided.' }], // another scheme
    ];
    for (const [header, status, body] of cases) {
      const res = await me({ Authorization: header });
      assert.equal(res.status, status, JSON.stringify(header.replace(access, '<token>')));
      if (body !== null) assert.deepEqual(res.json, body, JSON.stringify(header.replace(access, '<token>')));
      else assert.equal((res.json as { username: string }).username, 'alice');
    }
  });

  test('token problems (§4.3, docs/security.md A–E)', async () => {
    const n = nowS(s);
    const cases: Array<[string, string, unknown]> = [
      ['refresh used as access', refresh, invalid('Token has wrong type')],
      ['expired', forge(s, accessClaims(s, { exp: n - 1 })), invalid('Token is expired')],
      ['exp == now', forge(s, accessClaims(s, { exp: n })), invalid('Token is expired')],
      ['bad signature', `${access.slice(0, -4)}AAAA`, invalid('Token is invalid')],
      ['alg none', `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(accessClaims(s)))}.`, invalid('Token is invalid')],
      ['HS512 when HS256 is configured', forge(s, accessClaims(s), hs512), invalid('Token is invalid')],
      ['no jti', forge(s, { token_type: 'access', exp: n + 60, iat: n, user_id: '1' }), invalid('Token has no id')],
      ['no token_type', forge(s, { exp: n + 60, iat: n, jti: 'x', user_id: '1' }), invalid('Token has no type')],
      ['no exp', forge(s, { token_type: 'access', iat: n, jti: 'x', user_id: '1' }), invalid("Token has no 'exp' claim")],
      ['float exp', forge(s, accessClaims(s, { exp: n + 60.5 })), invalid('Token is invalid')],
      ['string exp', forge(s, accessClaims(s, { exp: String(n + 60) })), invalid('Token is invalid')],
      ['iat in the future', forge(s, accessClaims(s, { iat: n + 60 })), invalid('Token is invalid')],
      ['nbf in the future', forge(s, accessClaims(s, { nbf: n + 60 })), invalid('Token is invalid')],
      ['sliding token (not in authTokenClasses)', forge(s, { token_type: 'sliding', exp: n + 60, iat: n, jti: 'x', refresh_exp: n + 600, user_id: 1 }), invalid('Token has wrong type')],
      ['no user id', forge(s, accessClaims(s, { user_id: undefined })), { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' }],
      ['unknown user', forge(s, accessClaims(s, { user_id: '999' })), { detail: 'User not found', code: 'user_not_found' }],
      ['non-numeric user id', forge(s, accessClaims(s, { user_id: 'abc' })), { detail: 'User not found', code: 'user_not_found' }],
      ['inactive user', forge(s, accessClaims(s, { user_id: '2' })), { detail: 'User is inactive', code: 'user_inactive' }],
      ['__proto__ claim', forge(s, JSON.parse(`{"__proto__":{"isStaff":true},"token_type":"access","exp":${n + 60},"iat":${n},"jti":"x"}`)), { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' }],
    ];
    for (const [name, token, body] of cases) {
      const res = await me(bearer(token));
      assert.equal(res.status, 401, name);
      assert.equal(res.headers['www-authenticate'], CHALLENGE, name);
      assert.deepEqual(res.json, body, name);
      assert.equal(res.text.includes(token.split('.')[2] || '\u0000'), false, `${name}: token echoed`);
    }
  });

  test('accepted variants: integer user_id (older tokens), aud when no audience is set, extra claims', async () => {
    for (const claims of [accessClaims(s, { user_id: 1 }), accessClaims(s, { aud: 'someone' }), accessClaims(s, { role: 'admin', nested: { a: [1] } })]) {
      assert.equal((await me(bearer(forge(s, claims)))).status, 200, JSON.stringify(claims));
    }
  });

  test('the same bad token gets the same answer twice (no cache warm-up effect, docs/security.md #U6)', async () => {
    const bad = `${access.slice(0, -4)}AAAA`;
    const a = await me(bearer(bad));
    const b = await me(bearer(bad));
    assert.equal(a.text, b.text);
    assert.equal((await me(bearer(access))).status, 200);
    assert.equal((await me(bearer(access))).status, 200);
  });

  test('a cached token still expires on time', async () => {
    const short = forge(s, accessClaims(s, { exp: nowS(s) + 10 }));
    assert.equal((await me(bearer(short))).status, 200);
    s.clock.advance(11_000);
    const res = await me(bearer(short));
    assert.deepEqual(res.json, invalid('Token is expired'));
  });

  test('POST needs no CSRF token; PUT → 405 after authentication', async () => {
    const fresh = (await obtain(s)).access;
    assert.equal((await s.send('PUT', '/api/me/', { headers: bearer(fresh) })).status, 405);
  });
});

describe('POST /api/token/refresh/', () => {
  test('without rotation: {"access"} with a fresh iat, the refresh claims copied', async () => {
    const s = await server({}, {});
    const { refresh } = await obtain(s);
    s.clock.advance(2000);
    const res = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object), ['access']);
    const a = decode((res.json as { access: string }).access).payload;
    assert.equal(a.iat, nowS(s));
    assert.equal(a.exp, nowS(s) + 300);
    assert.equal(a.user_id, '1');
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer((res.json as { access: string }).access) })).status, 200);
  });

  test('a claim named __proto__ is copied into the access token as a claim, never as a prototype (docs/security.md #21)', async () => {
    const s = await server();
    const n = nowS(s);
    const refresh = forge(s, JSON.parse(`{"token_type":"refresh","exp":${n + 500},"iat":${n},"jti":"p1","user_id":"1","__proto__":{"is_staff":true},"role":"x"}`) as Record<string, unknown>);
    const res = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.equal(res.status, 200, res.text);
    const text = Buffer.from((res.json as { access: string }).access.split('.')[1]!, 'base64url').toString();
    const payload = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.getOwnPropertyDescriptor(payload, '__proto__')?.value, { is_staff: true }, text);
    assert.equal(payload.role, 'x');
    assert.equal(({} as Record<string, unknown>).is_staff, undefined);
  });

  test('errors', async () => {
    const s = await server();
    const { refresh, access } = await obtain(s);
    const n = nowS(s);
    const cases: Array<[string, unknown, number, unknown]> = [
      ['access token', { refresh: access }, 401, { detail: 'Token has wrong type', code: 'token_not_valid' }],
      ['garbage', { refresh: 'garbage' }, 401, { detail: 'Token is invalid', code: 'token_not_valid' }],
      ['missing', {}, 400, { refresh: ['This field is required.'] }],
      ['blank', { refresh: '' }, 400, { refresh: ['This field may not be blank.'] }],
      ['expired', { refresh: forge(s, { token_type: 'refresh', exp: n - 5, iat: n - 100, jti: 'r0', user_id: '1' }) }, 401, { detail: 'Token is expired', code: 'token_not_valid' }],
      ['deleted user', { refresh: forge(s, { token_type: 'refresh', exp: n + 500, iat: n, jti: 'r1', user_id: '999' }) }, 401, { detail: 'No active account found for the given token.' }],
      ['inactive user', { refresh: forge(s, { token_type: 'refresh', exp: n + 500, iat: n, jti: 'r2', user_id: 2 }) }, 401, { detail: 'No active account found for the given token.' }],
    ];
    for (const [name, body, status, expected] of cases) {
      const res = await s.send('POST', '/api/token/refresh/', { body, headers: { Authorization: 'Bearer ignored' } });
      assert.equal(res.status, status, name);
      assert.deepEqual(res.json, expected, name);
      assert.equal(res.headers['www-authenticate'], status === 401 ? CHALLENGE : undefined, name);
    }
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh } })).status, 200);
  });
});

describe('POST /api/token/verify/ and /api/token/blacklist/', () => {
  test('verify: access and refresh are valid (untyped); expired, garbage, no jti are not', async () => {
    const s = await server();
    const { refresh, access } = await obtain(s);
    const n = nowS(s);
    const verify = (token: unknown) => s.send('POST', '/api/token/verify/', { body: { token } });
    assert.deepEqual([(await verify(access)).status, (await verify(access)).json], [200, {}]);
    assert.equal((await verify(refresh)).status, 200);
    assert.equal((await verify(forge(s, { exp: n + 60, jti: 'x', user_id: 1 }))).status, 200, 'no token_type is fine (untyped)');
    assert.deepEqual((await verify(forge(s, accessClaims(s, { exp: n - 1 })))).json, { detail: 'Token is expired', code: 'token_not_valid' });
    assert.deepEqual((await verify('garbage')).json, { detail: 'Token is invalid', code: 'token_not_valid' });
    assert.deepEqual((await verify(forge(s, { exp: n + 60, token_type: 'access' }))).json, { detail: 'Token has no id', code: 'token_not_valid' });
    assert.deepEqual((await s.send('POST', '/api/token/verify/', { body: {} })).json, { token: ['This field is required.'] });
  });

  test('blacklist: wrong type, ok, again, then refresh and verify; the access token of the pair still works', async () => {
    const s = await server();
    const { refresh, access } = await obtain(s);
    const bl = (token: string) => s.send('POST', '/api/token/blacklist/', { body: { refresh: token } });
    assert.deepEqual((await bl(access)).json, { detail: 'Token has wrong type', code: 'token_not_valid' });
    const ok = await bl(refresh);
    assert.deepEqual([ok.status, ok.json], [200, {}]);
    const again = await bl(refresh);
    assert.deepEqual([again.status, again.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    const r = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual([r.status, r.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    assert.equal((await s.send('POST', '/api/token/verify/', { body: { token: refresh } })).status, 200, 'BLACKLIST_AFTER_ROTATION=False: verify ignores the blacklist');
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(access) })).status, 200);
    assert.deepEqual((await s.send('POST', '/api/token/blacklist/', { body: {} })).json, { refresh: ['This field is required.'] });
    // A validly signed refresh token this server never issued can be blacklisted too.
    const foreign = forge(s, { token_type: 'refresh', exp: nowS(s) + 600, iat: nowS(s), jti: 'foreign-1', user_id: '1' });
    assert.equal((await bl(foreign)).status, 200);
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: foreign } })).status, 401);
  });
});

describe('sliding tokens', () => {
  test('obtain, refresh (same jti and refresh_exp, new exp), wrong type, expiry rules', async () => {
    const s = await server();
    const res = await s.send('POST', '/api/token/sliding/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(res.status, 200);
    const token = (res.json as { token: string }).token;
    const p = decode(token).payload;
    assert.deepEqual(Object.keys(p), ['token_type', 'exp', 'iat', 'jti', 'refresh_exp', 'user_id']);
    assert.equal(p.refresh_exp, nowS(s) + 86400);
    s.clock.advance(60_000);
    const r = await s.send('POST', '/api/token/sliding/refresh/', { body: { token } });
    assert.equal(r.status, 200);
    const q = decode((r.json as { token: string }).token).payload;
    assert.equal(q.jti, p.jti);
    assert.equal(q.refresh_exp, p.refresh_exp);
    assert.equal(q.exp, nowS(s) + 300);
    const { access } = await obtain(s);
    assert.deepEqual((await s.send('POST', '/api/token/sliding/refresh/', { body: { token: access } })).json, { detail: 'Token has wrong type', code: 'token_not_valid' });
    const n = nowS(s);
    const gone = forge(s, { token_type: 'sliding', exp: n + 60, iat: n - 100, jti: 's2', refresh_exp: n - 1, user_id: 1 });
    assert.deepEqual((await s.send('POST', '/api/token/sliding/refresh/', { body: { token: gone } })).json, { detail: "Token 'refresh_exp' claim has expired", code: 'token_not_valid' });
    const expired = forge(s, { token_type: 'sliding', exp: n - 1, iat: n - 100, jti: 's1', refresh_exp: n + 600, user_id: 1 });
    assert.deepEqual((await s.send('POST', '/api/token/sliding/refresh/', { body: { token: expired } })).json, { detail: 'Token is expired', code: 'token_not_valid' });
    assert.deepEqual((await s.send('POST', '/api/token/blacklist/', { body: { refresh: token } })).json, { detail: 'Token has wrong type', code: 'token_not_valid' });
  });

  test('sliding tokens authenticate when listed in authTokenClasses; blacklisting is by jti', async () => {
    const s = await server({ authTokenClasses: ['access', 'sliding'] });
    const token = ((await s.send('POST', '/api/token/sliding/', { body: { username: 'alice', password: 'alice-password-1' } })).json as { token: string }).token;
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(token) })).status, 200);
    const refresh = (await obtain(s)).refresh;
    const res = await s.send('GET', '/api/me/', { headers: bearer(refresh) });
    assert.deepEqual(res.json, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [
        { token_class: 'AccessToken', token_type: 'access', message: 'Token has wrong type' },
        { token_class: 'SlidingToken', token_type: 'sliding', message: 'Token has wrong type' },
      ],
    });
  });
});

describe('rotation, refresh families and reuse detection (docs/security.md group F)', () => {
  const rotate = (s: TestServer, refresh: string) => s.send('POST', '/api/token/refresh/', { body: { refresh } });

  test('rotation returns {"access","refresh"}; reusing a rotated token revokes the whole family', async () => {
    const s = await server({ rotateRefreshTokens: true });
    const { refresh: r1 } = await obtain(s);
    s.clock.advance(1000);
    const first = await rotate(s, r1);
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.json as object), ['access', 'refresh']);
    const r2 = (first.json as { refresh: string }).refresh;
    const p1 = decode(r1).payload;
    const p2 = decode(r2).payload;
    assert.notEqual(p2.jti, p1.jti);
    assert.equal(p2.iat, nowS(s));
    assert.equal(p2.exp, nowS(s) + 86400);
    const reuse = await rotate(s, r1);
    assert.deepEqual([reuse.status, reuse.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    assert.equal((await rotate(s, r2)).status, 401, 'the replacement died with its family');
  });

  test('a retry within reuseGrace gets the same replacement', async () => {
    const s = await server({ rotateRefreshTokens: true, reuseGrace: 10 });
    const { refresh: r1 } = await obtain(s);
    const a = await rotate(s, r1);
    s.clock.advance(2000);
    const b = await rotate(s, r1);
    assert.equal(b.status, 200);
    assert.equal(decode((b.json as { refresh: string }).refresh).payload.jti, decode((a.json as { refresh: string }).refresh).payload.jti);
    assert.equal((b.json as { refresh: string }).refresh, (a.json as { refresh: string }).refresh, 'HS256 re-signs identically');
    s.clock.advance(10_000);
    assert.equal((await rotate(s, r1)).status, 401, 'after the grace window it is reuse');
  });

  test('concurrent refreshes of one token: exactly one succeeds; the others are reuse, which revokes the family (grace 0)', async () => {
    const s = await server({ rotateRefreshTokens: true });
    const { refresh } = await obtain(s);
    const results = await Promise.all(Array.from({ length: 6 }, () => rotate(s, refresh)));
    const won = results.filter((r) => r.status === 200);
    assert.equal(won.length, 1);
    assert.ok(results.filter((r) => r.status === 401).every((r) => (r.json as { code: string }).code === 'token_not_valid'));
    const after = await rotate(s, (won[0]!.json as { refresh: string }).refresh);
    assert.deepEqual([after.status, after.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }], "the winner's refresh token died with its family");
  });

  test('concurrent refreshes within reuseGrace: one new pair, handed to every caller, and it stays usable', async () => {
    const s = await server({ rotateRefreshTokens: true, reuseGrace: 10 });
    const { refresh } = await obtain(s);
    const results = await Promise.all(Array.from({ length: 6 }, () => rotate(s, refresh)));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const replacements = new Set(results.map((r) => decode((r.json as { refresh: string }).refresh).payload.jti));
    assert.equal(replacements.size, 1, 'exactly one new pair');
    assert.equal((await rotate(s, (results[0]!.json as { refresh: string }).refresh)).status, 200);
  });

  test('blacklistAfterRotation without reuse detection: the old token is blacklisted, verify answers 400', async () => {
    const s = await server({ rotateRefreshTokens: true, blacklistAfterRotation: true, reuseDetection: false });
    const { refresh: r1 } = await obtain(s);
    const r2 = ((await rotate(s, r1)).json as { refresh: string }).refresh;
    const reuse = await rotate(s, r1);
    assert.deepEqual([reuse.status, reuse.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    assert.equal((await rotate(s, r2)).status, 200, 'no family revocation without reuse detection');
    const v = await s.send('POST', '/api/token/verify/', { body: { token: r1 } });
    assert.deepEqual([v.status, v.json], [400, { non_field_errors: ['Token is blacklisted'] }]);
  });

  test('without blacklistAfterRotation or reuse detection the old refresh stays usable (simplejwt default)', async () => {
    const s = await server({ rotateRefreshTokens: true, reuseDetection: false });
    const { refresh: r1 } = await obtain(s);
    assert.equal((await rotate(s, r1)).status, 200);
    assert.equal((await rotate(s, r1)).status, 200);
  });

  test('refreshMaxLifetime: rotation never extends a family past its absolute end', async () => {
    const s = await server({ rotateRefreshTokens: true, refreshMaxLifetime: '2d', refreshTokenLifetime: '1d' });
    const start = nowS(s);
    let { refresh } = await obtain(s);
    for (let i = 0; i < 3; i++) {
      s.clock.advance(20 * 3600_000);
      const res = await rotate(s, refresh);
      if (res.status !== 200) break;
      refresh = (res.json as { refresh: string }).refresh;
      assert.ok((decode(refresh).payload.exp as number) <= start + 2 * 86400);
    }
    s.clock.set((start + 2 * 86400) * 1000);
    assert.equal((await rotate(s, refresh)).status, 401);
  });
});

describe("reuse detection under simplejwt's common settings (rotateRefreshTokens + blacklistAfterRotation)", () => {
  const SETTINGS = { rotateRefreshTokens: true, blacklistAfterRotation: true };
  const rotate = (s: TestServer, refresh: string) => s.send('POST', '/api/token/refresh/', { body: { refresh } });
  const refused = { detail: 'Token is blacklisted', code: 'token_not_valid' };
  const backends: Array<[string, () => Record<string, unknown>]> = [['SQLite', () => ({})]];
  if (postgres) backends.push(['PostgreSQL', () => ({ database: postgresDatabase() })]);

  for (const [name, extra] of backends) {
    test(`${name}: the rotated token presented again revokes the family, so the thief's newer token is refused`, async () => {
      const s = await server(SETTINGS, extra());
      const { refresh: r1 } = await obtain(s);
      const first = await rotate(s, r1);
      assert.equal(first.status, 200, first.text);
      const r2 = (first.json as { refresh: string }).refresh;
      const reuse = await rotate(s, r1);
      assert.deepEqual([reuse.status, reuse.json], [401, refused]);
      const stolen = await rotate(s, r2);
      assert.deepEqual([stolen.status, stolen.json], [401, refused], 'the newer refresh token died with its family');
      const family = (await s.app.stores.jwt.getOutstanding(decode(r2).payload.jti as string))!.familyId!;
      assert.equal((await s.app.stores.jwt.getFamily(family))!.reason, 'reuse');
    });

    test(`${name}: an older token (two rotations back) revokes the family too`, async () => {
      const s = await server(SETTINGS, extra());
      const { refresh: r1 } = await obtain(s);
      const r2 = ((await rotate(s, r1)).json as { refresh: string }).refresh;
      const r3 = ((await rotate(s, r2)).json as { refresh: string }).refresh;
      assert.equal((await rotate(s, r1)).status, 401);
      assert.deepEqual((await rotate(s, r3)).json, refused);
    });
  }

  if (postgres) {
    test('two instances on one PostgreSQL: rotated on A, replayed on B: the family is revoked on both; concurrent refreshes on A and B: one winner', async () => {
      const database = postgresDatabase();
      const clock = new FakeClock(Date.now()); // one time for both, as NTP-synchronised hosts
      const a = await startServer({ settings: { jwt: SETTINGS, database }, clock });
      const b = await startServer({ settings: { jwt: SETTINGS, database }, clock });
      servers.push(a, b);
      await a.createUser('alice', 'alice-password-1');
      const { refresh: r1 } = await obtain(a);
      const r2 = ((await rotate(a, r1)).json as { refresh: string }).refresh;
      assert.deepEqual((await rotate(b, r1)).json, refused);
      for (const s of [a, b]) assert.deepEqual((await rotate(s, r2)).json, refused, 'the newer token, on either instance');

      const { refresh: r0 } = await obtain(b);
      const results = await Promise.all([rotate(a, r0), rotate(b, r0)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 401], 'exactly one winner');
      assert.deepEqual(results.find((r) => r.status === 401)!.json, refused);
      const won = (results.find((r) => r.status === 200)!.json as { refresh: string }).refresh;
      for (const s of [a, b]) assert.equal((await rotate(s, won)).status, 401, "the loser's replay revoked the winner's family");
    });
  }
});

describe('tokens this server would not have made', () => {
  test("an exp beyond the type's lifetime + leeway is refused; a non-canonical user id names no user", async () => {
    const s = await server({ leeway: 5 });
    const n = nowS(s);
    const me = (t: string) => s.send('GET', '/api/me/', { headers: bearer(t) });
    assert.equal((await me(forge(s, accessClaims(s, { exp: n + 305 })))).status, 200);
    const long = await me(forge(s, accessClaims(s, { exp: n + 306 })));
    assert.equal(long.status, 401);
    assert.equal((long.json as { messages: Array<{ message: string }> }).messages[0]!.message, 'Token is invalid');
    const year = forge(s, { token_type: 'refresh', exp: n + 365 * 86400, iat: n, jti: 'y'.repeat(32), user_id: '1' });
    assert.deepEqual((await s.send('POST', '/api/token/refresh/', { body: { refresh: year } })).json, { detail: 'Token is invalid', code: 'token_not_valid' });
    for (const id of ['01', '+1', ' 1', '1.0']) {
      const res = await me(forge(s, accessClaims(s, { user_id: id })));
      assert.deepEqual([res.status, res.json], [401, { detail: 'User not found', code: 'user_not_found' }], JSON.stringify(id));
    }
    for (const id of ['1', 1]) assert.equal((await me(forge(s, accessClaims(s, { user_id: id })))).status, 200, 'simplejwt 5.5.1 and older tokens');
  });
});

describe('per-user revocation', () => {
  test('checkRevokeToken: a password change refuses older access and refresh tokens; the claim is not a password hash digest', async () => {
    const s = await server({ checkRevokeToken: true });
    const { refresh, access } = await obtain(s);
    const claim = decode(access).payload.hash_password as string;
    assert.match(claim, /^[0-9A-F]{32}$/);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(access) })).status, 200);
    const alice = (await s.app.users.getByUsername('alice'))!;
    const md5 = (await import('node:crypto')).createHash('md5').update(alice.password).digest('hex').toUpperCase();
    assert.notEqual(claim, md5);
    await s.app.users.setPassword(alice, 'alice-password-2');
    const me = await s.send('GET', '/api/me/', { headers: bearer(access) });
    assert.deepEqual([me.status, me.json], [401, { detail: "The user's password has been changed.", code: 'password_changed' }]);
    const r = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual([r.status, r.json], [401, { detail: "The user's password has been changed." }]);
    const again = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual(again.json, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer((await obtain(s, 'alice', 'alice-password-2')).access) })).status, 200);
  });

  test('logout-all with a JWT: refresh tokens die; with checkRevokeToken access tokens too; opaque tokens too', async () => {
    const s = await server({ checkRevokeToken: true });
    const a = await obtain(s);
    const b = await obtain(s);
    const opaque = (await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'alice-password-1' } })).json as { token: string };
    const res = await s.send('POST', '/api/auth/logoutall/', { headers: bearer(a.access) });
    assert.equal(res.status, 204);
    assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: b.refresh } })).status, 401);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(b.access) })).status, 401);
    assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(opaque.token) })).status, 401);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer((await obtain(s)).access) })).status, 200);
  });

  test('a password change without checkRevokeToken still kills refresh tokens', async () => {
    const s = await server();
    const { refresh } = await obtain(s);
    await s.app.users.setPassword((await s.app.users.getByUsername('alice'))!, 'alice-password-2');
    const r = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual([r.status, r.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
  });

  test('deleting or deactivating the user refuses access on the next request', async () => {
    const s = await server();
    const { access } = await obtain(s);
    const alice = (await s.app.users.getByUsername('alice'))!;
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(access) })).status, 200);
    await s.app.users.update(alice.id, { isActive: false });
    assert.deepEqual((await s.send('GET', '/api/me/', { headers: bearer(access) })).json, { detail: 'User is inactive', code: 'user_inactive' });
    await s.app.users.delete({ ...alice });
    assert.deepEqual((await s.send('GET', '/api/me/', { headers: bearer(access) })).json, { detail: 'User not found', code: 'user_not_found' });
  });

  test('accessTokenDenylist: one access token revoked on demand, the others unaffected', async () => {
    const s = await server({ accessTokenDenylist: true });
    const a = await obtain(s);
    const b = await obtain(s);
    await s.app.jwt.denyAccessToken(decode(a.access).payload);
    const res = await s.send('GET', '/api/me/', { headers: bearer(a.access) });
    assert.equal(res.status, 401);
    assert.deepEqual((res.json as { messages: unknown }).messages, [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }]);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(b.access) })).status, 200);
  });

  test('docs/security.md #53: a token in the verified cache is refused once denied, deactivated or logged out everywhere', async () => {
    const s = await server({ accessTokenDenylist: true, checkRevokeToken: true });
    const a = await obtain(s);
    const b = await obtain(s);
    for (const t of [a.access, b.access]) assert.equal((await s.send('GET', '/api/me/', { headers: bearer(t) })).status, 200); // now cached
    await s.app.jwt.denyAccessToken(decode(a.access).payload);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(a.access) })).status, 401, 'denied while cached');
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(b.access) })).status, 200);
    await s.app.jwt.revokeAllForUser(1, 'logout_all');
    const res = await s.send('GET', '/api/me/', { headers: bearer(b.access) });
    assert.deepEqual([res.status, (res.json as { code: string }).code], [401, 'password_changed'], 'logout-all while cached');
  });
});

describe('settings', () => {
  test('custom claims hook, updateLastLogin, audience and issuer', async () => {
    const s = await startServer({ settings: { jwt: { updateLastLogin: true, audience: 'api', issuer: 'https://auth.example' } }, claims: (u) => ({ roles: u.isStaff ? ['admin'] : ['user'], exp: 1 }) });
    servers.push(s);
    await s.createUser('alice', 'alice-password-1');
    const { refresh, access } = await obtain(s);
    const r = decode(refresh).payload;
    assert.deepEqual(r.roles, ['user']);
    assert.deepEqual(Object.keys(r), ['token_type', 'exp', 'iat', 'jti', 'user_id', 'roles', 'aud', 'iss']);
    assert.notEqual(r.exp, 1, 'hooks cannot override registered claims');
    assert.deepEqual(decode(access).payload.roles, ['user']);
    assert.notEqual((await s.app.users.getByUsername('alice'))!.lastLogin, null);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(access) })).status, 200);
    const n = nowS(s);
    const claims = { token_type: 'access', exp: n + 60, iat: n, jti: 'x', user_id: '1' };
    const wrongAud = sign({ ...claims, aud: 'api.evil', iss: 'https://auth.example' }, hs256);
    const noAud = sign({ ...claims, iss: 'https://auth.example' }, hs256);
    const wrongIss = sign({ ...claims, aud: ['other', 'api'], iss: 'https://evil.example' }, hs256);
    const listAud = sign({ ...claims, aud: ['other', 'api'], iss: 'https://auth.example' }, hs256);
    for (const [t, status] of [[wrongAud, 401], [noAud, 401], [wrongIss, 401], [listAud, 200]] as const) {
      assert.equal((await s.send('GET', '/api/me/', { headers: bearer(t) })).status, status);
    }
  });

  test('userAuthenticationRule (simplejwt USER_AUTHENTICATION_RULE): obtain, refresh and every request; never loosens checkUserIsActive', async () => {
    let locked = false;
    const s = await startServer({ userAuthenticationRule: (u) => !(locked && u.username === 'alice') && u.username !== 'mallory' });
    servers.push(s);
    await s.createUser('alice', 'alice-password-1');
    await s.createUser('mallory', 'mallory-password-1');
    await s.createUser('bob', 'bob-password-1', { isActive: false });
    const { refresh, access } = await obtain(s);
    const refused = await s.send('POST', '/api/token/', { body: { username: 'mallory', password: 'mallory-password-1' } });
    assert.deepEqual([refused.status, refused.json], [401, { detail: 'No active account found with the given credentials' }]);
    assert.equal((await s.send('POST', '/api/token/', { body: { username: 'bob', password: 'bob-password-1' } })).status, 401, 'inactive stays refused');
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(access) })).status, 200);
    locked = true;
    const me = await s.send('GET', '/api/me/', { headers: bearer(access) });
    assert.deepEqual([me.status, me.json], [401, { detail: 'User is inactive', code: 'user_inactive' }]);
    const r = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual([r.status, r.json], [401, { detail: 'No active account found for the given token.' }]);
  });

  test('leeway: an expired token is accepted within the leeway', async () => {
    const s = await server({ leeway: 30 });
    const n = nowS(s);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(forge(s, accessClaims(s, { exp: n - 29 }))) })).status, 200);
    assert.equal((await s.send('GET', '/api/me/', { headers: bearer(forge(s, accessClaims(s, { exp: n - 31 }))) })).status, 401);
  });

  test('authHeaderTypes and authHeaderName', async () => {
    const s = await server({ authHeaderTypes: ['JWT', 'Bearer'], authHeaderName: 'HTTP_X_AUTH' });
    const { access } = await obtain(s);
    assert.equal((await s.send('GET', '/api/me/', { headers: { 'X-Auth': `JWT ${access}` } })).status, 200);
    assert.equal((await s.send('GET', '/api/me/', { headers: { 'X-Auth': `Bearer ${access}` } })).status, 200);
    const plain = await s.send('GET', '/api/me/', { headers: { Authorization: `JWT ${access}` } });
    assert.equal(plain.status, 401);
    assert.equal(plain.headers['www-authenticate'], 'JWT realm="api"');
  });
});

describe('JWTStatelessUserAuthentication', () => {
  test('builds the user from the claims without a store lookup (a deleted user is accepted, as simplejwt)', async () => {
    const { JWTStatelessUserAuthentication } = await import('../../src/jwt/authentication.js');
    const { IsAuthenticated, IsAdminUser } = await import('../../src/permissions/index.js');
    const s = await server();
    const stateless = new JWTStatelessUserAuthentication(s.app.jwt);
    const view = (ctx: { principal: { user: { id: number; username: string; isStaff: boolean } } | null }) => {
      const u = ctx.principal!.user;
      return { body: { id: u.id, username: u.username, is_staff: u.isStaff } };
    };
    s.app.engine.add({ path: '/api/hello-stateless/', authenticators: [stateless], permissions: [IsAuthenticated], methods: { GET: view } });
    s.app.engine.add({ path: '/api/hello-stateless-admin/', authenticators: [stateless], permissions: [IsAdminUser], methods: { GET: view } });
    const { access } = await obtain(s);
    const ok = await s.send('GET', '/api/hello-stateless/', { headers: bearer(access) });
    assert.deepEqual([ok.status, ok.json], [200, { id: 1, username: '', is_staff: false }]);
    const ghost = forge(s, accessClaims(s, { user_id: '999', username: 'ghost', is_staff: true }));
    assert.deepEqual((await s.send('GET', '/api/hello-stateless/', { headers: bearer(ghost) })).json, { id: 999, username: 'ghost', is_staff: true });
    assert.equal((await s.send('GET', '/api/hello-stateless-admin/', { headers: bearer(ghost) })).status, 200);
    assert.equal((await s.send('GET', '/api/hello-stateless-admin/', { headers: bearer(access) })).status, 403);
    const anon = await s.send('GET', '/api/hello-stateless/');
    assert.deepEqual([anon.status, anon.headers['www-authenticate']], [401, CHALLENGE]);
    assert.deepEqual((await s.send('GET', '/api/hello-stateless/', { headers: bearer('garbage') })).json, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
    });
  });
});

describe('docs/security.md #32, #34, #35, #42, #43', () => {
  const claims = (s: TestServer, extra: Record<string, unknown>) => forge(s, accessClaims(s, extra));
  const me = (s: TestServer, token: string) => s.send('GET', '/api/me/', { headers: bearer(token) });

  test('D32: nbf in the future beyond the leeway (fractional too) → 401; up to the leeway accepted', async () => {
    const strict = await server();
    const n = nowS(strict);
    for (const [nbf, status] of [[n, 200], [n + 0.5, 401], [n + 1, 401], [n - 0.5, 200]] as const) {
      assert.equal((await me(strict, claims(strict, { nbf }))).status, status, `leeway 0, nbf now${nbf - n >= 0 ? '+' : ''}${nbf - n}`);
    }
    const lenient = await server({ leeway: 10 });
    const m = nowS(lenient);
    for (const [nbf, status] of [[m + 9.5, 200], [m + 10, 200], [m + 10.5, 401], [m + 60, 401]] as const) {
      assert.equal((await me(lenient, claims(lenient, { nbf }))).status, status, `leeway 10, nbf now+${nbf - m}`);
    }
  });

  test('D34: iss wrong or missing when an issuer is configured → 401', async () => {
    const s = await server({ issuer: 'https://auth.example' });
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ iss: 'https://auth.example' }, 200],
      [{}, 401],
      [{ iss: 'https://auth.example.evil' }, 401],
      [{ iss: ['https://auth.example'] }, 401],
      [{ iss: null }, 401],
    ];
    for (const [extra, status] of cases) assert.equal((await me(s, claims(s, extra))).status, status, JSON.stringify(extra));
  });

  test('D35: audience absent, [], 7, suffix and substring tricks → 401; a list holding the audience → 200', async () => {
    const s = await server({ audience: 'api' });
    const cases: Array<[unknown, number]> = [
      ['api', 200],
      [['other', 'api'], 200],
      [undefined, 401],
      [[], 401],
      [7, 401],
      [[7], 401],
      ['xapi', 401],
      ['api.evil', 401],
      ['ap', 401],
      [['apix'], 401],
      [{ api: true }, 401],
    ];
    for (const [aud, status] of cases) assert.equal((await me(s, claims(s, aud === undefined ? {} : { aud }))).status, status, JSON.stringify(aud));
    const url = await server({ audience: 'https://api.example.com' });
    assert.equal((await me(url, claims(url, { aud: 'https://api.example.com.evil' }))).status, 401);
    assert.equal((await me(url, claims(url, { aud: 'https://api.example.com' }))).status, 200);
  });

  test('E42: an unknown token type (id, password_reset, refresh, sliding) is not an access token', async () => {
    const s = await server();
    for (const token_type of ['id', 'password_reset', 'refresh', 'sliding', 'ACCESS', '']) {
      const res = await me(s, claims(s, { token_type }));
      assert.equal(res.status, 401, token_type);
      assert.deepEqual((res.json as { messages: unknown }).messages, [{ token_class: 'AccessToken', token_type: 'access', message: 'Token has wrong type' }], token_type);
    }
  });

  test('E43: a JWT under Token, an opaque key under Bearer: refused by the owning authenticator, never rescued', async () => {
    const s = await server();
    const { access } = await obtain(s);
    const key = (await s.app.tokens.issue((await s.app.users.getByUsername('alice'))!)).key;
    const jwtAsToken = await s.send('GET', '/api/me/', { headers: tokenHeader(access) });
    assert.deepEqual([jwtAsToken.status, jwtAsToken.json, jwtAsToken.headers['www-authenticate']], [401, { detail: 'Invalid token.' }, CHALLENGE]);
    const keyAsBearer = await s.send('GET', '/api/me/', { headers: bearer(key) });
    assert.equal(keyAsBearer.status, 401);
    assert.equal((keyAsBearer.json as { code: string }).code, 'token_not_valid');
    assert.equal((await s.send('GET', '/api/me/', { headers: tokenHeader(key) })).status, 200, 'each works under its own scheme');
  });
});

describe('docs/security.md #52: cleanup keeps blacklist and denylist rows until exp + leeway', () => {
  test('flushExpired within the leeway keeps the rows (the tokens would still pass); after it removes them', async () => {
    const s = await server({ leeway: 30, accessTokenDenylist: true, refreshTokenLifetime: 600, accessTokenLifetime: 600 });
    const { refresh, access } = await obtain(s);
    assert.equal((await s.send('POST', '/api/token/blacklist/', { body: { refresh } })).status, 200);
    await s.app.jwt.denyAccessToken(decode(access).payload);
    const refreshJti = decode(refresh).payload.jti as string;
    const accessJti = decode(access).payload.jti as string;
    const rows = async () => ((await s.app.stores.jwt.getOutstanding(refreshJti)) ? 1 : 0) + ((await s.app.stores.jwt.isAccessTokenDenied(accessJti)) ? 1 : 0);
    assert.equal(await rows(), 2);
    s.clock.advance(610_000); // both past exp, within the 30 s leeway
    await s.app.jwt.flushExpired();
    assert.equal(await rows(), 2, 'nothing flushed inside the leeway');
    const refreshed = await s.send('POST', '/api/token/refresh/', { body: { refresh } });
    assert.deepEqual([refreshed.status, refreshed.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }], 'still refused, not resurrected');
    const denied = await s.send('GET', '/api/me/', { headers: bearer(access) });
    assert.deepEqual([denied.status, (denied.json as { messages: Array<{ message: string }> }).messages[0]!.message], [401, 'Token is blacklisted']);
    s.clock.advance(25_000); // refresh exp + 35 s
    await s.app.jwt.flushExpired();
    assert.equal(await rows(), 0);
    assert.deepEqual((await s.send('POST', '/api/token/refresh/', { body: { refresh } })).json, { detail: 'Token is expired', code: 'token_not_valid' });
  });
});
