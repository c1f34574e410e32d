/**
 * `gatehouse createuser` and `changepassword` refuse passwords the validators refuse
 * (settings `passwords.validators`), as Django's `createsuperuser` / `changepassword`:
 * on a terminal the messages are shown and `createuser` offers Django's bypass question;
 * from standard input a refused password fails the command unless
 * `--skip-password-validation` (docs/security.md #118). Runs the built binary (run
 * `npx tsc -p tsconfig.build.json` first), terminals through util-linux `script`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings } from '../../src/core/settings.js';
import { createGatehouse } from '../../src/server/app.js';
import { GATEHOUSE_BIN, SECRET, childEnv, tempDir } from '../scaleout/harness.js';

const dir = tempDir('password-validation');
after(() => dir.cleanup());
const db = join(dir.path, 'gh.sqlite3');
const FAST = { passwords: { argon2TimeCost: 1 } };
const ALL = ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gatehouse(args: string[], stdin?: string, config = 'fast.json'): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [GATEHOUSE_BIN, ...args, '--db', db, '--config', config], { cwd: dir.path, env: childEnv({ GATEHOUSE_SECRET_KEY: SECRET }) });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (stdin !== undefined) proc.stdin.end(stdin);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      proc.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

/** On a pseudo-terminal: each password prompt or the bypass question gets the next answer. */
function onTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, GATEHOUSE_BIN, ...args, '--db', db, '--config', 'fast.json'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const proc = spawn('script', ['-qfec', command, '/dev/null'], { cwd: dir.path, env: childEnv({ GATEHOUSE_SECRET_KEY: SECRET, SHELL: '/bin/sh' }) });
    let screen = '';
    let answered = 0;
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      const prompts = screen.match(/Password( \(again\))?: |anyway\? \[y\/N\]: /g)?.length ?? 0;
      while (answered < prompts && answered < answers.length) proc.stdin.write(`${answers[answered++]}\r`);
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      proc.stdin.end();
      resolve({ code, screen });
    });
  });
}

async function passwordWorks(username: string, password: string): Promise<boolean> {
  const app = await createGatehouse(parseSettings({ ...FAST, database: db, secretKey: SECRET, throttle: { loginEnabled: false } }));
  try {
    return (await app.users.authenticate(username, password)) !== null;
  } finally {
    await app.close();
  }
}

const hasScript = spawnSync('script', ['--version']).status === 0;

before(async () => {
  writeFileSync(join(dir.path, 'fast.json'), JSON.stringify(FAST));
  assert.equal((await gatehouse(['migrate'])).code, 0);
});

