/**
 * What Gatehouse leaves on disk: the SQLite file and its `-wal`/`-shm` are owner-only
 * (0600) whatever the umask, commits are fsynced (`synchronous = FULL`), and a secret
 * file that another user owns or that group/others may read is refused.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStores, openDatabase } from '../../src/stores/sqlite/index.js';
import { resolveSecret, UnsafeSecretFile } from '../../src/server/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mode = (file: string) => statSync(file).mode & 0o777;

describe('the SQLite file', () => {
  test('the database, -wal and -shm are created 0600 under a permissive umask', async () => {
    const previous = process.umask(0o022);
    try {
      const path = join(dir, 'sub', 'modes.sqlite3');
      const stores = await SqliteStores.open(path);
      try {
        // migrations have written: the WAL and its index exist
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          assert.ok(existsSync(file), `${file} exists while the database is open`);
          assert.equal(mode(file).toString(8), '600', file);
        }
      } finally {
        await stores.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  test('an existing 0644 database (an older Gatehouse made it) is made 0600 on open', () => {
    const path = join(dir, 'old.sqlite3');
    openDatabase(path).close();
    chmodSync(path, 0o644);
    openDatabase(path).close();
    assert.equal(mode(path).toString(8), '600');
  });

  test('commits are fsynced: synchronous = FULL (2), in WAL mode', () => {
    const db = openDatabase(join(dir, 'durable.sqlite3'));
    try {
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });
});

describe('the generated secret file', () => {
  test('generated 0600, then read back', () => {
    const db = join(dir, 'gen.sqlite3');
    const first = resolveSecret(undefined, db);
    assert.equal(first.generated, true);
    assert.equal(mode(`${db}.secret`).toString(8), '600');
    const again = resolveSecret(undefined, db);
    assert.deepEqual([again.secret, again.generated], [first.secret, false]);
  });

  test('readable by group or others: refused with the chmod to run, the file left as it was', () => {
    const db = join(dir, 'open.sqlite3');
    writeFileSync(`${db}.secret`, `${'s'.repeat(40)}\n`);
    chmodSync(`${db}.secret`, 0o644);
    assert.throws(() => resolveSecret(undefined, db), (e: Error) => e instanceof UnsafeSecretFile && /0644, too open/.test(e.message) && /chmod 600/.test(e.message));
    assert.equal(mode(`${db}.secret`).toString(8), '644', 'not silently repaired');
    assert.ok(!String(resolveSecretMessage(db)).includes('s'.repeat(40)), 'the message never shows the secret');
  });

  test('beside a SQLite file whose path holds "://" (it is not a URL): the file is the database\'s own', () => {
    mkdirSync(join(dir, 'odd:'));
    const db = `${dir}/odd://colon.sqlite3`;
    const result = resolveSecret(undefined, db);
    try {
      assert.equal(result.file, `${db}.secret`);
      assert.equal(mode(`${db}.secret`).toString(8), '600');
    } finally {
      if (result.file !== `${db}.secret`) rmSync(result.file!, { force: true });
    }
  });

  test('a symbolic link: refused, not followed', () => {
    const db = join(dir, 'linked.sqlite3');
    const target = join(dir, 'elsewhere.secret');
    writeFileSync(target, `${'t'.repeat(48)}\n`, { mode: 0o600 });
    symlinkSync(target, `${db}.secret`);
    assert.throws(() => resolveSecret(undefined, db), (e: Error) => e instanceof UnsafeSecretFile && /symbolic link/.test(e.message));
  });

  test('owned by another user: refused, never adopted', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to give a file to another user');
      return;
    }
    const db = join(dir, 'foreign.sqlite3');
    const planted = 'p'.repeat(48);
    writeFileSync(`${db}.secret`, `${planted}\n`, { mode: 0o600 });
    chownSync(`${db}.secret`, 65534, 65534);
    assert.throws(() => resolveSecret(undefined, db), (e: Error) => e instanceof UnsafeSecretFile && /owned by uid 65534/.test(e.message));
    assert.equal(readFileSync(`${db}.secret`, 'utf8').trim(), planted, 'left alone');
  });
});

function resolveSecretMessage(db: string): string {
  try {
    resolveSecret(undefined, db);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}
