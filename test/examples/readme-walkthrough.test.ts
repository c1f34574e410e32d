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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, shBlock, walk, type Served } from './walkthrough.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
let server: Served | undefined;

before(async () => {
  server = await serve(dir);
});

after(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("README's curl walkthrough does what it shows, against a real `gatehouse serve` with the defaults", async () => {
  const steps = await walk(shBlock('README.md', '## Walkthrough with curl'), {
    url: server!.url,
    cwd: dir,
    assign: (name, printed) => {
      const token = /"token":"([0-9a-f]{64})"/.exec(printed.join('\n'))?.[1];
      return token ?? assert.fail(`${name}=…: the previous command printed no token`);
    },
  });
  assert.ok(steps >= 12, `only ${steps} commands found`);
});
