/**
 * docs/security.md groups A, B, C and the
 * JWS-layer parts of K and U: one test per applicable case, numbered as there.
 * Group M (keys) is in jws-keys.test.ts.
 *
 * Every refusal goes through `refuses()`, which also checks invariant U2 (no message,
 * detail or property of the error quotes the token, its signature or its first 16
 * characters) and U6 (the same input gives the same answer twice — the header cache
 * must not change outcomes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, sign as cryptoSign, constants } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import {
  encodeBase64url,
  importKey,
  isCanonicalBase64url,
  JwsError,
  signCompact,
  sign,
  verifierFor,
  verify,
  verifyCompact,
  type JwsErrorReason,
  type JwsKey,
  type VerificationKeys,
} from '../../src/jwt/jws/index.js';
import { EC_PAIRS, ED_PAIR, keyFor, RSA_PAIR } from './_keys.js';

const CLAIMS = { token_type: 'access', exp: 4102444800, iat: 1700000000, jti: 'c0ffee00c0ffee00c0ffee00c0ffee00', user_id: '1' };
const b64 = (s: string | object): string => encodeBase64url(typeof s === 'string' ? s : JSON.stringify(s));
const HS = keyFor('HS256');
const hsKey = HS.verifier;
const SECRET = HS.secret as Buffer;

/** An HS256 token with an arbitrary header/payload, MACed correctly with the test key. */
function hsToken(header: string | object, payload: string | object = CLAIMS, secret: Buffer | string = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Asserts refusal (optionally with one of `reasons`), U2 and U6. */
function refuses(token: string, keys: VerificationKeys, reasons?: JwsErrorReason | JwsErrorReason[], verifyFn: typeof verify | typeof verifyCompact = verify): JwsError {
  const errors: JwsError[] = [];
  for (let i = 0; i < 2; i++) {
    try {
      verifyFn(token, keys);
      assert.fail('token was accepted');
    } catch (e) {
      if (!(e instanceof JwsError)) throw e;
      errors.push(e);
    }
  }
  const [first, second] = errors as [JwsError, JwsError];
  assert.equal(first.reason, second.reason, 'U6: same input, same answer');
  if (reasons !== undefined) {
    const list = Array.isArray(reasons) ? reasons : [reasons];
    assert.ok(list.includes(first.reason), `expected ${list.join('|')}, got ${first.reason} (${first.detail})`);
  }
  const visible = `${first.message}\n${first.detail}\n${String(first.stack)}\n${JSON.stringify(first)}`;
  if (typeof token === 'string') {
    const sig = token.slice(token.lastIndexOf('.') + 1);
    for (const needle of [token, token.slice(0, 16), sig]) {
      if (needle.length >= 8) assert.ok(!visible.includes(needle), 'U2: error quotes the token');
    }
  }
  assert.equal(first.cause, undefined);
  return first;
}

// ---- A. JOSE header and algorithm handling ---------------------------------------------

test('A1 alg "none" in every spelling with an empty signature is refused', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const token = `${b64({ alg, typ: 'JWT' })}.${b64(CLAIMS)}.`;
    refuses(token, hsKey, 'malformed');
    refuses(token, keyFor('ES256').verifier, 'malformed');
    // Even if a caller strips the trailing dot.
    refuses(token.slice(0, -1), hsKey, 'malformed');
  }
});

test('A2 alg "none" with a non-empty signature (incl. the original valid one) is refused', () => {
  const valid = sign(CLAIMS, hsKey);
  const [, p, s] = valid.split('.') as [string, string, string];
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    refuses(`${b64({ alg, typ: 'JWT' })}.${p}.${s}`, hsKey, 'alg_mismatch');
    refuses(`${b64({ alg })}.${p}.AAAA`, [hsKey], 'alg_mismatch');
  }
});

test('A3 alg missing, null, "", number, array or object is refused', () => {
  refuses(hsToken({ typ: 'JWT' }), hsKey, 'malformed');
  for (const alg of [null, 256, ['HS256'], { alg: 'HS256' }, true]) refuses(hsToken({ alg, typ: 'JWT' }), hsKey, 'malformed');
  refuses(hsToken({ alg: '' }), hsKey, 'alg_mismatch');
});

