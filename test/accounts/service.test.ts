/**
 * The account service through its public API (`Gatehouse.accounts`), on the memory and
 * SQLite stores, with the in-memory e-mail backend: every operation and error code,
 * single-use links, expiry on a fake clock, revocation of every credential after a
 * password change or reset, no enumeration, the per-address e-mail throttle, e-mail
 * failures, and links built from the settings alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountsNotConfigured } from '../../src/accounts/mail.js';
import { AccountEmailFailed, AccountError, type AccountErrorCode } from '../../src/accounts/types.js';
import type { User } from '../../src/core/user.js';
import { EmailSendError, type EmailBackend, type EmailMessage } from '../../src/email/types.js';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import { ResetTokenGenerator } from '../../src/accounts/links/reset-token.js';
import { encodeDjoserUid } from '../../src/accounts/links/uid.js';
import { ACTIVATE, ALLAUTH_RESET, CONFIRM, RESET, SECRET, STORE_KINDS, STRONG, STRONG2, USERNAME_RESET, harness, linkParts, type Harness } from './harness.js';

const DAY = 86_400_000;

async function rejects(promise: Promise<unknown>, code: AccountErrorCode, message?: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AccountError, `expected AccountError ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.deepEqual(e.messages, [message]);
    return true;
  });
}

/** A backend that fails while `down` is set (then delivers into its outbox). */
class FlakyBackend implements EmailBackend {
  down = true;
  readonly outbox = new MemoryEmailBackend();
  async send(message: EmailMessage): Promise<void> {
    if (this.down) throw new EmailSendError('connect ECONNREFUSED 127.0.0.1:2525');
    await this.outbox.send(message);
  }
}

