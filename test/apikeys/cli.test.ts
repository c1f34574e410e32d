/**
 * `gatehouse apikeys create | list | update | revoke` through real processes on a SQLite file, the
 * keys checked by a server (`apiKeys.enabled`) over the same file; no key at rest.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRunner } from '../cli-process.js';
import { startServer } from '../helpers.js';
import { HasScope } from '../../src/permissions/claims.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-apikeys-cli-'));
const db = join(dir, 'db.sqlite3');
const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = cliRunner(dir, db, SECRET);

/** The security events logged on a command's standard error. */
function eventLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { event?: Record<string, unknown> }).event)
    .filter((e): e is Record<string, unknown> => e !== undefined);
}

test('create, use, update, list, revoke; events (#185); nothing secret at rest', async () => {
  assert.equal((await cli(['migrate'])).code, 0);
  assert.equal((await cli(['createuser', 'alice', '--password-stdin', '--email', 'a@example.com'], 'alice-password-1\n')).code, 0);
  const made = await cli(['apikeys', 'create', '--name', 'deploy', '--user', 'alice', '--scope', 'reports:read', '--scope', 'x', '--expires', '30d', '--rate', '100/min']);
  assert.equal(made.code, 0, made.stderr);
  const key = made.stdout.trim();
  assert.match(key, /^gk_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}$/);
  // #185: the creation is a security event (the key by id, lookup id, name, owner), and so is the command; never the key.
  const created = eventLines(made.stderr);
  assert.deepEqual(created.find((e) => e.event === 'apikey_created'), { event: 'apikey_created', keyId: 1, lookupId: key.slice(3, 11), name: 'deploy', userId: 1, via: 'cli' });
  assert.deepEqual(created.find((e) => e.event === 'cli'), { event: 'cli', command: 'apikeys create' });
  assert.equal(made.stderr.includes(key), false);
  const service = await cli(['apikeys', 'create', '--name', 'billing']);
  const serviceKey = service.stdout.trim();
  assert.equal((await cli(['apikeys', 'create', '--name', 'x', '--rate', 'fast'])).code, 2);
  assert.equal((await cli(['apikeys', 'create', '--name', 'x', '--user', 'nobody'])).code, 1);

  const s = await startServer({ dir, settings: { database: db, secretKey: SECRET, apiKeys: { enabled: true } } });
  try {
    s.app.engine.add({ path: '/whoami/', authenticators: [s.app.authenticators.apiKey!], methods: { GET: (ctx) => ({ body: { user: ctx.principal?.user.username ?? null } }) } });
    const asAlice = await s.send('GET', '/whoami/', { headers: { 'X-Api-Key': key } });
    assert.deepEqual(asAlice.json, { user: 'alice' });
    assert.deepEqual((await s.send('GET', '/whoami/', { headers: { 'X-Api-Key': serviceKey } })).json, { user: 'apikey:billing' });

    // update (#186): another process changes the scopes; this server's cached key follows at once.
    s.app.engine.add({ path: '/reports/', authenticators: [s.app.authenticators.apiKey!], permissions: [HasScope('reports:read')], methods: { GET: () => ({ body: {} }) } });
    assert.equal((await s.send('GET', '/reports/', { headers: { 'X-Api-Key': key } })).status, 200);
    const updated = await cli(['apikeys', 'update', '1', '--scopes', 'x', '--rate', 'none', '--expires', 'none']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /^Updated API key 1 \(gk_[0-9A-Za-z]{8}\): name deploy, scopes x, rate -, expires never\.\n$/);
    assert.deepEqual(eventLines(updated.stderr).find((e) => e.event === 'apikey_updated'), {
      event: 'apikey_updated', keyId: 1, lookupId: key.slice(3, 11), name: 'deploy', userId: 1, via: 'cli', changed: ['scopes', 'rate', 'expiresAt'],
    });
    assert.equal((await s.send('GET', '/reports/', { headers: { 'X-Api-Key': key } })).status, 403);
    assert.equal((await cli(['apikeys', 'update', '1', '--scopes', 'reports:read,x', '--name', 'deploy'])).code, 0);
    for (const bad of [['--rate', 'fast'], ['--scopes', 'has space'], ['--expires', 'soon'], ['--name', ''], []]) {
      const r = await cli(['apikeys', 'update', '1', ...bad]);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    }
    assert.equal((await cli(['apikeys', 'update', '99', '--name', 'x'])).code, 1);

    const list = await cli(['apikeys', 'list']);
    assert.equal(list.code, 0);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(list.stdout.includes(key) || list.stdout.includes(serviceKey), false);
    assert.match(lines[0]!, /\tdeploy\talice\tscopes reports:read,x\trate -\t/);
    const identifier = lines[0]!.split('\t')[1]!;
    assert.equal(key.startsWith(identifier), true);
    const revoked = await cli(['apikeys', 'revoke', identifier]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(eventLines(revoked.stderr).find((e) => e.event === 'apikey_revoked'), { event: 'apikey_revoked', keyId: 1, lookupId: key.slice(3, 11), name: 'deploy', userId: 1, via: 'cli' });
    assert.equal((await cli(['apikeys', 'revoke', identifier])).code, 1);
    assert.equal((await s.send('GET', '/whoami/', { headers: { 'X-Api-Key': key } })).status, 401, 'a revocation by another process is honoured');
    assert.equal((await cli(['apikeys', 'list', '--user', 'alice'])).stdout.trim().split('\n').length, 1);
  } finally {
    await s.stop();
  }
  const files = readdirSync(dir).filter((f) => f.startsWith('db.sqlite3') && !f.endsWith('.secret'));
  const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
  for (const secret of [key, serviceKey, key.slice(12, 44), serviceKey.slice(12, 44)]) {
    assert.equal(bytes.includes(Buffer.from(secret)), false, 'an API key found at rest');
  }
});