test('A4 alg in the wrong case is refused', () => {
  for (const alg of ['hs256', 'Hs256', 'HS256 ', ' HS256', 'rs256']) refuses(hsToken({ alg }), hsKey, 'alg_mismatch');
});

test('A5 RS→HS key confusion: see jws-interop.test.ts (every byte form of the public key); the ES public key as MAC secret too', () => {
  const es = keyFor('ES256');
  const pub = es.publicKey as NonNullable<typeof es.publicKey>;
  for (const secret of [pub.export({ type: 'spki', format: 'pem' }), pub.export({ type: 'spki', format: 'der' }), JSON.stringify(pub.export({ format: 'jwk' }))]) {
    refuses(hsToken({ alg: 'HS256' }, CLAIMS, secret as Buffer | string), es.verifier, 'alg_mismatch');
  }
});

test('A6 a sibling algorithm with a valid signature over the same key material is refused', () => {
  const token = (alg: string, sig: (input: Buffer) => Buffer): string => {
    const input = `${b64({ alg, typ: 'JWT' })}.${b64(CLAIMS)}`;
    return `${input}.${sig(Buffer.from(input)).toString('base64url')}`;
  };
  for (const alg of ['HS384', 'HS512']) {
    refuses(token(alg, (d) => createHmac(`sha${alg.slice(2)}`, SECRET).update(d).digest()), hsKey, 'alg_mismatch');
  }
  const rsaPriv = RSA_PAIR.privateKey;
  const ps512 = importKey({ alg: 'PS512', keyObject: RSA_PAIR.publicKey });
  refuses(token('RS256', (d) => cryptoSign('sha256', d, rsaPriv)), importKey({ alg: 'PS256', keyObject: RSA_PAIR.publicKey }), 'alg_mismatch');
  for (const [alg, hash] of [['PS256', 'sha256'], ['PS384', 'sha384']] as const) {
    refuses(token(alg, (d) => cryptoSign(hash, d, { key: rsaPriv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 })), ps512, 'alg_mismatch');
  }
  refuses(token('RS512', (d) => cryptoSign('sha512', d, rsaPriv)), ps512, 'alg_mismatch');
});

test('A7 alg/curve mismatch: ES256 header against P-384/P-521 keys, ES512 against P-256; wrong-curve pins refused at load', () => {
  const es256Token = sign(CLAIMS, keyFor('ES256').signer);
  refuses(es256Token, keyFor('ES384').verifier, 'alg_mismatch');
  refuses(es256Token, keyFor('ES512').verifier, 'alg_mismatch');
  refuses(sign(CLAIMS, keyFor('ES512').signer), keyFor('ES256').verifier, 'alg_mismatch');
  assert.throws(() => importKey({ alg: 'ES256', keyObject: EC_PAIRS.ES384.publicKey }), { reason: 'wrong_curve' });
  assert.throws(() => importKey({ alg: 'ES512', keyObject: EC_PAIRS.ES256.publicKey }), { reason: 'wrong_curve' });
});

