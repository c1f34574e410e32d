/**
 * Credentials in connection URLs never reach a log line or an error message: the unit
 * cases of `redactUrl`, then the real `gatehouse serve` started on PostgreSQL and Redis
 * URLs whose passwords hold `@`, `/`, `?`, percent-encoded bytes and sit in the query.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { hasUnencodedUserinfo, redactUrl } from '../../src/stores/url.js';
import { POSTGRES_URL, REQUIRE_SERVICES } from '../stores/postgres-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/run.ts');
const TSX = import.meta.resolve('tsx');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every form in which a password could leak: raw, percent-encoded, decoded. */
function assertHidden(text: string, ...secrets: string[]): void {
  for (const s of secrets) {
    for (const form of new Set([s, encodeURIComponent(s), decodeURIComponent(s)])) {
      assert.ok(!text.includes(form), `"${form}" appears in:\n${text}`);
    }
  }
}

describe('redactUrl', () => {
  const cases: Array<[string, string, string[]]> = [
    ['postgres://app:s3cret@db:5432/app', 'postgres://app:***@db:5432/app', ['s3cret']],
    ['postgres://app:p@ss@db/app', 'postgres://app:***@db/app', ['p@ss', 'ss@db']],
    ['postgres://app:pa/ss@db/app', 'postgres://app:***@db/app', ['pa/ss']],
    ['postgres://app:pa%2Fs%40s@db/app', 'postgres://app:***@db/app', ['pa%2Fs%40s']],
    ['postgres://app@db/app?sslmode=require&password=q-secret', 'postgres://app@db/app?sslmode=require&password=***', ['q-secret']],
    ['postgresql://db/app?pass%77ord=enc-secret&sslpassword=key-secret', 'postgresql://db/app?pass%77ord=***&sslpassword=***', ['enc-secret', 'key-secret']],
    ['redis://:r-secret@cache:6379/0', 'redis://:***@cache:6379/0', ['r-secret']],
    ['rediss://user:r/s@cret@cache:6380', 'rediss://user:***@cache:6380', ['r/s@cret']],
    ['redis://cache:6379?password=qp', 'redis://cache:6379?password=***', ['qp']],
  ];
  for (const [url, expected, secrets] of cases) {
    test(`redacts to ${expected}`, () => {
      assert.equal(redactUrl(url), expected);
      assertHidden(redactUrl(url), ...secrets);
    });
  }
  test('a file path is left alone', () => {
    assert.equal(redactUrl('/var/lib/gatehouse/db.sqlite3'), '/var/lib/gatehouse/db.sqlite3');
  });
});

function run(args: string[], untilOutput: RegExp | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
    env.GATEHOUSE_SECRET_KEY = 'k7Qm2vX9pL4wR8tZ1nB6cY3hJ5fD0sGaE_uIoP-redact';
    env.GATEHOUSE_LOG_LEVEL = 'debug';
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: dir, env });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${untilOutput} within 20 s:\n${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (untilOutput?.test(out)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

describe('gatehouse serve never logs a connection password', () => {
  test('an unsupported database URL: the error message hides it', async () => {
    const out = await run(['serve', '--port', '0', '--db', 'mysql://app:my/p@ss@db/app?password=qq-secret'], null);
    assert.match(out, /only SQLite file paths and postgres:\/\/ URLs/);
    assertHidden(out, 'my/p@ss', 'qq-secret');
  });

  for (const [flag, url] of [
    ['--db', 'postgres://postgres:zq/kx7@vy@127.0.0.1:5432/test'],
    ['--redis', 'redis://:zq/kx7@vy@127.0.0.1:6379/0'],
  ] as const) {
    test(`a ${flag} password with a raw "/": refused before connecting, no fragment of it shown`, async () => {
      const out = await run(['serve', '--port', '0', '--db', join(dir, 'raw.sqlite3'), flag, url], /gatehouse listening/);
      assert.match(out, /must be percent-encoded/);
      assert.doesNotMatch(out, /gatehouse listening/);
      assertHidden(out, 'zq/kx7@vy', 'kx7', 'vy@');
    });
  }

  test('PostgreSQL and Redis with passwords in userinfo and query', async (t) => {
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1, connectionTimeoutMillis: 2000 });
    admin.on('error', () => {});
    try {
      await admin.query('SELECT 1');
    } catch (e) {
      if (REQUIRE_SERVICES) throw e;
      t.skip(`PostgreSQL not reachable: ${(e as Error).message}`);
      return;
    }
    const schema = `gh_redact_${process.pid}`;
    const base = new URL(POSTGRES_URL);
    const userPassword = 'pg-u@ss/w%3Frd';
    const queryPassword = 'pg-query-secret';
    const db = `postgres://${base.username || 'postgres'}:${encodeURIComponent(userPassword)}@${base.host}${base.pathname}?schema=${schema}&password=${queryPassword}`;
    const redisPassword = 'redis-s3cret/@x';
    const redis = `redis://:${encodeURIComponent(redisPassword)}@127.0.0.1:6379/0`;
    try {
      const out = await run(['serve', '--port', '0', '--db', db, '--redis', redis], /gatehouse listening/);
      assert.match(out, /gatehouse listening/);
      assert.match(out, /password=\*\*\*/, 'the database URL is logged, redacted');
      assertHidden(out, userPassword, encodeURIComponent(userPassword), queryPassword, redisPassword, encodeURIComponent(redisPassword));
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});

describe('hasUnencodedUserinfo', () => {
  test('an "@" after the end of the authority: a raw "/", "?" or "#" in the password', () => {
    assert.equal(hasUnencodedUserinfo('postgres://u:pa/ss@db/app'), true);
    assert.equal(hasUnencodedUserinfo('redis://:p?w@cache'), true);
    assert.equal(hasUnencodedUserinfo('postgres://u:p@ss@db/app'), false, 'a raw "@" alone parses right (the last one ends it)');
    assert.equal(hasUnencodedUserinfo('postgres://u:pa%2Fss@db/app?sslmode=require'), false);
    assert.equal(hasUnencodedUserinfo('/var/lib/gatehouse.sqlite3'), false);
  });
});
