/**
 * What the documentation walkthroughs (README.md, docs/accounts.md) are run with: a real
 * `gatehouse serve` in a fresh working directory, the CLI as a real process, and `curl`
 * lines interpreted with curl's meaning of `-d`, `-u`, `-X`, `-H` and `-i` (sent through
 * node:http). A walkthrough is a ```sh block: each command line is run, and the `# …` lines
 * under it must be what it printed (`…`: anything).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, type TestResponse } from '../helpers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/run.ts');
const TSX = import.meta.resolve('tsx');

/** The environment without any `GATEHOUSE_*` variable of the developer's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

/** Run `gatehouse ARGS` in `cwd` with `input` on standard input. */
export function gatehouse(cwd: string, args: string[], input = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: cleanEnv() });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

export interface Served {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to standard output so far (the console e-mail backend's messages). */
  stdout(): string;
  stop(): void;
}

/** `npx gatehouse serve` in `cwd` with every default but the port (a free one instead of 8000). */
export function serve(cwd: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve', '--port', '0'], { cwd, env: cleanEnv() });
    let out = '';
    let all = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      onData(d);
    });
    const onData = (d: Buffer) => {
      all += d.toString();
      const m = /"url":"(http:[^"]+)"/.exec(all);
      if (m) resolve({ url: m[1]!, child, stdout: () => out, stop: () => void child.kill() });
    };
    child.stderr.on('data', onData);
    child.on('exit', () => reject(new Error(`server exited:\n${all}`)));
  });
}

/** The first ```sh block after `heading` in `file` (relative to the repository), as lines. */
export function shBlock(file: string, heading: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `${file}: no "${heading}"`);
  const from = text.indexOf('```sh\n', at);
  const to = text.indexOf('```\n', from + 6);
  return text.slice(from + 6, to).split('\n');
}

/** The first ```json block after `heading` in `file`, parsed. */
export function jsonBlock(file: string, heading: string): unknown {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `${file}: no "${heading}"`);
  const from = text.indexOf('```json\n', at);
  const to = text.indexOf('```\n', from + 8);
  return JSON.parse(text.slice(from + 8, to));
}

/** Shell words of a line, `$VAR`s expanded, up to an unquoted ` #` comment. */
export function words(line: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(#.*)|(\S+))/g;
  for (let m = re.exec(line); m && m[0].trim() !== ''; m = re.exec(line)) {
    if (m[3] !== undefined) break;
    const raw = m[2] ?? m[1] ?? m[4] ?? '';
    out.push(m[2] !== undefined ? raw : raw.replace(/\$([A-Z_]+)/g, (_, v: string) => vars[v] ?? assert.fail(`$${v} is not set`)));
  }
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

/**
 * What curl would print for these arguments against the server at `url` (`-i`: status line
 * and headers first). `-d` sends a form unless a `Content-Type` is given with `-H`, as curl.
 */
export async function curl(url: string, args: string[]): Promise<string[]> {
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
  const typed = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  const options =
    data.length > 0 ? { headers: typed ? headers : { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: data.join('&') } : { headers };
  const res: TestResponse = await send(url, method ?? (data.length > 0 ? 'POST' : 'GET'), path, options);
  const lines: string[] = [];
  if (include) {
    lines.push(`HTTP/1.1 ${res.status} ${STATUS_TEXT[res.status] ?? ''}`);
    for (const [name, value] of Object.entries(res.headers)) lines.push(`${name}: ${String(value)}`);
  }
  if (res.text !== '') lines.push(res.text);
  return lines;
}

/** Does one printed line match an expected `# …` line (`…` = anything; header names case-insensitive)? */
export function matches(expected: string, actual: readonly string[]): boolean {
  const pattern = new RegExp(`^${expected.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, /^[A-Za-z-]+: /.test(expected) ? 'i' : '');
  return actual.some((line) => pattern.test(line));
}

export interface WalkOptions {
  url: string;
  cwd: string;
  /** The value of `NAME=…` (what the reader pastes), given what the previous command printed. */
  assign(name: string, printed: readonly string[]): string | Promise<string>;
  vars?: Record<string, string>;
}

/**
 * Run a walkthrough block: each command in order, its `# …` lines checked against what it
 * printed. A `# …` line right after a blank line introduces the next commands and is not
 * checked. Returns the number of commands run.
 */
export async function walk(lines: readonly string[], options: WalkOptions): Promise<number> {
  const vars = options.vars ?? {};
  let printed: string[] = [];
  let command = '';
  let steps = 0;
  for (const line of lines) {
    if (line.trim() === '') {
      command = '';
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
    const assignments = [...line.matchAll(/(?:^|\s)([A-Z_]+)=…/g)];
    if (assignments.length > 0 && /^[A-Z_]+=…/.test(line)) {
      for (const a of assignments) vars[a[1]!] = await options.assign(a[1]!, printed);
      printed = [];
      continue;
    }
    const pipe = /^printf '([^']*)' \| npx gatehouse (.*)$/.exec(line);
    if (pipe) {
      const result = await gatehouse(options.cwd, words(pipe[2]!, vars), pipe[1]!);
      assert.equal(result.code, 0, `${line}\n${result.output}`);
      printed = result.output.split('\n').filter((l) => l !== '');
      continue;
    }
    const argv = words(line, vars);
    assert.equal(argv[0], 'curl', `a line this test does not interpret: ${line}`);
    printed = await curl(options.url, argv.slice(1));
  }
  return steps;
}