test('A8 an embedded "jwk" header (attacker key, attacker signature) is refused; the header key is never used', () => {
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = attacker.publicKey.export({ format: 'jwk' });
  const input = `${b64({ alg: 'ES256', jwk })}.${b64(CLAIMS)}`;
  const sig = cryptoSign('sha256', Buffer.from(input), { key: attacker.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  refuses(`${input}.${sig}`, keyFor('ES256').verifier, 'unsupported');
  // Even signed by the real key, a token carrying key material in its header is refused.
  const real = keyFor('ES256');
  const realInput = `${b64({ alg: 'ES256', jwk: (real.publicKey as NonNullable<typeof real.publicKey>).export({ format: 'jwk' }) })}.${b64(CLAIMS)}`;
  const realSig = cryptoSign('sha256', Buffer.from(realInput), { key: real.privateKey as NonNullable<typeof real.privateKey>, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  refuses(`${realInput}.${realSig}`, real.verifier, 'unsupported');
});

test('A9 jku / x5u pointing at a loopback listener: refused and the listener sees zero connections (U4)', async () => {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
    for (const header of [{ alg: 'HS256', jku: url }, { alg: 'HS256', x5u: url }, { alg: 'HS256', jku: url, kid: 'k' }]) {
      refuses(hsToken(header), hsKey, 'unsupported');
      refuses(hsToken(header), verifierFor([hsKey]), 'unsupported');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(connections.length, 0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('A10 an x5c / x5t certificate header is refused', () => {
  refuses(hsToken({ alg: 'HS256', x5c: ['MIIB'] }), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', x5t: 'abc' }), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', 'x5t#S256': 'abc' }), hsKey, 'unsupported');
});

test('A11 kid injection (path traversal, SQL, shell, NUL/CRLF, 10 KiB) is refused quickly and only as a lookup string', () => {
  const started = performance.now();
  for (const kid of ['../../../../dev/null', '/dev/null', "x' UNION SELECT '1';--", '|sleep 10', 'a\u0000b', 'a\r\nb']) {
    refuses(hsToken({ alg: 'HS256', kid }, CLAIMS, Buffer.alloc(0)), hsKey, 'bad_signature');
    refuses(hsToken({ alg: 'HS256', kid }, CLAIMS, '1'), hsKey, 'bad_signature');
    refuses(hsToken({ alg: 'HS256', kid }, CLAIMS, Buffer.alloc(0)), verifierFor([hsKey], { strictKid: true }), 'unknown_kid');
  }
  refuses(hsToken({ alg: 'HS256', kid: 'k'.repeat(10 * 1024) }), hsKey, 'too_large');
  assert.ok(performance.now() - started < 1000);
});

test('A12 kid selection: unknown kid / no kid with several keys (strictKid) are refused; default mode tries the pinned-alg keys', () => {
  const k1 = importKey({ alg: 'HS256', kid: 'k1', secret: Buffer.alloc(32, 1) });
  const k2 = importKey({ alg: 'HS256', kid: 'k2', secret: Buffer.alloc(32, 2) });
  const retired = importKey({ alg: 'HS256', kid: 'old', secret: Buffer.alloc(32, 3) });
  const strict = verifierFor([k1, k2], { strictKid: true });
  const lenient = verifierFor([k1, k2]);
  const byK1 = sign(CLAIMS, k1);
  assert.equal(strict.verify(byK1).key, k1);
  refuses(sign(CLAIMS, retired), strict, 'unknown_kid');
  refuses(sign(CLAIMS, retired), lenient, 'bad_signature');
  const noKid = hsToken({ alg: 'HS256' }, CLAIMS, Buffer.alloc(32, 2));
  refuses(noKid, strict, 'unknown_kid');
  assert.equal(lenient.verify(noKid).key, k2);
  // kid selects exactly one key: k1's kid with k2's signature fails, no fall-through.
  refuses(hsToken({ alg: 'HS256', kid: 'k1' }, CLAIMS, Buffer.alloc(32, 2)), lenient, 'bad_signature');
  // A single key without kid in strict mode accepts kid-less tokens (simplejwt's shape).
  assert.deepEqual({ ...verifierFor([hsKey], { strictKid: true }).verify(sign(CLAIMS, hsKey)).payload }, CLAIMS);
});

test('A13 crit in every form is refused', () => {
  for (const crit of [['x-foo'], [], ['exp'], ['alg'], ['b64'], 'x', null]) {
    refuses(hsToken({ alg: 'HS256', crit, 'x-foo': 1, exp: 1 }), hsKey, 'unsupported');
  }
});

test('A14 unencoded payload (b64:false with crit, or b64 alone) is refused', () => {
  refuses(hsToken({ alg: 'HS256', b64: false, crit: ['b64'] }), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', b64: false }), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', b64: true }), hsKey, 'unsupported');
});

test('A15 explicit typing: typ must be absent or JWT (any case, optional application/ prefix)', () => {
  for (const typ of ['at+jwt', 'JOSE', 'refresh', 'JWS', 'jwt ', 'application/at+jwt', 'logout+jwt']) refuses(hsToken({ alg: 'HS256', typ }), hsKey, 'unsupported');
  for (const typ of [1, null, ['JWT']]) refuses(hsToken({ alg: 'HS256', typ }), hsKey, 'malformed');
  for (const typ of ['JWT', 'jwt', 'Jwt', 'application/jwt', 'APPLICATION/JWT', undefined]) {
    assert.equal(verify(hsToken({ alg: 'HS256', typ }), hsKey).payload.jti, CLAIMS.jti);
  }
});

test('A16 a header that is not exactly one UTF-8 JSON object is refused', () => {
  const bad: (string | Buffer)[] = [
    '{"alg":"HS256"',
    '{"alg":"HS256"}x',
    '{"alg":"HS256"} {}',
    '[{"alg":"HS256"}]',
    '"HS256"',
    'null',
    '\uFEFF{"alg":"HS256"}',
    Buffer.from('{"alg":"HS256"}', 'utf16le'),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"alg":"HS256"}', 'utf16le')]),
    Buffer.from([0x7b, 0x22, 0x61, 0x6c, 0x67, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // invalid UTF-8
    '{"alg":"HS256","alg":"HS256"}', // duplicate member
    '{"alg":"none","\\u0061lg":"HS256"}', // duplicate after unescaping
  ];
  for (const header of bad) {
    const h = typeof header === 'string' ? b64(header) : header.toString('base64url');
    const input = `${h}.${b64(CLAIMS)}`;
    refuses(`${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`, hsKey, 'malformed');
  }
});

test('A17 JWE (five segments) and nested JWTs (cty) are refused without decryption', () => {
  refuses('eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ', hsKey, 'unsupported');
  refuses('a..c.d.e', hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', cty: 'JWT' }, 'eyJhbGciOiJIUzI1NiJ9.e30.sig'), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', enc: 'A256GCM' }), hsKey, 'unsupported');
  refuses(hsToken({ alg: 'HS256', zip: 'DEF' }), hsKey, 'unsupported');
});

test('A18 the JWS JSON serializations are refused', () => {
  const [h, p, s] = sign(CLAIMS, hsKey).split('.') as [string, string, string];
  refuses(JSON.stringify({ payload: p, protected: h, signature: s }), hsKey, 'malformed');
  refuses(JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }), hsKey, 'malformed');
});

// ---- B. Compact-serialization grammar and base64url -------------------------------------

test('B19 wrong segment count or empty segments are refused', () => {
  const [h, p, s] = sign(CLAIMS, hsKey).split('.') as [string, string, string];
  for (const token of ['', 'a', 'a.b', 'a.b.c.d', 'a..c', '.b.c', 'a.b.', '..', '...', `${h}.${p}`, `${h}.${p}.${s}.`, `${h}.${p}.${s}.${s}`, `.${h}.${p}.${s}`, `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.`]) {
    refuses(token, hsKey, 'malformed');
  }
  refuses(undefined as unknown as string, hsKey, 'malformed');
  refuses(42 as unknown as string, hsKey, 'malformed');
});

test('B20 padding, foreign characters and whitespace inside any segment are refused', () => {
  const token = sign(CLAIMS, hsKey);
  const [h, p, s] = token.split('.') as [string, string, string];
  const mutations: ((seg: string) => string)[] = [
    (x) => `${x}=`, (x) => `${x}==`, (x) => `${x.slice(0, 4)}+${x.slice(5)}`, (x) => `${x.slice(0, 4)}/${x.slice(5)}`,
    (x) => `${x.slice(0, 4)} ${x.slice(4)}`, (x) => `${x.slice(0, 4)}\t${x.slice(4)}`, (x) => ` ${x}`, (x) => `${x}\n`,
    (x) => `${x.slice(0, 4)}?${x.slice(4)}`, (x) => `${x.slice(0, 4)}#${x.slice(4)}`, (x) => `${x.slice(0, 4)}é${x.slice(4)}`,
  ];
  for (const m of mutations) {
    refuses(`${m(h)}.${p}.${s}`, hsKey, 'malformed');
    refuses(`${h}.${m(p)}.${s}`, hsKey, 'malformed');
    refuses(`${h}.${p}.${m(s)}`, hsKey, 'malformed');
  }
  refuses(` ${token}`, hsKey, 'malformed');
  refuses(`${token} `, hsKey, 'malformed');
});

test('B20 non-canonical base64url (non-zero unused trailing bits) is refused; canonical ⇔ encode(decode(s)) === s', () => {
  const token = sign(CLAIMS, hsKey);
  const [h, p, s] = token.split('.') as [string, string, string];
  // 32-byte HMAC → 43 chars, 2 unused bits: "k" (…100100) → "l" (…100101) decodes to the same bytes.
  const twin = `${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`;
  assert.ok(Buffer.from(twin, 'base64url').equals(Buffer.from(s, 'base64url')) || !isCanonicalBase64url(twin));
  refuses(`${h}.${p}.${twin}`, hsKey, ['malformed', 'bad_signature']);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .';
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 5000; i++) {
    let str = '';
    for (let j = rnd(9); j > 0; j--) str += alphabet[rnd(i % 3 === 0 ? alphabet.length : 64)];
    const roundTrip = /^[A-Za-z0-9_-]*$/.test(str) && Buffer.from(str, 'base64url').toString('base64url') === str;
    assert.equal(isCanonicalBase64url(str), roundTrip, JSON.stringify(str));
  }
});

