/**
 * A password change, logout-all and user deletion beat the logins already in flight
 * (src/stores/generation.ts), over HTTP, on every store.
 *
 * Logins on the three login endpoints — DRF's `/api-token-auth/`, knox's
 * `/api/auth/login/`, simplejwt's `/api/token/` — are started with the old password and
 * held where they store their credential (the token insert, the refresh token's
 * outstanding row): their password check is done, against the old hash. The revocation
 * runs and completes; then they go on. Other logins completed before the revocation.
 * Afterwards no token any of them returned may work, the held logins fail as wrong
 * credentials do (never a 5xx), and the database holds no live credential of theirs.
 *
 * Also: the same without a gate (logins queued behind one-at-a-time hashing while the
 * change runs), revocations made by another PostgreSQL instance or by `gatehouse
 * changepassword` in another process, and a login's rehash of an outdated hash.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { listen, type RunningServer } from '../../src/server/serve.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { SqliteStores } from '../../src/stores/sqlite/index.js';
import type { JwtStore, NewOutstandingToken, Stores, TokenStore, UserPatch, UserStore } from '../../src/stores/types.js';
import { PasswordHasher } from '../../src/passwords/index.js';
import { send, type TestResponse } from '../helpers.js';
import { postgresTestDb } from '../stores/postgres-helpers.js';
import { redisTestServer } from '../stores/redis-helpers.js';

const SECRET = 'test-secret-key-that-is-long-enough-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-generation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const backends: Array<[string, () => Stores]> = [
  ['memory', () => new MemoryStores()],
  ['sqlite', () => SqliteStores.open(join(dir, `${Math.random().toString(36).slice(2)}.sqlite3`))],
];
const postgres = await postgresTestDb('credential generation over HTTP');
if (postgres) {
  backends.push(['postgres', () => postgres.lazy()]);
  after(() => postgres.cleanup());
}
const redis = await redisTestServer('credential generation over HTTP with Redis');
if (redis) {
  if (postgres) backends.push(['postgres+redis', () => redis.lazy(() => postgres.lazy())]);
  after(() => redis.cleanup());
}

/** Holds credential inserts while closed; counts the ones waiting. */
class Gate {
  private closed = false;
  private readonly waiting: Array<() => void> = [];
  private readonly watchers: Array<() => void> = [];
  /** Every `jti` a login asked to record. */
  readonly jtis: string[] = [];
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.closed = false;
    for (const go of this.waiting.splice(0)) go();
  }
  async pass(): Promise<void> {
    if (!this.closed) return;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      for (const w of this.watchers.splice(0)) w();
    });
  }
  /** Resolves once `n` inserts are held. */
  async held(n: number): Promise<void> {
    while (this.waiting.length < n) await new Promise<void>((resolve) => this.watchers.push(resolve));
  }
}

