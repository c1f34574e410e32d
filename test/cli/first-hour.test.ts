/**
 * The `gatehouse` binary (bin/gatehouse.js on the built dist/: run `npx tsc -p
 * tsconfig.build.json` first) as a new user meets it: nothing created by mistake,
 * the database named, passwords asked twice without echo on a terminal (through a
 * pseudo-terminal made by util-linux `script`), never a wait on a pipe, precise
 * messages, config errors that point at the fix, and the login lock-outs reachable
 * from the command line when they live in Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings } from '../../src/core/settings.js';
import { createGatehouse } from '../../src/server/app.js';
import { send } from '../helpers.js';
import { postgresTestDb } from '../stores/postgres-helpers.js';
import { redisTestServer } from '../stores/redis-helpers.js';
import { GATEHOUSE_BIN, SECRET, childEnv, spawnServer, tempDir } from '../scaleout/harness.js';

const dir = tempDir('first-hour');
after(() => dir.cleanup());
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const FAST = { passwords: { argon2TimeCost: 1 } };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the binary in `cwd` to its exit. Standard input is a pipe that is only closed when
 * `stdin` is given: a command that waited on it would never exit (and fail the test).
 */
/** Standard error without the JSON security-event lines (the `cli` and `password_changed` events of the log). */
const humanLines = (text: string): string => text.split(/(?<=\n)/).filter((l) => !l.startsWith('{')).join('');

function gatehouse(args: string[], o: { cwd?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { cwd: o.cwd ?? dir.path, env: childEnv(o.env ?? { GATEHOUSE_SECRET_KEY: SECRET }) });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (o.stdin !== undefined) proc.stdin.end(o.stdin);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      proc.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Run the binary on a pseudo-terminal (`script -qfec`), answering each password prompt
 * with the next of `answers` as it appears. Returns everything the terminal showed.
 */
function onTerminal(args: string[], answers: string[], cwd = dir.path): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, GATEHOUSE_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const proc = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: childEnv({ GATEHOUSE_SECRET_KEY: SECRET, SHELL: '/bin/sh' }) });
    let screen = '';
    let answered = 0;
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      const prompts = screen.match(/Password( \(again\))?: /g)?.length ?? 0;
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

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Does `password` log `username` in, on this database (the service API, as the server would)? */
async function passwordWorks(database: string, username: string, password: string): Promise<boolean> {
  const app = await createGatehouse(parseSettings({ ...FAST, database, secretKey: SECRET, throttle: { loginEnabled: false } }));
  try {
    return (await app.users.authenticate(username, password)) !== null;
  } finally {
    await app.close();
  }
}

