/**
 * Cross-checks against panva/jose 6 for every algorithm: Gatehouse signs → jose
 * verifies; jose signs → Gatehouse verifies; and a token of one algorithm is refused
 * by a key pinned to another (including the RS→HS key-confusion forgery).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { CompactSign, compactVerify, jwtVerify, SignJWT } from 'jose';
import { importKey, JWS_ALGORITHMS, JwsError, JwsKeyError, sign, signCompact, verify, verifyCompact } from '../../src/jwt/jws/index.js';
import { keyFor, RSA_PAIR } from './_keys.js';

const CLAIMS = { token_type: 'access', exp: 4102444800, iat: 1700000000, jti: '0123456789abcdef0123456789abcdef', user_id: '1' };
const isReason = (reason: string) => (e: unknown): boolean => e instanceof JwsError && e.reason === reason;

for (const alg of JWS_ALGORITHMS) {
  test(`${alg}: Gatehouse signs, jose verifies (jwtVerify and compactVerify)`, async () => {
    const k = keyFor(alg);
    const joseKey = k.secret ?? k.publicKey;
    assert.ok(joseKey !== undefined);
    const token = sign(CLAIMS, k.signer);
    const { payload, protectedHeader } = await jwtVerify(token, joseKey, { algorithms: [alg] });
    assert.deepEqual(payload, CLAIMS);
    assert.deepEqual(protectedHeader, { alg, typ: 'JWT' });
    const raw = signCompact({ alg }, 'not JSON \u00e9', k.signer);
    assert.equal(new TextDecoder().decode((await compactVerify(raw, joseKey, { algorithms: [alg] })).payload), 'not JSON \u00e9');
  });

  test(`${alg}: jose signs, Gatehouse verifies`, async () => {
    const k = keyFor(alg);
    const joseKey = k.secret ?? k.privateKey;
    assert.ok(joseKey !== undefined);
    const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg, typ: 'JWT', kid: 'jose-kid' }).sign(joseKey);
    const out = verify(token, k.verifier);
    assert.deepEqual({ ...out.payload }, CLAIMS);
    assert.equal(out.header.kid, 'jose-kid');
    assert.equal(out.key, k.verifier);
    const raw = await new CompactSign(new TextEncoder().encode('raw bytes')).setProtectedHeader({ alg }).sign(joseKey);
    assert.equal(verifyCompact(raw, k.verifier).payload.toString(), 'raw bytes');
    // Any other pinned algorithm refuses it.
    for (const other of JWS_ALGORITHMS) {
      if (other === alg) continue;
      assert.throws(() => verify(token, keyFor(other).verifier), isReason('alg_mismatch'), `${alg} token vs ${other} key`);
    }
  });
}

test('HS512 token (same secret) is refused by a key pinned to HS256', async () => {
  const secret = Buffer.alloc(64, 0).map((_, i) => (i * 37 + 11) & 0xff);
  const hs256 = importKey({ alg: 'HS256', secret });
  const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'HS512' }).sign(secret);
  assert.throws(() => verify(token, hs256), isReason('alg_mismatch'));
  assert.deepEqual({ ...verify(token, importKey({ alg: 'HS512', secret })).payload }, CLAIMS);
});

test('RS256 token is refused by the same RSA key pinned to PS256 (and vice versa)', async () => {
  const ps256 = importKey({ alg: 'PS256', keyObject: RSA_PAIR.publicKey });
  const rs256 = importKey({ alg: 'RS256', keyObject: RSA_PAIR.publicKey });
  const rsToken = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'RS256' }).sign(RSA_PAIR.privateKey);
  const psToken = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'PS256' }).sign(RSA_PAIR.privateKey);
  assert.throws(() => verify(rsToken, ps256), isReason('alg_mismatch'));
  assert.throws(() => verify(psToken, rs256), isReason('alg_mismatch'));
  // Relabelled header (RS256 signature under a PS256 header) fails the signature.
  const [, p, s] = rsToken.split('.');
  const relabelled = `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${p}.${s}`;
  assert.throws(() => verify(relabelled, ps256), isReason('bad_signature'));
});

test('key confusion (docs/security.md #5): HS256 tokens MACed with every byte form of the RSA public key are refused', () => {
  const pub = RSA_PAIR.publicKey;
  const rs256 = importKey({ alg: 'RS256', keyObject: pub });
  const spkiPem = pub.export({ type: 'spki', format: 'pem' }) as string;
  const forms: (string | Buffer)[] = [
    spkiPem,
    spkiPem.trimEnd(),
    pub.export({ type: 'pkcs1', format: 'pem' }),
    pub.export({ type: 'spki', format: 'der' }),
    JSON.stringify(pub.export({ format: 'jwk' })),
  ];
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const body = Buffer.from(JSON.stringify(CLAIMS)).toString('base64url');
  for (const secret of forms) {
    const mac = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
    assert.throws(() => verify(`${header}.${body}.${mac}`, rs256), isReason('alg_mismatch'));
    assert.throws(() => verify(`${header}.${body}.${mac}`, [rs256, importKey({ alg: 'RS512', keyObject: pub })]), isReason('alg_mismatch'));
  }
  // …and the misconfiguration that would make it work is refused at load.
  for (const secret of [spkiPem, pub.export({ type: 'pkcs1', format: 'pem' }) as string]) {
    assert.throws(() => importKey({ alg: 'HS256', secret }), (e: unknown) => e instanceof JwsKeyError && e.reason === 'key_type_mismatch');
  }
  assert.throws(() => importKey({ alg: 'HS256', pem: spkiPem }), (e: unknown) => e instanceof JwsKeyError && e.reason === 'key_type_mismatch');
  assert.throws(() => importKey({ alg: 'HS256', keyObject: pub }), (e: unknown) => e instanceof JwsKeyError && e.reason === 'key_type_mismatch');
  assert.throws(() => importKey({ alg: 'HS256', jwk: pub.export({ format: 'jwk' }) as Record<string, unknown> }), (e: unknown) => e instanceof JwsKeyError && e.reason === 'key_type_mismatch');
});
