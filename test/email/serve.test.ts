/**
 * `gatehouse serve` and e-mail: the console backend (the default) is warned about at start;
 * credentials over plain SMTP are warned about (the password never printed); bad template
 * overrides are refused before anything is written.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-email-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Line {
  level: number;
  msg: string;
}

/** Run `serve` until it listens (then stop it) or exits; its output lines. */
function serve(env: Record<string, string>, db: string): Promise<{ code: number | null; output: string; lines: Line[] }> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) clean[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, 'serve', '--db', db, '--port', '0'], {
      cwd: dir,
      env: { ...clean, GATEHOUSE_SECRET_KEY: 'email-serve-test-secret-0123456789abcdef', ...env },
    });
    let output = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`serve hung:\n${output}`))), 20_000);
    const collect = (d: Buffer) => {
      output += d.toString();
      if (output.includes('gatehouse listening')) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
      resolve({ code, output, lines });
    });
  });
}

describe('serve and e-mail', () => {
  test('the console backend: one start-up warning that it is for development', async () => {
    const r = await serve({}, join(dir, 'a.sqlite3'));
    const warnings = r.lines.filter((l) => l.level === 40 && /email\.backend is "console"/.test(l.msg));
    assert.equal(warnings.length, 1, r.output);
    assert.match(warnings[0]!.msg, /development only/);
  });

  test('SMTP with a password and no TLS: warned, the password never printed; no console warning', async () => {
    const r = await serve({ GATEHOUSE_EMAIL__BACKEND: 'smtp', GATEHOUSE_EMAIL__USER: 'u', GATEHOUSE_EMAIL__PASSWORD: 'smtp-secret-in-env' }, join(dir, 'b.sqlite3'));
    assert.ok(r.lines.some((l) => l.level === 40 && /would travel unencrypted to localhost:25/.test(l.msg)), r.output);
    assert.ok(!r.lines.some((l) => /"console"/.test(l.msg)));
    assert.ok(!r.output.includes('smtp-secret-in-env'));
  });

  test('a template override with an unknown placeholder is refused before the database is written', async () => {
    const templates = join(dir, 'templates');
    mkdirSync(templates);
    writeFileSync(join(templates, 'activation.txt'), 'Hello {{user}}, go to {{url}}');
    const db = join(dir, 'c.sqlite3');
    const r = await serve({ GATEHOUSE_EMAIL__TEMPLATES: templates }, db);
    assert.equal(r.code, 1);
    assert.match(r.output, /^gatehouse: serve: .*activation\.txt, line 1: unknown placeholder \{\{user\}\}/m);
    assert.ok(!existsSync(db), 'nothing was written');
  });
});
