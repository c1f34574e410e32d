/**
 * `createGatehouse(loadSettings())` with no `secretKey` — the guides' first snippet — starts
 * as `gatehouse serve` does: the secret is generated into `<database>.secret` (0600), said
 * once, and read back on the next start, so tokens survive a restart.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSettings } from '../../src/core/settings.js';
import { createGatehouse, StartupError } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { LogCapture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-default-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no secretKey: generated beside the database on first start, logged once, kept across restarts', async () => {
  const database = join(dir, 'auth.sqlite3');
  const logs = new LogCapture();
  const first = await createGatehouse(parseSettings({ database }), { logger: createLogger('info', logs) });
  await first.users.create({ username: 'alice', password: 'alice-password-1' });
  const user = (await first.users.getByUsername('alice'))!;
  const pair = await first.jwt.obtainPair(user);
  await first.close();
  assert.equal(statSync(`${database}.secret`).mode & 0o777, 0o600);
  assert.match(logs.text, /generated one into .*auth\.sqlite3\.secret/);
  assert.ok(!logs.text.includes(pair.access));

  const again = new LogCapture();
  const second = await createGatehouse(parseSettings({ database }), { logger: createLogger('info', again) });
  try {
    assert.doesNotMatch(again.text, /generated/);
    assert.equal(await second.jwt.verify(pair.access), true); // signed with the kept secret
  } finally {
    await second.close();
  }
});

test('no secretKey with a database server URL: a StartupError naming the setting, nothing written', async () => {
  await assert.rejects(
    createGatehouse(parseSettings({ database: 'postgres://nobody@127.0.0.1:1/none' })),
    (e: unknown) => e instanceof StartupError && /secretKey must be configured/.test(e.message),
  );
  assert.equal(existsSync('gatehouse.secret'), false);
});
