/**
 * `accounts.loginField` on every password login path, over HTTP: DRF's
 * `/api-token-auth/` and knox read the body field `username` (its value an address when
 * logins are by e-mail), simplejwt's obtain views and cookie-mode login read the
 * `USERNAME_FIELD` (`email` with loginField `email`), HTTP Basic takes the user-id part.
 * An address matches ignoring case and names one account only (verified first, then the
 * exact case, else no one: docs/security.md #118); `either` tries the username first.
 * Every failure, whatever the branch, is padded once to the same target
 * (`FailureTiming`, seen by recording its `pad` calls, not by a wall clock).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicHeader, startServer, type TestServer } from '../helpers.js';

/** Above any hash cost measured here, so every padded failure lasts exactly this (docs/architecture.md, "Password checks"). */
const FLOOR_MS = 1000;

interface Pad {
  target: number;
  slept: number;
}

/** A server with `loginField`, its users, and a record of every failure padding. */
async function serverWith(loginField: 'username' | 'email' | 'either', extra: Record<string, unknown> = {}) {
  const s = await startServer({ settings: { accounts: { loginField }, ...extra } });
  const pads: Pad[] = [];
  const timing = s.app.users.hasher.timing;
  const pad = timing.pad.bind(timing);
  timing.pad = async (startedAt: number) => {
    const p = await pad(startedAt);
    pads.push(p);
    return p;
  };
  const add = (username: string, email: string, emailVerified = true) => s.app.users.create({ username, password: `${username}-password-1`, email, emailVerified });
  await add('alice', 'Alice@Example.com');
  await add('carol@example.com', ''); // a username that looks like an address
  await add('dave', 'carol@example.com'); // … and another user's address equal to it
  await add('twin1', 'twin@example.com');
  await add('twin2', 'twin@example.com');
  await add('case1', 'Case@example.com');
  await add('case2', 'case@example.com');
  await add('owner', 'shared@example.com');
  await add('squatter', 'SHARED@example.com', false);
  await add('nomail', '');
  return { s, pads };
}

const UNABLE = { non_field_errors: ['Unable to log in with provided credentials.'] };
const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };

