/**
 * Gatehouse's dj-rest-auth routes against the real dj-rest-auth 4.0.1 + django-allauth 0.51
 * of the oracle (Token mode, mandatory verification), request by request: the same bytes to
 * both, status and JSON body compared (key order aside; a token's value compared as its
 * shape: DRF's 40 hex digits, Gatehouse's 64). Then the e-mails each sent, compared text for text modulo the link's origin
 * (allauth builds it from the request's Host, Gatehouse from `accounts.domain`) and the
 * token or key inside it. The deliberate differences (docs/compatibility.md, "dj-rest-auth")
 * are asserted as such, both sides' answers named.
 *
 * Last, links made by Django work on Gatehouse: a reset requested on the oracle and a
 * sign-up's confirmation key, after `import-django` of the oracle's database with its
 * SECRET_KEY as Gatehouse's `secretKey`.
 *
 * Skipped when the oracle cannot run here; a failure with GATEHOUSE_REQUIRE_ORACLE=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { send, startServer, tokenHeader, type TestResponse, type TestServer } from '../helpers.js';
import { importOracleDatabase, oracleOutbox, type OracleMail } from './accounts-oracle.js';
import { diffAnswers, mismatchTable, oracleSecretKey, oracleUnavailable, ORACLE_USERS, startOracle, type Mismatch, type Oracle } from './oracle.js';
import { gatehouseOutbox, seedVerifiedUsers } from '../accounts-helpers.js';

const unavailable = oracleUnavailable();
const required = process.env.GATEHOUSE_REQUIRE_ORACLE === '1';
const P = '/dj-rest-auth';
const GOOD = 'Tr1cky-Passphrase!';
/** The oracle's front end (`DOMAIN`, `Site.domain`) and site name, as Gatehouse's settings. */
/** No account throttles: every case is an anonymous request from one address (the oracle has none either). */
const THROTTLES = { deviceCookieLifetime: null, accountEmailRate: null, rates: { anon: null, user: null, accounts: null } };
const ACCOUNTS = { djRestAuth: P, emailVerification: 'mandatory', siteName: 'Oracle', domain: 'localhost:3000', protocol: 'http' };

type Side = 'oracle' | 'gatehouse';
interface Case {
  name: string;
  method?: string;
  path: string;
  body?: unknown;
  /** Authenticate as this user with the side's own token. */
  as?: string;
}

/** A body with credential values replaced by their shape (`<key>`): they differ by construction. */
function shape(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if (typeof out.key === 'string' && /^[0-9a-f]{40,}$/.test(out.key)) out.key = '<key>';
  return out;
}

