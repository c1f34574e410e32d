/**
 * The `gatehouse` command line and server lifecycle, through real processes:
 * createuser → serve → login → revoke from the CLI → restart durability,
 * the generated secret file, graceful shutdown, nothing secret (passwords, tokens, API
 * keys) at rest or in logs.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, tokenHeader } from '../helpers.js';
import { Secret } from 'otpauth';
import { codeAt } from '../mfa/helpers.js';
import { cleanEnv, runCli, type CliResult } from '../cli-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/run.ts');
/** tsx resolved from this repository, so children can run in another working directory. */
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
const db = join(dir, 'gh.sqlite3');
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, dir, cleanEnv(env), input);
}

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

function serve(args: string[] = [], env: Record<string, string> = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve', '--db', db, '--port', '0', ...args], { cwd: dir, env: cleanEnv(env) });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              child.once('exit', (code) => res(code));
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
}

const PASSWORD = 'alice-password-1';
let aliceKey = '';
let cliKey = '';
let apiKey = '';
/** Second-factor secrets shown once (the TOTP secret, recovery codes): never at rest in clear. */
const mfaSecrets: Array<string | Buffer> = [];

describe('gatehouse CLI', () => {
  test('--help on every command', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help'], ['createuser', '--help'], ['changepassword', '--help'], ['deleteuser', '--help'], ['createtoken', '--help'], ['tokens', 'list', '--help'], ['tokens', 'revoke', '--help'], ['flushexpired', '--help'], ['import-drf-tokens', '--help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: gatehouse/);
      if (args.length > 1) assert.match(r.stdout, /--db/);
    }
  });

  test('bad usage exits 2 with a message; unknown user exits 1', async () => {
    const r = await cli(['createuser']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing required argument/);
    const unknown = await cli(['nosuchcommand']);
    assert.equal(unknown.code, 2);
    const m = await cli(['migrate', '--db', db]);
    assert.equal(m.code, 0);
    assert.match(m.stdout, /^Database: SQLite .*gh\.sqlite3\nApplied 8 migrations:\n  1: users and opaque tokens\n  2: jwt /);
    const again = await cli(['migrate', '--db', db]);
    assert.match(again.stdout, /No migrations to apply/);
    const nouser = await cli(['createtoken', 'nobody', '--db', db]);
    assert.equal(nouser.code, 1);
    assert.match(nouser.stderr, /user "nobody" does not exist/);
  });

  test('createuser with --password-stdin, flags, duplicate and invalid names', async () => {
    const r = await cli(['createuser', 'alice', '--password-stdin', '--db', db, '--email', 'alice@example.com'], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created user alice/);
    // The first command that opens the application generates the secret (mode 0600), and says so.
    assert.equal(statSync(`${db}.secret`).mode & 0o777, 0o600);
    const other = join(dir, 'other', 'o.sqlite3');
    mkdirSync(join(dir, 'other'));
    assert.equal((await cli(['migrate', '--db', other])).code, 0);
    const first = await cli(['createuser', 'zed', '--no-password', '--db', other]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /generated one into .*o\.sqlite3\.secret/);
    assert.doesNotMatch((await cli(['createuser', 'zoe', '--no-password', '--db', other])).stderr, /generated/);
    assert.equal((await cli(['createuser', 'admin', '--password-stdin', '--superuser', '--db', db], 'admin-password-1\n')).code, 0);
    assert.equal((await cli(['createuser', 'bob', '--password-stdin', '--inactive', '--db', db], 'bob-password-1')).code, 0);
    const dup = await cli(['createuser', 'alice', '--password-stdin', '--db', db], 'x');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const bad = await cli(['createuser', 'a b', '--db', db]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /valid username/);
    // Usernames are stored NFKC-normalised (Django normalize_username): full-width "ｆｉ" is "fi", and so is "ﬁ".
    const wide = await cli(['createuser', '\uff46\uff49', '--db', db, '--no-password']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /Created user fi \(/);
    const ligature = await cli(['createuser', '\ufb01', '--db', db, '--no-password']);
    assert.equal(ligature.code, 1);
    assert.match(ligature.stderr, /already exists/);
    const empty = await cli(['createuser', 'carol', '--password-stdin', '--db', db], '');
    assert.equal(empty.code, 1);
  });

  test('bad settings are refused with a clear message', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tokens: { ttl: 'soon' }, port: 'x', nope: 1 }));
    const r = await cli(['migrate', '--db', db, '--config', join(dir, 'bad.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tokens\.ttl: "soon" is not a duration/);
    assert.match(r.stderr, /port:/);
    assert.match(r.stderr, /unknown option\(s\) "nope"/);
    const env = await cli(['migrate', '--db', db], undefined, { GATEHOUSE_SECRET_KEY: 'short' });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /secretKey: must be at least 32 characters/);
  });
});

