/**
 * README.md's "Walkthrough with curl", run literally: every line of its first `sh` block is
 * executed in order against a real `gatehouse serve` (default settings, a fresh working
 * directory: the database and secret are created as a newcomer's would be) — `createuser`
 * through the CLI, each `curl` through node:http with curl's meaning of `-d`, `-u`, `-X`,
 * `-H` and `-i`, each `VAR=…` taken from the token the previous command printed — and the
 * `# …` lines under a command must be what it prints (`…`: anything). A README that shows
 * a challenge the server does not send, or uses a token it revoked the line before, fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, type TestResponse } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/run.ts');
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
let server: ChildProcess | undefined;
let url = '';

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

function gatehouse(args: string[], input = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: dir, env: cleanEnv() });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

before(async () => {
  // `npx gatehouse serve` with every default but the port (a free one instead of 8000).
  url = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve', '--port', '0'], { cwd: dir, env: cleanEnv() });
    server = child;
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
});

after(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The README block after `heading`. */
function block(heading: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('```sh\n', readme.indexOf(heading));
  const to = readme.indexOf('```\n', from + 6);
  return readme.slice(from + 6, to).split('\n');
}

/** Shell words of a line, `$VAR`s expanded, up to an unquoted ` #` comment. */
function words(line: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(#.*)|(\S+))/g;
  for (let m = re.exec(line); m && m[0].trim() !== ''; m = re.exec(line)) {
    if (m[3] !== undefined) break;
    const raw = m[2] ?? m[1] ?? m[4] ?? '';
    out.push(m[2] !== undefined ? raw : raw.replace(/\$([A-Z_]+)/g, (_, v: string) => vars[v] ?? assert.fail(`$${v} is not set`)));
  }
  return out;
}

/** What curl would print for these arguments (`-i`: status line and headers first). */
async function curl(args: string[]): Promise<string[]> {
  let method: string | undefined;
  let include = false;
  const headers: Record<string, string> = {};
  const data: string[] = [];
  let target = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-X') method = args[++i];
    else if (a === '-i') include = true;
    else if (a === '-d') data.push(args[++i]!);
    else if (a === '-u') headers.Authorization = `Basic ${Buffer.from(args[++i]!).toString('base64')}`;
    else if (a === '-H') {
      const h = args[++i]!;
      headers[h.slice(0, h.indexOf(':'))] = h.slice(h.indexOf(':') + 1).trim();
    } else if (a.startsWith('-')) assert.fail(`curl option ${a} is not interpreted by this test`);
    else target = a;
  }
  assert.match(target, /^localhost:8000\//);
  const path = target.slice('localhost:8000'.length);
  const options = data.length > 0 ? { headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: data.join('&') } : { headers };
  const res: TestResponse = await send(url, method ?? (data.length > 0 ? 'POST' : 'GET'), path, options);
  const lines: string[] = [];
  if (include) {
    lines.push(`HTTP/1.1 ${res.status} ${STATUS_TEXT[res.status] ?? ''}`);
    for (const [name, value] of Object.entries(res.headers)) lines.push(`${name}: ${String(value)}`);
  }
  if (res.text !== '') lines.push(res.text);
  return lines;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 204: 'No Content', 401: 'Unauthorized' };

/** Does one printed line match an expected `# …` line (`…` = anything; header names case-insensitive)? */
function matches(expected: string, actual: readonly string[]): boolean {
  const pattern = new RegExp(`^${expected.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, /^[A-Za-z-]+: /.test(expected) ? 'i' : '');
  return actual.some((line) => pattern.test(line));
}

test("README's curl walkthrough does what it shows, against a real `gatehouse serve` with the defaults", async () => {
  const lines = block('## Walkthrough with curl');
  const vars: Record<string, string> = {};
  let printed: string[] = [];
  let command = '';
  let steps = 0;
  for (const line of lines) {
    if (line.trim() === '') {
      command = ''; // after a blank line, `# …` introduces the next commands
      continue;
    }
    if (line.startsWith('# ')) {
      if (command === '') continue;
      const expected = line.slice(2);
      assert.ok(matches(expected, printed), `${command}\n  expected: ${expected}\n  printed:\n    ${printed.join('\n    ')}`);
      continue;
    }
    command = line;
    steps++;
    const assignment = /^([A-Z_]+)=…/.exec(line);
    if (assignment) {
      const token = /"token":"([0-9a-f]{64})"/.exec(printed.join('\n'))?.[1];
      assert.ok(token, `${line}: the previous command printed no token`);
      vars[assignment[1]!] = token;
      printed = [];
      continue;
    }
    const pipe = /^printf '([^']*)' \| npx gatehouse (.*)$/.exec(line);
    if (pipe) {
      const result = await gatehouse(words(pipe[2]!, vars), pipe[1]!);
      assert.equal(result.code, 0, `${line}\n${result.output}`);
      printed = result.output.split('\n').filter((l) => l !== '');
      continue;
    }
    const argv = words(line, vars);
    assert.equal(argv[0], 'curl', `a line this test does not interpret: ${line}`);
    printed = await curl(argv.slice(1));
  }
  assert.ok(steps >= 12, `only ${steps} commands found`);
});
