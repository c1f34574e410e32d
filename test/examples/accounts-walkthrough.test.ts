/**
 * docs/accounts.md, run literally: its settings block is written to `gatehouse.config.json`
 * in a fresh working directory, a real `gatehouse serve` starts there with the default
 * console e-mail backend, and each walkthrough block (djoser's, then dj-rest-auth's) is run
 * line by line as README's is (test/examples/walkthrough.ts). A `X_UID=… X_TOKEN=…` or
 * `VERIFY_KEY=…` line takes its values from the link of the last (new) matching e-mail the
 * server printed on standard output — what a reader copies from the terminal — and `TOKEN=…` /
 * `KEY=…` from the login the line before. A walkthrough that shows an answer the server
 * does not give, or a link the e-mail does not carry, fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonBlock, serve, shBlock, walk, type Served } from './walkthrough.js';

const DOC = 'docs/accounts.md';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-accounts-'));
let server: Served | undefined;

before(async () => {
  writeFileSync(join(dir, 'gatehouse.config.json'), JSON.stringify(jsonBlock(DOC, '## Enable the account routes')));
  server = await serve(dir);
});

after(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Which e-mailed link a variable is read from: a word of its path. */
const LINKS: Record<string, RegExp> = { ACTIVATION: /activat/i, RESET: /reset/i, VERIFY: /confirm|verif/i };

interface Link {
  href: string;
  /** The path and fragment's segments: `…/<uid>/<token>` or `…/<key>/`. */
  parts: string[];
}

/**
 * The last link on the server's standard output whose path matches `kind` and is not
 * `seen`, waiting for it up to 5 s (reset mails go out in the background).
 */
async function newLink(kind: RegExp, seen: string | undefined): Promise<Link> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const links = [...server!.stdout().matchAll(/https?:\/\/[^\s"<>]+/g)].map((m) => new URL(m[0]));
    const found = links.filter((u) => kind.test(u.pathname + u.hash)).at(-1);
    if (found && found.href !== seen) return { href: found.href, parts: (found.pathname + found.hash).split(/[/#]/).filter((p) => p !== '') };
    if (Date.now() > deadline) assert.fail(`no new e-mail with a ${kind} link on the server's output:\n${server!.stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The link each kind was last read from: `X_UID=…` / `VERIFY_KEY=…` read a new one, `X_TOKEN=…` the same. */
const current = new Map<string, Link>();

async function assign(name: string, printed: readonly string[]): Promise<string> {
  const output = printed.join('\n');
  if (name === 'TOKEN') return /"auth_token":"([^"]+)"/.exec(output)?.[1] ?? assert.fail(`${name}=…: the previous command printed no auth_token`);
  if (name === 'KEY') return /"key":"([^"]+)"/.exec(output)?.[1] ?? assert.fail(`${name}=…: the previous command printed no key`);
  const m = /^([A-Z]+)_(UID|TOKEN|KEY)$/.exec(name);
  const kind = m && LINKS[m[1]!];
  assert.ok(kind, `${name}=…: this test does not know where to read it`);
  const [, which, part] = m!;
  if (part !== 'TOKEN') current.set(which!, await newLink(kind, current.get(which!)?.href));
  const link = current.get(which!) ?? assert.fail(`${name}=…: no ${which}_UID=… before it`);
  return part === 'UID' ? link.parts.at(-2)! : link.parts.at(-1)!;
}

for (const heading of ["## Walkthrough: djoser's layout", "## Walkthrough: dj-rest-auth's layout"]) {
  test(`docs/accounts.md ${heading.slice(3)} does what it shows, against a real \`gatehouse serve\``, async () => {
    const steps = await walk(shBlock(DOC, heading), { url: server!.url, cwd: dir, assign });
    assert.ok(steps >= 10, `only ${steps} commands found`);
  });
}