describe('gatehouse serve', () => {
  test('serve on a fresh database generates a 0600 secret file and says so', async () => {
    const freshDb = join(dir, 'fresh', 'new.sqlite3');
    mkdirSync(join(dir, 'fresh')); // serve creates the file, never the directory
    const server = await serve(['--db', freshDb]);
    try {
      assert.equal(statSync(`${freshDb}.secret`).mode & 0o777, 0o600);
      assert.match(server.output(), /generated one into the file/);
      assert.equal((await send(server.url, 'GET', '/healthz')).status, 200);
    } finally {
      await server.stop('SIGTERM');
    }
  });

  test('login, /api/me/, CLI revocation seen at once, graceful stop', async () => {
    const server = await serve();
    try {
      assert.doesNotMatch(server.output(), /generated one/);

      const login = await send(server.url, 'POST', '/api-token-auth/', {
        body: `username=alice&password=${PASSWORD}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(login.status, 200);
      aliceKey = (login.json as { token: string }).token;
      const me = await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(aliceKey) });
      assert.deepEqual(me.json, { pk: 1, username: 'alice', email: 'alice@example.com', first_name: '', last_name: '' });

      const created = await cli(['createtoken', 'alice', '--db', db]);
      assert.equal(created.code, 0);
      cliKey = /^Generated token ([0-9a-f]{64}) for user alice$/m.exec(created.stdout)![1]!;
      assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(cliKey) })).status, 200);

      const list = await cli(['tokens', 'list', 'alice', '--db', db]);
      assert.equal(list.code, 0);
      assert.equal(list.stdout.trim().split('\n').length, 2);
      assert.equal(list.stdout.includes(aliceKey) || list.stdout.includes(cliKey), false);
      const cliId = list.stdout.trim().split('\n')[1]!.split('\t')[0]!;
      assert.equal((await cli(['tokens', 'revoke', cliId, '--db', db])).code, 0);
      const revoked = await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(cliKey) });
      assert.equal(revoked.status, 401, 'revocation by another process is honoured on the next request');
      assert.equal((await cli(['tokens', 'revoke', cliId, '--db', db])).code, 1);

      // A request in flight when SIGTERM arrives still completes.
      const inflight = send(server.url, 'POST', '/api-token-auth/', { body: { username: 'alice', password: PASSWORD } });
      await new Promise((r) => setTimeout(r, 5));
      const code = await server.stop('SIGTERM');
      assert.equal((await inflight).status, 200);
      assert.equal(code, 0);
      assert.match(server.output(), /stopped/);
    } finally {
      if (server.child.exitCode === null) await server.stop('SIGKILL');
    }
  });

  test('restart: tokens survive, revoked ones stay revoked; import-drf-tokens, changepassword, deleteuser', async () => {
    const server = await serve([], { GATEHOUSE_MFA__ENABLED: 'true' });
    try {
      assert.doesNotMatch(server.output(), /generated one/);
      assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(aliceKey) })).status, 200);
      assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(cliKey) })).status, 401);

      const legacy = '83cc9d07140688d9504eb34ce66219ad87a7dbea';
      const imp = await cli(['import-drf-tokens', '--db', db], `key,user\n${legacy},alice\n`);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout, /Imported 1 token/);
      assert.match((await cli(['import-drf-tokens', '--db', db], `${legacy},alice\n`)).stdout, /1 already present/);
      assert.equal((await cli(['import-drf-tokens', '--db', db], 'not-a-key,alice\n')).code, 1);
      assert.equal((await cli(['import-drf-tokens', '--db', db], `${'a'.repeat(40)},nobody\n`)).code, 1);
      const legacyMe = await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(legacy) });
      assert.equal(legacyMe.status, 200);
      const madeKey = await cli(['apikeys', 'create', '--name', 'ci', '--scope', 'deploy', '--db', db]);
      assert.equal(madeKey.code, 0, madeKey.stderr);
      apiKey = madeKey.stdout.trim();
      assert.match(apiKey, /^gk_/);

      const cp = await cli(['changepassword', 'alice', '--password-stdin', '--db', db], 'new-password-2\n');
      assert.equal(cp.code, 0, cp.stderr);
      assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(aliceKey) })).status, 401, 'password change revokes tokens');
      assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(legacy) })).status, 401);
      const relogin = await send(server.url, 'POST', '/api/auth/login/', { body: { username: 'alice', password: 'new-password-2' } });
      assert.equal(relogin.status, 200);
      const key = (relogin.json as { token: string }).token;

      // Second factors: the TOTP secret is stored sealed, recovery codes as digests (docs/security.md #163).
      const adminLogin = await send(server.url, 'POST', '/api/auth/login/', { body: { username: 'admin', password: 'admin-password-1' } });
      const adminToken = (adminLogin.json as { token: string }).token;
      const begun = await send(server.url, 'POST', '/api/auth/mfa/totp/', { headers: tokenHeader(adminToken) });
      assert.equal(begun.status, 201, begun.text);
      const totpSecret = (begun.json as { secret: string }).secret;
      const confirmed = await send(server.url, 'POST', '/api/auth/mfa/totp/confirm/', { headers: tokenHeader(adminToken), body: { code: codeAt(totpSecret, { now: Date.now }) } });
      assert.equal(confirmed.status, 200, confirmed.text);
      const recoveryCodes = (confirmed.json as { recovery_codes: string[] }).recovery_codes;
      const secretBytes = Buffer.from(Secret.fromBase32(totpSecret).bytes);
      mfaSecrets.push(totpSecret, secretBytes, secretBytes.toString('hex'), ...recoveryCodes, ...recoveryCodes.map((c) => c.replace('-', '')));

      assert.equal((await cli(['deleteuser', 'alice', '--db', db])).code, 0);
      const gone = await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(key) });
      assert.equal(gone.status, 401);
      assert.deepEqual(gone.json, { detail: 'Invalid token.' });
      assert.equal((await cli(['flushexpired', '--db', db])).code, 0);

      // Nothing secret in the logs.
      await server.stop('SIGINT');
      const logs = server.output();
      for (const secret of [PASSWORD, 'new-password-2', aliceKey, cliKey, key, legacy, aliceKey.slice(0, 16), apiKey]) {
        assert.equal(logs.includes(secret), false, 'a secret reached the logs');
      }
      assert.match(logs, /"event":"login"/);
    } finally {
      if (server.child.exitCode === null) await server.stop('SIGKILL');
    }
  });

  test('the database files never contain a plaintext token, password, TOTP secret or recovery code (#163)', () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('gh.sqlite3') && !f.endsWith('.secret'));
    assert.ok(files.length >= 1);
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    assert.match(apiKey, /^gk_/);
    assert.equal(mfaSecrets.length, 23);
    for (const secret of [PASSWORD, 'new-password-2', 'admin-password-1', aliceKey, cliKey, '83cc9d07140688d9504eb34ce66219ad87a7dbea', apiKey, ...mfaSecrets]) {
      assert.equal(bytes.includes(typeof secret === 'string' ? Buffer.from(secret) : secret), false, 'plaintext secret found at rest');
    }
  });
});
