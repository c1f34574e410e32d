/**
 * JWS verification micro-benchmark: Gatehouse vs fast-jwt vs jose vs jsonwebtoken (a
 * devDependency, for this comparison only) vs the "raw limit" — the bare minimum an HS256 check needs on
 * node:crypto (createHmac + timingSafeEqual + base64url decode + JSON.parse of the
 * payload, no validation at all).
 *
 *     node --import tsx bench/verify.ts            # ~25 s
 *
 * The machine is shared and noisy, so contenders are interleaved: ROUNDS rounds, each
 * running every contender for SLICE_MS, and the median per contender is reported.
 * The acceptance target is Gatehouse HS256 ≥ 0.95 × the raw limit in the same run.
 * This is a micro-benchmark of one function; end-to-end numbers come from bench/http.ts.
 */
import { createHmac, createSecretKey, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { importKey, sign, verify, type JwsAlgorithm } from '../src/jwt/jws/index.js';

const ROUNDS = 7;
const SLICE_MS = 220;
const CLAIMS = { token_type: 'access', exp: 4102444800, iat: 1700000000, jti: '6aaba59f79da4ae08fbf6463585d81a1', user_id: '1' };

type Contender = { name: string; run: (token: string) => unknown; async?: boolean };

async function slice(c: Contender, token: string): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let now = t0;
  if (c.async === true) {
    while (now - t0 < SLICE_MS) {
      for (let i = 0; i < 50; i++) await c.run(token);
      n += 50;
      now = performance.now();
    }
  } else {
    while (now - t0 < SLICE_MS) {
      for (let i = 0; i < 200; i++) c.run(token);
      n += 200;
      now = performance.now();
    }
  }
  return (n * 1000) / (now - t0);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};

async function compare(title: string, token: string, contenders: Contender[], reference: string): Promise<Map<string, number>> {
  for (const c of contenders) {
    const out = (await c.run(token)) as unknown;
    const jti = JSON.stringify(out).includes(CLAIMS.jti);
    if (!jti) throw new Error(`${c.name} did not verify the ${title} token`);
    await slice(c, token); // warm-up
  }
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of contenders) samples.get(c.name)?.push(await slice(c, token));
  }
  const result = new Map<string, number>([...samples].map(([k, v]) => [k, median(v)]));
  const ref = result.get(reference) as number;
  console.log(`\n${title}  (median of ${ROUNDS} interleaved ${SLICE_MS} ms slices; ratio vs ${reference})`);
  for (const c of contenders) {
    const ops = result.get(c.name) as number;
    console.log(`  ${c.name.padEnd(34)} ${Math.round(ops).toLocaleString('en-US').padStart(9)} ops/s   ${(ops / ref).toFixed(2)}×`);
  }
  return result;
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);

  // ---- HS256 ----
  const secret = randomBytes(64);
  const secretKeyObject = createSecretKey(secret);
  const hs = importKey({ alg: 'HS256', secret });
  const hsToken = sign(CLAIMS, hs);
  const fastHs = createVerifier({ key: secret, algorithms: ['HS256'], cache: false });
  const raw: Contender = {
    name: 'raw limit (node:crypto, no checks)',
    run: (t) => {
      const a = t.indexOf('.');
      const b = t.indexOf('.', a + 1);
      const mac = createHmac('sha256', secretKeyObject).update(t.slice(0, b)).digest();
      const sig = Buffer.from(t.slice(b + 1), 'base64url');
      if (sig.length !== mac.length || !timingSafeEqual(mac, sig)) throw new Error('bad signature');
      return JSON.parse(Buffer.from(t.slice(a + 1, b), 'base64url').toString('utf8')) as unknown;
    },
  };
  const hsContenders: Contender[] = [
    raw,
    { name: 'gatehouse verify()', run: (t) => verify(t, hs).payload },
    { name: 'fast-jwt createVerifier', run: (t) => fastHs(t) as unknown },
    { name: 'jose jwtVerify (KeyObject)', run: (t) => jwtVerify(t, secretKeyObject, { algorithms: ['HS256'] }), async: true },
    { name: 'jose jwtVerify (Uint8Array)', run: (t) => jwtVerify(t, new Uint8Array(secret), { algorithms: ['HS256'] }), async: true },
  ];
  hsContenders.push({ name: 'jsonwebtoken verify', run: (t) => jsonwebtoken.verify(t, secret, { algorithms: ['HS256'] }) });
  const hsResult = await compare('HS256', hsToken, hsContenders, raw.name);
  const ratio = (hsResult.get('gatehouse verify()') as number) / (hsResult.get(raw.name) as number);
  console.log(`  target gatehouse ≥ 0.95 × raw limit: ${ratio >= 0.95 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}×)`);

  // ---- ES256, RS256 ----
  for (const alg of ['ES256', 'RS256'] as const satisfies readonly JwsAlgorithm[]) {
    const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signer = importKey({ alg, keyObject: pair.privateKey });
    const verifier = importKey({ alg, keyObject: pair.publicKey });
    const token = sign(CLAIMS, signer);
    // fast-jwt only takes PEM strings (hence its key-confusion history); bench only.
    const fast = createVerifier({ key: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string, algorithms: [alg], cache: false });
    await compare(alg, token, [
      { name: 'gatehouse verify()', run: (t) => verify(t, verifier).payload },
      { name: 'fast-jwt createVerifier (PEM)', run: (t) => fast(t) as unknown },
      { name: 'jose jwtVerify (KeyObject)', run: (t) => jwtVerify(t, pair.publicKey, { algorithms: [alg] }), async: true },
    ], 'gatehouse verify()');
  }
}

await main();
