/**
 * Input parsers under their worst inputs: is each one linear?
 *
 *     npm run bench:parsers                     # ~20 s
 *     npm run bench:parsers -- trim cookies     # only cases whose name contains a word
 *
 * Every parser that sees client input (request fields, bodies, headers, cookies,
 * usernames, tokens) is fed the inputs most likely to make it backtrack or re-scan
 * (long whitespace runs, `"a" + " ".repeat(n) + "a"`, combining-mark runs, deep JSON,
 * many cookies, many `=`, many commas, …) at 1, 4, 16 and 64 KiB. It prints the cost
 * in µs per KiB of input at each size and the 64 KiB / 1 KiB ratio: about 1 for a
 * linear parser (less when a length cap refuses large inputs early), about 64 for a
 * quadratic one. Inputs above a parser's cap show the cost of refusing them.
 *
 * A micro-benchmark on a shared machine: look at the ratios, not at the digits.
 */
import { parseBody } from '../src/http/body.js';
import { pyStrip, validateCharFields } from '../src/http/fields.js';
import { acceptsJson } from '../src/http/engine.js';
import { firstWordIs, parseCookies, splitWhitespace } from '../src/core/request.js';
import { parseDuration } from '../src/core/duration.js';
import { hostnameOf, normalizeOrigin } from '../src/cookies/origin.js';
import { pythonB64decode } from '../src/users/basic-authentication.js';
import { normalizeUsername as createUsername } from '../src/users/service.js';
import { normalizeUsername as throttleUsername } from '../src/throttle/login.js';
import { trustedProxyResolver } from '../src/throttle/client-address.js';
import { parseIp } from '../src/throttle/ip.js';
import { importKey, verify } from '../src/jwt/jws/index.js';
import type { RequestView } from '../src/core/request.js';

const SIZES_KIB = [1, 4, 16, 64];
/** Time spent per (case, size), and the cap on repetitions. */
const BUDGET_MS = 60;
const MAX_RUNS = 2000;

interface Case {
  name: string;
  /** Build an input of about `bytes` bytes. */
  input: (bytes: number) => string;
  run: (input: string) => unknown;
}

/** `unit` repeated to about `bytes` characters, between `head` and `tail`. */
const fill = (unit: string, bytes: number, head = '', tail = ''): string => head + unit.repeat(Math.max(1, Math.floor((bytes - head.length - tail.length) / unit.length))) + tail;

const view = (headers: Record<string, string>): RequestView => ({ method: 'GET', path: '/', headers, cookies: {}, remoteAddress: '10.0.0.1' });
const resolver = trustedProxyResolver(['10.0.0.0/8']);
const hsKey = importKey({ alg: 'HS256', secret: 'bench-parsers-secret-0123456789abcdef' });
const b64 = (text: string): string => Buffer.from(text).toString('base64url');
const swallow = (f: () => unknown): unknown => {
  try {
    return f();
  } catch (e) {
    return e;
  }
};
const body = (contentType: string) => (text: string) => parseBody(Buffer.from(text), contentType, ['json', 'form', 'multipart'], 1 << 20).catch((e: unknown) => e);