test('B21 a payload that is not a JSON object is refused (after a valid signature)', () => {
  for (const payload of ['[]', '""', '1', 'true', 'null', '{', '{"a":1}x', '', '\uFEFF{}']) {
    refuses(hsToken({ alg: 'HS256', typ: 'JWT' }, payload), hsKey, 'malformed');
  }
  refuses(signCompact({ alg: 'HS256' }, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), hsKey), hsKey, 'malformed');
});

test('payload JSON cannot pollute prototypes: __proto__ / constructor claims are plain data on null-prototype objects', () => {
  const payload = '{"sub":"1","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}},"nested":{"__proto__":{"x":1},"list":[{"__proto__":{"y":2}}]}}';
  const out = verify(hsToken({ alg: 'HS256' }, payload), hsKey).payload;
  assert.equal(Object.getPrototypeOf(out), null);
  assert.ok(Object.hasOwn(out, '__proto__'));
  assert.deepEqual(Object.keys(out), ['sub', '__proto__', 'constructor', 'nested']);
  const nested = out.nested as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(nested), null);
  assert.equal(Object.getPrototypeOf((nested.list as object[])[0]), null);
  assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
  // Spreading copies "__proto__" as data (CreateDataProperty). NB: Object.assign({}, out)
  // would call the __proto__ setter of its plain target — consumers must spread, not assign.
  const copy = { ...out } as Record<string, unknown>;
  assert.equal(copy.isAdmin, undefined);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  // Flat payloads (the fast path) are null-prototype too.
  assert.equal(Object.getPrototypeOf(verify(sign(CLAIMS, hsKey), hsKey).payload), null);
});

