/**
 * JWT over HTTP with asymmetric keys and the key ring: ES256 from a configured PEM,
 * rotation to ring keys (kid), JWKS published and usable by another library (jose),
 * retirement, header/kid attacks, ECDSA malleability vs the jti blacklist, and failing
 * closed when the store is gone (docs/security.md #8–#12, #47, #51, #104).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { rotateKey, retireKey } from '../../src/jwt/keyring/index.js';
import { importKey, sign } from '../../src/jwt/jws/index.js';
import type { SqliteStores } from '../../src/stores/sqlite/index.js';
import { startServer, type TestServer } from '../helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const attackerKey = importKey({ alg: 'ES256', keyObject: attacker.privateKey });
const SECRET = 'test-secret-key-that-is-long-enough-0123456789';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const decode = (t: string) => ({
  header: JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>,
  payload: JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>,
});

let s: TestServer;
before(async () => {
  s = await startServer({ settings: { jwt: { algorithm: 'ES256', signingKey: pem } } });
  await s.createUser('alice', 'alice-password-1');
});
after(() => s.close());

const obtain = async () => (await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } })).json as { refresh: string; access: string };
const me = (t: string) => s.send('GET', '/api/me/', { headers: bearer(t) });
const nowS = () => Math.floor(s.clock.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ token_type: 'access', exp: nowS() + 300, iat: nowS(), jti: 'j'.repeat(32), user_id: '1', ...extra });

describe('ES256 with a configured key', () => {
  test('tokens are ES256 without kid; JWKS publishes the public key only; jose verifies our token with it', async () => {
    const { access } = await obtain();
    assert.deepEqual(decode(access).header, { alg: 'ES256', typ: 'JWT' });
    assert.equal((await me(access)).status, 200);
    const jwks = await s.send('GET', '/.well-known/jwks.json');
    assert.equal(jwks.status, 200);
    const keys = (jwks.json as { keys: Array<Record<string, unknown>> }).keys;
    assert.equal(keys.length, 1);
    for (const secretMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(secretMember in keys[0]!, false);
    assert.equal(keys[0]!.kty, 'EC');
    const { payload } = await jwtVerify(access, createLocalJWKSet(jwks.json as { keys: never[] }), { algorithms: ['ES256'], currentDate: new Date(s.clock.now()) });
    assert.equal(payload.user_id, '1');
  });

  test('header attacks are refused: none, HS256 with the public key as secret, embedded jwk, kid injection, unknown kid', async () => {
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const { createHmac } = await import('node:crypto');
    const hmacWith = (secret: string) => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims())}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const forged = [
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
      hmacWith(spki),
      hmacWith(spki.trim()),
      sign(claims(), attackerKey), // right alg, wrong key
      ...['../../../../dev/null', "x' UNION SELECT '1';--", '|sleep 10', 'k'.repeat(10_000), 'a\u0000b'].map((kid) =>
        sign(claims(), importKey({ alg: 'ES256', kid: kid.slice(0, 200).replace(/\u0000/g, ''), keyObject: attacker.privateKey })),
      ),
    ];
    for (const token of forged) {
      const res = await me(token);
      assert.equal(res.status, 401, token.slice(0, 40));
      assert.equal((res.json as { code: string }).code, 'token_not_valid');
    }
    // An embedded jwk header carrying the attacker's key is never trusted.
    const jwkHeader = { alg: 'ES256', typ: 'JWT', jwk: attacker.publicKey.export({ format: 'jwk' }) };
    const input = `${b64(jwkHeader)}.${b64(claims())}`;
    const { sign: rawSign } = await import('node:crypto');
    const sig = rawSign('sha256', Buffer.from(input), { key: attacker.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    assert.equal((await me(`${input}.${sig}`)).status, 401);
  });

  test('ECDSA malleability: the (r, n−s) twin of a blacklisted refresh token is still refused (blacklist keyed by jti)', async () => {
    const { refresh } = await obtain();
    assert.equal((await s.send('POST', '/api/token/blacklist/', { body: { refresh } })).status, 200);
    const [h, p, sig] = refresh.split('.') as [string, string, string];
    const raw = Buffer.from(sig, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const sVal = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const twinS = Buffer.from((n - sVal).toString(16).padStart(64, '0'), 'hex');
    const twin = `${h}.${p}.${Buffer.concat([raw.subarray(0, 32), twinS]).toString('base64url')}`;
    assert.notEqual(twin, refresh);
    const verify = await s.send('POST', '/api/token/verify/', { body: { token: twin } });
    assert.equal(verify.status, 200, 'the twin is a valid signature (OpenSSL accepts high-S)');
    const res = await s.send('POST', '/api/token/refresh/', { body: { refresh: twin } });
    assert.deepEqual([res.status, res.json], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
  });
});

describe('key ring rotation over HTTP', () => {
  test('rotate: new tokens carry the new kid; old kid-less and old-kid tokens keep working until retired; JWKS lists both', async () => {
    const stores = s.app.stores as SqliteStores;
    const before = (await obtain()).access;
    const k1 = await rotateKey({ keys: stores.keys, algorithm: 'ES256', secretKey: SECRET, clock: s.clock });
    await new Promise((r) => setTimeout(r, 5)); // the change signal is re-read at most once per ms
    const t1 = (await obtain()).access;
    assert.equal(decode(t1).header.kid, k1.kid);
    assert.equal((await me(t1)).status, 200);
    assert.equal((await me(before)).status, 200, 'kid-less tokens still verify with the configured key');
    const k2 = await rotateKey({ keys: stores.keys, algorithm: 'ES256', secretKey: SECRET, clock: s.clock });
    await new Promise((r) => setTimeout(r, 5));
    const t2 = (await obtain()).access;
    assert.equal(decode(t2).header.kid, k2.kid);
    assert.equal((await me(t1)).status, 200, 'the previous kid verifies until retired');
    const kids = ((await s.send('GET', '/.well-known/jwks.json')).json as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    assert.ok(kids.includes(k1.kid) && kids.includes(k2.kid));
    await retireKey({ keys: stores.keys, kid: k1.kid, clock: s.clock });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await me(t1)).status, 401, 'retired kid refused on the next request (cached verification dropped)');
    assert.equal((await me(t2)).status, 200);
    const after = ((await s.send('GET', '/.well-known/jwks.json')).json as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    assert.equal(after.includes(k1.kid), false);
    // A token claiming the retired kid but signed by the attacker is refused too.
    assert.equal((await me(sign(claims(), importKey({ alg: 'ES256', kid: k1.kid, keyObject: attacker.privateKey })))).status, 401);
  });
});

describe('fail closed', () => {
  test('with the database gone, an authenticated request is 503, never 200 and never a stack trace', async () => {
    const local = await startServer({ settings: { jwt: { algorithm: 'ES256', signingKey: pem } } });
    try {
      await local.createUser('alice', 'alice-password-1');
      const { access } = (await local.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } })).json as { access: string };
      const opaque = (await local.app.tokens.issue((await local.app.users.getByUsername('alice'))!)).key;
      await local.app.stores.close();
      await new Promise((r) => setTimeout(r, 5));
      for (const headers of [bearer(access), { Authorization: `Token ${opaque}` }]) {
        const res = await local.send('GET', '/api/me/', { headers });
        assert.equal(res.status, 503, JSON.stringify(res.json));
        assert.deepEqual(res.json, { detail: 'Service temporarily unavailable.' });
        assert.equal(res.headers['retry-after'], '1');
      }
      const refresh = await local.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
      assert.equal(refresh.status, 503);
      assert.match(local.logs.text, /request failed/);
      assert.doesNotMatch(local.logs.text, new RegExp(access.split('.')[2]!));
    } finally {
      await local.close();
    }
  });
});