/** `target` with `method` run through `wrap`, every other member unchanged. */
function intercept<T extends object>(target: T, method: keyof T, wrap: (original: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => Promise<unknown>): T {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  const wrapped = wrap(original);
  return new Proxy(target, {
    get(t, p) {
      if (p === method) return wrapped;
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** The stores, with every credential insert passing `gate` first, and the first password write `rehash`. */
function gated(stores: Stores, gate: Gate, rehash: Gate): Stores {
  let rehashed = false;
  const users = intercept<UserStore>(stores.users, 'update', (update) => async (...args) => {
    if ((args[1] as UserPatch).password !== undefined && !rehashed) {
      rehashed = true;
      await rehash.pass();
    }
    return update(...args);
  });
  const tokens = intercept<TokenStore>(stores.tokens, 'create', (create) => async (...args) => {
    await gate.pass();
    return create(...args);
  });
  const jwt = intercept<JwtStore>(stores.jwt, 'recordOutstanding', (record) => async (...args) => {
    gate.jtis.push((args[0] as NewOutstandingToken).jti);
    await gate.pass();
    return record(...args);
  });
  return { users, tokens, jwt, keys: stores.keys, mfaTickets: stores.mfaTickets!, trustedDevices: stores.trustedDevices!, changes: stores.changes, close: () => stores.close() };
}

interface Server {
  app: Gatehouse;
  gate: Gate;
  /** Holds the first password write of a user (a login's rehash of an outdated hash). */
  rehash: Gate;
  running: RunningServer;
  send(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<TestResponse>;
}

const settingsFor = (checkRevokeToken: boolean, passwords: Record<string, unknown> = {}) =>
  parseSettings(
    mergeSettings(
      { database: ':memory:', secretKey: SECRET, logLevel: 'silent', host: '127.0.0.1', port: 0 },
      // The cheapest hashes allowed: the logins are held by the gate, not by hashing.
      { passwords: { argon2TimeCost: 1, ...passwords }, jwt: { checkRevokeToken } },
    ),
  );

async function start(stores: Stores, checkRevokeToken: boolean, passwords: Record<string, unknown> = {}): Promise<Server> {
  const gate = new Gate();
  const rehash = new Gate();
  const app = await createGatehouse(settingsFor(checkRevokeToken, passwords), { stores: gated(stores, gate, rehash) });
  const running = await listen(app, '127.0.0.1', 0);
  return { app, gate, rehash, running, send: (method, path, options) => send(running.url, method, path, options) };
}

const PASSWORD = 'old password 1';
const LOGINS = ['authtoken', 'knox', 'jwt', 'sliding'] as const;
type Login = (typeof LOGINS)[number];
const PATH: Record<Login, string> = { authtoken: '/api-token-auth/', knox: '/api/auth/login/', jwt: '/api/token/', sliding: '/api/token/sliding/' };

/** What a login handed out. */
interface Issued {
  login: Login;
  token?: string;
  refresh?: string;
  access?: string;
  sliding?: string;
}

async function login(s: Server, kind: Login): Promise<{ response: TestResponse; issued: Issued }> {
  const response = await s.send('POST', PATH[kind], { body: { username: 'alice', password: PASSWORD } });
  const body = (response.json ?? {}) as Record<string, string>;
  if (kind === 'sliding') return { response, issued: { login: kind, sliding: body.token } };
  return { response, issued: { login: kind, token: body.token, refresh: body.refresh, access: body.access } };
}

/** Every token the login handed out is refused: 401. */
async function assertRefused(s: Server, issued: Issued, checkRevokeToken: boolean, what: string): Promise<void> {
  if (issued.token !== undefined) {
    const me = await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${issued.token}` } });
    assert.equal(me.status, 401, `${what}: ${issued.login} token still works`);
  }
  if (issued.refresh !== undefined) {
    const refreshed = await s.send('POST', '/api/token/refresh/', { body: { refresh: issued.refresh } });
    assert.equal(refreshed.status, 401, `${what}: refresh token still works: ${refreshed.text}`);
  }
  if (issued.sliding !== undefined) {
    const refreshed = await s.send('POST', '/api/token/sliding/refresh/', { body: { token: issued.sliding } });
    assert.equal(refreshed.status, 401, `${what}: sliding token still refreshes: ${refreshed.text}`);
  }
  if (issued.access !== undefined && checkRevokeToken) {
    const me = await s.send('GET', '/api/me/', { headers: { Authorization: `Bearer ${issued.access}` } });
    assert.equal(me.status, 401, `${what}: access token still works`);
  }
}

/** The answer a login with wrong credentials gets on that endpoint. */
function assertFailedLogin(kind: Login, response: TestResponse, what: string): void {
  if (kind === 'jwt' || kind === 'sliding') {
    assert.equal(response.status, 401, `${what}: ${response.text}`);
    assert.deepEqual(response.json, { detail: 'No active account found with the given credentials' });
  } else {
    assert.equal(response.status, 400, `${what}: ${response.text}`);
    assert.deepEqual(response.json, { non_field_errors: ['Unable to log in with provided credentials.'] });
  }
}

type Revocation = 'password change' | 'logout-all' | 'user deletion';

/**
 * Logins that completed before the revocation, and `held` per endpoint that checked the
 * old password and wait to store their credential while `revoke` runs.
 */
async function race(s: Server, revocation: Revocation, checkRevokeToken: boolean, perform?: () => Promise<void>, held = 4): Promise<void> {
  await s.app.users.create({ username: 'alice', password: PASSWORD });
  const userId = (await s.app.users.getByUsername('alice'))!.id;
  const before = await Promise.all(LOGINS.map((kind) => login(s, kind)));
  for (const { response } of before) assert.equal(response.status, 200, response.text);
  const knoxToken = before[1]!.issued.token!;

  s.gate.close();
  const inFlight = LOGINS.flatMap((kind) => Array.from({ length: held }, () => login(s, kind)));
  await s.gate.held(held * LOGINS.length);

  if (perform) {
    await perform();
  } else if (revocation === 'password change') {
    await s.app.users.setPassword((await s.app.users.getByUsername('alice'))!, 'new password 2');
  } else if (revocation === 'logout-all') {
    assert.equal((await s.send('POST', '/api/auth/logoutall/', { headers: { Authorization: `Token ${knoxToken}` } })).status, 204);
  } else {
    assert.equal(await s.app.users.delete((await s.app.users.getByUsername('alice'))!), true);
  }
  s.gate.open();

  const results = await Promise.all(inFlight);
  for (const { response, issued } of results) assertFailedLogin(issued.login, response, `${revocation}: a login held across it`);
  for (const { issued } of [...before, ...results]) await assertRefused(s, issued, checkRevokeToken, revocation);

  // The database: no opaque token of the user, no live refresh token recorded for a login.
  assert.deepEqual(await s.app.stores.tokens.listForUser(userId), []);
  for (const jti of s.gate.jtis) {
    const row = await s.app.stores.jwt.getOutstanding(jti);
    if (row === null) continue; // a held login: nothing recorded
    if (revocation === 'user deletion') assert.equal(row.userId, null, 'the deleted user’s rows name no user');
    else assert.notEqual(row.blacklistedAt, null, `${revocation}: refresh token ${jti} recorded and not blacklisted`);
  }
}

for (const [name, make] of backends) {
  describe(`${name}: logins in flight lose against`, () => {
    for (const revocation of ['password change', 'logout-all', 'user deletion'] as const) {
      for (const checkRevokeToken of [true, false]) {
        test(`${revocation} (jwt.checkRevokeToken ${checkRevokeToken})`, async () => {
          const s = await start(make(), checkRevokeToken);
          try {
            await race(s, revocation, checkRevokeToken);
          } finally {
            await s.running.stop(100);
          }
        });
      }
    }
  });

  test(`${name}: many logins queued for hashing while the password changes: nothing they got works afterwards`, async () => {
    // One hash at a time: the logins read the old hash, then queue; the change's own hash
    // queues among them, so some finish their check after the change has landed.
    const s = await start(make(), true, { maxConcurrent: 1 });
    try {
      await s.app.users.create({ username: 'alice', password: PASSWORD });
      const userId = (await s.app.users.getByUsername('alice'))!.id;
      const logins = Array.from({ length: 24 }, (_, i) => login(s, LOGINS[i % LOGINS.length]!));
      await Promise.race(logins);
      await s.app.users.setPassword((await s.app.users.getByUsername('alice'))!, 'new password 2');
      for (const { response, issued } of await Promise.all(logins)) {
        if (response.status !== 200) assertFailedLogin(issued.login, response, 'a login that lost');
        await assertRefused(s, issued, true, 'password change with logins queued');
      }
      assert.deepEqual(await s.app.stores.tokens.listForUser(userId), []);
    } finally {
      await s.running.stop(100);
    }
  });

  test(`${name}: a login's upgrade of an outdated hash never puts back a password changed meanwhile`, async () => {
    const s = await start(make(), false);
    try {
      // Hashed with the default time cost; the server's policy (t=1) wants it upgraded on login.
      const outdated = await new PasswordHasher({ argon2: { timeCost: 2 } }).hash(PASSWORD);
      await s.app.stores.users.create({ username: 'alice', password: outdated, dateJoined: new Date() });
      s.rehash.close();
      const inFlight = login(s, 'knox');
      await s.rehash.held(1); // checked against the old hash, about to write its upgrade
      await s.app.users.setPassword((await s.app.users.getByUsername('alice'))!, 'new password 2');
      s.rehash.open();
      assertFailedLogin('knox', (await inFlight).response, 'the login that checked the old password');
      for (const kind of LOGINS) assertFailedLogin(kind, (await login(s, kind)).response, 'the old password after the change');
      const fresh = await s.send('POST', PATH.knox, { body: { username: 'alice', password: 'new password 2' } });
      assert.equal(fresh.status, 200, fresh.text);
    } finally {
      await s.running.stop(100);
    }
  });
}

/** `gatehouse <args>` in its own process; resolves with its exit code and output. */
function cli(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  const entry = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args], { cwd: dir, env: { ...env, GATEHOUSE_SECRET_KEY: SECRET } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

describe('sqlite: `gatehouse changepassword` in another process', () => {
  test('logins held in the server across the command get nothing that works', async () => {
    const path = join(dir, 'cli.sqlite3');
    const s = await start(SqliteStores.open(path), true);
    try {
      await race(s, 'password change', true, async () => {
        const r = await cli(['changepassword', 'alice', '--password-stdin', '--db', path], 'new password 2\n');
        assert.equal(r.code, 0, r.output);
      });
    } finally {
      await s.running.stop(100);
    }
  });
});

if (postgres) {
  describe('postgres: two instances on one database', () => {
    for (const revocation of ['password change', 'logout-all', 'user deletion'] as const) {
      test(`logins held on B lose against a ${revocation} made on A`, async () => {
        const schema = postgres.newSchema();
        const b = await start(await postgres.open({ schema }), true);
        const a = await createGatehouse(settingsFor(true), { stores: await postgres.open({ schema }) });
        try {
          await race(b, revocation, true, async () => {
            const alice = (await a.users.getByUsername('alice'))!;
            if (revocation === 'password change') await a.users.setPassword(alice, 'new password 2');
            else if (revocation === 'logout-all') await a.users.logoutAll(alice);
            else assert.equal(await a.users.delete(alice), true);
          });
        } finally {
          await a.close();
          await b.running.stop(100);
        }
      });
    }
  });
}
