/**
 * Remote JWKS (`jwt.jwkUrl`, src/jwt/keyring/remote.ts) against a loopback server the
 * test controls: happy path, unknown kid → one refetch then cool-down, timeout,
 * oversized / non-JSON / error responses, keys unusable for the pinned algorithm,
 * stale-while-failing until the TTL then fail closed, and header-supplied key URLs
 * never fetched (docs/security.md #9).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../src/core/clock.js';
import { parseSettings } from '../../src/core/settings.js';
import { importKey, JwsError, publicJwk, sign, type VerifiedJws } from '../../src/jwt/jws/index.js';
import { createJwtKeys, type JwtKeys } from '../../src/jwt/keyring/index.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { EC_PAIRS, RSA_PAIR } from './_keys.js';

const SECRET = 'remote-jwks-test-server-secret-0123456789abcdef';
const CLAIMS = { token_type: 'access', exp: 4102444800, jti: 'j1', user_id: '7' };
const RSA2 = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = () => {};
let requests = 0;
let server: Server;
let url = '';

before(async () => {
  server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests = 0;
  handler = serveJson({ keys: [jwk(RSA_PAIR.publicKey, 'k1')] });
});

function jwk(key: KeyObject, kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...key.export({ format: 'jwk' }), kid, use: 'sig', ...extra };
}
function serveJson(doc: unknown): Handler {
  return (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(doc));
  };
}
const token = (key: KeyObject, kid: string | undefined, alg: 'RS256' | 'ES256' = 'RS256') =>
  sign(CLAIMS, importKey(kid === undefined ? { alg, keyObject: key } : { alg, kid, keyObject: key }));

interface Remote {
  keys: JwtKeys;
  clock: FakeClock;
  warnings: string[];
}

async function remote(jwt: Record<string, unknown> = {}): Promise<Remote> {
  const clock = new FakeClock();
  const warnings: string[] = [];
  const settings = parseSettings({ jwt: { algorithm: 'RS256', jwkUrl: url, jwkCacheTtl: 60, jwkCooldown: 10, jwkTimeout: 0.3, ...jwt } }).jwt;
  const keys = await createJwtKeys({ settings, secretKey: SECRET, stores: new MemoryStores(), clock, onWarning: (m) => warnings.push(m) });
  return { keys, clock, warnings };
}

async function refused(result: () => VerifiedJws | Promise<VerifiedJws>, reason?: string): Promise<void> {
  await assert.rejects(async () => result(), (e: unknown) => {
    assert.ok(e instanceof JwsError, `expected JwsError, got ${String(e)}`);
    if (reason !== undefined) assert.equal(e.reason, reason);
    return true;
  });
}

describe('remote JWKS', () => {
  test('happy path: fetched lazily once, then verification is synchronous from the cache', async () => {
    const { keys } = await remote();
    assert.equal(requests, 0, 'no fetch at start-up');
    const t = token(RSA_PAIR.privateKey, 'k1');
    const first = keys.verify(t);
    assert.ok(first instanceof Promise);
    assert.equal((await first).payload.user_id, '7');
    const second = keys.verify(t);
    assert.ok(!(second instanceof Promise), 'cached set: synchronous');
    assert.equal(second.key.kid, 'k1');
    assert.equal(requests, 1);
  });

  test('tokens without kid, signed by another key, or with another alg are refused', async () => {
    const { keys } = await remote();
    await keys.verify(token(RSA_PAIR.privateKey, 'k1'));
    await refused(() => keys.verify(token(RSA_PAIR.privateKey, undefined)), 'unknown_kid');
    await refused(() => keys.verify(token(RSA2.privateKey, 'k1')), 'bad_signature');
    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'PS256', kid: 'k1', keyObject: RSA_PAIR.privateKey }))), 'alg_mismatch');
    assert.equal(requests, 1);
  });

  test('unknown kid: one refetch, then no fetch during the cool-down; after it, a new key is found', async () => {
    const { keys, clock } = await remote();
    await keys.verify(token(RSA_PAIR.privateKey, 'k1'));
    const t2 = token(RSA2.privateKey, 'k2');
    await refused(() => keys.verify(t2), 'unknown_kid');
    assert.equal(requests, 2, 'the unknown kid triggered one refetch');
    for (let i = 0; i < 5; i++) await refused(() => keys.verify(token(RSA2.privateKey, `other-${i}`)), 'unknown_kid');
    assert.equal(requests, 2, 'no fetch during the cool-down');
    handler = serveJson({ keys: [jwk(RSA_PAIR.publicKey, 'k1'), jwk(RSA2.publicKey, 'k2')] });
    clock.advance(9_999);
    await refused(() => keys.verify(t2), 'unknown_kid');
    assert.equal(requests, 2);
    clock.advance(1);
    assert.equal((await keys.verify(t2)).key.kid, 'k2');
    assert.equal(requests, 3);
    assert.ok(!(keys.verify(t2) instanceof Promise));
  });

  test('a fetch that times out fails closed', async () => {
    const hanging: ServerResponse[] = [];
    handler = (_req, res) => void hanging.push(res);
    const { keys, warnings } = await remote();
    const started = performance.now();
    await refused(() => keys.verify(token(RSA_PAIR.privateKey, 'k1')), 'unknown_kid');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3000, `timed out after ${elapsed} ms`);
    assert.match(warnings[0] ?? '', /timed out/);
    for (const res of hanging) res.destroy();
  });

  test('oversized (declared or streamed), non-JSON, non-JWKS and non-200 responses are failed fetches', async () => {
    const big = JSON.stringify({ keys: [jwk(RSA_PAIR.publicKey, 'k1')], padding: 'x'.repeat(70_000) });
    const cases: Array<[string, Handler, RegExp]> = [
      ['declared size', serveJson(JSON.parse(big)), /larger than 65536 bytes/],
      [
        'streamed size',
        (_req, res) => {
          res.setHeader('Content-Type', 'application/json');
          for (let i = 0; i < big.length; i += 8192) res.write(big.slice(i, i + 8192));
          res.end();
        },
        /larger than 65536 bytes/,
      ],
      ['not JSON', (_req, res) => res.end('<html>hello</html>'), /not JSON/],
      ['not a JWK set', serveJson([jwk(RSA_PAIR.publicKey, 'k1')]), /not a JWK set/],
      ['HTTP 500', (_req, res) => { res.statusCode = 500; res.end(JSON.stringify({ keys: [jwk(RSA_PAIR.publicKey, 'k1')] })); }, /HTTP status 500/],
      ['redirect loop', (_req, res) => { res.statusCode = 302; res.setHeader('Location', url); res.end(); }, /redirect/],
    ];
    for (const [name, h, pattern] of cases) {
      handler = h;
      // A generous timeout: these cases fail on content, never on time (a loaded machine must not turn them into timeouts).
      const { keys, warnings } = await remote({ jwkTimeout: 10 });
      await refused(() => keys.verify(token(RSA_PAIR.privateKey, 'k1')), 'unknown_kid');
      assert.equal(warnings.length, 1, name);
      assert.match(warnings[0] as string, pattern, name);
      assert.ok(!(warnings[0] as string).includes('hello') && !(warnings[0] as string).includes('xxxx'), `${name}: the body is not logged`);
    }
  });

  test('only keys usable for the pinned algorithm are kept', async () => {
    const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { kid: _drop, ...noKid } = jwk(RSA2.publicKey, 'x');
    handler = serveJson({
      keys: [
        jwk(RSA_PAIR.publicKey, 'good', { alg: 'RS256' }),
        jwk(RSA2.publicKey, 'ps', { alg: 'PS256' }),
        jwk(RSA2.publicKey, 'enc', { use: 'enc' }),
        jwk(RSA2.publicKey, 'ops', { key_ops: ['encrypt'] }),
        jwk(EC_PAIRS.ES256.publicKey, 'ec'),
        jwk(smallRsa.publicKey, 'small'),
        jwk(RSA2.privateKey, 'private'),
        { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url'), kid: 'hs' },
        { ...noKid },
        jwk(RSA2.publicKey, 'dup'),
        jwk(RSA_PAIR.publicKey, 'dup'),
        'not an object',
        null,
      ],
    });
    const { keys, clock } = await remote();
    assert.equal((await keys.verify(token(RSA_PAIR.privateKey, 'good'))).key.kid, 'good');
    for (const [key, kid] of [[RSA2.privateKey, 'ps'], [RSA2.privateKey, 'enc'], [RSA2.privateKey, 'ops'], [smallRsa.privateKey, 'small'], [RSA2.privateKey, 'private'], [RSA2.privateKey, 'dup'], [RSA_PAIR.privateKey, 'dup']] as const) {
      clock.advance(10_000); // past the cool-down, so each unknown kid may refetch
      await refused(() => keys.verify(forge({ alg: 'RS256', kid, typ: 'JWT' }, key)), 'unknown_kid');
    }
    await refused(() => keys.verify(token(EC_PAIRS.ES256.privateKey, 'ec', 'ES256')), 'unknown_kid');
    await refused(() => keys.verify(sign(CLAIMS, importKey({ alg: 'HS256', kid: 'hs', secret: Buffer.alloc(32, 7) }))));
  });

  test('a document without any usable key is a failed fetch (the last good set stays)', async () => {
    const { keys, clock, warnings } = await remote();
    const t = token(RSA_PAIR.privateKey, 'k1');
    await keys.verify(t);
    handler = serveJson({ keys: [jwk(EC_PAIRS.ES256.publicKey, 'ec')] });
    clock.advance(10_000);
    await refused(() => keys.verify(token(RSA2.privateKey, 'k2')), 'unknown_kid');
    assert.equal(requests, 2);
    assert.match(warnings[0] ?? '', /no key usable for RS256/);
    assert.equal((await keys.verify(t)).key.kid, 'k1');
  });

  test('server down after a good fetch: the cached set serves until its TTL, then fail closed; recovery after the cool-down', async () => {
    const { keys, clock, warnings } = await remote();
    const t = token(RSA_PAIR.privateKey, 'k1');
    await keys.verify(t);
    handler = (req) => req.socket.destroy();
    clock.advance(40_000); // past half the TTL: a background refresh starts and fails
    const r = keys.verify(t);
    assert.ok(!(r instanceof Promise), 'still synchronous from the cached set');
    await waitFor(() => warnings.length === 1);
    assert.match(warnings[0] as string, /last good set is used until it expires/);
    assert.equal(requests, 2);
    clock.advance(5_000);
    assert.ok(!(keys.verify(t) instanceof Promise), 'no new attempt during the cool-down after a failure');
    assert.equal(requests, 2);
    clock.advance(15_001); // 60 s after the fetch: expired
    await refused(() => keys.verify(t), 'unknown_kid');
    assert.equal(requests, 3);
    await refused(() => keys.verify(t), 'unknown_kid');
    assert.equal(requests, 3, 'failures are not retried before the cool-down');
    handler = serveJson({ keys: [jwk(RSA_PAIR.publicKey, 'k1')] });
    clock.advance(10_000);
    assert.equal((await keys.verify(t)).key.kid, 'k1');
    assert.equal(requests, 4);
  });

  test('concurrent verifications share one fetch', async () => {
    const { keys } = await remote();
    const t = token(RSA_PAIR.privateKey, 'k1');
    const results = await Promise.all(Array.from({ length: 20 }, () => keys.verify(t)));
    assert.equal(results.length, 20);
    assert.equal(requests, 1);
  });

  test('C9 a token header naming jku / x5u / jwk is refused without any fetch of that URL', async () => {
    const { keys } = await remote();
    await keys.verify(token(RSA_PAIR.privateKey, 'k1'));
    const before = requests;
    for (const extra of [{ jku: url }, { x5u: url }, { jwk: publicJwk(importKey({ alg: 'RS256', keyObject: RSA_PAIR.publicKey })) }]) {
      const forged = forge({ alg: 'RS256', kid: 'k1', typ: 'JWT', ...extra });
      await refused(() => keys.verify(forged), 'unsupported');
    }
    assert.equal(requests, before);
  });

  test('with jwkUrl, signing still uses the static signing key (kid-less); that token is only accepted by kid', async () => {
    const { keys } = await remote({ signingKey: RSA_PAIR.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
    const signer = await keys.signer();
    assert.equal(signer.kid, undefined);
    await refused(() => keys.verify(sign(CLAIMS, signer)), 'unknown_kid');
    assert.equal(requests, 1);
  });
});

/** A token whose header carries parameters `sign` refuses to write, signed by hand. */
function forge(header: Record<string, unknown>, key: KeyObject = RSA_PAIR.privateKey): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(CLAIMS)).toString('base64url');
  const s = createSign('RSA-SHA256').update(`${h}.${p}`).sign(key).toString('base64url');
  return `${h}.${p}.${s}`;
}

async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