/** An e-mail text with the link's origin made Gatehouse's and the token or key in it a placeholder. */
function mailShape(text: string, oracleOrigin: string): string {
  return text
    .split(oracleOrigin)
    .join('http://localhost:3000')
    .replace(/account-confirm-email\/[A-Za-z0-9_-]+:[A-Za-z0-9]+:[A-Za-z0-9_-]+\//g, 'account-confirm-email/<key>/')
    .replace(/\/([0-9a-z]+)\/[0-9a-z]+-[0-9a-f]+\//g, '/$1/<token>/');
}

if (unavailable !== null && required) {
  test('dj-rest-auth against the oracle (GATEHOUSE_REQUIRE_ORACLE=1)', () => {
    assert.fail(unavailable);
  });
} else if (unavailable !== null) {
  console.log(`# SKIPPED test/oracle/dj-rest-auth-oracle.test.ts: ${unavailable}`);
  test('dj-rest-auth against the oracle', { skip: unavailable }, () => {});
} else {
  describe('dj-rest-auth: Gatehouse vs dj-rest-auth 4.0.1 + allauth 0.51 (Token mode, mandatory verification)', () => {
    let oracle: Oracle;
    let server: TestServer;
    const tokens: Record<Side, Record<string, string>> = { oracle: {}, gatehouse: {} };

    before(async () => {
      oracle = await startOracle();
      server = await startServer({ settings: { secretKey: oracleSecretKey(), accounts: ACCOUNTS, email: { backend: 'memory' }, throttle: THROTTLES } });
      await seedVerifiedUsers(server, ORACLE_USERS);
    });
    after(async () => {
      await server?.close();
      oracle?.stop();
    });

    const request = (side: Side, c: Case): Promise<TestResponse> => {
      const base = side === 'oracle' ? oracle.url : server.url;
      const headers = c.as ? tokenHeader(tokens[side][c.as]!) : {};
      return send(base, c.method ?? 'POST', `${P}${c.path}`, { headers, ...(c.body === undefined ? {} : { body: c.body }) });
    };
    const both = async (c: Case) => ({ o: await request('oracle', c), g: await request('gatehouse', c) });

    /** Each case on both sides in order; every differing field listed before the assertion fails. */
    async function compare(cases: readonly Case[]): Promise<void> {
      const mismatches: Mismatch[] = [];
      for (const c of cases) {
        const { o, g } = await both(c);
        mismatches.push(...diffAnswers(c.name, { status: o.status, body: shape(o.json) }, { status: g.status, body: shape(g.json) }));
      }
      assert.equal(mismatches.length, 0, `\n${mismatchTable(mismatches)}`);
    }

    /** Log `username` in on both sides (the same answer), keeping each side's token. */
    async function login(username: string, password: string): Promise<void> {
      const { o, g } = await both({ name: 'login', path: '/login/', body: { username, password } });
      assert.deepEqual([o.status, shape(o.json)], [200, { key: '<key>' }], o.text);
      assert.deepEqual([g.status, shape(g.json)], [200, { key: '<key>' }], g.text);
      tokens.oracle[username] = (o.json as { key: string }).key;
      tokens.gatehouse[username] = (g.json as { key: string }).key;
    }

    /**
     * The mails both sent since the last call, compared modulo the link and the case of the
     * recipient (allauth writes to the address as typed, Gatehouse to the one on file); returns them.
     */
    async function compareMails(): Promise<{ o: OracleMail[]; g: { to: string[]; subject: string; text: string; from: string }[] }> {
      const o = await oracleOutbox(oracle.url, { clear: true });
      const g = await gatehouseOutbox(server, { clear: true });
      const view = (m: { from: string; to: string[]; subject: string; text: string }) => ({
        from: m.from,
        to: m.to.map((a) => a.toLowerCase()),
        subject: m.subject,
        text: mailShape(m.text, oracle.url),
      });
      assert.deepEqual(g.map(view), o.map((m) => view({ ...m, text: m.body })));
      return { o, g };
    }

    test('login: success and every refusal', async () => {
      await login('alice', 'alice-password-1');
      await compare([
        { name: 'wrong password', path: '/login/', body: { username: 'alice', password: 'nope' } },
        { name: 'unknown user', path: '/login/', body: { username: 'nobody', password: 'nope' } },
        { name: 'inactive bob', path: '/login/', body: { username: 'bob', password: 'bob-password-1' } },
        { name: 'empty body', path: '/login/', body: {} },
        { name: 'password only', path: '/login/', body: { password: 'alice-password-1' } },
        { name: 'e-mail instead of username', path: '/login/', body: { email: 'alice@example.com', password: 'alice-password-1' } },
        { name: 'invalid e-mail field', path: '/login/', body: { username: 'alice', email: 'nope', password: 'alice-password-1' } },
        { name: 'ALICE (case-sensitive)', path: '/login/', body: { username: 'ALICE', password: 'alice-password-1' } },
        { name: 'blank username', path: '/login/', body: { username: '', password: 'x' } },
        { name: 'null username', path: '/login/', body: { username: null, password: 'x' } },
        { name: 'GET', method: 'GET', path: '/login/' },
      ]);
    });

    test('user/: GET, PATCH, PUT, refusals', async () => {
      await compare([
        { name: 'anonymous', method: 'GET', path: '/user/' },
        { name: 'GET', method: 'GET', path: '/user/', as: 'alice' },
        { name: 'PATCH first_name', method: 'PATCH', path: '/user/', body: { first_name: 'Alice' }, as: 'alice' },
        { name: 'PATCH email (read-only)', method: 'PATCH', path: '/user/', body: { email: 'evil@example.com' }, as: 'alice' },
        { name: 'PATCH username taken (ADMIN)', method: 'PATCH', path: '/user/', body: { username: 'ADMIN' }, as: 'alice' },
        { name: 'PATCH invalid username', method: 'PATCH', path: '/user/', body: { username: 'a b' }, as: 'alice' },
        { name: 'PATCH last_name too long', method: 'PATCH', path: '/user/', body: { last_name: 'x'.repeat(151) }, as: 'alice' },
        { name: 'PUT without username', method: 'PUT', path: '/user/', body: { first_name: 'A' }, as: 'alice' },
        { name: 'DELETE', method: 'DELETE', path: '/user/', as: 'alice' },
      ]);
    });

    test('difference: keeping one\'s own username (allauth refuses it as taken, Gatehouse accepts)', async () => {
      const { o, g } = await both({ name: 'own username', method: 'PATCH', path: '/user/', body: { username: 'alice' }, as: 'alice' });
      assert.deepEqual([o.status, o.json], [400, { username: ['A user with that username already exists.'] }]);
      assert.equal(g.status, 200, g.text);
    });

    test('password/change/: every refusal', async () => {
      const change = (name: string, body: unknown): Case => ({ name, path: '/password/change/', body, as: 'alice' });
      await compare([
        { name: 'anonymous', path: '/password/change/', body: {} },
        change('empty', {}),
        change('wrong old', { old_password: 'nope', new_password1: GOOD, new_password2: GOOD }),
        change('mismatch', { old_password: 'alice-password-1', new_password1: GOOD, new_password2: `x${GOOD}` }),
        change('1234', { old_password: 'alice-password-1', new_password1: '1234', new_password2: '1234' }),
        change('common', { old_password: 'alice-password-1', new_password1: 'password1', new_password2: 'password1' }),
        change('similar to the username', { old_password: 'alice-password-1', new_password1: 'alice1234', new_password2: 'alice1234' }),
        change('weak and wrong old', { old_password: 'nope', new_password1: '1234', new_password2: '1234' }),
        change('wrong old, new_password2 missing', { old_password: 'nope', new_password1: GOOD }),
      ]);
    });

    test('password/reset/ and the e-mail; confirm refusals', async () => {
      await oracleOutbox(oracle.url, { clear: true });
      await gatehouseOutbox(server, { clear: true });
      await compare([
        { name: 'known address', path: '/password/reset/', body: { email: 'alice@example.com' } },
        { name: 'unknown address', path: '/password/reset/', body: { email: 'nobody@example.com' } },
        { name: 'inactive bob', path: '/password/reset/', body: { email: 'bob@example.com' } },
        { name: 'other case', path: '/password/reset/', body: { email: 'ALICE@EXAMPLE.COM' } },
        { name: 'invalid', path: '/password/reset/', body: { email: 'nope' } },
        { name: 'empty', path: '/password/reset/', body: {} },
        { name: 'GET', method: 'GET', path: '/password/reset/' },
      ]);
      const { o, g } = await compareMails();
      assert.deepEqual(o.map((m) => m.to), [['alice@example.com'], ['ALICE@EXAMPLE.COM']], 'allauth: the address as typed');
      assert.deepEqual(g.map((m) => m.to), [['alice@example.com'], ['alice@example.com']], 'difference: Gatehouse mails the address on file');
      assert.match(o[0]!.body, new RegExp(`${oracle.url}/password-reset/confirm/1/`), 'allauth: the request host');
      assert.match(g[0]!.text, /http:\/\/localhost:3000\/password-reset\/confirm\/1\//, 'Gatehouse: accounts.domain');

      const link = (text: string) => /confirm\/([0-9a-z]+)\/([0-9a-z]+-[0-9a-f]+)\//.exec(text)!;
      const [, , oToken] = link(o[0]!.body);
      const [, , gToken] = link(g[0]!.text);
      const pw = { new_password1: 'Another-Passphrase-7', new_password2: 'Another-Passphrase-7' };
      const confirm = (name: string, body: (token: string) => Record<string, unknown>) => ({ name, body });
      const cases = [
        confirm('empty', () => ({})),
        confirm('bad uid', (t) => ({ ...pw, uid: '!!', token: t })),
        confirm("djoser's base-64 uid", (t) => ({ ...pw, uid: 'MQ', token: t })),
        confirm('bad token', () => ({ ...pw, uid: '1', token: 'abc-123' })),
        confirm('bad token and weak', () => ({ new_password1: '1234', new_password2: '1234', uid: '1', token: 'abc-123' })),
        confirm('weak', (t) => ({ new_password1: '1234', new_password2: '1234', uid: '1', token: t })),
        confirm('mismatch', (t) => ({ ...pw, new_password2: 'x', uid: '1', token: t })),
        confirm('similar', (t) => ({ new_password1: 'alice1234', new_password2: 'alice1234', uid: '1', token: t })),
      ];
      const mismatches: Mismatch[] = [];
      for (const c of cases) {
        const ours = await send(server.url, 'POST', `${P}/password/reset/confirm/`, { body: c.body(gToken!) });
        const theirs = await send(oracle.url, 'POST', `${P}/password/reset/confirm/`, { body: c.body(oToken!) });
        mismatches.push(...diffAnswers(c.name, { status: theirs.status, body: theirs.json }, { status: ours.status, body: ours.json }));
      }
      assert.equal(mismatches.length, 0, `\n${mismatchTable(mismatches)}`);
    });

    test("password/reset/confirm/ with each side's own link: the same success, then the same refusal", async () => {
      await both({ name: 'reset admin', path: '/password/reset/', body: { email: 'admin@example.com' } });
      const { o, g } = await compareMails();
      const link = (text: string) => /confirm\/([0-9a-z]+)\/([0-9a-z]+-[0-9a-f]+)\//.exec(text)!;
      const [, oUid, oToken] = link(o[0]!.body);
      const [, gUid, gToken] = link(g[0]!.text);
      assert.equal(gUid, oUid, 'the same base-36 uid');
      const pw = { new_password1: 'Another-Passphrase-7', new_password2: 'Another-Passphrase-7' };
      for (const name of ['OK', 'the same link again']) {
        const theirs = await send(oracle.url, 'POST', `${P}/password/reset/confirm/`, { body: { ...pw, uid: oUid, token: oToken } });
        const ours = await send(server.url, 'POST', `${P}/password/reset/confirm/`, { body: { ...pw, uid: gUid, token: gToken } });
        assert.deepEqual([ours.status, ours.json], [theirs.status, theirs.json], `${name}: oracle ${theirs.text}, Gatehouse ${ours.text}`);
      }
      await compare([{ name: 'login with the new password', path: '/login/', body: { username: 'admin', password: 'Another-Passphrase-7' } }]);
      await compareMails();
    });

    test('registration: every refusal, then a sign-up with its e-mail', async () => {
      const base = { username: 'erin', email: 'erin@example.com', password1: GOOD, password2: GOOD };
      const reg = (name: string, body: unknown): Case => ({ name, path: '/registration/', body });
      await compare([
        reg('empty', {}),
        reg('mismatch', { ...base, password2: `x${GOOD}` }),
        reg('too short', { ...base, password1: 'Ab1!x', password2: 'Ab1!x' }),
        reg('too common', { ...base, password1: 'password1', password2: 'password1' }),
        reg('numeric', { ...base, password1: '48151623429', password2: '48151623429' }),
        reg('similar to the username', { ...base, username: 'erinsmith', password1: 'erinsmith77', password2: 'erinsmith77' }),
        reg('weak and mismatch', { ...base, password1: '1234', password2: '12345' }),
        reg('username taken', { ...base, username: 'alice' }),
        reg('username taken, other case', { ...base, username: 'ALICE' }),
        reg('missing e-mail', { username: 'erin', password1: GOOD, password2: GOOD }),
        reg('invalid e-mail', { ...base, email: 'nope' }),
        reg('invalid username', { ...base, username: 'erin smith!' }),
        reg('username too long', { ...base, username: 'e'.repeat(151) }),
        { name: 'GET', method: 'GET', path: '/registration/' },
      ]);
      await oracleOutbox(oracle.url, { clear: true });
      await gatehouseOutbox(server, { clear: true });
      await compare([reg('dave OK', { username: 'dave', email: 'dave@example.com', password1: GOOD, password2: GOOD })]);
      const { o, g } = await compareMails();
      assert.equal(o.length, 1);
      const key = (text: string) => /account-confirm-email\/([^/]+)\//.exec(text)![1]!;
      await compare([
        { name: 'login before verification', path: '/login/', body: { username: 'dave', password: GOOD } },
        { name: 'login before verification, wrong password', path: '/login/', body: { username: 'dave', password: 'nope' } },
        { name: 'verify: empty', path: '/registration/verify-email/', body: {} },
        { name: 'verify: bad key', path: '/registration/verify-email/', body: { key: 'nope' } },
        { name: 'verify: GET', method: 'GET', path: '/registration/verify-email/' },
      ]);
      const verify = async (side: Side, k: string) => request(side, { name: 'verify', path: '/registration/verify-email/', body: { key: k } });
      for (const [side, k] of [['oracle', key(o[0]!.body)], ['gatehouse', key(g[0]!.text)]] as const) {
        const first = await verify(side, k);
        assert.deepEqual([first.status, first.json], [200, { detail: 'ok' }], `${side}: ${first.text}`);
        const again = await verify(side, k);
        assert.deepEqual([again.status, again.json], [404, { detail: 'Not found.' }], `${side}: ${again.text}`);
      }
      await login('dave', GOOD);
    });

    test('difference: sign-up with a taken address (allauth tells, Gatehouse answers as for a new account)', async () => {
      const { o, g } = await both({ name: 'taken', path: '/registration/', body: { username: 'erin', email: 'Alice@Example.com', password1: GOOD, password2: GOOD } });
      assert.deepEqual([o.status, o.json], [400, { email: ['A user is already registered with this e-mail address.'] }]);
      assert.deepEqual([g.status, g.json], [201, { detail: 'Verification e-mail sent.' }]);
      assert.equal(await server.app.users.getByUsername('erin'), null, 'nothing was created');
      await oracleOutbox(oracle.url, { clear: true });
      await gatehouseOutbox(server, { clear: true });
    });

    test('resend-email: answers and e-mails', async () => {
      await both({ name: 'ivy', path: '/registration/', body: { username: 'ivy', email: 'ivy@example.com', password1: GOOD, password2: GOOD } });
      await compareMails();
      await compare([
        { name: 'unverified', path: '/registration/resend-email/', body: { email: 'ivy@example.com' } },
        { name: 'verified', path: '/registration/resend-email/', body: { email: 'alice@example.com' } },
        { name: 'unknown', path: '/registration/resend-email/', body: { email: 'nobody@example.com' } },
        { name: 'invalid', path: '/registration/resend-email/', body: { email: 'nope' } },
        { name: 'empty', path: '/registration/resend-email/', body: {} },
      ]);
      const { o } = await compareMails();
      assert.equal(o.length, 1, 'one mail, for the unverified address');
    });

    test('password change succeeds on both; difference: the token used survives on dj-rest-auth, not on Gatehouse', async () => {
      await compare([{ name: 'change OK', path: '/password/change/', body: { old_password: 'alice-password-1', new_password1: GOOD, new_password2: GOOD }, as: 'alice' }]);
      const { o, g } = await both({ name: 'token after change', method: 'GET', path: '/user/', as: 'alice' });
      assert.equal(o.status, 200);
      assert.deepEqual([g.status, g.json], [401, { detail: 'Invalid token.' }]);
      await compareMails();
      await login('alice', GOOD);
    });

    test('logout: anonymous, with a token, the token afterwards', async () => {
      await compare([
        { name: 'anonymous', path: '/logout/' },
        { name: 'with a token', path: '/logout/', as: 'alice' },
        { name: 'the token afterwards', method: 'GET', path: '/user/', as: 'alice' },
        { name: 'GET', method: 'GET', path: '/logout/' },
      ]);
    });

    describe('links made by Django, used on Gatehouse after import-django', () => {
      let imported: TestServer;
      let resetLink: RegExpExecArray;
      let key: string;

      before(async () => {
        await oracleOutbox(oracle.url, { clear: true });
        assert.equal((await send(oracle.url, 'POST', `${P}/password/reset/`, { body: { email: 'admin@example.com' } })).status, 200);
        assert.equal((await send(oracle.url, 'POST', `${P}/registration/`, { body: { username: 'zed', email: 'zed@example.com', password1: GOOD, password2: GOOD } })).status, 201);
        const [reset, confirmation] = await oracleOutbox(oracle.url, { clear: true });
        resetLink = /password-reset\/confirm\/([0-9a-z]+)\/([0-9a-z]+-[0-9a-f]+)\//.exec(reset!.body)!;
        key = /account-confirm-email\/([^/]+)\//.exec(confirmation!.body)![1]!;
        const dir = await importOracleDatabase(oracle);
        imported = await startServer({ dir, settings: { secretKey: oracleSecretKey(), accounts: ACCOUNTS, email: { backend: 'memory' }, throttle: THROTTLES } });
      });
      after(() => imported?.close());

      test('an allauth reset link resets the password on Gatehouse, once', async () => {
        const [, uid, token] = resetLink;
        const body = { uid, token, new_password1: 'Imported-Passphrase-9', new_password2: 'Imported-Passphrase-9' };
        const res = await imported.send('POST', `${P}/password/reset/confirm/`, { body });
        assert.deepEqual([res.status, res.json], [200, { detail: 'Password has been reset with the new password.' }], res.text);
        const again = await imported.send('POST', `${P}/password/reset/confirm/`, { body });
        assert.deepEqual([again.status, again.json], [400, { token: ['Invalid value'] }]);
        // admin's password on the oracle when its database was imported (set by the reset test above).
        const old = await imported.send('POST', '/api-token-auth/', { body: { username: 'admin', password: 'Another-Passphrase-7' } });
        assert.equal(old.status, 400, 'the old password is refused');
        const now = await imported.send('POST', '/api-token-auth/', { body: { username: 'admin', password: 'Imported-Passphrase-9' } });
        assert.equal(now.status, 200, now.text);
      });

      test("an allauth confirmation key verifies the address on Gatehouse (its EmailAddress pk is zed's user pk)", async () => {
        const zed = await imported.app.users.getByUsername('zed');
        assert.ok(zed);
        assert.equal(Buffer.from(key.split(':')[0]!, 'base64url').toString(), String(zed.id), 'the key signs EmailAddress pk = user pk here');
        const before = await imported.send('POST', `${P}/login/`, { body: { username: 'zed', password: GOOD } });
        assert.deepEqual([before.status, before.json], [400, { non_field_errors: ['E-mail is not verified.'] }]);
        const res = await imported.send('POST', `${P}/registration/verify-email/`, { body: { key } });
        assert.deepEqual([res.status, res.json], [200, { detail: 'ok' }], res.text);
        const login = await imported.send('POST', `${P}/login/`, { body: { username: 'zed', password: GOOD } });
        assert.equal(login.status, 200, login.text);
      });
    });
  });

  describe('dj-rest-auth JWT mode: Gatehouse (accounts.djRestAuthJwt, no cookie mode) vs 4.0.1 with DJRA_JWT=1', () => {
    let oracle: Oracle;
    let server: TestServer;
    before(async () => {
      oracle = await startOracle({ DJRA_JWT: '1' });
      server = await startServer({ settings: { secretKey: oracleSecretKey(), accounts: { ...ACCOUNTS, djRestAuthJwt: true }, email: { backend: 'memory' }, throttle: THROTTLES } });
      await seedVerifiedUsers(server, ORACLE_USERS);
    });
    after(async () => {
      await server?.close();
      oracle?.stop();
    });

    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => ({
      o: await send(oracle.url, 'POST', `${P}${path}`, { body, headers }),
      g: await send(server.url, 'POST', `${P}${path}`, { body, headers }),
    });
    const same = ({ o, g }: { o: TestResponse; g: TestResponse }, name: string) =>
      assert.deepEqual([g.status, g.json], [o.status, o.json], `${name}: oracle ${o.text}, Gatehouse ${g.text}`);
    /** The refresh token of a login: the oracle's in its HttpOnly cookie (body ""), Gatehouse's in the body. */
    const refreshOf = ({ o, g }: { o: TestResponse; g: TestResponse }) => {
      const cookie = ((o.headers['set-cookie'] as string[] | undefined) ?? []).find((l) => l.startsWith('my-refresh-token='))!;
      return { o: cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';')), g: (g.json as { refresh: string }).refresh };
    };

    test('login: {access, refresh, user}, the same user object; refusals as in Token mode', async () => {
      same(await post('/login/', { username: 'alice', password: 'nope' }), 'wrong password');
      same(await post('/login/', {}), 'empty');
      const ok = await post('/login/', { username: 'alice', password: 'alice-password-1' });
      assert.equal(ok.o.status, 200, ok.o.text);
      assert.equal(ok.g.status, 200, ok.g.text);
      const [o, g] = [ok.o.json as Record<string, unknown>, ok.g.json as Record<string, unknown>];
      assert.deepEqual(Object.keys(g).sort(), Object.keys(o).sort());
      assert.deepEqual(g.user, o.user);
      assert.equal(o.refresh, '', "the oracle's refresh token is in its HttpOnly cookie");
      assert.match(g.refresh as string, /^[\w-]+\.[\w-]+\.[\w-]+$/, "Gatehouse's, without cookie mode, in the body");
    });

    test('logout: the refresh token of the body is blacklisted; the messages of 4.0.1', async () => {
      same(await post('/logout/', {}), 'no refresh token');
      same(await post('/logout/', { refresh: 'garbage' }), 'garbage');
      const refresh = refreshOf(await post('/login/', { username: 'alice', password: 'alice-password-1' }));
      const out = { o: await send(oracle.url, 'POST', `${P}/logout/`, { body: { refresh: refresh.o } }), g: await send(server.url, 'POST', `${P}/logout/`, { body: { refresh: refresh.g } }) };
      same(out, 'logout');
      assert.deepEqual(out.g.json, { detail: 'Successfully logged out.' });
      const again = { o: await send(oracle.url, 'POST', `${P}/logout/`, { body: { refresh: refresh.o } }), g: await send(server.url, 'POST', `${P}/logout/`, { body: { refresh: refresh.g } }) };
      same(again, 'again');
      assert.deepEqual(again.g.json, { detail: 'Token is blacklisted' });
    });

    test('sign-up with mandatory verification: the same 201 as in Token mode', async () => {
      same(await post('/registration/', { username: 'dave', email: 'dave@example.com', password1: GOOD, password2: GOOD }), 'sign-up');
    });
  });
}
