/**
 * Published known-answer vectors: RFC 7515 Appendix A, the RFC 7520 cookbook
 * (plus RFC 8037 Ed25519 and RFC 7797), and every JWT simplejwt issued in the
 * oracle transcripts (byte-for-byte compatibility of `sign`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  importKey,
  JwsError,
  sign,
  signCompact,
  verify,
  verifyCompact,
  type JwsAlgorithm,
  type JwsKey,
} from '../../src/jwt/jws/index.js';
import { COOKBOOK_DIR, loadJson, missing, TRANSCRIPTS_DIR } from './_vectors.js';

const isReason = (reason: string) => (e: unknown): boolean => e instanceof JwsError && e.reason === reason;
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
const publicPart = (jwk: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE.includes(k)));

// ---- RFC 7515 Appendix A -------------------------------------------------------------

const A_PAYLOAD = 'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';
const A_CLAIMS = { iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true };

test('RFC 7515 A.1 (HS256, JWK oct key, CRLF inside header and payload JSON)', () => {
  const key = importKey({ alg: 'HS256', jwk: { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' } });
  const token = `eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.${A_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`;
  const { header, payload } = verify(token, key);
  assert.deepEqual({ ...header }, { typ: 'JWT', alg: 'HS256' });
  assert.deepEqual({ ...payload }, A_CLAIMS);
  assert.equal(Object.getPrototypeOf(payload), null);
  const [h, p, sig] = token.split('.') as [string, string, string];
  assert.throws(() => verify(`${h}.${p}.e${sig.slice(1)}`, key), isReason('bad_signature'));
  // 'k' → 'l' changes only unused trailing bits: same bytes, non-canonical text → refused by grammar.
  assert.throws(() => verify(token.slice(0, -1) + 'l', key), isReason('malformed'));
});

test('RFC 7515 A.2 (RS256, public JWK)', () => {
  const key = importKey({
    alg: 'RS256',
    jwk: {
      kty: 'RSA',
      e: 'AQAB',
      n: 'ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ',
    },
  });
  const token = `eyJhbGciOiJSUzI1NiJ9.${A_PAYLOAD}.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw`;
  assert.deepEqual({ ...verify(token, key).payload }, A_CLAIMS);
});

const A3_JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' };

test('RFC 7515 A.3 (ES256): verifies; the private JWK signs tokens the public JWK verifies', () => {
  const pub = importKey({ alg: 'ES256', jwk: publicPart(A3_JWK) });
  const token = `eyJhbGciOiJFUzI1NiJ9.${A_PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q`;
  assert.deepEqual({ ...verify(token, pub).payload }, A_CLAIMS);
  const priv = importKey({ alg: 'ES256', jwk: A3_JWK });
  assert.equal(priv.kind, 'private');
  assert.deepEqual({ ...verify(sign(A_CLAIMS, priv), pub).payload }, A_CLAIMS);
});

const A4_JWK = {
  kty: 'EC',
  crv: 'P-521',
  x: 'AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk',
  y: 'ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2',
};
const A4_SIG = 'AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn';

test('RFC 7515 A.4 (ES512, non-JSON payload): valid JWS, not a JWT; the all-zero "psychic" signature fails', () => {
  const key = importKey({ alg: 'ES512', jwk: A4_JWK });
  const token = `eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.${A4_SIG}`;
  assert.equal(verifyCompact(token, key).payload.toString('utf8'), 'Payload');
  assert.throws(() => verify(token, key), isReason('malformed'));
  assert.throws(() => verifyCompact(`eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.${'A'.repeat(A4_SIG.length)}`, key), isReason('bad_signature'));
});

test('RFC 7515 A.5 (unsecured "none" JWS) is refused by every key type', () => {
  const unsecured = `eyJhbGciOiJub25lIn0.${A_PAYLOAD}.`;
  const withSig = `eyJhbGciOiJub25lIn0.${A_PAYLOAD}.AAAA`;
  for (const key of [
    importKey({ alg: 'HS256', jwk: { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' } }),
    importKey({ alg: 'ES256', jwk: publicPart(A3_JWK) }),
  ]) {
    assert.throws(() => verify(unsecured, key), isReason('malformed'));
    assert.throws(() => verify(withSig, key), isReason('alg_mismatch'));
  }
});

// ---- RFC 7520 cookbook, RFC 8037, RFC 7797 ---------------------------------------------

interface CookbookVector {
  title: string;
  reproducible?: boolean;
  input: { payload: string; key: Record<string, unknown>; alg: string };
  signing: { protected: Record<string, unknown> };
  output: { compact?: string; json?: unknown; json_flat?: unknown };
}
const cookbookSkip = missing(COOKBOOK_DIR);
const cookbook = (file: string): CookbookVector => loadJson<CookbookVector>(COOKBOOK_DIR, file);

for (const file of [
  'jws/4_1.rsa_v15_signature.json',
  'jws/4_2.rsa-pss_signature.json',
  'jws/4_3.ecdsa_signature.json',
  'jws/4_4.hmac-sha2_integrity_protection.json',
  'curve25519/jws.json',
]) {
  test(`RFC 7520 cookbook ${file}: verifies with the public key${file.includes('4_2') || file.includes('4_3') ? '' : ', and signing reproduces it byte for byte'}`, { skip: cookbookSkip }, () => {
    const v = cookbook(file);
    const alg = v.input.alg as JwsAlgorithm;
    const compact = v.output.compact as string;
    const verifier: JwsKey = importKey({ alg, jwk: v.input.key.kty === 'oct' ? v.input.key : publicPart(v.input.key) });
    const out = verifyCompact(compact, verifier);
    assert.equal(out.payload.toString('utf8'), v.input.payload);
    assert.equal(out.header.alg, alg);
    assert.equal(out.key, verifier);
    // Not JSON payloads: valid JWS, never a valid JWT.
    assert.throws(() => verify(compact, verifier), isReason('malformed'));
    if (v.reproducible === true) {
      const signer = importKey({ alg, jwk: v.input.key });
      assert.equal(signCompact(v.signing.protected, v.input.payload, signer), compact);
    }
    // The JSON serializations of the same signature are refused (docs/security.md #18).
    for (const json of [v.output.json, v.output.json_flat]) {
      if (json !== undefined) assert.throws(() => verifyCompact(JSON.stringify(json), verifier), isReason('malformed'));
    }
  });
}

test('RFC 7520 cookbook 4.5 (detached content, empty payload segment) is refused', { skip: cookbookSkip }, () => {
  const v = cookbook('jws/4_5.signature_with_detached_content.json');
  const key = importKey({ alg: 'HS256', jwk: v.input.key });
  assert.throws(() => verifyCompact(v.output.compact as string, key), isReason('malformed'));
  // Even where an empty payload is allowed, the detached content is not signed-over-empty.
  assert.throws(() => verifyCompact(v.output.compact as string, key, { allowEmptyPayload: true }), isReason('bad_signature'));
});

test('RFC 7520 cookbook 4.6–4.8 (JSON serializations only) are refused', { skip: cookbookSkip }, () => {
  const key = importKey({ alg: 'HS256', jwk: loadJson<Record<string, unknown>>(COOKBOOK_DIR, 'jwk/3_5.symmetric_key_mac_computation.json') });
  for (const file of ['jws/4_6.protecting_specific_header_fields.json', 'jws/4_7.protecting_content_only.json', 'jws/4_8.multiple_signatures.json']) {
    const v = cookbook(file);
    assert.equal(v.output.compact, undefined);
    for (const json of [v.output.json, v.output.json_flat]) {
      if (json !== undefined) assert.throws(() => verifyCompact(JSON.stringify(json), key), isReason('malformed'), file);
    }
  }
});

test('RFC 7797 b64:false (crit) compact vector is refused; signCompact refuses to make one', { skip: cookbookSkip }, () => {
  const v = cookbook('rfc7797/hmac-sha2_b64_false.json');
  const key = importKey({ alg: 'HS256', jwk: v.input.key });
  const compact = v.output.compact as string;
  // The raw payload contains spaces: the grammar refuses it before the header is read.
  assert.throws(() => verifyCompact(compact, key), isReason('malformed'));
  // Re-encoded payload so the grammar passes: the header (b64/crit) refuses it.
  const [h, , s] = compact.split('.');
  assert.throws(() => verifyCompact(`${h}.${Buffer.from(v.input.payload).toString('base64url')}.${s}`, key), isReason('unsupported'));
  assert.throws(() => signCompact(v.signing.protected, v.input.payload, key), TypeError);
});

// ---- simplejwt (PyJWT) compatibility ---------------------------------------------------

const ORACLE_SIGNING_KEY = 'oracle-insecure-secret-key-do-not-use-in-production-0123456789';

function transcriptTokens(): string[] {
  const tokens = new Set<string>();
  for (const file of readdirSync(TRANSCRIPTS_DIR).filter((f) => f.endsWith('.txt'))) {
    for (const line of readFileSync(join(TRANSCRIPTS_DIR, file), 'utf8').split('\n')) {
      // Only response lines: tokens simplejwt itself issued (requests include forgeries).
      if (!line.startsWith('< ')) continue;
      for (const m of line.matchAll(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)) tokens.add(m[0]);
    }
  }
  return [...tokens];
}

test('every JWT simplejwt issued in the oracle transcripts verifies, and sign() reproduces it byte for byte', { skip: missing(TRANSCRIPTS_DIR) }, () => {
  const key = importKey({ alg: 'HS256', secret: ORACLE_SIGNING_KEY });
  const tokens = transcriptTokens();
  assert.ok(tokens.length >= 30, `found ${tokens.length} tokens`);
  for (const token of tokens) {
    const { header, payload } = verify(token, key);
    assert.deepEqual({ ...header }, { alg: 'HS256', typ: 'JWT' });
    assert.equal(sign({ ...payload }, key), token);
  }
});

test('sign() matches PyJWT for non-ASCII claims and kid (ensure_ascii, sorted header)', () => {
  // PyJWT 2.x: jwt.encode({"name": "Zoë ✓", "n": 1}, key, "HS256", headers={"kid": "k1"})
  // header bytes: {"alg":"HS256","kid":"k1","typ":"JWT"}; payload: {"name":"Zo\u00eb \u2713","n":1}
  const key = importKey({ alg: 'HS256', kid: 'k1', secret: ORACLE_SIGNING_KEY });
  const token = sign({ name: 'Zoë ✓', n: 1 }, key);
  const [h, p] = token.split('.') as [string, string];
  assert.equal(Buffer.from(h, 'base64url').toString(), '{"alg":"HS256","kid":"k1","typ":"JWT"}');
  assert.equal(Buffer.from(p, 'base64url').toString(), '{"name":"Zo\\u00eb \\u2713","n":1}');
  assert.equal(verify(token, key).payload.name, 'Zoë ✓');
});
