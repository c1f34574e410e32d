/**
 * `gatehouse mfa status | reset` through a real process over the database a running
 * server (`mfa.enabled`) uses: an administrator removes a locked-out user's factors,
 * audited; the CLI runs without `mfa.enabled` in its own settings.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunner } from '../cli-process.js';
import { startServer, tokenHeader } from '../helpers.js';
import { CONTEXT, codeAt } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-cli-'));
const db = join(dir, 'db.sqlite3');
const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = cliRunner(dir, db, SECRET);

test('status shows the factors, reset removes them and the recovery codes; unknown users exit 1', async () => {
  const s = await startServer({ dir, settings: { database: db, secretKey: SECRET, mfa: { enabled: true } } });
  try {
    await s.createUser('alice', 'alice-password-1');
    const alice = (await s.app.users.getByUsername('alice'))!;
    const { secret } = await s.app.mfa!.service.beginTotp(alice);
    await s.app.mfa!.service.confirmTotp(alice, codeAt(secret, s.clock), CONTEXT);

    const status = await cli(['mfa', 'status', 'alice']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout, 'User: alice\nSecond factor: on (totp, recovery_code)\nTOTP: confirmed\nRecovery codes remaining: 10\n');
    assert.equal(status.stdout.includes(secret), false);

    const reset = await cli(['mfa', 'reset', 'alice']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, 'Removed 1 second factor and the recovery codes of alice.\n');
    assert.match(reset.stderr, /"event":"mfa_disabled".*"method":"all","by":"cli"/);
    assert.match(reset.stderr, /"event":"cli","command":"mfa reset"/);

    const token = (await s.app.tokens.issue((await s.app.users.getById(alice.id))!)).key;
    const after = await s.send('GET', '/api/auth/mfa/', { headers: tokenHeader(token) });
    assert.deepEqual(after.json, { methods: [], totp: { enrolled: false, confirmed: false }, recovery_codes_remaining: 0 }, 'the server sees the reset');
    assert.match((await cli(['mfa', 'status', 'alice'])).stdout, /Second factor: off\nTOTP: none\nRecovery codes remaining: 0/);

    const unknown = await cli(['mfa', 'reset', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /user "nobody" does not exist/);
  } finally {
    await s.close();
  }
});