test('duplicate payload members keep the last value (as Python json / PyJWT); duplicate header members are refused', () => {
  assert.equal(verify(hsToken({ alg: 'HS256' }, '{"user_id":"1","user_id":"2"}'), hsKey).payload.user_id, '2');
  refuses(hsToken('{"alg":"HS256","kid":"a","kid":"b"}'), hsKey, 'malformed');
});

// ---- C. Signature verification ---------------------------------------------------------

test('C22 bit flips, a signature from another key and a transplanted header are refused', () => {
  const token = sign(CLAIMS, hsKey);
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '.') continue;
    const c = token.charCodeAt(i);
    const flipped = `${token.slice(0, i)}${String.fromCharCode(c === 0x41 ? 0x42 : 0x41)}${token.slice(i + 1)}`;
    refuses(flipped, hsKey);
  }
  const other = importKey({ alg: 'HS256', secret: Buffer.alloc(32, 0xa5) });
  refuses(sign(CLAIMS, other), hsKey, 'bad_signature');
  const withKid = sign({ ...CLAIMS, jti: 'x' }, importKey({ alg: 'HS256', kid: 'k', secret: SECRET }));
  refuses(`${withKid.split('.')[0]}.${token.split('.').slice(1).join('.')}`, hsKey, 'bad_signature');
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    const t = sign(CLAIMS, keyFor(alg).signer);
    const [h, p, s] = t.split('.') as [string, string, string];
    refuses(`${h}.${b64({ ...CLAIMS, user_id: '2' })}.${s}`, keyFor(alg).verifier, 'bad_signature');
    refuses(`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`, keyFor(alg).verifier, 'bad_signature');
  }
});

test('C23 signature stripping (empty signature, missing segment) is refused for HS, RS, ES, EdDSA', () => {
  for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    const [h, p] = sign(CLAIMS, keyFor(alg).signer).split('.') as [string, string];
    refuses(`${h}.${p}.`, keyFor(alg).verifier, 'malformed');
    refuses(`${h}.${p}`, keyFor(alg).verifier, 'malformed');
  }
});