const CASES: Case[] = [
  // src/http/fields.ts
  { name: 'trim: "a" + spaces + "a"', input: (n) => fill(' ', n, 'a', 'a'), run: pyStrip },
  { name: 'trim: all whitespace', input: (n) => fill(' \t\u3000', n), run: pyStrip },
  { name: 'char field: "a" + spaces + "a"', input: (n) => fill(' ', n, 'a', 'a'), run: (s) => swallow(() => validateCharFields({ username: s }, [{ name: 'username' }])) },
  { name: 'char field: lone surrogates', input: (n) => fill('\udc00a', n), run: (s) => swallow(() => validateCharFields({ username: s }, [{ name: 'username' }])) },
  // src/http/body.ts
  { name: 'json: nested arrays', input: (n) => `{"a":${fill('[', n / 2)}${fill(']', n / 2)}}`, run: body('application/json') },
  { name: 'json: whitespace run', input: (n) => fill(' ', n, '{"a":', '1}'), run: body('application/json') },
  { name: 'form: many "="', input: (n) => fill('=', n, 'a'), run: body('application/x-www-form-urlencoded') },
  { name: 'form: many "&"', input: (n) => fill('&a=b', n), run: body('application/x-www-form-urlencoded') },
  { name: 'multipart: boundary-like lines', input: (n) => fill('\r\n--XX', n, '--XXXXX\r\ncontent-disposition: form-data; name="a"\r\n\r\n', '\r\n--XXXXX--\r\n'), run: body('multipart/form-data; boundary=XXXXX') },
  { name: 'content-type: whitespace run', input: (n) => fill(' ', n, 'application/json', ';'), run: (s) => parseBody(Buffer.from('{}'), s, ['json'], 1024).catch((e: unknown) => e) },
  // src/core/request.ts, src/users/basic-authentication.ts
  { name: 'authorization split: " a" runs', input: (n) => fill(' a', n, 'Token'), run: splitWhitespace },
  { name: 'authorization scheme: whitespace', input: (n) => fill(' ', n, '', 'Bearer'), run: (s) => firstWordIs(s, 'Bearer') },
  { name: 'cookies: many pairs', input: (n) => fill('a=b; ', n), run: parseCookies },
  { name: 'cookies: many "="', input: (n) => fill('=', n, 'a'), run: parseCookies },
  { name: 'cookies: whitespace + %', input: (n) => fill(' %', n, 'a=', ';'), run: parseCookies },
  { name: 'basic: many "="', input: (n) => fill('=', n, 'YQ'), run: pythonB64decode },
  { name: 'basic: junk between base64', input: (n) => fill('*a', n), run: pythonB64decode },
  // src/http/engine.ts (Accept), src/cookies/origin.ts (Host, Origin)
  { name: 'accept: whitespace q params', input: (n) => fill(' ', n, 'text/html;', 'q'), run: acceptsJson },
  { name: 'accept: many ranges', input: (n) => fill('a/b;q=0,', n), run: acceptsJson },
  { name: 'host header: no port digits', input: (n) => fill('a', n, '', ':x'), run: hostnameOf },
  { name: 'origin header: long host', input: (n) => fill('a', n, 'https://', '/'), run: normalizeOrigin },
  // usernames: creation (src/users/service.ts) and the login throttle (src/throttle/login.ts)
  { name: 'username create: combining marks', input: (n) => fill('\u0301\u0316', n, 'a'), run: (s) => swallow(() => createUsername(s)) },
  { name: 'username create: ligatures', input: (n) => fill('\ufb01', n), run: (s) => swallow(() => createUsername(s)) },
  { name: 'username throttle: combining marks', input: (n) => fill('\u0301\u0316', n, 'a'), run: throttleUsername },
  { name: 'username throttle: "a" + spaces + "a"', input: (n) => fill(' ', n, 'a', 'a'), run: throttleUsername },
  // src/core/duration.ts, src/throttle/client-address.ts, src/throttle/ip.ts
  { name: 'duration: digits', input: (n) => fill('1', n, '', 'x'), run: (s) => swallow(() => parseDuration(s)) },
  { name: 'x-forwarded-for: many commas', input: (n) => fill(',', n, '10.0.0.2'), run: (s) => resolver(view({ 'x-forwarded-for': s })) },
  { name: 'x-forwarded-for: trusted hops', input: (n) => fill('10.0.0.3, ', n), run: (s) => resolver(view({ 'x-forwarded-for': s })) },
  { name: 'x-forwarded-for: whitespace', input: (n) => fill(' ', n, '1.2.3.4,'), run: (s) => resolver(view({ 'x-forwarded-for': s })) },
  { name: 'ip: long text', input: (n) => fill('1:', n), run: parseIp },
  // src/jwt/jws/
  { name: 'jws: many dots', input: (n) => fill('a.', n), run: (s) => swallow(() => verify(s, hsKey)) },
  { name: 'jws: nested header JSON', input: (n) => `${b64(`{"alg":"HS256","x":${fill('[', n / 3)}${fill(']', n / 3)}}`)}.e30.AAAA`, run: (s) => swallow(() => verify(s, hsKey)) },
  { name: 'jws: header with many keys', input: (n) => `${b64(`{"alg":"HS256"${fill(',"a":{}', (n * 3) / 4)}}`)}.e30.AAAA`, run: (s) => swallow(() => verify(s, hsKey)) },
];

async function measure(c: Case, bytes: number): Promise<number> {
  const input = c.input(bytes);
  await c.run(input); // warm-up (and JIT)
  let runs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS && runs < MAX_RUNS) {
    await c.run(input);
    runs++;
    elapsed = performance.now() - t0;
  }
  const kib = Buffer.byteLength(input) / 1024;
  return (elapsed * 1000) / runs / kib;
}

const filters = process.argv.slice(2).map((f) => f.toLowerCase());
const selected = CASES.filter((c) => filters.length === 0 || filters.some((f) => c.name.toLowerCase().includes(f)));
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)).padStart(8);

console.log(`${pad('parser: worst input', 42)}${SIZES_KIB.map((k) => `${k} KiB`.padStart(8)).join('')}   64/1   (µs per KiB)`);
for (const c of selected) {
  const perKib: number[] = [];
  for (const kib of SIZES_KIB) perKib.push(await measure(c, kib * 1024));
  const ratio = (perKib[perKib.length - 1] as number) / (perKib[0] as number);
  const flag = ratio > 8 ? '  <- not linear' : '';
  console.log(`${pad(c.name, 42)}${perKib.map(num).join('')}${num(ratio)}${flag}`);
}
