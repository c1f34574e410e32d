/**
 * The JWT key ring (src/jwt/keyring): static keys from the settings, configuration
 * errors (docs/security.md #101–#103), rotation and retirement with `kid` (#12, #104), the hot
 * path (synchronous until the change signal moves), cross-connection visibility on
 * SQLite, encryption at rest (105) and the JWKS document / endpoint.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { FakeClock } from '../../src/core/clock.js';
import { parseSettings, type Settings } from '../../src/core/settings.js';
import { Engine } from '../../src/http/engine.js';
import { jwksRoutes } from '../../src/http/endpoints/jwks.js';
import { importKey, JwsError, sign, type JwsAlgorithm, type VerifiedJws } from '../../src/jwt/jws/index.js';
import {
  CANNOT_DECRYPT,
  createJwtKeys,
  JwtKeyConfigError,
  KeyRingError,
  listKeys,
  retireKey,
  rotateKey,
  type JwtKeys,
} from '../../src/jwt/keyring/index.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import type { Stores } from '../../src/stores/types.js';
import { EC_PAIRS, ED_PAIR, RSA_PAIR } from './_keys.js';

const SECRET = 'keyring-test-server-secret-0123456789abcdefghijk'; // 48 characters
const CLAIMS = { token_type: 'access', exp: 4102444800, iat: 1700000000, jti: 'j1', user_id: '1' };
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keyring-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pem = (k: KeyObject) => k.export({ format: 'pem', type: k.type === 'private' ? 'pkcs8' : 'spki' }).toString();

function jwtSettings(jwt: Record<string, unknown> = {}): Settings['jwt'] {
  return parseSettings({ jwt }).jwt;
}

interface Setup {
  jwt?: Record<string, unknown>;
  stores?: Stores;
  secretKey?: string;
  warnings?: string[];
}

function keysFor(setup: Setup = {}): Promise<JwtKeys> {
  const warnings = setup.warnings;
  return createJwtKeys({
    settings: jwtSettings(setup.jwt),
    secretKey: setup.secretKey ?? SECRET,
    stores: setup.stores ?? new MemoryStores(),
    clock: new FakeClock(),
    ...(warnings ? { onWarning: (m: string) => warnings.push(m) } : {}),
  });
}

async function configError(setup: Setup, pattern: RegExp, material?: string): Promise<void> {
  await assert.rejects(keysFor(setup), (e: unknown) => {
    assert.ok(e instanceof JwtKeyConfigError, `expected JwtKeyConfigError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (material !== undefined) assert.ok(!e.message.includes(material), 'the message quotes key material');
    return true;
  });
}

async function refused(result: () => VerifiedJws | Promise<VerifiedJws>, reason?: string): Promise<void> {
  await assert.rejects(async () => result(), (e: unknown) => {
    assert.ok(e instanceof JwsError, `expected JwsError, got ${String(e)}`);
    if (reason !== undefined) assert.equal(e.reason, reason);
    return true;
  });
}

const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as Record<string, unknown>;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- static keys -------------------------------------------------------------------------

describe('static key from the settings', () => {
  test('HS256 default: secretKey signs kid-less tokens (like simplejwt) that verify synchronously', async () => {
    const keys = await keysFor();
    const signer = await keys.signer();
    assert.equal(signer.alg, 'HS256');
    assert.equal(signer.kid, undefined);
    const token = sign(CLAIMS, signer);
    assert.deepEqual(headerOf(token), { alg: 'HS256', typ: 'JWT' });
    const result = keys.verify(token);
    assert.ok(!(result instanceof Promise), 'verify must be synchronous when nothing changed');
    assert.equal(result.payload.user_id, '1');
    // simplejwt's key: the secret's UTF-8 bytes.
    assert.equal((result as VerifiedJws).key, signer);
    assert.ok(importKey({ alg: 'HS256', secret: SECRET }).key.equals(signer.key));
  });

  test('jwt.maxTokenBytes is applied before anything else', async () => {
    const keys = await keysFor({ jwt: { maxTokenBytes: 512 } });
    const big = sign({ ...CLAIMS, pad: 'x'.repeat(600) }, await keys.signer());
    await refused(() => keys.verify(big), 'too_large');
  });

  test('jwt.signingKey overrides secretKey; a token signed with secretKey is then refused', async () => {
    const signingKey = randomBytes(48).toString('base64url');
    const keys = await keysFor({ jwt: { signingKey } });
    const token = sign(CLAIMS, importKey({ alg: 'HS256', secret: signingKey }));
    assert.equal((await keys.verify(token)).payload.jti, 'j1');
    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'HS256', secret: SECRET }))), 'bad_signature');
  });

  test('asymmetric: signingKey alone signs and verifies (public key derived); verifyingKey alone verifies but cannot sign', async () => {
    const both = await keysFor({ jwt: { algorithm: 'RS256', signingKey: pem(RSA_PAIR.privateKey) } });
    const token = sign(CLAIMS, await both.signer());
    assert.equal((await both.verify(token)).payload.user_id, '1');

    const verifyOnly = await keysFor({ jwt: { algorithm: 'RS256', verifyingKey: pem(RSA_PAIR.publicKey) } });
    assert.equal((await verifyOnly.verify(token)).payload.user_id, '1');
    await assert.rejects(async () => verifyOnly.signer(), (e: unknown) => e instanceof JwtKeyConfigError && /no signing key/.test(e.message));

    const pair = await keysFor({ jwt: { algorithm: 'RS256', signingKey: pem(RSA_PAIR.privateKey), verifyingKey: pem(RSA_PAIR.publicKey) } });
    assert.equal((await pair.verify(token)).payload.user_id, '1');
  });
});

// ---- configuration errors (docs/security.md #101–#103) -----------------------------------------

describe('configuration errors', () => {
  test('M101 HMAC secrets shorter than the hash, empty, or weak are refused for the configured algorithm', async () => {
    for (const [alg, min] of [['HS256', 32], ['HS384', 48], ['HS512', 64]] as const) {
      const short = randomBytes(min).toString('hex').slice(0, min - 1);
      await configError({ jwt: { algorithm: alg, signingKey: short } }, new RegExp(`jwt\\.signingKey \\(${alg}\\).*${min - 1} bytes; at least ${min}`), short);
      const exact = randomBytes(min).toString('hex').slice(0, min);
      await keysFor({ jwt: { algorithm: alg, signingKey: exact } });
    }
    // The default signing key is secretKey: a 48-character secretKey is too short for HS512.
    await configError({ jwt: { algorithm: 'HS512' } }, /secretKey \(the HS512 signing key while jwt\.signingKey is not set\).*48 bytes; at least 64/, SECRET);
    await configError({ secretKey: '' }, /secretKey is empty/);
    await configError({ jwt: { signingKey: 'changeme' } }, /well-known value/);
    await configError({ jwt: { signingKey: 'a'.repeat(64) } }, /repeated character/);
    await configError({ jwt: { signingKey: pem(RSA_PAIR.publicKey) } }, /looks like a PEM/, 'MII');
    await configError({ jwt: { verifyingKey: pem(RSA_PAIR.publicKey) } }, /jwt\.verifyingKey must be empty with HS256/);
    await configError({ jwt: { jwkUrl: 'https://example.com/jwks.json' } }, /jwkUrl needs an asymmetric/);
  });

  test('M102 weak or mismatched asymmetric keys are refused at load', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await configError({ jwt: { algorithm: 'RS256', signingKey: pem(small.privateKey) } }, /jwt\.signingKey \(RS256\).*1024 bits; at least 2048/);
    await configError({ jwt: { algorithm: 'PS256', verifyingKey: pem(small.publicKey) } }, /jwt\.verifyingKey \(PS256\).*at least 2048/);
    await configError({ jwt: { algorithm: 'ES256', signingKey: pem(EC_PAIRS.ES384.privateKey) } }, /ES256 needs a P-256 key/);
    await configError({ jwt: { algorithm: 'ES512', verifyingKey: pem(EC_PAIRS.ES256.publicKey) } }, /ES512 needs a P-521 key/);
    // Private keys of the wrong family for the algorithm.
    await configError({ jwt: { algorithm: 'RS256', signingKey: pem(EC_PAIRS.ES256.privateKey) } }, /RS256 needs an RSA key/);
    await configError({ jwt: { algorithm: 'EdDSA', signingKey: pem(RSA_PAIR.privateKey) } }, /EdDSA needs an Ed25519 key/);
    await configError({ jwt: { algorithm: 'ES256', signingKey: pem(ED_PAIR.privateKey) } }, /ES256 needs an EC key/);
    // A secret where a PEM is expected; keys in the wrong setting; a mismatched pair.
    await configError({ jwt: { algorithm: 'RS256', signingKey: randomBytes(40).toString('hex') } }, /not a readable private key/);
    await configError({ jwt: { algorithm: 'RS256', signingKey: pem(RSA_PAIR.publicKey) } }, /must be a PEM private key/);
    await configError({ jwt: { algorithm: 'RS256', verifyingKey: pem(RSA_PAIR.privateKey) } }, /must be a PEM public key/);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await configError({ jwt: { algorithm: 'ES256', signingKey: pem(EC_PAIRS.ES256.privateKey), verifyingKey: pem(other.publicKey) } }, /not the public key of jwt\.signingKey/);
    // Nothing at all to verify with.
    await configError({ jwt: { algorithm: 'ES256' } }, /no key is configured.*gatehouse keys rotate/);
  });

  test('messages never contain the key material', async () => {
    const privatePem = pem(RSA_PAIR.privateKey);
    await configError({ jwt: { algorithm: 'ES256', signingKey: privatePem } }, /ES256/, privatePem.split('\n')[1]);
  });
});

// ---- rotation ------------------------------------------------------------------------------

describe('rotation and retirement', () => {
  test('M104 the new kid signs, the old kid verifies until retired, then it is refused; the static key keeps kid-less tokens', async () => {
    const stores = new MemoryStores();
    const clock = new FakeClock();
    const keys = await createJwtKeys({ settings: jwtSettings(), secretKey: SECRET, stores, clock });
    const staticToken = sign(CLAIMS, await keys.signer());

    const first = await rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET, clock });
    assert.match(first.kid, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(first.status, 'active');
    assert.equal(first.publicJwk, null);
    const signer1 = await keys.signer();
    assert.equal(signer1.kid, first.kid);
    const token1 = sign(CLAIMS, signer1);
    assert.deepEqual(headerOf(token1), { alg: 'HS256', kid: first.kid, typ: 'JWT' });
    assert.equal((await keys.verify(token1)).key.kid, first.kid);

    clock.advance(1000);
    const second = await rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET, clock });
    const signer2 = await keys.signer();
    assert.equal(signer2.kid, second.kid);
    const token2 = sign(CLAIMS, signer2);
    assert.equal((await keys.verify(token2)).key.kid, second.kid);
    assert.equal((await keys.verify(token1)).key.kid, first.kid, 'the previous key verifies (verify-only)');
    assert.deepEqual((await listKeys({ keys: stores.keys })).map((k) => [k.kid, k.status]), [[first.kid, 'verify'], [second.kid, 'active']]);
    assert.equal((await keys.verify(staticToken)).key.kid, undefined, 'kid-less tokens still verify with the static key');

    const retired = await retireKey({ keys: stores.keys, kid: first.kid, clock });
    assert.equal(retired.status, 'retired');
    assert.equal(retired.retiredAt, clock.now());
    await refused(() => keys.verify(token1), 'unknown_kid');
    assert.equal((await keys.verify(token2)).key.kid, second.kid);
    await assert.rejects(retireKey({ keys: stores.keys, kid: first.kid }), (e: unknown) => e instanceof KeyRingError && /already retired/.test(e.message));
    await assert.rejects(retireKey({ keys: stores.keys, kid: 'nope' }), (e: unknown) => e instanceof KeyRingError && /no key "nope"/.test(e.message));
    await assert.rejects(retireKey({ keys: stores.keys, kid: second.kid }), (e: unknown) => e instanceof KeyRingError && /active signing key.*--force/.test(e.message));

    // Forced retirement of the active key: signing falls back to the static key.
    await retireKey({ keys: stores.keys, kid: second.kid, force: true });
    await refused(() => keys.verify(token2), 'unknown_kid');
    assert.equal((await keys.signer()).kid, undefined);
  });

  test('A12 unknown kid, a static-key signature under a ring kid, and a ring signature without kid are refused', async () => {
    const stores = new MemoryStores();
    const keys = await keysFor({ stores });
    const row = await rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET });
    const ringKey = await keys.signer();
    const staticKey = importKey({ alg: 'HS256', secret: SECRET });

    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'HS256', kid: 'unknown', secret: SECRET }))), 'unknown_kid');
    // Signed by the static key but claiming the ring kid: only the ring key is tried.
    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'HS256', kid: row.kid, secret: SECRET }))), 'bad_signature');
    // Signed by the ring key without a kid: only the static key is tried.
    const ringWithoutKid = importKey({ alg: 'HS256', keyObject: ringKey.key });
    await refused(() => keys.verify(sign(CLAIMS, ringWithoutKid)), 'bad_signature');
    // The header algorithm never chooses the key.
    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'HS512', kid: row.kid, secret: randomBytes(64) }))), 'alg_mismatch');
    assert.ok(keys.verify(sign(CLAIMS, staticKey)));
  });

  test('a kid-less token is refused when no static key exists (asymmetric ring only, as a JWKS consumer would)', async () => {
    const stores = new MemoryStores();
    const row = await rotateKey({ keys: stores.keys, algorithm: 'ES256', secretKey: SECRET });
    const keys = await keysFor({ stores, jwt: { algorithm: 'ES256' } });
    const signer = await keys.signer();
    assert.equal(signer.kid, row.kid);
    assert.equal((await keys.verify(sign(CLAIMS, signer))).key.kid, row.kid);
    const noKid = importKey({ alg: 'ES256', keyObject: signer.key });
    await refused(() => keys.verify(sign(CLAIMS, noKid)), 'unknown_kid');
    // Retiring the only key leaves nothing that can sign.
    await retireKey({ keys: stores.keys, kid: row.kid, force: true });
    await assert.rejects(async () => keys.signer(), (e: unknown) => e instanceof JwtKeyConfigError && /no signing key/.test(e.message));
  });

  test('hot path: synchronous until the change signal moves; unrelated changes reuse the decrypted keys', async () => {
    const stores = new MemoryStores();
    await rotateKey({ keys: stores.keys, algorithm: 'ES256', secretKey: SECRET });
    const keys = await keysFor({ stores, jwt: { algorithm: 'ES256' } });
    const signer = await keys.signer();
    const token = sign(CLAIMS, signer);
    const first = keys.verify(token);
    assert.ok(!(first instanceof Promise));
    assert.ok(!(keys.signer() instanceof Promise));
    // Any write moves the signal: the next call reloads (a Promise), then it is synchronous again.
    await stores.users.create({ username: 'u', password: '!', dateJoined: new Date() });
    await stores.users.delete(1);
    const reloaded = keys.verify(token);
    assert.ok(reloaded instanceof Promise);
    assert.equal((await reloaded).key, first.key, 'the key object is reused, not re-decrypted');
    const again = keys.verify(token);
    assert.ok(!(again instanceof Promise));
    assert.equal(await keys.signer(), signer);
  });

  test('every asymmetric algorithm rotates, signs, verifies and publishes (checked with jose)', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const satisfies readonly JwsAlgorithm[]) {
      const stores = new MemoryStores();
      const row = await rotateKey({ keys: stores.keys, algorithm: alg, secretKey: SECRET });
      const keys = await keysFor({ stores, jwt: { algorithm: alg } });
      const signer = await keys.signer();
      assert.equal(signer.kid, row.kid, alg);
      assert.equal(signer.alg, alg);
      const token = sign(CLAIMS, signer);
      assert.equal((await keys.verify(token)).payload.jti, 'j1', alg);
      const jwks = await keys.jwks();
      assert.equal(jwks.keys.length, 1);
      assertPublicOnly(jwks.keys, alg);
      assert.equal(jwks.keys[0]?.kid, row.kid);
      assert.deepEqual(JSON.parse(row.publicJwk as string), jwks.keys[0]);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as unknown as { keys: JWK[] }), { algorithms: [alg] });
      assert.equal(payload.jti, 'j1', `${alg}: jose verifies with the published JWKS`);
    }
  });
});

function assertPublicOnly(keys: readonly object[], alg: string): void {
  for (const jwk of keys) {
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) assert.ok(!Object.hasOwn(jwk, m), `${alg}: JWKS member ${m}`);
    const j = jwk as Record<string, unknown>;
    assert.equal(j.alg, alg);
    assert.equal(j.use, 'sig');
    assert.equal(typeof j.kid, 'string');
  }
}

// ---- foreign algorithms and tampering -------------------------------------------------

describe('ring keys that cannot be used', () => {
  test('a live ring key of another algorithm refuses start-up; rotate refuses to mix algorithms', async () => {
    const stores = new MemoryStores();
    const row = await rotateKey({ keys: stores.keys, algorithm: 'RS256', secretKey: SECRET });
    await configError({ stores, jwt: { algorithm: 'ES256' } }, new RegExp(`"${row.kid}" is for RS256 but jwt\\.algorithm is ES256; retire it`));
    await configError({ stores }, /is for RS256 but jwt\.algorithm is HS256/);
    await assert.rejects(rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET }), (e: unknown) => e instanceof KeyRingError && /retire the RS256 keys first/.test(e.message));
    await retireKey({ keys: stores.keys, kid: row.kid, force: true });
    await keysFor({ stores, jwt: { algorithm: 'ES256', signingKey: pem(EC_PAIRS.ES256.privateKey) } });
  });

  test('a key of another algorithm written while running is ignored (warned); signing then fails loudly instead of switching keys', async () => {
    const stores = new MemoryStores();
    const warnings: string[] = [];
    const keys = await keysFor({ stores, warnings });
    const staticToken = sign(CLAIMS, await keys.signer());
    const foreign = await rotateKey({ keys: stores.keys, algorithm: 'ES256', secretKey: SECRET }); // e.g. a CLI with another config
    assert.equal((await keys.verify(staticToken)).payload.jti, 'j1');
    await assert.rejects(async () => keys.signer(), (e: unknown) => e instanceof JwtKeyConfigError && /active key of the key ring cannot be used/.test(e.message));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, new RegExp(`"${foreign.kid}" is ignored`));
  });

  test('encrypted at rest (L group, issue #3): the SQLite file holds neither the secret nor the private key; a wrong secretKey is a clear error', async () => {
    const db = join(dir, 'rest.sqlite3');
    const stores = SqliteStores.open(db);
    const hs = await rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET });
    const hsKey = await (await keysFor({ stores })).signer();
    assert.equal(hsKey.kid, hs.kid);
    await retireKey({ keys: stores.keys, kid: hs.kid, force: true });
    const rs = await rotateKey({ keys: stores.keys, algorithm: 'RS256', secretKey: SECRET });
    const rsKey = await (await keysFor({ stores, jwt: { algorithm: 'RS256' } })).signer();
    assert.equal(rsKey.kid, rs.kid);

    const secret = hsKey.key.export();
    const der = rsKey.key.export({ format: 'der', type: 'pkcs8' });
    const privatePem = rsKey.key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const d = (rsKey.key.export({ format: 'jwk' }) as { d: string }).d;
    const needles: Array<[string, Buffer]> = [
      ['raw secret', secret],
      ['secret hex', Buffer.from(secret.toString('hex'))],
      ['secret base64', Buffer.from(secret.toString('base64'))],
      ['secret base64url', Buffer.from(secret.toString('base64url'))],
      ['pkcs8 der', der],
      ['pem', Buffer.from('PRIVATE KEY')],
      ['pem body', Buffer.from((privatePem.split('\n')[1] as string))],
      ['jwk d', Buffer.from(d.slice(0, 40))],
      ['server secret', Buffer.from(SECRET)],
    ];
    for (const row of await stores.keys.listKeys()) {
      assert.match(row.encryptedKey, /^gh1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      for (const [what, bytes] of needles) assert.ok(!Buffer.from(row.encryptedKey).includes(bytes), `encryptedKey contains the ${what}`);
    }
    const files = readdirSync(dir).filter((f) => f.startsWith('rest.sqlite3'));
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      for (const [what, needle] of needles) assert.ok(!bytes.includes(needle), `${f} contains the ${what}`);
    }

    const otherSecret = 'another-server-secret-0123456789abcdefghijklmn';
    await configError({ stores, secretKey: otherSecret, jwt: { algorithm: 'RS256' } }, new RegExp(CANNOT_DECRYPT.replace(/[?.]/g, '\\$&')));
    await assert.rejects(rotateKey({ keys: stores.keys, algorithm: 'RS256', secretKey: otherSecret }), (e: unknown) => e instanceof JwtKeyConfigError && e.message === CANNOT_DECRYPT);
    await stores.close();
  });

  test('a ciphertext moved to another row (or another kid) does not decrypt: rows cannot be forged or swapped', async () => {
    const stores = new MemoryStores();
    const a = await rotateKey({ keys: stores.keys, algorithm: 'HS256', secretKey: SECRET });
    await stores.keys.insertKey({ ...a, kid: 'forged-kid-0000000000', status: 'verify' });
    await configError({ stores }, /cannot decrypt the key ring/);
    const plain = new MemoryStores();
    await plain.keys.insertKey({ ...a, encryptedKey: 'plaintext-secret-in-the-database-0123456789' });
    await configError({ stores: plain }, /not in a known format/);
  });
});

// ---- two connections on one SQLite file -----------------------------------------------

describe('SQLite: changes made by another connection (the CLI)', () => {
  test('a key rotated in one connection verifies in another after the change signal moves; retirement is refused there too', async () => {
    const db = join(dir, 'shared.sqlite3');
    const cli = SqliteStores.open(db);
    const server = SqliteStores.open(db);
    try {
      const keys = await keysFor({ stores: server, jwt: { algorithm: 'EdDSA', signingKey: pem(ED_PAIR.privateKey) } });
      assert.equal((await keys.signer()).kid, undefined);
      const row = await rotateKey({ keys: cli.keys, algorithm: 'EdDSA', secretKey: SECRET });
      const cliKeys = await keysFor({ stores: cli, jwt: { algorithm: 'EdDSA' } });
      const token = sign(CLAIMS, await cliKeys.signer());
      await wait(5); // data_version is re-read at most once per millisecond
      assert.equal((await keys.verify(token)).key.kid, row.kid);
      assert.equal((await keys.signer()).kid, row.kid, 'the server now signs with the new key');
      assert.ok((await keys.jwks()).keys.some((k) => k.kid === row.kid));

      await rotateKey({ keys: cli.keys, algorithm: 'EdDSA', secretKey: SECRET });
      await retireKey({ keys: cli.keys, kid: row.kid });
      await wait(5);
      await refused(() => keys.verify(token), 'unknown_kid');
      assert.ok(!(await keys.jwks()).keys.some((k) => k.kid === row.kid), 'retired keys are not published');
    } finally {
      await cli.close();
      await server.close();
    }
  });
});

// ---- JWKS ------------------------------------------------------------------------------------

describe('JWKS document and endpoint', () => {
  test('HMAC keys are never published: {"keys": []}', async () => {
    const stores = new MemoryStores();
    await rotateKey({ keys: stores.keys, algorithm: 'HS512', secretKey: SECRET });
    const keys = await keysFor({ stores, jwt: { algorithm: 'HS512', signingKey: randomBytes(64).toString('base64url') } });
    assert.deepEqual(await keys.jwks(), { keys: [] });
  });

  test('the static public key is published under its RFC 7638 thumbprint, ring keys by kid, never private members', async () => {
    const stores = new MemoryStores();
    const keys = await keysFor({ stores, jwt: { algorithm: 'PS256', signingKey: pem(RSA_PAIR.privateKey) } });
    const row = await rotateKey({ keys: stores.keys, algorithm: 'PS256', secretKey: SECRET });
    const jwks = await keys.jwks();
    assert.equal(jwks.keys.length, 2);
    assertPublicOnly(jwks.keys, 'PS256');
    const [staticJwk, ringJwk] = jwks.keys;
    assert.equal(staticJwk?.kid, await calculateJwkThumbprint(RSA_PAIR.publicKey.export({ format: 'jwk' }) as JWK));
    assert.equal(ringJwk?.kid, row.kid);
    assert.deepEqual(Object.keys(staticJwk ?? {}), ['kty', 'kid', 'use', 'alg', 'n', 'e']);
  });

  test('GET /.well-known/jwks.json answers 200 with the set, cacheable, without authentication', async () => {
    const stores = new MemoryStores();
    await rotateKey({ keys: stores.keys, algorithm: 'ES384', secretKey: SECRET });
    const keys = await keysFor({ stores, jwt: { algorithm: 'ES384' } });
    const engine = new Engine(jwksRoutes(keys), { maxBodySize: 1024 });
    const req = { method: 'GET', path: '/.well-known/jwks.json', headers: {}, cookies: {}, remoteAddress: '127.0.0.1' };
    const res = await engine.handle(req, async () => Buffer.alloc(0));
    assert.equal(res.status, 200);
    assert.equal(res.headers['Cache-Control'], 'public, max-age=300');
    assert.deepEqual(res.body, await keys.jwks());
    const text = JSON.stringify(res.body);
    for (const m of ['"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"k"']) assert.ok(!text.includes(m));
    const post = await engine.handle({ ...req, method: 'POST' }, async () => Buffer.alloc(0));
    assert.equal(post.status, 405);
  });
});
