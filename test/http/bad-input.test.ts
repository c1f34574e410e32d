/**
 * Bad input on every endpoint: wrong types, huge bodies and headers, invalid UTF-8,
 * missing fields, malformed HTTP. Every answer is a typed JSON error: never a 5xx,
 * never HTML or a stack trace, never a state change (docs/security.md #U1, #U3, group K).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, tokenHeader, type TestResponse, type TestServer } from '../helpers.js';

let s: TestServer;
before(async () => {
  s = await startServer();
  await s.createUser('alice', 'alice-password-1');
});
after(() => s.close());

const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/api-token-auth/'],
  ['POST', '/api/auth/login/'],
  ['POST', '/api/auth/logout/'],
  ['POST', '/api/auth/logoutall/'],
  ['GET', '/api/auth/tokens/'],
  ['DELETE', '/api/auth/tokens/1/'],
  ['GET', '/api/me/'],
  ['GET', '/healthz'],
];

function assertTypedError(res: TestResponse, context: string): void {
  assert.ok(res.status >= 400 && res.status < 500, `${context}: status ${res.status}`);
  assert.equal(res.headers['content-type'], 'application/json', context);
  assert.equal(typeof res.json, 'object', `${context}: body ${res.text.slice(0, 80)}`);
  assert.doesNotMatch(res.text, /\bat \w+ \(|node:internal|<html/i, `${context}: leaks a stack trace or HTML`);
}

async function tokenCount(): Promise<number> {
  return (await s.app.stores.tokens.listForUser(1)).length;
}

describe('every endpoint', () => {
  const bodies: Array<[string, string | Buffer, string]> = [
    ['malformed JSON', '{"username": "alice", ', 'application/json'],
    ['JSON string', '"alice"', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['JSON number', '42', 'application/json'],
    ['invalid UTF-8 JSON', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 'application/json'],
    ['wrong types', JSON.stringify({ username: { a: 1 }, password: [1, 2] }), 'application/json'],
    ['prototype keys', '{"__proto__": {"isStaff": true}, "constructor": {"x": 1}, "username": "alice", "password": "no"}', 'application/json'],
    ['text/plain', 'username=alice', 'text/plain'],
    ['no content type', 'username=alice', ''],
    ['broken multipart', '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice', 'multipart/form-data; boundary=x'],
    ['multipart without boundary', 'abc', 'multipart/form-data'],
    ['deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json'],
  ];
  const freshKey = async () => (await s.app.tokens.issue((await s.app.users.getByUsername('alice'))!)).key;
  for (const [method, path] of ENDPOINTS) {
    test(`${method} ${path}: bad bodies, anonymous and authenticated`, async () => {
      for (const [name, body, type] of bodies) {
        const contentType: Record<string, string> = type ? { 'Content-Type': type } : {};
        const before = await tokenCount();
        const anon = await s.send(method, path, { body, headers: contentType });
        assert.equal(await tokenCount(), before, `${name}: no token created or revoked by bad input`);
        // GET endpoints and logout ignore bodies, as DRF does: only errors are checked.
        if (anon.status >= 400) assertTypedError(anon, `${method} ${path} ${name} (anonymous)`);
        const authed = await s.send(method, path, { body, headers: { ...tokenHeader(await freshKey()), ...contentType } });
        if (authed.status >= 400) assertTypedError(authed, `${method} ${path} ${name} (authenticated)`);
      }
    });

    test(`${method} ${path}: oversized body → 413 where the body is read, never a 5xx`, async () => {
      const res = await s.send(method, path, { body: { username: 'alice', password: 'p'.repeat(64 * 1024) }, headers: tokenHeader(await freshKey()) });
      // 413 where the body is read; endpoints that never read a body answer as usual.
      if (res.status >= 400) assertTypedError(res, 'oversized');
      if (method === 'POST' && path.includes('login')) assert.equal(res.status, 413);
    });
  }
});

describe('headers', () => {
  test('a huge whitespace Authorization header is parsed in linear time (ReDoS)', async () => {
    const started = performance.now();
    const res = await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${' '.repeat(12_000)}x` } });
    assert.equal(res.status, 401);
    assert.ok(performance.now() - started < 2000);
  });

  test('headers over the size limit → 431, no crash', async () => {
    const res = await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${'a'.repeat(20_000)}` } });
    assert.equal(res.status, 431);
  });

  test('malformed Cookie and Accept headers do not break anything', async () => {
    const key = (await s.app.tokens.issue((await s.app.users.getByUsername('alice'))!)).key;
    const res = await s.send('GET', '/api/me/', { headers: { ...tokenHeader(key), Cookie: '=;;%E0%A4%A;a=%', Accept: ';;,q=x' } });
    assert.ok(res.status === 200 || res.status === 406);
  });
});

describe('raw HTTP', () => {
  function raw(payload: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const url = new URL(s.url);
      const socket = connect(Number(url.port), url.hostname, () => socket.end(payload));
      let out = '';
      socket.on('data', (d) => (out += d.toString('latin1')));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    });
  }

  test('garbage request line → 400 JSON and the connection closed', async () => {
    const out = await raw('NOT HTTP AT ALL\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400/);
    assert.match(out, /\{"detail":"Malformed HTTP request\."\}/);
  });

  test('an Expect other than 100-continue → JSON 417 (not Node\'s bare one), connection closed', async () => {
    const out = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 42-please\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 417 .*\r\n(.*\r\n)*Content-Type: application\/json\r\n/);
    assert.match(out, /\r\nConnection: close\r\n/);
    assert.ok(out.endsWith('\r\n\r\n{"detail":"Expectation failed: only \\"Expect: 100-continue\\" is supported."}'), out);
  });

  test('a body shorter than its Content-Length is not processed', async () => {
    const out = await raw('POST /api-token-auth/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"username"');
    assert.doesNotMatch(out, /HTTP\/1\.1 [25]\d\d/);
  });

  test('control and non-ASCII bytes in the Authorization header → 401 JSON or 400', async () => {
    for (const header of ['Token \x01\x02', 'Token \xff\xfe', 'Token \xc0\x80', '\xe9\xe9 abc', 'Token\x0b\x0cabc']) {
      const out = await raw(`GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${header}\r\nConnection: close\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 (401|400)/, JSON.stringify(header));
      assert.match(out, /Content-Type: application\/json/i);
    }
  });

  test('path with odd characters → JSON 404', async () => {
    const out = await raw('GET /%ZZ/../\xe9?x=%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 (404|400)/);
  });

  test('chunked body over the limit → 413', async () => {
    const chunk = 'a'.repeat(8000);
    const body = Array.from({ length: 4 }, () => `${(chunk.length).toString(16)}\r\n${chunk}\r\n`).join('') + '0\r\n\r\n';
    const out = await raw(`POST /api-token-auth/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`);
    assert.match(out, /^HTTP\/1\.1 413/);
  });
});
