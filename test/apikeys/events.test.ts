/**
 * `apikey_created` / `apikey_revoked` security events (docs/security.md #185): over HTTP
 * (the caller named, and its key when it used one), on a password change
 * (`apiKeys.revokeOnPasswordChange`), and for the keys `import-django` brings in. An event
 * names the key by id, lookup id, name and owner; the key itself is never logged.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { startServer, tokenHeader, type TestServer } from '../helpers.js';
import { SECRET, djangoHash, dt } from '../cli/django-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-apikey-events-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The `event` objects of the log lines named `name`. */
function loggedEvents(text: string, name: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; event?: Record<string, unknown> })
    .filter((l) => l.msg === name && l.event)
    .map((l) => l.event!);
}

async function userToken(s: TestServer, username: string): Promise<{ id: number; token: string }> {
  const user = (await s.app.stores.users.getByUsername(username))!;
  return { id: user.id, token: (await s.app.tokens.issue(user)).key };
}

test('#185 created and revoked over HTTP: the key by id, lookup id, name and owner; the caller; never the key', async () => {
  const s = await startServer({ settings: { apiKeys: { enabled: true } } });
  try {
    await s.createUser('alice', 'alice-password-1');
    const alice = await userToken(s, 'alice');
    const made = await s.send('POST', '/api/auth/apikeys/', { headers: tokenHeader(alice.token), body: { name: 'mgr', scopes: ['apikeys:manage'] } });
    assert.equal(made.status, 201, made.text);
    const { id, key, prefix } = made.json as { id: number; key: string; prefix: string };
    const lookupId = prefix.slice('gk_'.length);
    assert.deepEqual(loggedEvents(s.logs.text, 'apikey_created'), [
      { event: 'apikey_created', keyId: id, lookupId, name: 'mgr', userId: alice.id, via: 'http', actorId: alice.id },
    ]);
    // A key-authenticated manager creates and revokes: the event names its key too.
    const child = await s.send('POST', '/api/auth/apikeys/', { headers: { 'X-Api-Key': key }, body: { name: 'child' } });
    assert.equal(child.status, 201, child.text);
    const childId = (child.json as { id: number }).id;
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${childId}/`, { headers: { 'X-Api-Key': key } })).status, 204);
    assert.deepEqual(
      loggedEvents(s.logs.text, 'apikey_revoked').map((e) => [e.keyId, e.name, e.via, e.actorId, e.actorKeyId]),
      [[childId, 'child', 'http', alice.id, id]],
    );
    assert.equal(loggedEvents(s.logs.text, 'apikey_created')[1]?.actorKeyId, id);
    // Revoking again revokes nothing and reports nothing.
    assert.equal((await s.send('DELETE', `/api/auth/apikeys/${childId}/`, { headers: tokenHeader(alice.token) })).status, 204);
    assert.equal(loggedEvents(s.logs.text, 'apikey_revoked').length, 1);
    assert.equal(s.logs.text.includes(key), false, 'a key in the log');
    assert.equal(s.logs.text.includes((child.json as { key: string }).key), false, 'a key in the log');
  } finally {
    await s.close();
  }
});

test('#185 a password change that revokes keys reports each key revoked (via password_change)', async () => {
  const s = await startServer({ settings: { apiKeys: { enabled: true, revokeOnPasswordChange: true } } });
  try {
    await s.createUser('alice', 'alice-password-1');
    const alice = (await s.app.stores.users.getByUsername('alice'))!;
    const a = await s.app.apiKeys!.create({ name: 'a', userId: alice.id });
    const b = await s.app.apiKeys!.create({ name: 'b', userId: alice.id });
    await s.app.apiKeys!.revoke(b.record.id);
    const c = await s.app.apiKeys!.create({ name: 'c', userId: alice.id });
    assert.deepEqual(loggedEvents(s.logs.text, 'apikey_created').map((e) => e.via), ['application', 'application', 'application']);
    await s.app.users.setPassword(alice, 'alice-password-2');
    const revoked = loggedEvents(s.logs.text, 'apikey_revoked').filter((e) => e.via === 'password_change');
    assert.deepEqual(revoked.map((e) => e.keyId).sort(), [a.record.id, c.record.id].sort());
    assert.deepEqual(revoked[0], { event: 'apikey_revoked', keyId: revoked[0]!.keyId, lookupId: revoked[0]!.lookupId, name: revoked[0]!.name, userId: alice.id, via: 'password_change' });
  } finally {
    await s.close();
  }
});

test('#185 import-django reports each drf-api-key key it imports (via import), after the commit', async () => {
  const dir = mkdtempSync(join(root, 'import-'));
  const from = join(dir, 'django.sqlite3');
  const db = new Database(from);
  db.exec(`CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL);
CREATE TABLE "rest_framework_api_key_apikey" ("id" varchar(150) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "name" varchar(50) NOT NULL, "revoked" bool NOT NULL, "expiry_date" datetime NULL, "hashed_key" varchar(150) NOT NULL, "prefix" varchar(8) NOT NULL UNIQUE);`);
  const hashed = djangoHash('Xp3sQ9aL.6bH2kW0yVt7Rr1mNc4Zd8Ju5Ge3Fq9Po');
  db.prepare('INSERT INTO rest_framework_api_key_apikey VALUES (?, ?, ?, ?, ?, ?, ?)').run(`Xp3sQ9aL.${hashed}`, dt(Date.now()), 'deploy', 0, null, hashed, 'Xp3sQ9aL');
  db.close();
  const target = join(dir, 'gatehouse.sqlite3');
  let stderr = '';
  const run = () => runCli(['import-django', '--from', from, '--db', target], { stdout: () => {}, stderr: (t) => (stderr += t), readStdin: async () => '', env: { GATEHOUSE_SECRET_KEY: SECRET } });
  assert.equal(await run(), 0, stderr);
  const gh = new Database(target, { readonly: true });
  const id = gh.prepare("SELECT id FROM gatehouse_apikey WHERE lookup_id = 'Xp3sQ9aL'").pluck().get();
  gh.close();
  assert.deepEqual(loggedEvents(stderr, 'apikey_created'), [{ event: 'apikey_created', keyId: id, lookupId: 'Xp3sQ9aL', name: 'deploy', userId: null, via: 'import' }]);
  assert.equal(stderr.includes(hashed), false, 'a stored hash in the log');
  stderr = '';
  assert.equal(await run(), 0, stderr);
  assert.deepEqual(loggedEvents(stderr, 'apikey_created'), [], 'a second run imports nothing and reports nothing');
});
