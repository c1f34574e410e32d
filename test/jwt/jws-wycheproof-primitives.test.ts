/**
 * Project Wycheproof primitive vectors run through Gatehouse's signature layer
 * (src/jwt/jws/signature.ts) with keys loaded by `importKey`, i.e. exactly the code
 * a token verification reaches after the grammar and header checks. Messages are
 * arbitrary bytes, so they are fed as latin1 strings (a lossless byte mapping).
 *
 * HMAC vectors exercise the hand-built HMAC (`createMac`) on every group, including
 * key sizes `importKey` would refuse and truncated tags (compared as prefixes): the
 * primitive must be right for all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, createSecretKey, randomBytes } from 'node:crypto';
import { importKey, type JwsAlgorithm } from '../../src/jwt/jws/index.js';
import { internalsOf } from '../../src/jwt/jws/keys.js';
import { createMac, verifyBytes } from '../../src/jwt/jws/signature.js';
import { loadJson, missing, WYCHEPROOF_DIR, type WycheproofResult } from './_vectors.js';

interface Case { tcId: number; comment: string; flags: string[]; msg: string; sig?: string; tag?: string; key?: string; result: WycheproofResult }
interface Group { type: string; publicKeyDer?: string; sha?: string; mgfSha?: string; sLen?: number; keySize?: number; tagSize?: number; tests: Case[] }
interface VectorFile { numberOfTests: number; testGroups: Group[] }

const skip = missing(WYCHEPROOF_DIR);
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const SHA: Record<string, 'sha256' | 'sha384' | 'sha512'> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** Runs every non-`acceptable` case; returns the number checked. */
function runFile(file: string, expectValid: (g: Group, c: Case) => boolean, check: (g: Group, c: Case) => boolean): number {
  const data = loadJson<VectorFile>(WYCHEPROOF_DIR, file);
  const failures: string[] = [];
  let checked = 0;
  for (const g of data.testGroups) {
    for (const c of g.tests) {
      if (c.result === 'acceptable') continue;
      let ok: boolean;
      try {
        ok = check(g, c);
      } catch {
        ok = false;
      }
      checked++;
      if (ok !== expectValid(g, c)) failures.push(`tcId ${c.tcId} (${c.result}) ${c.comment} [${c.flags.join(',')}]`);
    }
  }
  assert.deepEqual(failures, [], `${file}: ${failures.length} mismatches`);
  assert.ok(checked > 0);
  return checked;
}

const labelled = (_g: Group, c: Case): boolean => c.result === 'valid';

function keyFor(alg: JwsAlgorithm, g: Group, cache: Map<Group, ReturnType<typeof internalsOf>>): ReturnType<typeof internalsOf> {
  let k = cache.get(g);
  if (k === undefined) {
    const keyObject = createPublicKey({ key: hex(g.publicKeyDer as string), format: 'der', type: 'spki' });
    k = internalsOf(importKey({ alg, keyObject }));
    cache.set(g, k);
  }
  return k;
}

function signatureFile(file: string, alg: (g: Group) => JwsAlgorithm, expectValid = labelled): void {
  test(`Wycheproof ${file}`, { skip }, () => {
    const cache = new Map<Group, ReturnType<typeof internalsOf>>();
    runFile(file, expectValid, (g, c) => verifyBytes(keyFor(alg(g), g, cache), hex(c.msg).toString('latin1'), hex(c.sig as string)));
  });
}

signatureFile('ecdsa_secp256r1_sha256_p1363_test.json', () => 'ES256');
signatureFile('ecdsa_secp384r1_sha384_p1363_test.json', () => 'ES384');
signatureFile('ecdsa_secp521r1_sha512_p1363_test.json', () => 'ES512');
signatureFile('ed25519_test.json', () => 'EdDSA');

const RS = { sha256: 'RS256', sha384: 'RS384', sha512: 'RS512' } as const;
for (const size of [2048, 3072, 4096]) {
  for (const sha of ['sha256', 'sha384', 'sha512'] as const) {
    signatureFile(`rsa_signature_${size}_${sha}_test.json`, (g) => {
      assert.equal(SHA[g.sha as string], sha);
      return RS[sha];
    });
  }
}

const PS = { sha256: 'PS256', sha384: 'PS384', sha512: 'PS512' } as const;
for (const [file, sha] of [
  ['rsa_pss_2048_sha256_mgf1_32_test.json', 'sha256'],
  ['rsa_pss_2048_sha384_mgf1_48_test.json', 'sha384'],
  ['rsa_pss_3072_sha256_mgf1_32_test.json', 'sha256'],
  ['rsa_pss_4096_sha256_mgf1_32_test.json', 'sha256'],
  ['rsa_pss_4096_sha384_mgf1_48_test.json', 'sha384'],
  ['rsa_pss_4096_sha512_mgf1_64_test.json', 'sha512'],
] as const) {
  signatureFile(file, (g) => {
    // PSn means MGF1 with the same hash and a salt as long as the hash (RFC 7518 §3.5).
    assert.equal(SHA[g.sha as string], sha);
    assert.equal(SHA[g.mgfSha as string], sha);
    assert.equal(g.sLen, { sha256: 32, sha384: 48, sha512: 64 }[sha]);
    return PS[sha];
  });
}

// Catalogue case 28: a PS256 verifier must refuse every salt-length-0 signature,
// including the 61 Wycheproof labels valid for the salt-0 parameter set. The one
// exception is the invalid-for-salt-0 case whose salt was changed to 32 bytes: that
// one IS a correct PS256 signature, and PS256 accepts it.
signatureFile('rsa_pss_2048_sha256_mgf1_0_test.json', () => 'PS256', (_g, c) => c.comment === 's_len changed to 32');

for (const [file, hash] of [
  ['hmac_sha256_test.json', 'sha256'],
  ['hmac_sha384_test.json', 'sha384'],
  ['hmac_sha512_test.json', 'sha512'],
] as const) {
  test(`Wycheproof ${file} (createMac, all key and tag sizes)`, { skip }, () => {
    runFile(file, labelled, (g, c) => {
      const mac = createMac(hash, createSecretKey(hex(c.key as string)))(hex(c.msg).toString('latin1'));
      const tag = hex(c.tag as string);
      return tag.length === (g.tagSize as number) / 8 && mac.subarray(0, tag.length).equals(tag);
    });
  });
}

test('createMac equals createHmac on random keys and messages (incl. long keys and the createHmac fallback)', () => {
  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    for (const keyLength of [1, 32, 63, 64, 65, 127, 128, 129, 300]) {
      const key = randomBytes(keyLength);
      const mac = createMac(hash, createSecretKey(key));
      for (const msgLength of [0, 1, 55, 56, 64, 200, 1000, 16384, 16385, 40000]) {
        const msg = randomBytes(msgLength).toString('latin1');
        assert.ok(mac(msg).equals(createHmac(hash, key).update(msg, 'latin1').digest()), `${hash} key ${keyLength} msg ${msgLength}`);
      }
    }
  }
});