describe('nothing is created by mistake', () => {
  test('every command but serve and migrate refuses a database that does not exist, and writes nothing', async () => {
    const cwd = join(dir.path, 'empty');
    mkdirSync(cwd);
    const commands = [
      ['createuser', 'alice', '--password-stdin'],
      ['changepassword', 'alice', '--password-stdin'],
      ['deleteuser', 'alice'],
      ['createtoken', 'alice'],
      ['tokens', 'list', 'alice'],
      ['tokens', 'revoke', '1'],
      ['users', 'list'],
      ['users', 'set', 'alice', '--staff'],
      ['flushexpired'],
      ['import-drf-tokens', '-'],
      ['keys', 'list'],
      ['keys', 'rotate'],
    ];
    for (const args of commands) {
      // No secret configured either: a generated secret file would be written if anything were.
      const r = await gatehouse(args, { cwd, stdin: 'a-password-1\n', env: {} });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `gatehouse: no database at ${join(cwd, 'gatehouse.sqlite3')}; run \`gatehouse migrate --db ./gatehouse.sqlite3\` first, or pass --db\n`, args.join(' '));
    }
    const elsewhere = await gatehouse(['users', 'list', '--db', 'sub/dir/gh.sqlite3'], { cwd });
    assert.match(elsewhere.stderr, /no database at .*sub\/dir\/gh\.sqlite3; run `gatehouse migrate --db sub\/dir\/gh\.sqlite3` first/);
    assert.deepEqual(readdirSync(cwd), [], 'no database, no secret file, no directory');
  });

  test('serve with settings it refuses writes nothing: no secret file, no database', async () => {
    const cwd = join(dir.path, 'refused-serve');
    mkdirSync(cwd);
    const cases: Array<[Record<string, string>, RegExp]> = [
      // Refused by the application, after the settings parsed: before the fix, the generated secret file was already written.
      [{ GATEHOUSE_COOKIES__ENABLED: 'true', GATEHOUSE_COOKIES__SECURE: 'false', GATEHOUSE_COOKIES__SAME_SITE: 'None' }, /Invalid cookie mode settings[\s\S]*sameSite: "None" requires cookies.secure/],
    ];
    for (const [env, message] of cases) {
      const r = await gatehouse(['serve', '--port', '0'], { cwd, env });
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(readdirSync(cwd), [], `${JSON.stringify(env)}: nothing written`);
    }
  });

  test('serve and migrate create the file, never its directory; :memory: is refused where it would keep nothing', async () => {
    const cwd = join(dir.path, 'nodirs');
    mkdirSync(cwd);
    for (const args of [['migrate'], ['serve', '--port', '0']]) {
      const r = await gatehouse([...args, '--db', 'missing/gh.sqlite3'], { cwd, env: {} });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `gatehouse: no directory ${join(cwd, 'missing')} for the database ${join(cwd, 'missing/gh.sqlite3')}: create it first (gatehouse does not create directories)\n`);
    }
    assert.deepEqual(readdirSync(cwd), []);
    const memory = await gatehouse(['users', 'list', '--db', ':memory:']);
    assert.equal(memory.code, 1);
    assert.match(memory.stderr, /:memory: keeps nothing between commands/);
  });

  test('createuser with no password source on a pipe: a usage error at once, before any secret file is written', async () => {
    const cwd = join(dir.path, 'nosecret');
    mkdirSync(cwd);
    assert.equal((await gatehouse(['migrate'], { cwd, env: {} })).code, 0);
    const r = await gatehouse(['createuser', 'alice'], { cwd, env: {} }); // stdin left open: waiting on it would hang
    assert.equal(r.code, 2);
    assert.match(r.stderr, /createuser: standard input is not a terminal, so the password cannot be asked for; pipe it in with --password-stdin, or pass --no-password/);
    const bad = await gatehouse(['createuser', 'a b', '--no-password'], { cwd, env: {} });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /valid username/);
    const cp = await gatehouse(['changepassword', 'nobody'], { cwd, env: {} });
    assert.equal(cp.code, 1);
    assert.match(cp.stderr, /user "nobody" does not exist/);
    assert.deepEqual(readdirSync(cwd).filter((f) => f.endsWith('.secret')), [], 'nothing was valid: no secret generated');
    const ok = await gatehouse(['createuser', 'alice', '--no-password'], { cwd, env: {} });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /generated one into \S*\/nosecret\/gatehouse\.sqlite3\.secret \(mode 0600\)/);
    const taken = await gatehouse(['createuser', 'alice'], { cwd, env: {} });
    assert.equal(taken.code, 1, 'a taken username is refused before any password is asked for');
    assert.match(taken.stderr, /createuser: A user with that username already exists\./);
  });
});

