/**
 * Runs a page's `curl` examples as a reader would: each ```sh block of a section, each
 * command (continuation lines joined) through `bash -c` with the real `curl`, in order,
 * against a real server. What the page shows a command answers — a `# …` comment at the
 * end of the command, or the `# …` lines right under it — must be what it answered:
 * `204` (a status), `{…}` (a body; the status then must be 2xx), or `201 {…}` (both);
 * `…` stands for anything. A command with nothing shown must answer 2xx.
 *
 * What a reader types in from elsewhere is filled in by the test, never by editing the
 * page: `https://api.example.com` and `http://localhost:8000` become the server's URL,
 * `VAR=value` lines set variables for the next commands, and a page's `examples` (values
 * the server generates, e.g. a token shown in an answer and pasted into the next command)
 * are wildcards in answers and replaced by the real value in commands; `fill` rewrites a
 * command before it runs (the uid and token of a mailed link, say).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './walkthrough.js';

/** One command and what the page shows it answers (joined `# …` text, or null). */
export interface DocCommand {
  text: string;
  expected: string | null;
}

/** The ```sh blocks of the section under `heading` (up to the next heading of its level or higher). */
export function sectionShBlocks(file: string, heading: string): string[][] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `${file}: no "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const blocks: string[][] = [];
  let block: string[] | null = null;
  let fenced = false;
  for (const line of text.slice(at + heading.length + 2).split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      if (fenced && line === '```sh') blocks.push((block = []));
      else block = null;
      continue;
    }
    if (!fenced && (/^#+ /.exec(line)?.[0].length ?? Infinity) <= level + 1) break;
    block?.push(line);
  }
  return blocks;
}

/** Where an unquoted ` #` comment starts in a shell line, or -1. */
function commentStart(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return i;
  }
  return -1;
}

/**
 * The commands of a block. A `# …` line right under a command (or under its answer lines)
 * belongs to its answer; one after a blank line describes what follows and is skipped.
 */
export function docCommands(lines: readonly string[]): DocCommand[] {
  const out: DocCommand[] = [];
  let current: DocCommand | null = null;
  let pending = '';
  for (const raw of lines) {
    if (raw.trim() === '') {
      current = null;
      continue;
    }
    if (pending === '' && raw.trimStart().startsWith('#')) {
      if (current) current.expected = (current.expected ?? '') + raw.trim().replace(/^#\s*/, '');
      continue;
    }
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    const line = pending + raw;
    pending = '';
    const hash = commentStart(line);
    current = { text: (hash < 0 ? line : line.slice(0, hash)).trim(), expected: hash < 0 ? null : line.slice(hash).replace(/^#\s*/, '') };
    out.push(current);
  }
  return out;
}

export interface Answer {
  status: number;
  body: string;
}

/** `curl` as the reader's, plus the status on a last line of its own. */
const PRELUDE = `curl() { command curl -sS -w '\\n%{http_code}' "$@"; }\n`;

/** Run one command with bash (`vars` in its environment); its answer, or null for a command that is not `curl`. */
export function runCommand(command: string, vars: Record<string, string>): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', PRELUDE + command], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...vars } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command}\nexited ${code}: ${stderr}`));
      if (!/^curl\s/.test(command)) return resolve(null);
      const at = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does `answer` show what `expected` (`204`, `{…}`, `201 {…}`) says, `wildcards` standing for anything? */
export function checkAnswer(command: string, expected: string | null, answer: Answer, wildcards: readonly string[]): void {
  const where = `${command}\n  answered ${answer.status} ${answer.body}\n  the page shows: ${expected ?? '(nothing: a 2xx)'}`;
  const m = /^(\d{3})?\s*(.*)$/.exec(expected ?? '')!;
  if (m[1] !== undefined) assert.equal(answer.status, Number(m[1]), where);
  else assert.ok(answer.status >= 200 && answer.status < 300, where);
  if (m[2] === '') return;
  let pattern = escape(m[2]!);
  for (const w of ['…', ...wildcards]) pattern = pattern.split(escape(w)).join('.*');
  assert.match(answer.body.trim(), new RegExp(`^${pattern}$`, 's'), where);
}

export interface PageRun {
  /** The server's URL (what `https://api.example.com` and `http://localhost:8000` stand for). */
  url: string;
  /** Variables set so far (`VAR=value` lines add to them). */
  vars: Record<string, string>;
  /** Values the server generates: doc value → the real one (looked up when a command uses it). */
  examples?: Record<string, () => string>;
  /** Rewrite a command before it runs, given the previous answer. */
  fill?: (command: string, previous: Answer | null) => string | Promise<string>;
}

/** Run the commands of `blocks` in order; returns how many `curl` commands ran. */
export async function runBlocks(blocks: readonly string[][], run: PageRun): Promise<number> {
  let previous: Answer | null = null;
  let curls = 0;
  for (const block of blocks) {
    for (const { text, expected } of docCommands(block)) {
      let command = text.replaceAll('https://api.example.com', run.url).replaceAll('http://localhost:8000', run.url);
      if (run.fill) command = await run.fill(command, previous);
      for (const [shown, real] of Object.entries(run.examples ?? {})) if (command.includes(shown)) command = command.replaceAll(shown, real());
      const assignment = /^([A-Z_]+)=(\S+)$/.exec(command);
      if (assignment) {
        run.vars[assignment[1]!] = assignment[2]!;
        continue;
      }
      const answer = await runCommand(command, run.vars);
      if (!answer) continue;
      checkAnswer(command, expected, answer, Object.keys(run.examples ?? {}));
      previous = answer;
      curls++;
    }
  }
  return curls;
}
