/**
 * `gatehouse createuser --email`: the address is checked with Django's validator,
 * normalised (domain lower-cased), and unique case-insensitively unless
 * `accounts.uniqueEmail` is false; `users list` shows it. `users set --inactive` makes an
 * account no longer pending (docs/security.md #148).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-accounts-cli-'));
const db = join(dir, 'gh.sqlite3');
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  env.GATEHOUSE_SECRET_KEY = 'accounts-cli-test-secret-key-0123456789abcdefghij';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

test('createuser --email: checked, normalised, unique; users list shows it', async () => {
  assert.equal((await cli(['migrate', '--db', db])).code, 0);
  const bad = await cli(['createuser', 'amy', '--no-password', '--db', db, '--email', 'not-an-address']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Enter a valid email address\./);
  const ok = await cli(['createuser', 'amy', '--no-password', '--db', db, '--email', 'Amy@Example.COM']);
  assert.equal(ok.code, 0, ok.stderr);
  const dup = await cli(['createuser', 'amelia', '--no-password', '--db', db, '--email', 'amy@example.com']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /another user has the e-mail address amy@example\.com/);
  const config = join(dir, 'shared.json');
  writeFileSync(config, JSON.stringify({ accounts: { uniqueEmail: false } }));
  const shared = await cli(['createuser', 'amelia', '--no-password', '--db', db, '--config', config, '--email', 'amy@example.com']);
  assert.equal(shared.code, 0, shared.stderr);
  const list = await cli(['users', 'list', '--db', db]);
  assert.match(list.stdout, /\tamy\tAmy@example\.com\t/);
  assert.match(list.stdout, /\tamelia\tamy@example\.com\t/);
});

test('users set --inactive: an administrator-disabled account can never re-activate itself by e-mail', async () => {
  assert.equal((await cli(['createuser', 'una', '--password-stdin', '--db', db, '--email', 'una@example.com'], 'a-long-passphrase-1\n')).code, 0);
  const { SqliteStores } = await import('../../src/stores/sqlite/index.js');
  const before = SqliteStores.open(db);
  const una = (await before.users.getByUsername('una'))!;
  await before.users.update(una.id, { emailVerified: false });
  await before.close();
  const set = await cli(['users', 'set', 'una', '--inactive', '--db', db]);
  assert.equal(set.code, 0, set.stderr);
  const reopened = SqliteStores.open(db);
  const disabled = (await reopened.users.getByUsername('una'))!;
  await reopened.close();
  assert.equal(disabled.isActive, false);
  assert.equal(disabled.emailVerified, true, 'no longer pending');
});