describe('what the commands say', () => {
  const db = join(dir.path, 'gh.sqlite3');
  before(async () => {
    writeConfig();
  });

  test('--version, and migrate lists what it applied under the database it used', async () => {
    const v = await gatehouse(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${VERSION}\n`);
    const m = await gatehouse(['migrate', '--db', db]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(
      m.stdout,
      `Database: SQLite ${db}\nApplied 6 migrations:\n  1: users and opaque tokens\n  2: jwt outstanding tokens, refresh families, denylist, user epochs, key ring\n  3: per-user credential generation\n  4: verified e-mail flag and case-insensitive e-mail key\n  5: api keys\n  6: second factors: TOTP devices and recovery codes\n`,
    );
    assert.equal((await gatehouse(['migrate', '--db', db])).stdout, `Database: SQLite ${db}\nNo migrations to apply (schema version 6).\n`);
  });

  test('every command that opens the database names it (standard error; standard output stays the result)', async () => {
    const r = await gatehouse(['createuser', 'alice', '--password-stdin', '--db', 'gh.sqlite3', '--config', 'fast.json'], { stdin: 'alice-password-1\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(humanLines(r.stderr), `gatehouse: database SQLite ${db}\n`);
    assert.equal(r.stdout, 'Created user alice (id 1).\n');
    for (const args of [['users', 'list'], ['tokens', 'list', 'alice'], ['keys', 'list'], ['flushexpired']]) {
      const out = await gatehouse([...args, '--db', db]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(humanLines(out.stderr), `gatehouse: database SQLite ${db}\n`, args.join(' '));
    }
  });

  test('--help of the new commands', async () => {
    for (const args of [['users', 'list'], ['users', 'set'], ['locks'], ['unlock']]) {
      const r = await gatehouse([...args, '--help']);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: gatehouse [\s\S]*--db <path-or-url>[\s\S]*--redis <url>/, args.join(' '));
    }
    assert.match((await gatehouse(['createuser', '--help'])).stdout, /--no-password/);
  });

  test('users list and users set --staff/--no-staff/--active/--inactive', async () => {
    assert.equal((await gatehouse(['createuser', 'bob', '--no-password', '--email', 'bob@example.com', '--db', db])).code, 0);
    const set = await gatehouse(['users', 'set', 'bob', '--staff', '--inactive', '--db', db]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'User bob: active,unusable-password → inactive,staff,unusable-password.\n');
    const list = await gatehouse(['users', 'list', '--db', db]);
    assert.deepEqual(
      list.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 4)),
      [
        ['1', 'alice', '-', 'active'],
        ['2', 'bob', 'bob@example.com', 'inactive,staff,unusable-password'],
      ],
    );
    assert.equal((await gatehouse(['users', 'set', 'bob', '--no-staff', '--active', '--db', db])).stdout, 'User bob: inactive,staff,unusable-password → active,unusable-password.\n');
    const nothing = await gatehouse(['users', 'set', 'bob', '--db', db]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
    assert.equal((await gatehouse(['users', 'set', 'bob', '--active', '--inactive', '--db', db])).code, 2);
    assert.equal((await gatehouse(['users', 'set', 'nobody', '--staff', '--db', db])).code, 1);
  });

  test('tokens revoke takes the prefix tokens list shows, or the id', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) keys.push(/Generated token ([0-9a-f]{64})/.exec((await gatehouse(['createtoken', 'alice', '--db', db])).stdout)![1]!);
    const rows = (await gatehouse(['tokens', 'list', 'alice', '--db', db])).stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows.map((r) => r[1]), keys.map((k) => `${k.slice(0, 8)}…`));
    const [first, second, third] = rows as [string[], string[], string[]];
    const byShown = await gatehouse(['tokens', 'revoke', first[1]!, '--db', db]);
    assert.equal(byShown.code, 0, byShown.stderr);
    assert.equal(byShown.stdout, `Revoked token ${first[0]} (${first[1]}) of user alice.\n`);
    const byBare = await gatehouse(['tokens', 'revoke', second[1]!.replace('…', ''), '--db', db]);
    assert.equal(byBare.stdout, `Revoked token ${second[0]} (${second[1]}) of user alice.\n`);
    assert.equal((await gatehouse(['tokens', 'revoke', third[0]!, '--db', db])).stdout, `Revoked token ${third[0]} (${third[1]}) of user alice.\n`);
    const again = await gatehouse(['tokens', 'revoke', first[1]!, '--db', db]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.split('\n')[1], `gatehouse: no token with prefix ${first[1]}`);
    assert.equal((await gatehouse(['tokens', 'revoke', 'not-a-token', '--db', db])).code, 2);
    assert.match((await gatehouse(['tokens', 'list', 'alice', '--db', db])).stdout, /^User alice has no tokens\.$/m);
  });

  test('changepassword says exactly what it revoked (JWT access tokens stay valid without jwt.checkRevokeToken)', async () => {
    await gatehouse(['createtoken', 'alice', '--db', db]);
    const plain = await gatehouse(['changepassword', 'alice', '--password-stdin', '--db', db, '--config', 'fast.json'], { stdin: 'alice-password-2\n' });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(
      plain.stdout,
      'Password changed for user alice.\nRevoked 1 opaque token (refused from the next request on).\n' +
        'JWTs: refresh and sliding tokens revoked. Access tokens already issued stay valid until they expire (at most jwt.accessTokenLifetime = 5m), ' +
        'as jwt.checkRevokeToken is off in these settings (on the servers, it refuses them at once).\n',
    );
    const strict = await gatehouse(['changepassword', 'alice', '--password-stdin', '--db', db, '--config', 'fast.json'], {
      stdin: 'alice-password-3',
      env: { GATEHOUSE_SECRET_KEY: SECRET, GATEHOUSE_JWT__CHECK_REVOKE_TOKEN: 'true' },
    });
    assert.match(strict.stdout, /Revoked 0 opaque tokens .*\nJWTs: every access, refresh and sliding token issued before now is refused on its next use \(jwt\.checkRevokeToken\)\.\n$/);
    assert.ok(await passwordWorks(db, 'alice', 'alice-password-3'));
  });

  test('config errors name the environment variable and the nearest option; zero lifetimes are refused', async () => {
    const env = await gatehouse(['users', 'list', '--db', db], { env: { GATEHOUSE_SECRET_KEY: SECRET, GATEHOUSE_TOKENS__TLL: '1h', GATEHOUSE_JWT__ACCESS_TOKEN_LIFETIME: '0' } });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /tokens: unknown option\(s\) "tll" \(from environment variable GATEHOUSE_TOKENS__TLL; did you mean GATEHOUSE_TOKENS__TTL\?\)/);
    assert.match(env.stderr, /jwt\.accessTokenLifetime: must be longer than 0 .*\(from environment variable GATEHOUSE_JWT__ACCESS_TOKEN_LIFETIME\)/);
    const file = await gatehouse(['users', 'list', '--db', db, '--config', writeConfig('typo.json', { tokens: { tll: '1h' }, jwt: { leway: 0 } })]);
    assert.match(file.stderr, /tokens: unknown option\(s\) "tll" \(did you mean "ttl"\?\)/);
    assert.match(file.stderr, /jwt: unknown option\(s\) "leway" \(did you mean "leeway"\?\)/);
  });
});

describe('passwords on a terminal (pseudo-terminal from util-linux script)', { skip: hasScript ? false : 'util-linux `script` is not installed' }, () => {
  const db = join(dir.path, 'tty.sqlite3');
  before(async () => {
    writeConfig();
    assert.equal((await gatehouse(['migrate', '--db', db])).code, 0);
  });

  test('createuser asks twice, shows nothing typed, asks again after a mismatch or a blank', async () => {
    const { code, screen } = await onTerminal(['createuser', 'carol', '--db', db, '--config', 'fast.json'], ['', 'carol-pass-1', 'carol-pass-X', 'carol-pass-2', 'carol-pass-2']);
    assert.equal(code, 0, screen);
    assert.match(screen, /Password: \r?\nError: Blank passwords aren't allowed\.\r?\nPassword: \r?\nPassword \(again\): \r?\nError: Your passwords didn't match\.\r?\nPassword: \r?\nPassword \(again\): \r?\nCreated user carol \(id 1\)\./);
    for (const typed of ['carol-pass-1', 'carol-pass-X', 'carol-pass-2']) assert.equal(screen.includes(typed), false, 'a typed password was echoed');
    assert.ok(await passwordWorks(db, 'carol', 'carol-pass-2'));
  });

  test('changepassword asks twice without echo; three failed tries change nothing', async () => {
    const changed = await onTerminal(['changepassword', 'carol', '--db', db, '--config', 'fast.json'], ['carol-pass-3', 'carol-pass-3']);
    assert.equal(changed.code, 0, changed.screen);
    assert.match(humanLines(changed.screen), /Changing password for user "carol"\r?\nPassword: \r?\nPassword \(again\): \r?\nPassword changed for user carol\./);
    assert.equal(changed.screen.includes('carol-pass-3'), false);
    assert.ok(await passwordWorks(db, 'carol', 'carol-pass-3'));
    const failed = await onTerminal(['changepassword', 'carol', '--db', db], ['a-1', 'b-1', 'a-2', 'b-2', 'a-3', 'b-3']);
    assert.equal(failed.code, 1, failed.screen);
    assert.match(failed.screen, /changepassword: no password \(no password after 3 tries\); nothing was changed/);
    assert.ok(await passwordWorks(db, 'carol', 'carol-pass-3'));
  });
});

describe('login lock-outs from the command line', () => {
  test('with the memory store: the commands say the counters are out of reach, and exit 1', async () => {
    for (const args of [['locks'], ['unlock', 'alice']]) {
      const r = await gatehouse([...args, '--db', join(dir.path, 'gh.sqlite3')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /keeps its counters in the memory of each server process \(throttle\.store "memory"\), out of reach of this command: restarting the server clears every lock/);
    }
  });

  test('with Redis: locks lists the locked username, unlock lets the right password in again', async (t) => {
    const redis = await redisTestServer('cli locks');
    if (!redis) return t.skip('Redis not reachable');
    const sub = join(dir.path, 'locks');
    mkdirSync(sub);
    const database = join(sub, 'gh.sqlite3');
    const env = { GATEHOUSE_SECRET_KEY: SECRET, GATEHOUSE_REDIS: redis.url, GATEHOUSE_REDIS__KEY_PREFIX: redis.newPrefix() };
    assert.equal((await gatehouse(['migrate', '--db', database], { env })).code, 0);
    assert.equal((await gatehouse(['createuser', 'alice', '--password-stdin', '--db', database], { env, stdin: 'alice-password-1' })).code, 0);
    const server = await spawnServer({ database, dir: sub, config: { ...FAST, throttle: { loginUsernameRate: '3/h' } }, env });
    try {
      const login = (password: string) => send(server.url, 'POST', '/api-token-auth/', { body: { username: 'alice', password } });
      for (let i = 0; i < 3; i++) assert.equal((await login('wrong-password')).status, 400);
      assert.equal((await login('alice-password-1')).status, 400, 'locked: the right password is refused as a wrong one');
      const locks = await gatehouse(['locks', '--db', database], { env });
      assert.equal(locks.code, 0, locks.stderr);
      const lines = locks.stdout.trim().split('\n').map((l) => l.split('\t'));
      assert.deepEqual(lines.map((l) => l.slice(0, 2)).sort(), [['username from address', 'alice from 127.0.0.1'], ['username', 'alice']]);
      assert.ok(lines.every((l) => /^locked for \S+ more, 3 failures$/.test(l[2]!)), locks.stdout);
      const unlock = await gatehouse(['unlock', 'alice'], { env });
      assert.equal(unlock.code, 0, unlock.stderr);
      assert.match(unlock.stdout, /^Unlocked user alice: cleared 2 counters \(2 locked\) in Redis redis:\/\/\S+; every server sees it on the next attempt\.\n$/);
      // Its own security event, besides the `cli` one: the lock clearing, with what was cleared.
      const unlocked = unlock.stderr.split('\n').filter((l) => l.includes('"login_unlocked"')).map((l) => JSON.parse(l) as { level: number; event: Record<string, unknown> });
      assert.equal(unlocked.length, 1, unlock.stderr);
      assert.deepEqual({ ...unlocked[0]!.event, username: typeof unlocked[0]!.event.username }, { event: 'login_unlocked', by: 'cli', username: 'string', cleared: 2, wereLocked: 2 });
      assert.equal((await login('alice-password-1')).status, 200);
      assert.match((await gatehouse(['locks', '--db', database], { env })).stdout, /^Nobody is locked out/);
      assert.match((await gatehouse(['unlock', 'alice'], { env })).stdout, /nothing to unlock/);
    } finally {
      await server.stop();
      await redis.cleanup();
    }
  });
});

describe('PostgreSQL: the URL is named without its password; a schema that was never migrated is refused', () => {
  test('migrate names the database, other commands need the schema', async (t) => {
    const pg = await postgresTestDb('cli postgres');
    if (!pg) return t.skip('PostgreSQL not reachable');
    try {
      const url = new URL(pg.url);
      url.password = 'hunter2-secret'; // trust authentication ignores it; it must never be printed
      url.searchParams.set('schema', pg.newSchema());
      const database = url.toString();
      const env = { GATEHOUSE_SECRET_KEY: SECRET };
      const missing = await gatehouse(['users', 'list', '--db', database], { env });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^gatehouse: no Gatehouse schema in PostgreSQL postgres:\/\/[^:@]+:\*\*\*@.*; run `gatehouse migrate --db '…'` first, or pass --db\n$/);
      const migrated = await gatehouse(['migrate', '--db', database], { env });
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /^Database: PostgreSQL postgres:\/\/[^:@]+:\*\*\*@/);
      const list = await gatehouse(['users', 'list', '--db', database], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stderr, /^gatehouse: database PostgreSQL postgres:\/\/[^:@]+:\*\*\*@/);
      for (const out of [missing, migrated, list]) assert.equal(`${out.stdout}${out.stderr}`.includes('hunter2-secret'), false);
    } finally {
      await pg.cleanup();
    }
  });
});

/** A config file in the test directory (fast password hashing by default); returns its name. */
function writeConfig(name = 'fast.json', settings: Record<string, unknown> = FAST): string {
  writeFileSync(join(dir.path, name), JSON.stringify(settings));
  return name;
}
