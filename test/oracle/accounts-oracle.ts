/**
 * The oracle's account side as a test fixture: its e-mail outbox (`GET /__oracle__/outbox/`,
 * emptied with `DELETE`), and its database imported into a fresh Gatehouse directory by
 * `import-django` (the same code as `gatehouse import-django --from <db.sqlite3>`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDjango } from '../../src/cli/import-django/index.js';
import { loadSettings } from '../../src/core/settings.js';
import { send } from '../helpers.js';
import type { Oracle } from './oracle.js';

/** One message of the oracle's outbox (`body`: the text part). */
export interface OracleMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  html: string | null;
  links: string[];
}

/** The oracle's e-mails, oldest first; `clear` empties the outbox afterwards. */
export async function oracleOutbox(url: string, options: { clear?: boolean } = {}): Promise<OracleMail[]> {
  const res = await send(url, 'GET', '/__oracle__/outbox/');
  assert.equal(res.status, 200, res.text);
  if (options.clear) assert.equal((await send(url, 'DELETE', '/__oracle__/outbox/')).status, 204);
  return (res.json as { messages: OracleMail[] }).messages;
}

/** `import-django` of the oracle's database into a new directory; resolves to the directory (its `db.sqlite3`). */
export async function importOracleDatabase(oracle: Oracle): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-accounts-import-'));
  const settingsFor = (opts: { db?: string }) => loadSettings({ env: {}, overrides: { database: opts.db } });
  const quiet = { stdout: () => {}, stderr: () => {} };
  await importDjango(
    { from: join(oracle.stateDir, 'db.sqlite3'), db: join(dir, 'db.sqlite3') },
    { io: quiet, settingsFor, common: (c) => c, fail: (m) => new Error(m), progress: { isTTY: false, write: () => {} } },
  );
  return dir;
}
