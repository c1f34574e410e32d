/**
 * `gatehouse keys rotate | list | retire` in-process through `runCli`: output without
 * key material, exit codes (0 ok, 1 failed, 2 usage), the secret resolved as `serve`
 * does, and a server-side JwtKeys on the same file seeing the CLI's changes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { FakeClock } from '../../src/core/clock.js';
import { parseSettings } from '../../src/core/settings.js';
import { JwsError, sign } from '../../src/jwt/jws/index.js';
import { createJwtKeys } from '../../src/jwt/keyring/index.js';
import { newKid } from '../../src/jwt/keyring/manage.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';

const SECRET = 'cli-keyring-test-server-secret-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, settings: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '', env: {} };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const kidsIn = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));

describe('gatehouse keys', () => {
  test('rotate, list and retire; the output never holds key material', async () => {
    const db = join(dir, 'a.sqlite3');
    const cfg = config('a.json', { secretKey: SECRET, jwt: { algorithm: 'ES256' } });
    const common = ['--db', db, '--config', cfg];
    assert.equal((await cli(['keys', 'list', ...common])).code, 1, 'no database yet: refused, nothing created');
    assert.equal(existsSync(db), false);
    assert.equal((await cli(['migrate', ...common])).code, 0);

    const empty = await cli(['keys', 'list', ...common]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /key ring is empty/);

    const r1 = await cli(['keys', 'rotate', ...common]);
    assert.equal(r1.code, 0, r1.stderr);
    const kid1 = /Created key ([A-Za-z0-9_-]{22}) \(ES256\)/.exec(r1.stdout)?.[1] as string;
    assert.ok(kid1, r1.stdout);
    const r2 = await cli(['keys', 'rotate', ...common]);
    assert.equal(r2.code, 0, r2.stderr);
    const kid2 = /Created key ([A-Za-z0-9_-]{22})/.exec(r2.stdout)?.[1] as string;
    assert.match(r2.stdout, new RegExp(`Key ${kid1} is verify-only until retired`));

    const list = await cli(['keys', 'list', ...common]);
    assert.equal(list.code, 0);
    const rows = kidsIn(list.stdout);
    assert.deepEqual(rows.map((r) => r.slice(0, 3)), [[kid1, 'ES256', 'verify'], [kid2, 'ES256', 'active']]);
    assert.match(rows[0]?.[3] ?? '', /^created \d{4}-\d\d-\d\dT/);
    assert.equal(rows[0]?.[4], 'retired -');
    assert.ok(!/gh1\.|PRIVATE|"d"/.test(list.stdout + r1.stdout + r2.stdout), 'no key material in the output');

    const active = await cli(['keys', 'retire', kid2, ...common]);
    assert.equal(active.code, 1);
    assert.match(active.stderr, /active signing key.*--force/);
    const retired = await cli(['keys', 'retire', kid1, ...common]);
    assert.equal(retired.code, 0, retired.stderr);
    assert.match(retired.stdout, new RegExp(`Retired key ${kid1}`));
    const again = await cli(['keys', 'retire', kid1, ...common]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already retired/);
    const unknown = await cli(['keys', 'retire', 'no-such-kid', ...common]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no key "no-such-kid"/);
    const forced = await cli(['keys', 'retire', kid2, '--force', ...common]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(kidsIn((await cli(['keys', 'list', ...common])).stdout).map((r) => r[2]), ['retired', 'retired']);
  });

  test('a key id never starts with "-", so it can always be passed to `keys retire` (1 in 64 would otherwise)', async () => {
    const kids = Array.from({ length: 4000 }, newKid);
    assert.ok(kids.every((k) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(k)));
    assert.equal(new Set(kids).size, kids.length);
  });

  test('a running server sees the CLI rotation and retirement on its next request', async () => {
    const db = join(dir, 'b.sqlite3');
    const cfg = config('b.json', { secretKey: SECRET, jwt: { algorithm: 'EdDSA' } });
    assert.equal((await cli(['migrate', '--db', db, '--config', cfg])).code, 0);
    assert.equal((await cli(['keys', 'rotate', '--db', db, '--config', cfg])).code, 0);
    const stores = SqliteStores.open(db);
    try {
      const settings = parseSettings({ jwt: { algorithm: 'EdDSA' } }).jwt;
      const keys = await createJwtKeys({ settings, secretKey: SECRET, stores, clock: new FakeClock() });
      const oldToken = sign({ user_id: '1' }, await keys.signer());
      assert.equal((await cli(['keys', 'rotate', '--db', db, '--config', cfg])).code, 0);
      await new Promise((r) => setTimeout(r, 5));
      const newKid = (await keys.signer()).kid as string;
      assert.notEqual(newKid, JSON.parse(Buffer.from(oldToken.split('.')[0] as string, 'base64url').toString()).kid);
      assert.ok(await keys.verify(oldToken));
      const oldKid = kidsIn((await cli(['keys', 'list', '--db', db, '--config', cfg])).stdout).find((r) => r[2] === 'verify')?.[0] as string;
      assert.equal((await cli(['keys', 'retire', oldKid, '--db', db, '--config', cfg])).code, 0);
      await new Promise((r) => setTimeout(r, 5));
      await assert.rejects(async () => keys.verify(oldToken), (e: unknown) => e instanceof JwsError && e.reason === 'unknown_kid');
    } finally {
      await stores.close();
    }
  });

  test('rotate resolves the secret as serve does, and refuses a secret that cannot decrypt the ring', async () => {
    const db = join(dir, 'c.sqlite3');
    const cfg = config('c.json', {});
    assert.equal((await cli(['migrate', '--db', db, '--config', cfg])).code, 0);
    const first = await cli(['keys', 'rotate', '--db', db, '--config', cfg]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /generated one into .*c\.sqlite3\.secret/);
    assert.ok(existsSync(`${db}.secret`));
    const second = await cli(['keys', 'rotate', '--db', db, '--config', cfg]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /generated/, 'the generated secret is reused');
    // Standard error holds the database line and the command's security event (`cli`, `keys rotate`), nothing else.
    const lines = second.stderr.split('\n').filter(Boolean);
    assert.match(lines[0] ?? '', /^gatehouse: database SQLite /);
    assert.deepEqual(lines.slice(1).map((l) => (JSON.parse(l) as { msg: string }).msg), ['cli']);

    const other = config('c2.json', { secretKey: 'a-different-server-secret-0123456789abcdefgh' });
    const wrong = await cli(['keys', 'rotate', '--db', db, '--config', other]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /cannot decrypt the key ring: was secretKey changed\?/);
    const mixed = await cli(['keys', 'rotate', '--db', db, '--config', config('c3.json', { jwt: { algorithm: 'RS256' } })]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /for HS256 but jwt\.algorithm is RS256; retire the HS256 keys first/);
  });

  test('usage: --help, missing argument, unknown option, bad settings', async () => {
    for (const args of [['keys', '--help'], ['keys', 'rotate', '--help'], ['keys', 'list', '--help'], ['keys', 'retire', '--help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      if (args[1] !== '--help') assert.match(r.stdout, /--db <path-or-url>[\s\S]*--config <file>/, args.join(' '));
    }
    assert.match((await cli(['keys', 'retire', '--help'])).stdout, /--force/);
    assert.equal((await cli(['keys', 'retire'])).code, 2);
    assert.equal((await cli(['keys', 'list', '--bogus'])).code, 2);
    assert.equal((await cli(['keys', 'frobnicate'])).code, 2);
    const bad = await cli(['keys', 'list', '--db', join(dir, 'd.sqlite3'), '--config', config('d.json', { jwt: { algorithm: 'none' } })]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /jwt\.algorithm/);
  });
});
