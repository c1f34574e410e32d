/**
 * Key import, key sets and JWKS publishing: docs/security.md group M (#101–#104) and
 * the `importKey` / `verifierFor` / `publicJwk` contracts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  importKey,
  JwsKeyError,
  publicJwk,
  sign,
  verifierFor,
  verify,
  type JwsAlgorithm,
  type JwsKeyErrorReason,
} from '../../src/jwt/jws/index.js';
import { hasRocaFingerprint } from '../../src/jwt/jws/roca.js';
import { EC_PAIRS, ED_PAIR, keyFor, RSA_PAIR } from './_keys.js';
import { loadJson, missing, WYCHEPROOF_DIR } from './_vectors.js';

const CLAIMS = { token_type: 'access', exp: 4102444800, jti: 'j', user_id: '1' };

function refusedKey(reason: JwsKeyErrorReason, fn: () => unknown, secretText?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof JwsKeyError, `expected JwsKeyError, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    if (secretText !== undefined && secretText.length >= 12) assert.ok(!e.message.includes(secretText), 'message quotes the secret');
    return true;
  });
}

// ---- 101: HMAC secrets -------------------------------------------------------------------

test('M101 empty, short and known-weak HMAC secrets are refused at load; the minimum lengths are exact', () => {
  refusedKey('empty_secret', () => importKey({ alg: 'HS256', secret: '' }));
  refusedKey('empty_secret', () => importKey({ alg: 'HS512', secret: new Uint8Array(0) }));
  refusedKey('empty_secret', () => importKey({ alg: 'HS256', jwk: { kty: 'oct', k: '' } }));
  for (const [alg, min] of [['HS256', 32], ['HS384', 48], ['HS512', 64]] as const) {
    const ok = 'k7#Qz!pL0vX9@mR2sT5wY8bN1cF4hJ6dG3aE'.repeat(3);
    refusedKey('secret_too_short', () => importKey({ alg, secret: ok.slice(0, min - 1) }), ok.slice(0, min - 1));
    refusedKey('secret_too_short', () => importKey({ alg, secret: Buffer.alloc(min - 1, 0xa5) }));
    assert.equal(importKey({ alg, secret: ok.slice(0, min) }).alg, alg);
    assert.equal(importKey({ alg, secret: Buffer.alloc(min, 0xa5) }).kind, 'secret');
  }
  for (const weak of ['secret', 'Secret', ' changeme ', 'password', 'your-256-bit-secret', 'a-string-secret-at-least-256-bits-long', '   ']) {
    refusedKey('weak_secret', () => importKey({ alg: 'HS256', secret: weak }), weak.trim());
  }
  refusedKey('weak_secret', () => importKey({ alg: 'HS256', secret: 'a'.repeat(64) }));
  // Byte secrets are machine-made: only emptiness, length and the known list apply
  // (Wycheproof's all-zero 32-byte key is a valid HS256 key at the JWS level).
  assert.equal(importKey({ alg: 'HS256', secret: Buffer.alloc(32) }).kind, 'secret');
  // The simplejwt oracle's SIGNING_KEY (63 bytes) is accepted.
  assert.equal(importKey({ alg: 'HS256', secret: 'oracle-insecure-secret-key-do-not-use-in-production-0123456789' }).alg, 'HS256');
});

test('M101 a PEM / JWK text given as an HMAC secret is refused (key-confusion misconfiguration)', () => {
  const pem = RSA_PAIR.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS256', secret: pem }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS512', secret: Buffer.from(pem.repeat(2)) }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS256', secret: JSON.stringify(RSA_PAIR.publicKey.export({ format: 'jwk' })) }));
});

test('importKey input validation: algorithm, exactly one source, kid', () => {
  for (const alg of ['none', 'None', 'hs256', 'HS1', 'ES256K', 'RSA-OAEP', 'A256GCM', '', undefined]) {
    refusedKey('unsupported_alg', () => importKey({ alg: alg as JwsAlgorithm, secret: Buffer.alloc(64, 0xa5) }));
  }
  refusedKey('bad_input', () => importKey({ alg: 'HS256' }));
  refusedKey('bad_input', () => importKey({ alg: 'HS256', secret: Buffer.alloc(32, 0xa5), jwk: { kty: 'oct', k: 'AAAA' } }));
  refusedKey('bad_input', () => importKey({ alg: 'HS256', kid: '', secret: Buffer.alloc(32, 0xa5) }));
  refusedKey('bad_input', () => importKey({ alg: 'RS256', pem: 'not a pem' }));
  refusedKey('bad_input', () => importKey({ alg: 'RS256', keyObject: {} as KeyObject }));
  const encrypted = RSA_PAIR.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
  refusedKey('bad_input', () => importKey({ alg: 'RS256', pem: encrypted }));
});

test('symmetric material for an asymmetric algorithm, and the reverse, is refused', () => {
  refusedKey('key_type_mismatch', () => importKey({ alg: 'RS256', secret: Buffer.alloc(64, 0xa5) }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'ES256', jwk: { kty: 'oct', k: Buffer.alloc(64, 0xa5).toString('base64url') } }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'EdDSA', keyObject: keyFor('HS256').signer.key }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS256', keyObject: ED_PAIR.publicKey }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS256', pem: ED_PAIR.publicKey.export({ type: 'spki', format: 'pem' }) as string }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'HS256', jwk: ED_PAIR.publicKey.export({ format: 'jwk' }) as Record<string, unknown> }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'RS256', keyObject: EC_PAIRS.ES256.publicKey }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'ES256', keyObject: RSA_PAIR.publicKey }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'EdDSA', keyObject: EC_PAIRS.ES256.publicKey }));
  refusedKey('key_type_mismatch', () => importKey({ alg: 'EdDSA', keyObject: generateKeyPairSync('x25519').publicKey }));
});

// ---- 102: asymmetric keys ----------------------------------------------------------------

test('M102 RSA below 2048 bits, RSA-PSS-restricted keys and wrong curves are refused', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  refusedKey('weak_rsa_key', () => importKey({ alg: 'RS256', keyObject: small.publicKey }));
  refusedKey('weak_rsa_key', () => importKey({ alg: 'PS256', pem: small.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }));
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  refusedKey('key_type_mismatch', () => importKey({ alg: 'PS256', keyObject: pss.publicKey }));
  for (const [alg, wrong] of [['ES256', 'ES384'], ['ES384', 'ES512'], ['ES512', 'ES256']] as const) {
    refusedKey('wrong_curve', () => importKey({ alg, keyObject: EC_PAIRS[wrong].publicKey }));
    refusedKey('wrong_curve', () => importKey({ alg, jwk: EC_PAIRS[wrong].publicKey.export({ format: 'jwk' }) as Record<string, unknown> }));
  }
  refusedKey('wrong_curve', () => importKey({ alg: 'ES256', keyObject: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey }));
  refusedKey('wrong_curve', () => importKey({ alg: 'EdDSA', keyObject: generateKeyPairSync('ed448').publicKey }));
});

interface KeyGroup { comment: string; private: { keys: Record<string, unknown>[] }; public?: { keys: Record<string, unknown>[] } }
const wycheproofKey = (comment: string): Record<string, unknown> => {
  const file = loadJson<{ testGroups: KeyGroup[] }>(WYCHEPROOF_DIR, 'json_web_key_test.json');
  const g = file.testGroups.find((x) => x.comment === comment) as KeyGroup;
  return (g.public ?? g.private).keys[0] as Record<string, unknown>;
};

test('M102 Wycheproof keys: e = 1, 1024-bit and ROCA RSA keys are refused for the right reason', { skip: missing(WYCHEPROOF_DIR) }, () => {
  refusedKey('weak_rsa_key', () => importKey({ alg: 'RS256', jwk: wycheproofKey('exponentOne') }));
  refusedKey('weak_rsa_key', () => importKey({ alg: 'RS256', jwk: wycheproofKey('keysize_too_small') }));
  const roca = wycheproofKey('jws_rsa_roca_key');
  assert.throws(() => importKey({ alg: 'RS256', jwk: roca }), (e: unknown) => e instanceof JwsKeyError && e.reason === 'weak_rsa_key' && e.message.includes('ROCA'));
  assert.equal(hasRocaFingerprint(BigInt(`0x${Buffer.from(String(roca.n), 'base64url').toString('hex')}`)), true);
  // Fresh keys do not carry the fingerprint (false-positive rate < 2^-154).
  for (let i = 0; i < 3; i++) {
    const n = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n as string;
    assert.equal(hasRocaFingerprint(BigInt(`0x${Buffer.from(n, 'base64url').toString('hex')}`)), false);
  }
});

test('M102 JWK metadata: use "enc", key_ops without sign/verify, alg or kid disagreeing are refused', () => {
  const jwk = EC_PAIRS.ES256.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  refusedKey('wrong_use', () => importKey({ alg: 'ES256', jwk: { ...jwk, use: 'enc' } }));
  for (const key_ops of [['encrypt'], ['verify', 'encrypt'], ['wrapKey'], [], ['verify', 'verify'], ['sign, verify'], 'verify', [1]]) {
    refusedKey('wrong_use', () => importKey({ alg: 'ES256', jwk: { ...jwk, key_ops } }));
  }
  assert.equal(importKey({ alg: 'ES256', jwk: { ...jwk, use: 'sig', key_ops: ['verify'] } }).kind, 'public');
  refusedKey('unsupported_alg', () => importKey({ alg: 'ES256', jwk: { ...jwk, alg: 'ES384' } }));
  refusedKey('unsupported_alg', () => importKey({ alg: 'ES256', jwk: { ...jwk, alg: 'ES521' } }));
  refusedKey('kid_mismatch', () => importKey({ alg: 'ES256', kid: 'a', jwk: { ...jwk, kid: 'b' } }));
  refusedKey('bad_jwk', () => importKey({ alg: 'ES256', jwk: { ...jwk, kid: 7 } }));
  refusedKey('bad_jwk', () => importKey({ alg: 'ES256', jwk: { keys: [jwk] } }));
  refusedKey('bad_jwk', () => importKey({ alg: 'ES256', jwk: { ...jwk, kty: undefined } }));
  refusedKey('bad_jwk', () => importKey({ alg: 'ES256', jwk: { ...jwk, y: jwk.x } }));
  refusedKey('bad_jwk', () => importKey({ alg: 'HS256', jwk: { kty: 'oct', k: 'AAA=' } }));
  assert.equal(importKey({ alg: 'ES256', jwk: { ...jwk, kid: 'from-jwk' } }).kid, 'from-jwk');
});

test('every key source gives an equivalent pinned key (KeyObject, PEM, JWK; private and public)', () => {
  for (const alg of ['RS256', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const) {
    const pair = alg === 'ES256' || alg === 'ES384' || alg === 'ES512' ? EC_PAIRS[alg] : alg === 'EdDSA' ? ED_PAIR : RSA_PAIR;
    const signers = [
      importKey({ alg, keyObject: pair.privateKey }),
      importKey({ alg, pem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }),
      importKey({ alg, jwk: pair.privateKey.export({ format: 'jwk' }) as Record<string, unknown> }),
    ];
    if (alg.startsWith('RS') || alg.startsWith('PS')) signers.push(importKey({ alg, pem: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string }));
    if (alg.startsWith('ES')) signers.push(importKey({ alg, pem: pair.privateKey.export({ type: 'sec1', format: 'pem' }) as string }));
    const verifiers = [
      importKey({ alg, keyObject: pair.publicKey }),
      importKey({ alg, pem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string }),
      importKey({ alg, jwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown> }),
      ...signers,
    ];
    for (const s of signers) {
      assert.equal(s.kind, 'private');
      assert.ok(s.publicKey instanceof KeyObject && s.publicKey.type === 'public');
      assert.ok(Object.isFrozen(s));
      const token = sign(CLAIMS, s);
      for (const v of verifiers) assert.equal(verify(token, v).payload.jti, 'j');
    }
    const pub = verifiers[0] as ReturnType<typeof importKey>;
    assert.equal(pub.kind, 'public');
    assert.equal(pub.publicKey, pub.key);
  }
  const hs = keyFor('HS256').signer;
  assert.equal(hs.publicKey, undefined);
  assert.equal(hs.key.type, 'secret');
});

// ---- 103: key sets -----------------------------------------------------------------------

test('M103 key sets: mixing symmetric and asymmetric keys, duplicate kids and empty sets are refused', () => {
  const hs = importKey({ alg: 'HS256', kid: 'a', secret: Buffer.alloc(32, 0xa5) });
  const es = importKey({ alg: 'ES256', kid: 'b', keyObject: EC_PAIRS.ES256.publicKey });
  refusedKey('mixed_key_set', () => verifierFor([hs, es]));
  refusedKey('mixed_key_set', () => verify(sign(CLAIMS, hs), [hs, es]));
  refusedKey('duplicate_kid', () => verifierFor([hs, importKey({ alg: 'HS512', kid: 'a', secret: Buffer.alloc(64, 0xa5) })]));
  refusedKey('duplicate_kid', () => verifierFor([es, importKey({ alg: 'RS256', kid: 'b', keyObject: RSA_PAIR.publicKey })]));
  refusedKey('empty_key_set', () => verifierFor([]));
  // The same key object twice is not a duplicate; several asymmetric algorithms may mix.
  const rs = importKey({ alg: 'RS256', kid: 'c', keyObject: RSA_PAIR.publicKey });
  const v = verifierFor([es, es, rs]);
  assert.equal(v.keySet.keys.length, 2);
  assert.equal(v.verify(sign(CLAIMS, importKey({ alg: 'RS256', kid: 'c', keyObject: RSA_PAIR.privateKey }))).key, rs);
});

test('rotation: a verifier over [current, previous] accepts both, selects by kid, and drops the old key on rebuild', () => {
  const current = importKey({ alg: 'ES256', kid: '2025-02', keyObject: EC_PAIRS.ES256.privateKey });
  const old = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const previous = importKey({ alg: 'ES256', kid: '2025-01', keyObject: old.privateKey });
  const both = verifierFor([current, previous]);
  assert.equal(both.verify(sign(CLAIMS, current)).key, current);
  assert.equal(both.verify(sign(CLAIMS, previous)).key, previous);
  const afterGrace = verifierFor([current]);
  assert.throws(() => afterGrace.verify(sign(CLAIMS, previous)), { reason: 'bad_signature' });
  assert.throws(() => verifierFor([current], { strictKid: true }).verify(sign(CLAIMS, previous)), { reason: 'unknown_kid' });
});

// ---- 104: JWKS publishing ----------------------------------------------------------------

test('M104 publicJwk publishes only public members (+ kid, use, alg); secrets are never publishable', async () => {
  const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
  const cases: [JwsAlgorithm, KeyObject, string[]][] = [
    ['RS256', RSA_PAIR.privateKey, ['kty', 'kid', 'use', 'alg', 'n', 'e']],
    ['PS512', RSA_PAIR.publicKey, ['kty', 'kid', 'use', 'alg', 'n', 'e']],
    ['ES256', EC_PAIRS.ES256.privateKey, ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y']],
    ['ES512', EC_PAIRS.ES512.privateKey, ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y']],
    ['EdDSA', ED_PAIR.privateKey, ['kty', 'kid', 'use', 'alg', 'crv', 'x']],
  ];
  const jwks: Record<string, unknown>[] = [];
  for (const [alg, keyObject, members] of cases) {
    const key = importKey({ alg, kid: `kid-${alg}`, keyObject });
    const jwk = publicJwk(key);
    assert.deepEqual(Object.keys(jwk), members);
    for (const m of PRIVATE) assert.ok(!(m in jwk), `${alg} leaks ${m}`);
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.alg, alg);
    assert.ok(!JSON.stringify(jwk).includes(String(keyObject.export({ format: 'jwk' }).d ?? 'no-private-part')));
    jwks.push({ ...jwk });
    // Round trip: the published JWK verifies what the key signs.
    assert.equal(verify(sign(CLAIMS, importKey({ alg, kid: `kid-${alg}`, keyObject: keyObject.type === 'private' ? keyObject : RSA_PAIR.privateKey })), importKey({ alg, jwk: { ...jwk } })).payload.jti, 'j');
  }
  // jose consumes the JWKS as published.
  const set = createLocalJWKSet({ keys: jwks as never[] });
  const signer = importKey({ alg: 'ES256', kid: 'kid-ES256', keyObject: EC_PAIRS.ES256.privateKey });
  assert.equal((await jwtVerify(sign(CLAIMS, signer), set)).payload.jti, 'j');
  assert.ok(!('kid' in publicJwk(importKey({ alg: 'ES256', keyObject: EC_PAIRS.ES256.publicKey }))));
  refusedKey('secret_not_publishable', () => publicJwk(keyFor('HS256').signer));
  // A key imported from a private JWK publishes the same public key.
  const fromJwk = importKey({ alg: 'EdDSA', jwk: ED_PAIR.privateKey.export({ format: 'jwk' }) as Record<string, unknown> });
  assert.equal(publicJwk(fromJwk).x, createPublicKey(ED_PAIR.privateKey).export({ format: 'jwk' }).x);
});
