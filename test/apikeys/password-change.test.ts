/**
 * `apiKeys.revokeOnPasswordChange: true`: a password change revokes the user's API keys
 * (and only theirs); `apiKeys.enabled: false` accepts no key and mounts no routes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenHeader } from '../helpers.js';

test('revokeOnPasswordChange revokes the user\'s keys at the password change', async () => {
  const s = await startServer({ settings: { apiKeys: { enabled: true, revokeOnPasswordChange: true } } });
  try {
    await s.createUser('alice', 'alice-password-1');
    await s.createUser('bob', 'bob-password-1');
    const alice = (await s.app.stores.users.getByUsername('alice'))!;
    const bob = (await s.app.stores.users.getByUsername('bob'))!;
    const { key } = await s.app.apiKeys!.create({ name: 'a', userId: alice.id });
    const { key: bobs } = await s.app.apiKeys!.create({ name: 'b', userId: bob.id });
    s.app.engine.add({ path: '/k/', authenticators: [s.app.authenticators.apiKey!], methods: { GET: () => ({ body: {} }) } });
    assert.equal((await s.send('GET', '/k/', { headers: { 'X-Api-Key': key } })).status, 200);
    await s.app.users.setPassword(alice, 'alice-password-2');
    const refused = await s.send('GET', '/k/', { headers: { 'X-Api-Key': key } });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json, { detail: 'Invalid API key.' });
    assert.equal((await s.send('GET', '/k/', { headers: { 'X-Api-Key': bobs } })).status, 200);
  } finally {
    await s.close();
  }
});

test('apiKeys.enabled false: no service, no authenticator, no management routes', async () => {
  const s = await startServer();
  try {
    await s.createUser('alice', 'alice-password-1');
    const alice = (await s.app.stores.users.getByUsername('alice'))!;
    const { key } = await s.app.tokens.issue(alice);
    assert.equal(s.app.apiKeys, undefined);
    assert.equal(s.app.authenticators.apiKey, undefined);
    assert.equal((await s.send('GET', '/api/auth/apikeys/', { headers: tokenHeader(key) })).status, 404);
  } finally {
    await s.close();
  }
});
