/**
 * The public API contract of src/jwt/jws: result shapes, header construction,
 * options and error types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_TOKEN_BYTES,
  importKey,
  isJwsAlgorithm,
  JWS_ALGORITHMS,
  JwsError,
  sign,
  signCompact,
  verifierFor,
  verify,
  verifyCompact,
} from '../../src/jwt/jws/index.js';
import { keyFor } from './_keys.js';

const CLAIMS = { token_type: 'access', exp: 4102444800, iat: 1700000000, jti: 'abc', user_id: '1' };

test('algorithm list and guard', () => {
  assert.deepEqual([...JWS_ALGORITHMS], ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
  assert.equal(isJwsAlgorithm('EdDSA'), true);
  for (const v of ['none', 'eddsa', 'ES256K', '', null, 1]) assert.equal(isJwsAlgorithm(v), false);
  assert.equal(DEFAULT_MAX_TOKEN_BYTES, 8192);
});

test('sign(): PyJWT header order, kid from the key, extras sorted in, reserved extras refused', () => {
  const key = importKey({ alg: 'HS384', kid: 'k-1', secret: Buffer.alloc(48, 0xa5) });
  const token = sign(CLAIMS, key, { zz: 1, aa: 'x', __proto__: { evil: true } } as Record<string, unknown>);
  const header = Buffer.from(token.split('.')[0] as string, 'base64url').toString();
  assert.equal(header, '{"aa":"x","alg":"HS384","kid":"k-1","typ":"JWT","zz":1}');
  const withProto = JSON.parse('{"__proto__":{"evil":true}}') as Record<string, unknown>;
  assert.match(Buffer.from(sign(CLAIMS, key, withProto).split('.')[0] as string, 'base64url').toString(), /^\{"__proto__":\{"evil":true\},"alg"/);
  for (const name of ['alg', 'kid', 'typ', 'crit', 'b64', 'cty', 'jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'enc', 'zip']) {
    assert.throws(() => sign(CLAIMS, key, { [name]: 'x' }), TypeError, name);
  }
  assert.throws(() => sign(undefined as unknown as Record<string, unknown>, key), TypeError);
  assert.throws(() => sign({ n: 1n } as unknown as Record<string, unknown>, key), TypeError);
});

test('sign(): string and byte payloads are signed as given', () => {
  const key = keyFor('HS256').signer;
  const a = sign('{"b":1,"a":2}', key);
  assert.deepEqual(Object.keys(verify(a, key).payload), ['b', 'a']);
  const b = sign(new TextEncoder().encode('{"x":"é"}'), key);
  assert.equal(verify(b, key).payload.x, 'é');
  assert.equal(verifyCompact(sign('plain', key), key).payload.toString(), 'plain');
});

test('verify(): result shape (header, null-prototype payload, signingInput, matched key)', () => {
  const k = keyFor('ES256');
  const token = sign(CLAIMS, k.signer);
  const out = verify(token, k.verifier);
  assert.deepEqual({ ...out.header }, { alg: 'ES256', typ: 'JWT' });
  assert.equal(Object.getPrototypeOf(out.header), null);
  assert.deepEqual({ ...out.payload }, CLAIMS);
  assert.equal(Object.getPrototypeOf(out.payload), null);
  assert.equal(out.signingInput, token.slice(0, token.lastIndexOf('.')));
  assert.equal(out.key, k.verifier);
  // Private keys verify too (through their public half).
  assert.equal(verify(token, k.signer).key, k.signer);
});

test('verifyCompact(): payload is a fresh Buffer the caller owns', () => {
  const key = keyFor('HS256').signer;
  const first = verifyCompact(sign('first payload', key), key).payload;
  verifyCompact(sign('second payload!', key), key);
  verify(sign(CLAIMS, key), key);
  assert.equal(first.toString(), 'first payload');
});

test('verifierFor() is reusable and equivalent to passing the array', () => {
  const keys = [keyFor('RS256').verifier, keyFor('PS256').verifier, keyFor('ES256').verifier];
  const v = verifierFor(keys);
  for (const alg of ['RS256', 'PS256', 'ES256'] as const) {
    const token = sign(CLAIMS, keyFor(alg).signer);
    assert.equal(v.verify(token).key, keyFor(alg).verifier);
    assert.equal(verify(token, keys).key, keyFor(alg).verifier);
    assert.equal(verify(token, v).key, keyFor(alg).verifier);
    assert.equal(verify(token, v.keySet).key, keyFor(alg).verifier);
    assert.equal(v.verifyCompact(token).payload.length > 0, true);
  }
  assert.throws(() => v.verify(sign(CLAIMS, keyFor('ES384').signer)), { reason: 'alg_mismatch' });
});

test('signCompact(): header must agree with the key and pass the header rules', () => {
  const key = importKey({ alg: 'HS256', kid: 'a', secret: Buffer.alloc(32, 0xa5) });
  assert.equal(verifyCompact(signCompact({ alg: 'HS256', kid: 'a' }, 'x', key), key).header.kid, 'a');
  assert.throws(() => signCompact({ alg: 'HS512' }, 'x', key), TypeError);
  assert.throws(() => signCompact({ alg: 'HS256', kid: 'b' }, 'x', key), TypeError);
  assert.throws(() => signCompact({ alg: 'HS256', crit: ['exp'] }, 'x', key), TypeError);
  assert.throws(() => signCompact({ alg: 'HS256', typ: 'at+jwt' }, 'x', key), TypeError);
  assert.throws(() => signCompact({ alg: 'HS256', jwk: {} }, 'x', key), TypeError);
});

test('JwsError: stable reason, fixed message, no cause', () => {
  try {
    verify('eyJhbGciOiJIUzI1NiJ9.e30.' + 'A'.repeat(43), keyFor('HS256').verifier);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof JwsError);
    assert.equal(e.name, 'JwsError');
    assert.equal(e.reason, 'bad_signature');
    assert.equal(e.message, 'The token signature is invalid.');
    assert.equal(e.cause, undefined);
  }
});