test('C23 truncated and extended signatures are refused (exact length required)', () => {
  for (const alg of ['HS256', 'HS512', 'RS256', 'ES256', 'ES512', 'EdDSA'] as const) {
    const token = sign(CLAIMS, keyFor(alg).signer);
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    for (const bad of [sig.subarray(0, sig.length - 1), sig.subarray(0, sig.length >> 1), Buffer.concat([sig, Buffer.from([0])]), Buffer.concat([Buffer.from([0]), sig])]) {
      refuses(`${h}.${p}.${bad.toString('base64url')}`, keyFor(alg).verifier, 'bad_signature');
    }
  }
});

test('C24 HMAC made with an empty or common secret is refused', () => {
  for (const secret of ['', 'secret', 'changeme', 'password', 'your-256-bit-secret', Buffer.alloc(32)]) {
    refuses(hsToken({ alg: 'HS256', typ: 'JWT' }, CLAIMS, secret), hsKey, 'bad_signature');
  }
});

test('C25 ES256 special-value signatures (every pair of r, s in {0, 1, n-1, n, n+1, p, p+1}) are refused', () => {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
  const values = [0n, 1n, n - 1n, n, n + 1n, p, p + 1n];
  const es = keyFor('ES256');
  const [h, pl] = sign(CLAIMS, es.signer).split('.') as [string, string];
  const be = (x: bigint): Buffer => Buffer.from(x.toString(16).padStart(64, '0').slice(-64), 'hex');
  for (const r of values) {
    for (const s of values) refuses(`${h}.${pl}.${Buffer.concat([be(r), be(s)]).toString('base64url')}`, es.verifier, 'bad_signature');
  }
});

test('C26 ES256 signatures in DER or padded encodings are refused; wrong-length r||s too', () => {
  const es = keyFor('ES256');
  const [h, p] = sign(CLAIMS, es.signer).split('.') as [string, string];
  const input = Buffer.from(`${h}.${p}`);
  const der = cryptoSign('sha256', input, { key: es.privateKey as NonNullable<typeof es.privateKey>, dsaEncoding: 'der' });
  const raw = cryptoSign('sha256', input, { key: es.privateKey as NonNullable<typeof es.privateKey>, dsaEncoding: 'ieee-p1363' });
  assert.equal(verify(`${h}.${p}.${raw.toString('base64url')}`, es.verifier).payload.jti, CLAIMS.jti);
  for (const bad of [der, Buffer.concat([Buffer.from([0]), raw]), Buffer.concat([raw, Buffer.from([0])]), raw.subarray(0, 63), raw.subarray(1)]) {
    refuses(`${h}.${p}.${bad.toString('base64url')}`, es.verifier, 'bad_signature');
  }
});

test('C27 malformed RSA PKCS#1 v1.5 signatures (0, 1, n-1, n, padded) are refused', () => {
  const rs = keyFor('RS256');
  const [h, p, s] = sign(CLAIMS, rs.signer).split('.') as [string, string, string];
  const nHex = Buffer.from(String((rs.publicKey as NonNullable<typeof rs.publicKey>).export({ format: 'jwk' }).n), 'base64url').toString('hex');
  const n = BigInt(`0x${nHex}`);
  const be = (x: bigint): Buffer => Buffer.from(x.toString(16).padStart(512, '0'), 'hex');
  for (const sig of [be(0n), be(1n), be(n - 1n), be(n), Buffer.concat([Buffer.from([0]), Buffer.from(s, 'base64url')])]) {
    refuses(`${h}.${p}.${sig.toString('base64url')}`, rs.verifier, 'bad_signature');
  }
});