for (const [kind, open] of STORE_KINDS) {
  describe(`account service on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(open(), { accounts: { sendConfirmationEmail: true, passwordChangedEmail: true, usernameChangedEmail: true } });
    });
    after(() => h.close());

    let n = 0;
    /** A fresh name per test: every test has its own accounts on the shared stores. */
    const fresh = (base: string) => `${base}${++n}`;
    const get = async (id: number) => (await h.app.stores.users.getById(id)) as User;

    /** A djoser sign-up, activated through its mailed link. */
    async function activeDjoserUser(base = 'dj'): Promise<User> {
      const name = fresh(base);
      const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
      const [uid, token] = linkParts((await h.mails(`${name}@example.com`)).at(-1), ACTIVATE);
      return h.app.accounts.activate(uid!, token!).then(() => get(user!.id));
    }

    describe('djoser sign-up and activation', () => {
      test('sign-up makes a pending account and mails its activation link; activation makes it active and verified, once', async () => {
        const name = fresh('carol');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@Example.COM`, password: STRONG }, 'djoser');
        assert.ok(user);
        assert.equal(user.isActive, false);
        assert.equal(user.emailVerified, false);
        assert.equal(user.email, `${name}@example.com`, 'the domain part is lower-cased (normalize_email)');
        assert.equal(await h.app.users.authenticate(name, STRONG), null, 'a pending account cannot log in');
        const mails = await h.mails(`${name}@example.com`);
        assert.equal(mails.length, 1);
        assert.equal(mails[0]!.subject, 'Account activation on Oracle');
        const [uid, token] = linkParts(mails[0], ACTIVATE);
        assert.equal(uid, Buffer.from(String(user.id)).toString('base64url'));
        const activated = await h.app.accounts.activate(uid!, token!);
        assert.equal(activated.isActive, true);
        assert.equal(activated.emailVerified, true);
        assert.ok(await h.app.users.authenticate(name, STRONG));
        const after = await h.mails(`${name}@example.com`);
        assert.equal(after.length, 2);
        assert.equal(after[1]!.subject, 'Oracle - Your account has been successfully created and activated!');
        await rejects(h.app.accounts.activate(uid!, token!), 'stale_token', 'Stale token for given user.');
        assert.match(h.log.text, new RegExp(`"event":"signed_up","userId":${user.id}`));
        assert.match(h.log.text, new RegExp(`"event":"activated","userId":${user.id}`));
      });

      test('activation refusals: bad uid, unknown user, bad or another user\'s token', async () => {
        const a = await activeDjoserUser();
        const name = fresh('pending');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        const [uid, token] = linkParts((await h.mails(`${name}@example.com`))[0], ACTIVATE);
        await rejects(h.app.accounts.activate('!!', token!), 'invalid_uid', "Invalid user id or user doesn't exist.");
        await rejects(h.app.accounts.activate(Buffer.from('999999').toString('base64url'), token!), 'invalid_uid');
        await rejects(h.app.accounts.activate('x'.repeat(10_000), token!), 'invalid_uid');
        await rejects(h.app.accounts.activate(uid!, 'dixu9u-7c6edde34470baf0070262705d6924c7'), 'invalid_token', 'Invalid token for given user.');
        await rejects(h.app.accounts.activate(Buffer.from(String(a.id)).toString('base64url'), token!), 'invalid_token');
        assert.equal((await get(user!.id)).isActive, false, 'nothing changed');
      });

      test('an account an administrator disabled cannot re-activate itself (resend mails nothing, an old link is stale)', async () => {
        const name = fresh('bob');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        const [uid, token] = linkParts((await h.mails(`${name}@example.com`))[0], ACTIVATE);
        await h.app.accounts.activate(uid!, token!);
        await h.app.users.update(user!.id, { isActive: false });
        await rejects(h.app.accounts.activate(uid!, token!), 'stale_token');
        const before = (await h.mails(`${name}@example.com`)).length;
        await h.app.accounts.resendActivation(`${name}@example.com`);
        assert.equal((await h.mails(`${name}@example.com`)).length, before);
        assert.equal((await get(user!.id)).isActive, false);
      });

      test('resend activation mails a pending account (any case of its address) and resolves the same for anything else', async () => {
        const name = fresh('dave');
        await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        const active = await activeDjoserUser();
        assert.equal(await h.app.accounts.resendActivation(`${name.toUpperCase()}@EXAMPLE.COM`), undefined);
        assert.equal(await h.app.accounts.resendActivation(active.email), undefined);
        assert.equal(await h.app.accounts.resendActivation('nobody-at-all@example.com'), undefined);
        assert.equal((await h.mails(`${name}@example.com`)).length, 2);
        assert.equal((await h.mails(active.email)).length, 2, 'activation + confirmation only');
        assert.equal((await h.mails('nobody-at-all@example.com')).length, 0);
      });

      test('an activation link cannot reset the password; a reset link cannot activate', async () => {
        const name = fresh('erin');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        const [uid, token] = linkParts((await h.mails(`${name}@example.com`))[0], ACTIVATE);
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
        await h.app.accounts.activate(uid!, token!);
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
        await rejects(h.app.accounts.confirmUsernameReset({ uid: uid!, token: token!, username: fresh('x') }), 'invalid_token');
        assert.ok(await h.app.users.authenticate(name, STRONG), 'the password is unchanged');
        const reset = await activeDjoserUser();
        await h.app.accounts.requestPasswordReset(reset.email, 'djoser');
        const [ruid, rtoken] = linkParts((await h.mails(reset.email)).at(-1), RESET);
        await h.app.users.update(reset.id, { isActive: false, emailVerified: false });
        await rejects(h.app.accounts.activate(ruid!, rtoken!), 'invalid_token');
        assert.equal((await get(user!.id)).id, user!.id);
      });

      test('links the Django app mailed (Django\'s key salt) keep working: activation, password reset, username reset', async () => {
        const django = new ResetTokenGenerator({ secretKey: SECRET, clock: h.clock });
        const name = fresh('legacy');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        const uid = encodeDjoserUid(user!.id);
        assert.equal((await h.app.accounts.activate(uid, django.make(user!))).isActive, true);
        const active = await get(user!.id);
        const renamed = await h.app.accounts.confirmUsernameReset({ uid, token: django.make(active), username: fresh('legacy') });
        await h.app.accounts.confirmPasswordReset({ uid, token: django.make(renamed), password: STRONG2 }, 'djoser');
        assert.ok(await h.app.users.authenticate(renamed.username, STRONG2));
        const pending = (await h.app.accounts.register({ username: fresh('legacy'), email: `${fresh('legacy')}@example.com`, password: STRONG }, 'djoser')).user!;
        await rejects(h.app.accounts.confirmPasswordReset({ uid: encodeDjoserUid(pending.id), token: django.make(pending), password: STRONG2 }, 'djoser'), 'invalid_token');
      });

      test('sign-up refusals: invalid username, taken username (exact), weak password (similar to the username), invalid address', async () => {
        const taken = await activeDjoserUser('frank');
        await rejects(h.app.accounts.register({ username: 'bad name', email: '', password: STRONG }, 'djoser'), 'invalid_username');
        await rejects(h.app.accounts.register({ username: taken.username, email: '', password: STRONG }, 'djoser'), 'username_taken', 'A user with that username already exists.');
        const upper = await h.app.accounts.register({ username: taken.username.toUpperCase(), email: '', password: STRONG }, 'djoser');
        assert.ok(upper.user, 'djoser: usernames are case-sensitive');
        const name = fresh('grace');
        await assert.rejects(h.app.accounts.register({ username: name, email: '', password: `${name}` }, 'djoser'), (e: unknown) => {
          assert.ok(e instanceof AccountError && e.code === 'weak_password');
          assert.ok(e.messages.includes('The password is too similar to the username.'), e.messages.join('|'));
          return true;
        });
        await rejects(h.app.accounts.register({ username: fresh('h'), email: '1234', password: '1234' }, 'djoser'), 'invalid_email', 'Enter a valid email address.');
        await assert.rejects(h.app.accounts.register({ username: fresh('i'), email: '', password: '1234' }, 'djoser'), (e: unknown) => {
          assert.ok(e instanceof AccountError);
          assert.deepEqual(e.messages, ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.']);
          return true;
        });
      });

      test('a taken address (any case) creates nothing, mails the owner "account exists", and resolves {user: null}', async () => {
        const owner = await activeDjoserUser('owner');
        const count = (await h.app.stores.users.list()).length;
        const before = (await h.mails(owner.email)).length;
        const result = await h.app.accounts.register({ username: fresh('intruder'), email: owner.email.toUpperCase(), password: STRONG }, 'djoser');
        assert.deepEqual(result, { user: null });
        assert.equal((await h.app.stores.users.list()).length, count);
        const mails = await h.mails(owner.email);
        assert.equal(mails.length, before + 1, 'one mail to the address, as a new account gets one');
        assert.doesNotMatch(mails.at(-1)!.text, /activate/);
      });
    });

    describe('allauth sign-up and e-mail verification', () => {
      test('sign-up makes an active, unverified account and mails the confirmation key; verification is single use', async () => {
        const name = fresh('dora');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'allauth');
        assert.equal(user!.isActive, true);
        assert.equal(user!.emailVerified, false);
        const mails = await h.mails(`${name}@example.com`);
        assert.equal(mails.length, 1);
        assert.equal(mails[0]!.subject, '[Oracle] Please Confirm Your E-mail Address');
        const [key] = linkParts(mails[0], CONFIRM);
        assert.match(key!, /^[A-Za-z0-9_-]+:[A-Za-z0-9]+:[A-Za-z0-9_-]+$/);
        await rejects(h.app.accounts.verifyEmail(`${key}x`), 'invalid_key');
        const verified = await h.app.accounts.verifyEmail(key!);
        assert.equal(verified.emailVerified, true);
        await rejects(h.app.accounts.verifyEmail(key!), 'invalid_key');
      });

      test('allauth: usernames are unique case-insensitively', async () => {
        const taken = await activeDjoserUser('Heidi');
        await rejects(h.app.accounts.register({ username: taken.username.toLowerCase(), email: '', password: STRONG }, 'allauth'), 'username_taken');
        await rejects(h.app.accounts.checkNewUsername(taken.username.toUpperCase(), { caseInsensitive: true }), 'username_taken');
        assert.equal(await h.app.accounts.checkNewUsername(taken.username.toUpperCase()), taken.username.toUpperCase());
      });

      test('a confirmation key expires after accounts.emailConfirmationExpire', async () => {
        const name = fresh('ivan');
        await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'allauth');
        const [key] = linkParts((await h.mails(`${name}@example.com`))[0], CONFIRM);
        h.clock.advance(3 * DAY + 1000);
        await rejects(h.app.accounts.verifyEmail(key!), 'invalid_key');
      });

      test('resend verification mails an unverified address only; resolves the same otherwise', async () => {
        const name = fresh('judy');
        await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'allauth');
        const verified = await activeDjoserUser();
        await h.app.accounts.resendVerification(`${name}@EXAMPLE.com`);
        await h.app.accounts.resendVerification(verified.email);
        await h.app.accounts.resendVerification('no-one-here@example.com');
        const mails = await h.mails(`${name}@example.com`);
        assert.equal(mails.length, 2);
        const [key] = linkParts(mails[1], CONFIRM);
        assert.equal((await h.app.accounts.verifyEmail(key!)).emailVerified, true);
        assert.equal((await h.mails(verified.email)).length, 2);
      });

      test('a pending djoser account cannot be verified by a confirmation key', async () => {
        const name = fresh('karl');
        const { user } = await h.app.accounts.register({ username: name, email: `${name}@example.com`, password: STRONG }, 'djoser');
        await h.app.accounts.resendVerification(`${name}@example.com`);
        assert.equal((await h.mails(`${name}@example.com`)).length, 1, 'only the activation link');
        assert.equal((await get(user!.id)).emailVerified, false);
      });
    });

    describe('password change', () => {
      test('wrong current password (even with a weak new one), weak new password (similar to the user), then a change that revokes every credential', async () => {
        const user = await activeDjoserUser('liam');
        const opaque = await h.app.tokens.issue(user);
        const pair = await h.app.jwt.obtainPair(user);
        await rejects(h.app.accounts.changePassword(user, { current: 'wrong-password', password: '1' }, 'djoser'), 'wrong_password');
        await rejects(h.app.accounts.changePassword(user, { current: STRONG, password: `${user.username}` }, 'djoser'), 'weak_password');
        assert.ok(await h.app.tokens.authenticateKey(opaque.key), 'refusals revoke nothing');
        const changed = await h.app.accounts.changePassword(user, { current: STRONG, password: STRONG2 }, 'djoser');
        assert.ok(await h.app.users.authenticate(user.username, STRONG2));
        assert.equal(await h.app.users.authenticate(user.username, STRONG), null);
        await assert.rejects(async () => h.app.tokens.authenticateKey(opaque.key));
        await assert.rejects(h.app.jwt.refresh(pair.refresh));
        assert.notEqual(changed.credentialGeneration, user.credentialGeneration);
        const mails = await h.mails(user.email);
        assert.equal(mails.at(-1)!.subject, 'Oracle - Your password has been successfully changed!');
      });

      test('allauth flow: no mail; current may be omitted (the layout decides)', async () => {
        const user = await activeDjoserUser('mia');
        const before = (await h.mails(user.email)).length;
        await h.app.accounts.changePassword(user, { current: null, password: STRONG2 }, 'allauth');
        assert.equal((await h.mails(user.email)).length, before);
        assert.equal(await h.app.accounts.checkCurrentPassword(await get(user.id), STRONG2), true);
      });
    });

    describe('password reset', () => {
      test('djoser: the link resets once, revokes every credential, mails "password changed"', async () => {
        const user = await activeDjoserUser('noah');
        const opaque = await h.app.tokens.issue(user);
        const pair = await h.app.jwt.obtainPair(user);
        await h.app.accounts.requestPasswordReset(user.email.toUpperCase(), 'djoser');
        const mail = (await h.mails(user.email)).at(-1)!;
        assert.equal(mail.subject, 'Password reset on Oracle');
        assert.match(mail.text, new RegExp(`Your username, in case you've forgotten: ${user.username}`));
        const [uid, token] = linkParts(mail, RESET);
        const checked = await h.app.accounts.userFromUid(uid!, 'djoser');
        assert.equal(checked.id, user.id);
        h.app.accounts.checkResetToken(checked, token!, 'djoser');
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: `${user.username}1` }, 'djoser'), 'weak_password');
        await h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser');
        assert.ok(await h.app.users.authenticate(user.username, STRONG2));
        await assert.rejects(async () => h.app.tokens.authenticateKey(opaque.key));
        await assert.rejects(h.app.jwt.refresh(pair.refresh));
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: 'third-password-9' }, 'djoser'), 'invalid_token');
        assert.equal((await h.mails(user.email)).at(-1)!.subject, 'Oracle - Your password has been successfully changed!');
        assert.match(h.log.text, new RegExp(`"event":"password_reset","userId":${user.id}`));
      });

      test('a reset link expires after accounts.passwordResetTimeout', async () => {
        const user = await activeDjoserUser('olga');
        await h.app.accounts.requestPasswordReset(user.email, 'djoser');
        const [uid, token] = linkParts((await h.mails(user.email)).at(-1), RESET);
        h.clock.advance(3 * DAY + 1000);
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
      });

      test('allauth: base-36 uid and allauth token; djoser links refused there and the other way round', async () => {
        const user = await activeDjoserUser('pia');
        await h.app.accounts.requestPasswordReset(user.email, 'allauth');
        const mail = (await h.mails(user.email)).at(-1)!;
        assert.equal(mail.subject, '[Oracle] Password Reset E-mail');
        const [uid, token] = linkParts(mail, ALLAUTH_RESET);
        assert.equal(uid, user.id.toString(36));
        await h.app.accounts.requestPasswordReset(user.email, 'djoser');
        const [duid, dtoken] = linkParts((await h.mails(user.email)).at(-1), RESET);
        await rejects(h.app.accounts.confirmPasswordReset({ uid: duid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: dtoken!, password: STRONG2 }, 'allauth'), 'invalid_token');
        await rejects(h.app.accounts.userFromUid('!', 'allauth'), 'invalid_uid');
        const before = (await h.mails(user.email)).length;
        await h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'allauth');
        assert.equal((await h.mails(user.email)).length, before, 'allauth mails nothing on reset');
        await rejects(h.app.accounts.confirmPasswordReset({ uid: duid!, token: dtoken!, password: STRONG }, 'djoser'), 'invalid_token');
      });

      test('no mail for unknown, inactive or unusable-password accounts; the call resolves the same', async () => {
        const inactive = await activeDjoserUser('quinn');
        await h.app.users.update(inactive.id, { isActive: false });
        const unusable = await h.app.users.create({ username: fresh('rita'), email: `${fresh('rita')}@example.com`, password: null });
        for (const email of [inactive.email, unusable.email, 'unknown-person@example.com']) {
          const before = (await h.mails(email)).length;
          assert.equal(await h.app.accounts.requestPasswordReset(email, 'djoser'), undefined);
          assert.equal(await h.app.accounts.requestPasswordReset(email, 'allauth'), undefined);
          assert.equal((await h.mails(email)).length, before, email);
        }
      });

      test('an inactive user\'s reset link is refused at confirmation', async () => {
        const user = await activeDjoserUser('sam');
        await h.app.accounts.requestPasswordReset(user.email, 'djoser');
        const [uid, token] = linkParts((await h.mails(user.email)).at(-1), RESET);
        await h.app.users.update(user.id, { isActive: false });
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
      });
    });

    describe('username', () => {
      test('set username: wrong password, invalid, taken, then renamed with the "username changed" mail', async () => {
        const user = await activeDjoserUser('tom');
        const other = await activeDjoserUser('uma');
        await rejects(h.app.accounts.setUsername(user, { current: 'nope', username: fresh('v') }), 'wrong_password', 'Invalid password.');
        await rejects(h.app.accounts.setUsername(user, { current: STRONG, username: 'a b' }), 'invalid_username');
        await rejects(h.app.accounts.setUsername(user, { current: STRONG, username: other.username }), 'username_taken');
        const name = fresh('tomas');
        const renamed = await h.app.accounts.setUsername(user, { current: STRONG, username: name });
        assert.equal(renamed.username, name);
        assert.equal((await h.mails(user.email)).at(-1)!.subject, 'Oracle - Your username has been successfully changed!');
      });

      test('username reset: the link renames once', async () => {
        const user = await activeDjoserUser('vera');
        await h.app.accounts.requestUsernameReset(user.email);
        const mail = (await h.mails(user.email)).at(-1)!;
        assert.equal(mail.subject, 'Username reset on Oracle');
        const [uid, token] = linkParts(mail, USERNAME_RESET);
        await rejects(h.app.accounts.confirmPasswordReset({ uid: uid!, token: token!, password: STRONG2 }, 'djoser'), 'invalid_token');
        const name = fresh('veronika');
        assert.equal((await h.app.accounts.confirmUsernameReset({ uid: uid!, token: token!, username: name })).username, name);
        await rejects(h.app.accounts.confirmUsernameReset({ uid: uid!, token: token!, username: fresh('w') }), 'invalid_token');
      });
    });

    describe('profile', () => {
      test('djoser: a new address makes the account pending and mails the activation link there; other updates mail nothing', async () => {
        const user = await activeDjoserUser('walt');
        const before = (await h.mails(user.email)).length;
        const named = await h.app.accounts.updateProfile(user, { firstName: 'Walt', email: user.email }, 'djoser');
        assert.equal(named.firstName, 'Walt');
        assert.equal(named.isActive, true);
        assert.equal((await h.mails(user.email)).length, before, 'no activation mail on every update');
        const address = `${fresh('walt.new')}@example.com`;
        const moved = await h.app.accounts.updateProfile(named, { email: address }, 'djoser');
        assert.equal(moved.email, address);
        assert.equal(moved.isActive, false);
        assert.equal(moved.emailVerified, false);
        const [uid, token] = linkParts((await h.mails(address))[0], ACTIVATE);
        assert.equal((await h.app.accounts.activate(uid!, token!)).isActive, true);
      });

      test('djoser: an address another account has (any case) is refused; an invalid one too', async () => {
        const user = await activeDjoserUser('xena');
        const other = await activeDjoserUser('yan');
        await rejects(h.app.accounts.updateProfile(user, { email: other.email.toUpperCase() }, 'djoser'), 'email_taken');
        await rejects(h.app.accounts.updateProfile(user, { email: 'not-an-address' }, 'djoser'), 'invalid_email');
        assert.equal((await get(user.id)).isActive, true);
      });

      test('allauth: username (unique case-insensitively) and names writable, address read-only', async () => {
        const user = await activeDjoserUser('zoe');
        const other = await activeDjoserUser('adam');
        await rejects(h.app.accounts.updateProfile(user, { username: other.username.toUpperCase() }, 'allauth'), 'username_taken');
        const same = await h.app.accounts.updateProfile(user, { username: user.username.toUpperCase(), email: 'ignored@example.com', lastName: 'Z' }, 'allauth');
        assert.equal(same.username, user.username.toUpperCase(), 'its own name in another case is free');
        assert.equal(same.email, user.email);
        assert.equal(same.lastName, 'Z');
      });
    });

    test('delete account: the current password, then the row and every credential go', async () => {
      const user = await activeDjoserUser('bea');
      const opaque = await h.app.tokens.issue(user);
      await rejects(h.app.accounts.deleteAccount(user, 'wrong'), 'wrong_password');
      await h.app.accounts.deleteAccount(user, STRONG);
      assert.equal(await h.app.stores.users.getById(user.id), null);
      await assert.rejects(async () => h.app.tokens.authenticateKey(opaque.key));
      assert.match(h.log.text, new RegExp(`"event":"account_deleted","userId":${user.id}`));
    });

    test('the log names events and users, never a link, token, uid or key', async () => {
      await h.app.accounts.settled();
      for (const message of h.outbox.messages) {
        const link = /https?:\/\/\S+/.exec(message.text)?.[0];
        if (!link) continue;
        const secret = link.split('/').filter((p) => p.length >= 10).at(-1)!;
        assert.ok(!h.log.text.includes(secret), `${secret} logged`);
      }
    });
  });
}