describe('from standard input', () => {
  test('createuser: a weak password is refused with every message, nothing created', async () => {
    const r = await gatehouse(['createuser', 'dave', '--password-stdin'], '1234\n');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`createuser: the password was refused; nothing was changed:\\n${ALL.map((m) => `  ${m.replace('.', '\\.')}\\n`).join('')}choose another, or pass --skip-password-validation`));
    assert.equal(r.stderr.includes('1234'), false, 'the password is never shown');
    assert.equal(r.stdout, '');
    assert.equal(await passwordWorks('dave', '1234'), false);
    assert.equal((await gatehouse(['createuser', 'dave', '--password-stdin'], 'dave-has-a-good-one\n')).code, 0, 'dave was not created by the refused attempt');
  });

  test('createuser: similarity to the username and to --email', async () => {
    const r = await gatehouse(['createuser', 'erin', '--password-stdin'], 'erin12345\n');
    assert.equal(r.code, 0, `erin12345 is not too similar to erin: ${r.stderr}`);
    const similar = await gatehouse(['createuser', 'frank', '--password-stdin'], 'frank123\n');
    assert.match(similar.stderr, /  The password is too similar to the username\.\n/);
    const email = await gatehouse(['createuser', 'gina', '--email', 'ginevra@example.com', '--password-stdin'], 'ginevra!!\n');
    assert.match(email.stderr, /  The password is too similar to the email address\.\n/);
  });

  test('--skip-password-validation keeps the password', async () => {
    const r = await gatehouse(['createuser', 'hank', '--password-stdin', '--skip-password-validation'], '1234\n');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await passwordWorks('hank', '1234'));
  });

  test('changepassword: refused against the stored user (similar to the last name), then kept with the flag', async () => {
    const app = await createGatehouse(parseSettings({ ...FAST, database: db, secretKey: SECRET }));
    try {
      const user = await app.users.getByUsername('hank');
      await app.users.update(user!.id, { lastName: 'Hankerson' });
    } finally {
      await app.close();
    }
    const refused = await gatehouse(['changepassword', 'hank', '--password-stdin'], 'hankerson1\n');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /changepassword: the password was refused; nothing was changed:\n  The password is too similar to the last name\.\n/);
    assert.ok(await passwordWorks('hank', '1234'), 'unchanged');
    assert.equal((await gatehouse(['changepassword', 'hank', '--password-stdin', '--skip-password-validation'], 'hankerson1\n')).code, 0);
    assert.ok(await passwordWorks('hank', 'hankerson1'));
  });

  test('settings: passwords.validators [] turns validation off; a missing list file is a clear error', async () => {
    writeFileSync(join(dir.path, 'off.json'), JSON.stringify({ ...FAST, passwords: { ...FAST.passwords, validators: [] } }));
    const off = await gatehouse(['createuser', 'ivy', '--password-stdin'], '1\n', 'off.json');
    assert.equal(off.code, 0, off.stderr);
    writeFileSync(join(dir.path, 'missing.json'), JSON.stringify({ ...FAST, passwords: { ...FAST.passwords, commonPasswordsFile: join(dir.path, 'nope.txt') } }));
    const missing = await gatehouse(['createuser', 'jack', '--password-stdin'], 'jack-password-1\n', 'missing.json');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /passwords\.commonPasswordsFile: cannot read .*nope\.txt/);
  });
});

describe('on a terminal', { skip: !hasScript && 'util-linux `script` is not installed' }, () => {
  test("createuser: messages, Django's bypass question; N asks again, y keeps it", async () => {
    const kept = await onTerminal(['createuser', 'kate'], ['1234', '1234', 'n', 'kate1', 'kate1', 'y']);
    assert.equal(kept.code, 0, kept.screen);
    assert.match(
      kept.screen,
      /Password: \r?\nPassword \(again\): \r?\nThis password is too short\. It must contain at least 8 characters\.\r?\nThis password is too common\.\r?\nThis password is entirely numeric\.\r?\nBypass password validation and create user anyway\? \[y\/N\]: n\r?\nPassword: \r?\nPassword \(again\): \r?\nThe password is too similar to the username\.\r?\nThis password is too short\. It must contain at least 8 characters\.\r?\nBypass password validation and create user anyway\? \[y\/N\]: y\r?\nCreated user kate/,
    );
    assert.equal(kept.screen.includes('kate1\r') || kept.screen.includes(': 1234'), false, 'a password was echoed');
    assert.ok(await passwordWorks('kate', 'kate1'));
    const good = await onTerminal(['createuser', 'liam'], ['liam-strong-pass-9', 'liam-strong-pass-9']);
    assert.equal(good.code, 0, good.screen);
    assert.equal(good.screen.includes('Bypass'), false);
  });

  test('changepassword: asks again after a refused password, no bypass; three refusals change nothing', async () => {
    const changed = await onTerminal(['changepassword', 'liam'], ['password', 'password', 'liam-new-pass-77', 'liam-new-pass-77']);
    assert.equal(changed.code, 0, changed.screen);
    assert.match(changed.screen, /Password \(again\): \r?\nThis password is too common\.\r?\nPassword: /);
    assert.equal(changed.screen.includes('Bypass'), false);
    assert.ok(await passwordWorks('liam', 'liam-new-pass-77'));
    const failed = await onTerminal(['changepassword', 'liam'], ['1', '1', '2', '2', '3', '3']);
    assert.equal(failed.code, 1, failed.screen);
    assert.match(failed.screen, /changepassword: Aborting password change for user "liam" after 3 attempts; nothing was changed/);
    assert.ok(await passwordWorks('liam', 'liam-new-pass-77'));
  });
});