test('C28 PS256 with the wrong salt length (0, 20, 64) is refused', () => {
  const ps = keyFor('PS256');
  const input = `${b64({ alg: 'PS256' })}.${b64(CLAIMS)}`;
  for (const saltLength of [0, 20, 64]) {
    const sig = cryptoSign('sha256', Buffer.from(input), { key: RSA_PAIR.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    refuses(`${input}.${sig.toString('base64url')}`, ps.verifier, 'bad_signature');
  }
  const good = cryptoSign('sha256', Buffer.from(input), { key: RSA_PAIR.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  assert.equal(verify(`${input}.${good.toString('base64url')}`, ps.verifier).payload.jti, CLAIMS.jti);
});

test('C29 Ed25519 malleated (S + L), truncated and extended signatures are refused', () => {
  const ed = keyFor('EdDSA');
  const [h, p, s] = sign(CLAIMS, ed.signer).split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const sLe = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`);
  const malleated = Buffer.concat([sig.subarray(0, 32), Buffer.from((sLe + L).toString(16).padStart(64, '0'), 'hex').reverse()]);
  refuses(`${h}.${p}.${malleated.toString('base64url')}`, ed.verifier, 'bad_signature');
  refuses(`${h}.${p}.${sig.subarray(0, 63).toString('base64url')}`, ed.verifier, 'bad_signature');
  refuses(`${h}.${p}.${Buffer.concat([sig, Buffer.from([0])]).toString('base64url')}`, ed.verifier, 'bad_signature');
  assert.equal(ED_PAIR.publicKey.asymmetricKeyType, 'ed25519');
});

test('ECDSA high-S twins are ACCEPTED (as node:crypto/OpenSSL and Wycheproof do): token strings are not identities, revoke by jti (case 47)', () => {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const es = keyFor('ES256');
  const token = sign(CLAIMS, es.signer);
  const [h, p, s] = token.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  const twinS = n - BigInt(`0x${sig.subarray(32).toString('hex')}`);
  const twin = `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), Buffer.from(twinS.toString(16).padStart(64, '0'), 'hex')]).toString('base64url')}`;
  assert.notEqual(twin, token);
  assert.equal(verify(twin, es.verifier).payload.jti, verify(token, es.verifier).payload.jti);
});

// ---- K / size ---------------------------------------------------------------------------

test('K oversized tokens are refused before any parsing, fast; the cap is configurable', () => {
  const big = hsToken({ alg: 'HS256' }, { ...CLAIMS, pad: 'x'.repeat(9000) });
  refuses(big, hsKey, 'too_large');
  assert.equal(verify(big, hsKey, { maxTokenBytes: 20000 }).payload.jti, CLAIMS.jti);
  assert.throws(() => verify(sign(CLAIMS, hsKey), hsKey, { maxTokenBytes: 50 }), { reason: 'too_large' });
  for (const maxTokenBytes of [0, -1, Number.NaN]) assert.throws(() => verify(sign(CLAIMS, hsKey), hsKey, { maxTokenBytes }), TypeError);
  const huge = `${'A'.repeat(10_000_000)}.${'A'.repeat(10)}.${'A'.repeat(10)}`;
  const started = performance.now();
  assert.throws(() => verify(huge, hsKey), { reason: 'too_large' });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 50, `took ${elapsed} ms`);
  // Deeply nested payload under the cap: parsed without a stack overflow.
  const deep = `{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`;
  assert.ok(Array.isArray(verify(hsToken({ alg: 'HS256' }, deep), hsKey).payload.a));
});

test('U6 the header cache never changes an answer (good and bad headers, many distinct headers)', () => {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 600; i++) {
      const good = hsToken({ alg: 'HS256', kid: `k${i}` });
      assert.equal(verify(good, hsKey).header.kid, `k${i}`);
      refuses(hsToken({ alg: 'HS256', kid: `k${i}`, crit: ['x'] }), hsKey, 'unsupported');
    }
  }
  const header = verify(sign(CLAIMS, hsKey), hsKey).header;
  assert.ok(Object.isFrozen(header));
  assert.throws(() => {
    (header as Record<string, unknown>).alg = 'none';
  }, TypeError);
});

test('keys must come from importKey: look-alike objects are refused', () => {
  const fake = { alg: 'HS256', kind: 'secret', key: HS.signer.key } as unknown as JwsKey;
  assert.throws(() => verify(sign(CLAIMS, hsKey), fake), { name: 'JwsKeyError', reason: 'unknown_key' });
  assert.throws(() => sign(CLAIMS, fake), { name: 'JwsKeyError', reason: 'unknown_key' });
  const pubOnly = importKey({ alg: 'ES256', keyObject: createPublicKey(EC_PAIRS.ES256.privateKey) });
  assert.throws(() => sign(CLAIMS, pubOnly), { name: 'JwsKeyError', reason: 'not_a_signing_key' });
});