/** Who the credentials log in as through `/api-token-auth/` (null: refused with DRF's message). */
async function whoIs(s: TestServer, username: string, password: string): Promise<string | null> {
  const res = await s.send('POST', '/api-token-auth/', { body: { username, password } });
  if (res.status === 400) {
    assert.deepEqual(res.json, UNABLE);
    return null;
  }
  assert.equal(res.status, 200, res.text);
  const me = await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${(res.json as { token: string }).token}` } });
  return (me.json as { username: string }).username;
}

describe('loginField email', () => {
  let s: TestServer;
  before(async () => ({ s } = await serverWith('email')));
  after(() => s.close());

  test('/api-token-auth/: the address in the username field, any case; the username itself no longer logs in', async () => {
    assert.equal(await whoIs(s, 'alice@example.com', 'alice-password-1'), 'alice');
    assert.equal(await whoIs(s, 'ALICE@EXAMPLE.COM', 'alice-password-1'), 'alice');
    assert.equal(await whoIs(s, ' Alice@Example.com ', 'alice-password-1'), 'alice', 'trimmed as DRF trims');
    assert.equal(await whoIs(s, 'alice', 'alice-password-1'), null);
    assert.equal(await whoIs(s, 'alice@example.com', 'wrong'), null);
  });

  test('one account per address: verified first, then the exact case, else no one', async () => {
    assert.equal(await whoIs(s, 'twin@example.com', 'twin1-password-1'), null, 'two accounts share it: no one');
    assert.equal(await whoIs(s, 'twin@example.com', 'twin2-password-1'), null);
    assert.equal(await whoIs(s, 'case@example.com', 'case2-password-1'), 'case2');
    assert.equal(await whoIs(s, 'Case@example.com', 'case1-password-1'), 'case1');
    assert.equal(await whoIs(s, 'CASE@example.com', 'case1-password-1'), null, 'neither is exact: no one');
    assert.equal(await whoIs(s, 'SHARED@example.com', 'owner-password-1'), 'owner', 'the verified address wins over the exact case');
    assert.equal(await whoIs(s, 'SHARED@example.com', 'squatter-password-1'), null, 'an unverified copy of the address never logs in');
    assert.equal(await whoIs(s, 'carol@example.com', 'dave-password-1'), 'dave');
  });

  test('knox: body `username` holds the address; HTTP Basic takes it as the user-id', async () => {
    const body = await s.send('POST', '/api/auth/login/', { body: { username: 'ALICE@example.com', password: 'alice-password-1' } });
    assert.equal(body.status, 200, body.text);
    const basic = await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice@example.com', 'alice-password-1') });
    assert.equal(basic.status, 200, basic.text);
    const byName = await s.send('POST', '/api/auth/login/', { headers: basicHeader('alice', 'alice-password-1') });
    assert.equal(byName.status, 403, 'as DRF: Basic behind SessionAuthentication, no challenge');
    assert.deepEqual(byName.json, { detail: 'Invalid username/password.' });
  });

  test('simplejwt pair and sliding: the body field is `email`, and the messages name it', async () => {
    const pair = await s.send('POST', '/api/token/', { body: { email: 'alice@EXAMPLE.com', password: 'alice-password-1' } });
    assert.equal(pair.status, 200, pair.text);
    assert.deepEqual(Object.keys(pair.json as object), ['refresh', 'access']);
    const sliding = await s.send('POST', '/api/token/sliding/', { body: { email: 'alice@example.com', password: 'alice-password-1' } });
    assert.equal(sliding.status, 200, sliding.text);
    const missing = await s.send('POST', '/api/token/', { body: { username: 'alice@example.com', password: 'alice-password-1' } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json, { email: ['This field is required.'] });
    const blank = await s.send('POST', '/api/token/sliding/', { body: { email: '  ', password: 'x' } });
    assert.deepEqual(blank.json, { email: ['This field may not be blank.'] });
    const wrong = await s.send('POST', '/api/token/', { body: { email: 'alice@example.com', password: 'wrong' } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json, NO_ACCOUNT);
    const options = await s.send('OPTIONS', '/api/token/');
    assert.equal(options.status, 200);
    assert.match(options.text, /"email"/);
    assert.doesNotMatch(options.text, /"username"/);
  });

  test('every failure is padded once to the same target: unknown, shared, unverified, no address, wrong password, too long', async (t) => {
    const { s, pads } = await serverWith('email', { passwords: { failedLoginMinTime: `${FLOOR_MS}ms` } });
    t.after(() => s.close());
    const failures: Array<[string, string]> = [
      ['nobody@example.com', 'x'],
      ['twin@example.com', 'twin1-password-1'],
      ['SHARED@example.com', 'squatter-password-1'],
      ['', 'nomail-password-1'], // blank: refused by the field before any lookup
      ['nomail', 'nomail-password-1'],
      ['alice@example.com', 'wrong'],
      [`${'a'.repeat(400)}@example.com`, 'x'],
    ];
    for (const [email, password] of failures) {
      const before = pads.length;
      const res = await s.send('POST', '/api/token/', { body: { email, password } });
      if (email === '') {
        assert.equal(res.status, 400);
        assert.equal(pads.length, before, 'a blank field never reaches the password check');
        continue;
      }
      assert.equal(res.status, 401, email);
      assert.deepEqual(res.json, NO_ACCOUNT);
      assert.equal(pads.length, before + 1, `${email.slice(0, 30)}: padded exactly once`);
    }
    const targets = new Set(pads.map((p) => p.target));
    assert.deepEqual([...targets], [FLOOR_MS], 'one target for every failure: the floor');
  });
});

describe('loginField either', () => {
  let s: TestServer;
  before(async () => ({ s } = await serverWith('either')));
  after(() => s.close());

  test('/api-token-auth/ and HTTP Basic: the username, else the address when the value contains "@"', async () => {
    assert.equal(await whoIs(s, 'alice', 'alice-password-1'), 'alice');
    assert.equal(await whoIs(s, 'alice@example.com', 'alice-password-1'), 'alice');
    assert.equal(await whoIs(s, 'Alice', 'alice-password-1'), null, 'usernames stay case-sensitive');
    // A username that equals another user's address: the username wins, the address owner is not reached.
    assert.equal(await whoIs(s, 'carol@example.com', 'carol@example.com-password-1'), 'carol@example.com');
    assert.equal(await whoIs(s, 'carol@example.com', 'dave-password-1'), null);
    const basic = await s.send('POST', '/api/auth/login/', { headers: basicHeader('ALICE@example.com', 'alice-password-1') });
    assert.equal(basic.status, 200, basic.text);
  });

  test('simplejwt keeps the `username` field (USERNAME_FIELD stays username) and accepts an address in it', async () => {
    const pair = await s.send('POST', '/api/token/', { body: { username: 'alice@example.com', password: 'alice-password-1' } });
    assert.equal(pair.status, 200, pair.text);
    const byName = await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'alice-password-1' } });
    assert.equal(byName.status, 200, byName.text);
    const missing = await s.send('POST', '/api/token/', { body: { email: 'alice@example.com', password: 'alice-password-1' } });
    assert.deepEqual(missing.json, { username: ['This field is required.'] });
  });

  test('unknown username, unknown address, ambiguous address: each padded once, to one target', async (t) => {
    const { s, pads } = await serverWith('either', { passwords: { failedLoginMinTime: `${FLOOR_MS}ms` } });
    t.after(() => s.close());
    for (const username of ['nobody', 'nobody@example.com', 'twin@example.com', 'alice']) {
      const before = pads.length;
      const res = await s.send('POST', '/api-token-auth/', { body: { username, password: 'wrong' } });
      assert.deepEqual([res.status, res.json], [400, UNABLE]);
      assert.equal(pads.length, before + 1, username);
    }
    assert.deepEqual([...new Set(pads.map((p) => p.target))], [FLOOR_MS]);
  });
});

describe('loginField username (default): addresses do not log in', () => {
  test('the address is refused on /api-token-auth/ and /api/token/', async () => {
    const { s } = await serverWith('username');
    try {
      assert.equal(await whoIs(s, 'alice', 'alice-password-1'), 'alice');
      assert.equal(await whoIs(s, 'alice@example.com', 'alice-password-1'), null);
      const pair = await s.send('POST', '/api/token/', { body: { username: 'alice@example.com', password: 'alice-password-1' } });
      assert.equal(pair.status, 401);
    } finally {
      await s.close();
    }
  });
});

describe('cookie mode with loginField email', () => {
  test('login reads `email` and sets the cookies; `username` is a missing field', async () => {
    const { s } = await serverWith('email', { cookies: { enabled: true, csrf: false } });
    try {
      const ok = await s.send('POST', '/api/token/', { body: { email: 'Alice@example.com', password: 'alice-password-1' } });
      assert.equal(ok.status, 200, ok.text);
      assert.match(String(ok.headers['set-cookie']), /gatehouse-access=/);
      const missing = await s.send('POST', '/api/token/', { body: { username: 'alice@example.com', password: 'alice-password-1' } });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.json, { email: ['This field is required.'] });
    } finally {
      await s.close();
    }
  });
});

describe('login throttle with loginField email', () => {
  test('an address typed in other cases is one account to the throttle, even beyond 150 characters', async () => {
    const { s } = await serverWith('email', { throttle: { loginUsernameRate: '2/h' } });
    try {
      const long = `${'x'.repeat(160)}@example.com`;
      await s.app.users.create({ username: 'longmail', password: 'longmail-password-1', email: long });
      for (const typed of [long, long.toUpperCase()]) assert.equal(await whoIs(s, typed, 'wrong'), null);
      const variant = `X${long.slice(1)}`;
      assert.equal(await whoIs(s, variant, 'longmail-password-1'), null, 'locked: the right password is refused as a wrong one');
    } finally {
      await s.close();
    }
  });
});