describe('account e-mails: throttle, failures, links', () => {
  const [, open] = STORE_KINDS[0]!;

  test('throttle.accountEmailRate: beyond it the mail is skipped, the answer unchanged, the skip logged', async () => {
    const h = await harness(open(), { throttle: { accountEmailRate: '2/hour' } });
    try {
      const { user } = await h.app.accounts.register({ username: 'amy', email: 'amy@example.com', password: STRONG }, 'allauth');
      await h.app.accounts.requestPasswordReset('amy@example.com', 'allauth');
      await h.app.accounts.requestPasswordReset('AMY@example.com', 'allauth');
      await h.app.accounts.resendVerification('amy@example.com');
      assert.equal((await h.mails('amy@example.com')).length, 2);
      assert.match(h.log.text, /"event":"account_email_not_sent","kind":"allauth_password_reset","reason":"throttled"/);
      h.clock.advance(3_600_001);
      await h.app.accounts.requestPasswordReset('amy@example.com', 'allauth');
      assert.equal((await h.mails('amy@example.com')).length, 3);
      assert.ok(user);
    } finally {
      await h.close();
    }
  });

  test('a failing backend: sign-up, activation, password and username change keep their state and say the mail failed; resend works once it is back; reset resolves', async () => {
    const backend = new FlakyBackend();
    const h = await harness(open(), { accounts: { sendConfirmationEmail: true, passwordChangedEmail: true, usernameChangedEmail: true } }, backend);
    try {
      await assert.rejects(h.app.accounts.register({ username: 'ben', email: 'ben@example.com', password: STRONG }, 'djoser'), (e: unknown) => e instanceof AccountEmailFailed && /Account created/.test(e.message));
      const ben = await h.app.users.getByUsername('ben');
      assert.ok(ben, 'the account is kept');
      assert.equal(ben.isActive, false);
      assert.equal(await h.app.accounts.resendActivation('ben@example.com'), undefined);
      await h.app.accounts.settled();
      assert.match(h.log.text, /"event":"account_email_not_sent","kind":"activation","userId":\d+,"reason":"failed","error":"connect ECONNREFUSED/);
      backend.down = false;
      await h.app.accounts.resendActivation('ben@example.com');
      await h.app.accounts.settled();
      const [uid, token] = linkParts(backend.outbox.messages[0], ACTIVATE);
      backend.down = true;
      await assert.rejects(h.app.accounts.activate(uid!, token!), AccountEmailFailed);
      assert.equal((await h.app.users.getByUsername('ben'))!.isActive, true, 'activated even though the confirmation mail failed');
      assert.equal(await h.app.accounts.requestPasswordReset('ben@example.com', 'djoser'), undefined);
      await h.app.accounts.settled();
      assert.ok(!h.log.text.includes(token!), 'no token in the log');
      const active = (await h.app.users.getByUsername('ben'))!;
      await assert.rejects(h.app.accounts.changePassword(active, { current: STRONG, password: STRONG2 }, 'djoser'), (e: unknown) => e instanceof AccountEmailFailed && /Password changed/.test(e.message));
      assert.ok(await h.app.users.authenticate('ben', STRONG2), 'the password was changed');
      await assert.rejects(h.app.accounts.setUsername((await h.app.users.getByUsername('ben'))!, { current: STRONG2, username: 'benjamin' }), AccountEmailFailed);
      assert.ok(await h.app.users.getByUsername('benjamin'), 'renamed');
    } finally {
      await h.close();
    }
  });

  test('links come from accounts.protocol, accounts.domain and the URL templates, and nothing else', async () => {
    const h = await harness(open(), {
      accounts: { domain: 'app.example.com', protocol: 'https', activationUrl: 'welcome?uid={uid}&t={token}', emailConfirmationUrl: 'confirm/{key}' },
    });
    try {
      await h.app.accounts.register({ username: 'cleo', email: 'cleo@example.com', password: STRONG }, 'djoser');
      await h.app.accounts.register({ username: 'dino', email: 'dino@example.com', password: STRONG }, 'allauth');
      const [activation] = await h.mails('cleo@example.com');
      const [confirmation] = await h.mails('dino@example.com');
      assert.match(activation!.text, /https:\/\/app\.example\.com\/welcome\?uid=[A-Za-z0-9_-]+&t=[0-9a-z]+-[0-9a-f]+\n/);
      assert.match(confirmation!.text, /https:\/\/app\.example\.com\/confirm\/[A-Za-z0-9_:-]+\n/);
      assert.doesNotMatch(activation!.text + confirmation!.text, /localhost|127\.0\.0\.1/);
    } finally {
      await h.close();
    }
  });

  test('accounts.uniqueEmail false: several accounts share an address and a reset mails each of them', async () => {
    const h = await harness(open(), { accounts: { uniqueEmail: false, activation: false } });
    try {
      await h.app.accounts.register({ username: 'eve', email: 'shared@example.com', password: STRONG }, 'djoser');
      await h.app.accounts.register({ username: 'fay', email: 'Shared@example.com', password: STRONG }, 'djoser');
      await h.app.accounts.requestPasswordReset('shared@example.com', 'djoser');
      const resets = (await h.app.accounts.settled(), h.outbox.messages.filter((m) => m.subject === 'Password reset on Oracle'));
      assert.deepEqual(resets.map((m) => /forgotten: (\w+)/.exec(m.text)?.[1]).sort(), ['eve', 'fay']);
    } finally {
      await h.close();
    }
  });

  test('djoser with accounts.activation off: active at once, no activation link, the confirmation mail when asked', async () => {
    const h = await harness(open(), { accounts: { activation: false, sendConfirmationEmail: true } });
    try {
      const { user } = await h.app.accounts.register({ username: 'gil', email: 'gil@example.com', password: STRONG }, 'djoser');
      assert.equal(user!.isActive, true);
      const mails = await h.mails('gil@example.com');
      assert.deepEqual(mails.map((m) => m.subject), ['Oracle - Your account has been successfully created and activated!']);
    } finally {
      await h.close();
    }
  });

  test('accounts.loginField either: a username containing "@" must be the account\'s own address', async () => {
    const h = await harness(open(), { accounts: { loginField: 'either', activation: false } });
    try {
      const { user: victim } = await h.app.accounts.register({ username: 'ivy', email: 'ivy@example.com', password: STRONG }, 'djoser');
      await rejects(h.app.accounts.register({ username: 'ivy@example.com', email: 'mallory@example.com', password: STRONG }, 'djoser'), 'invalid_username');
      await rejects(h.app.accounts.checkNewUsername('IVY@example.com', { email: 'mallory@example.com' }), 'invalid_username');
      const { user: own } = await h.app.accounts.register({ username: 'Jo@Example.com', email: 'jo@example.com', password: STRONG }, 'djoser');
      assert.equal(own!.username, 'Jo@Example.com');
      await rejects(h.app.accounts.setUsername(victim!, { current: STRONG, username: 'jo@example.com' }), 'invalid_username');
      await rejects(h.app.accounts.updateProfile(victim!, { username: 'someone@example.com' }, 'allauth'), 'invalid_username');
      assert.equal((await h.app.accounts.setUsername(victim!, { current: STRONG, username: 'ivy@example.com' })).username, 'ivy@example.com');
    } finally {
      await h.close();
    }
    const plain = await harness(open(), { accounts: { activation: false } });
    try {
      assert.ok((await plain.app.accounts.register({ username: 'kim@example.com', email: 'other@example.com', password: STRONG }, 'djoser')).user, 'loginField username: any name');
    } finally {
      await plain.close();
    }
  });

  test('without accounts.domain an operation that mails a link is refused before it changes anything', async () => {
    const h = await harness(open(), { accounts: { domain: null } });
    try {
      await assert.rejects(h.app.accounts.register({ username: 'nia', email: 'nia@example.com', password: STRONG }, 'djoser'), AccountsNotConfigured);
      assert.equal(await h.app.users.getByUsername('nia'), null);
      await assert.rejects(h.app.accounts.requestPasswordReset('nia@example.com', 'djoser'), /accounts\.domain is not set/);
    } finally {
      await h.close();
    }
  });

  test('allauth with accounts.emailVerification none: no mail', async () => {
    const h = await harness(open(), { accounts: { emailVerification: 'none' } });
    try {
      await h.app.accounts.register({ username: 'hal', email: 'hal@example.com', password: STRONG }, 'allauth');
      assert.equal((await h.mails()).length, 0);
    } finally {
      await h.close();
    }
  });
});
