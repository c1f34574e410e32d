/**
 * `gatehouse import-django` against a real Django database: the DRF oracle (Django 3.2,
 * DRF authtoken, simplejwt 5.2.2 with its blacklist app, knox 5 when vendored) issues
 * credentials, the real `bin/gatehouse.js import-django --from <its db.sqlite3>` moves
 * them, and Gatehouse — with the oracle's SECRET_KEY — accepts what Django accepted and
 * refuses what Django refused.
 *
 * Skipped when the oracle cannot run here; a failure with GATEHOUSE_REQUIRE_ORACLE=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, startServer, tokenHeader, type TestServer } from '../helpers.js';
import { ORACLE_DIR, oracleSecretKey, oracleUnavailable, ORACLE_USERS, PYTHON, startOracle, type Oracle } from './oracle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const unavailable = oracleUnavailable();
const required = process.env.GATEHOUSE_REQUIRE_ORACLE === '1';

const basic = (username: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });

/** `bin/gatehouse.js <args>` in a child process, without GATEHOUSE_* from the outer shell. */
function gatehouse(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(join(ROOT, 'dist/cli/run.js'))) {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    // Type errors are the typecheck's business (tsc still emits); only a missing dist/ stops here.
    assert.ok(existsSync(join(ROOT, 'dist/cli/run.js')), `build failed: ${build.stdout}${build.stderr}`);
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/gatehouse.js'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (unavailable !== null && required) {
  test('import-django from the DRF oracle (GATEHOUSE_REQUIRE_ORACLE=1)', () => {
    assert.fail(unavailable);
  });
} else if (unavailable !== null) {
  console.log(`# SKIPPED test/oracle/import-django.test.ts: ${unavailable}`);
  test('import-django from the DRF oracle', { skip: unavailable }, () => {});
} else {
  describe('import-django from the DRF oracle (real Django database)', () => {
    let oracle: Oracle;
    let server: TestServer;
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-import-oracle-'));
    const issued = { drf: '', knox: null as string | null, access: '', refresh: '', blacklisted: '', apiKey: '', revokedApiKey: '' };
    /** A djangorestframework-api-key key made by the oracle's management command. */
    const createApiKey = (...args: string[]): string => {
      const r = spawnSync(PYTHON, [join(ORACLE_DIR, 'manage.py'), 'oracle_create_apikey', ...args], {
        env: { ...process.env, ORACLE_DIR_STATE: oracle.stateDir, PYTHONDONTWRITEBYTECODE: '1' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    let importOutput = '';
    /** What allauth's `account_emailaddress` says of the user's own address (true without allauth). */
    const allauthVerified = (username: string): boolean => {
      const db = new Database(join(oracle.stateDir, 'db.sqlite3'), { readonly: true });
      try {
        if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'account_emailaddress'").get() === undefined) return true;
        const row = db
          .prepare('SELECT e.verified FROM account_emailaddress e JOIN auth_user u ON u.id = e.user_id WHERE u.username = ? AND lower(e.email) = lower(u.email)')
          .get(username) as { verified: number } | undefined;
        return row?.verified === 1;
      } finally {
        db.close();
      }
    };

    before(async () => {
      oracle = await startOracle();
      const alice = ORACLE_USERS[0];
      const drf = await send(oracle.url, 'POST', '/api-token-auth/', { body: { username: alice.username, password: alice.password } });
      assert.equal(drf.status, 200, drf.text);
      issued.drf = (drf.json as { token: string }).token;
      const knox = await send(oracle.url, 'POST', '/api/knox/login-basic/', { headers: basic(alice.username, alice.password) });
      if (knox.status !== 404) {
        assert.equal(knox.status, 200, knox.text);
        issued.knox = (knox.json as { token: string }).token;
      }
      const pair = await send(oracle.url, 'POST', '/api/token/', { body: { username: alice.username, password: alice.password } });
      assert.equal(pair.status, 200, pair.text);
      ({ access: issued.access, refresh: issued.refresh } = pair.json as { access: string; refresh: string });
      const other = await send(oracle.url, 'POST', '/api/token/', { body: { username: 'admin', password: 'admin-password-1' } });
      issued.blacklisted = (other.json as { refresh: string }).refresh;
      assert.equal((await send(oracle.url, 'POST', '/api/token/blacklist/', { body: { refresh: issued.blacklisted } })).status, 200);
      assert.equal((await send(oracle.url, 'POST', '/api/token/refresh/', { body: { refresh: issued.blacklisted } })).status, 401, 'Django refuses it');

      issued.apiKey = createApiKey('--name', 'deploy');
      issued.revokedApiKey = createApiKey('--name', 'old', '--revoked');
      assert.equal((await send(oracle.url, 'GET', '/api/hello-apikey/', { headers: { Authorization: `Api-Key ${issued.apiKey}` } })).status, 200);

      const r = gatehouse(['import-django', '--from', join(oracle.stateDir, 'db.sqlite3'), '--db', join(dir, 'db.sqlite3')]);
      assert.equal(r.status, 0, r.stderr);
      importOutput = r.stdout;
      server = await startServer({ dir, settings: { secretKey: oracleSecretKey(), apiKeys: { enabled: true } } });
    });

    after(async () => {
      await server?.stop();
      oracle?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the summary counts what Django holds', () => {
      assert.match(importOutput, /Imported 3 users, /);
      assert.match(importOutput, new RegExp(`tokens \\(1 DRF authtoken, ${issued.knox === null ? 0 : 1} knox\\)`));
      assert.match(importOutput, /2 simplejwt refresh\/sliding tokens \(1 blacklisted\)/);
    });

    test('every oracle user logs in (or is refused) with their Django password, as on Django', async () => {
      for (const u of ORACLE_USERS) {
        const body = { username: u.username, password: u.password };
        const ours = await server.send('POST', '/api-token-auth/', { body });
        const theirs = await send(oracle.url, 'POST', '/api-token-auth/', { body });
        assert.equal(ours.status, theirs.status, `${u.username}: ${ours.text} vs ${theirs.text}`);
        assert.equal(ours.status, u.isActive ? 200 : 400);
        const user = await server.app.users.getByUsername(u.username);
        assert.deepEqual([user?.isActive, user?.isStaff, user?.isSuperuser], [u.isActive, u.isStaff, u.isSuperuser]);
        assert.equal(user?.email, `${u.username}@example.com`);
        assert.equal(user?.emailVerified, allauthVerified(u.username), `${u.username}: allauth's verified flag of the address`);
      }
      const wrong = await server.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'not-it' } });
      assert.equal(wrong.status, 400);
    });

    test('the authtoken token and the knox token authenticate', async (t) => {
      const me = await server.send('GET', '/api/me/', { headers: tokenHeader(issued.drf) });
      assert.equal(me.status, 200, me.text);
      assert.equal((me.json as { username: string }).username, 'alice');
      if (issued.knox === null) {
        t.skip('knox is not installed in the oracle');
        return;
      }
      const knox = await server.send('GET', '/api/me/', { headers: tokenHeader(issued.knox) });
      assert.equal(knox.status, 200, knox.text);
      assert.equal((knox.json as { username: string }).username, 'alice');
    });

    test("simplejwt's access token authenticates; the blacklisted refresh token is refused, the other refreshes", async () => {
      const me = await server.send('GET', '/api/me/', { headers: { Authorization: `Bearer ${issued.access}` } });
      assert.equal(me.status, 200, me.text);
      assert.equal((me.json as { username: string }).username, 'alice');
      const refused = await server.send('POST', '/api/token/refresh/', { body: { refresh: issued.blacklisted } });
      assert.equal(refused.status, 401, refused.text);
      assert.equal((refused.json as { detail: string }).detail, 'Token is blacklisted');
      const refreshed = await server.send('POST', '/api/token/refresh/', { body: { refresh: issued.refresh } });
      assert.equal(refreshed.status, 200, refreshed.text);
    });

    test('djangorestframework-api-key keys keep working after import; revoked ones stay refused', async () => {
      assert.match(importOutput, /2 djangorestframework-api-key keys/);
      server.app.engine.add({
        path: '/api/hello-apikey/',
        authenticators: [server.app.authenticators.apiKey!],
        methods: { GET: (ctx) => ({ body: { user: ctx.principal?.user.username ?? null } }) },
      });
      for (let i = 0; i < 2; i++) {
        const ok = await server.send('GET', '/api/hello-apikey/', { headers: { Authorization: `Api-Key ${issued.apiKey}` } });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.json, { user: 'apikey:deploy' });
      }
      assert.equal((await server.send('GET', '/api/hello-apikey/', { headers: { 'X-Api-Key': issued.apiKey } })).status, 200);
      const revoked = await server.send('GET', '/api/hello-apikey/', { headers: { Authorization: `Api-Key ${issued.revokedApiKey}` } });
      assert.equal(revoked.status, 401);
      const wrong = `${issued.apiKey.slice(0, 9)}${'A'.repeat(32)}`;
      assert.equal((await server.send('GET', '/api/hello-apikey/', { headers: { Authorization: `Api-Key ${wrong}` } })).status, 401);
    });

    test('a second run imports nothing and says so', () => {
      const r = gatehouse(['import-django', '--from', join(oracle.stateDir, 'db.sqlite3'), '--db', join(dir, 'db.sqlite3')]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Nothing to import: everything is already in Gatehouse \(3 users/);
    });
  });
}
