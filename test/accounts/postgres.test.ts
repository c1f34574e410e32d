/**
 * The account service's lookups on PostgreSQL: addresses compared case-insensitively at
 * sign-up, reset and e-mail change; usernames case-insensitively in the allauth flow;
 * shared addresses each mailed. Skipped with a notice when PostgreSQL is not reachable
 * (fails with `GATEHOUSE_REQUIRE_SERVICES=1`).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountError } from '../../src/accounts/types.js';
import { postgresTestDb } from '../stores/postgres-helpers.js';
import { RESET, STRONG, harness, linkParts } from './harness.js';

const db = await postgresTestDb('accounts on PostgreSQL');

if (db) {
  after(() => db.cleanup());

  describe('account service on PostgreSQL', () => {
    test('a taken address in another case creates nothing and mails its owner; reset finds the address in any case', async () => {
      const h = await harness(await db.open(), { accounts: { activation: false } });
      try {
        const { user: owner } = await h.app.accounts.register({ username: 'alice', email: 'Alice@Example.com', password: STRONG }, 'djoser');
        assert.equal(owner!.email, 'Alice@example.com');
        assert.deepEqual(await h.app.accounts.register({ username: 'mallory', email: 'ALICE@example.COM', password: STRONG }, 'allauth'), { user: null });
        assert.equal(await h.app.users.getByUsername('mallory'), null);
        assert.equal((await h.mails('Alice@example.com')).length, 1, 'the "account exists" notice');
        await h.app.accounts.requestPasswordReset('alice@EXAMPLE.com', 'djoser');
        const [uid] = linkParts((await h.mails('Alice@example.com')).at(-1), RESET);
        assert.equal((await h.app.accounts.userFromUid(uid!, 'djoser')).id, owner!.id);
        await assert.rejects(h.app.accounts.updateProfile((await h.app.accounts.register({ username: 'bob', email: 'bob@example.com', password: STRONG }, 'djoser')).user!, { email: 'aLiCe@example.com' }, 'djoser'), (e: unknown) => e instanceof AccountError && e.code === 'email_taken');
      } finally {
        await h.close();
      }
    });

    test('allauth usernames are unique case-insensitively; djoser ones exactly', async () => {
      const h = await harness(await db.open(), { accounts: { activation: false } });
      try {
        await h.app.accounts.register({ username: 'Carol', email: '', password: STRONG }, 'djoser');
        await assert.rejects(h.app.accounts.register({ username: 'carol', email: '', password: STRONG }, 'allauth'), (e: unknown) => e instanceof AccountError && e.code === 'username_taken');
        assert.ok((await h.app.accounts.register({ username: 'CAROL', email: '', password: STRONG }, 'djoser')).user);
      } finally {
        await h.close();
      }
    });

    test('accounts.uniqueEmail false: each account sharing an address gets its own reset link', async () => {
      const h = await harness(await db.open(), { accounts: { activation: false, uniqueEmail: false } });
      try {
        await h.app.accounts.register({ username: 'dan', email: 'team@example.com', password: STRONG }, 'djoser');
        await h.app.accounts.register({ username: 'dee', email: 'TEAM@example.com', password: STRONG }, 'djoser');
        await h.app.accounts.requestPasswordReset('Team@Example.com', 'djoser');
        await h.app.accounts.settled();
        const names = h.outbox.messages.filter((m) => m.subject.startsWith('Password reset')).map((m) => /forgotten: (\w+)/.exec(m.text)?.[1]);
        assert.deepEqual(names.sort(), ['dan', 'dee']);
      } finally {
        await h.close();
      }
    });
  });
}
