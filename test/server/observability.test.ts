/**
 * What an operator sees, through the public interfaces: HTTP requests against a real
 * server, and the log lines a capturing logger received. On the in-memory stores and on
 * SQLite: every security event with its fields (failed logins with the username tried and
 * the client address, lock-outs, refresh, rotation, reuse detected with the family
 * revoked, blacklist, password change, logout-all), the access log, no credential in any
 * line; `/metrics` (off: 404; token: 401 / 200; address list: 403; the exposition parses
 * and its counters move); the library-mode logger on stderr.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../src/core/clock.js';
import { mergeSettings, parseSettings } from '../../src/core/settings.js';
import { createGatehouse, StartupError } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { listen } from '../../src/server/serve.js';
import { MemoryStores } from '../../src/stores/memory/index.js';
import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { protect } from '../../src/http/node/index.js';
import { IsAuthenticated } from '../../src/permissions/index.js';
import { LogCapture, send, type TestResponse } from '../helpers.js';

const SECRET = 'observability-test-secret-0123456789abcdef';
const PASSWORD = 'correct horse battery staple';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Server {
  url: string;
  logs: LogCapture;
  clock: FakeClock;
  send(method: string, path: string, options?: Parameters<typeof send>[3]): Promise<TestResponse>;
  app: Awaited<ReturnType<typeof createGatehouse>>;
  close(): Promise<void>;
}

async function start(kind: 'memory' | 'sqlite', settings: Record<string, unknown> = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-obs-'));
  dirs.push(dir);
  const parsed = parseSettings(mergeSettings({ secretKey: SECRET, database: join(dir, 'db.sqlite3'), logLevel: 'info' }, settings));
  const clock = new FakeClock(Date.now());
  const logs = new LogCapture();
  const logger = createLogger(parsed.logLevel, logs);
  const app = await createGatehouse(parsed, { clock, logger, ...(kind === 'memory' ? { stores: new MemoryStores() } : {}) });
  await app.users.create({ username: 'alice', password: PASSWORD });
  const running = await listen(app, '127.0.0.1', 0, logger);
  return { url: running.url, logs, clock, app, send: (m, p, o) => send(running.url, m, p, o), close: () => running.stop(100) };
}

type Line = { level: number; msg: string; event?: Record<string, unknown>; [k: string]: unknown };
const lines = (logs: LogCapture): Line[] => logs.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
const events = (logs: LogCapture, name: string) => lines(logs).filter((l) => l.msg === name && l.event?.event === name);
const WARN = 40;
const INFO = 30;

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`security events (${kind})`, () => {
    test('a failed login: the username tried (hashed by default) and the client address; a success: login', async () => {
      const s = await start(kind);
      try {
        assert.equal((await s.send('POST', '/api/token/', { body: { username: 'Alice-Typo', password: 'wrong password' } })).status, 401);
        assert.equal((await s.send('POST', '/api-token-auth/', { body: { username: 'alice', password: 'wrong password' } })).status, 400);
        assert.equal((await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).status, 200);
        const failed = events(s.logs, 'login_failed');
        assert.equal(failed.length, 2);
        for (const f of failed) {
          assert.equal(f.level, INFO);
          assert.equal(f.event!.address, '127.0.0.1');
          assert.equal(f.event!.reason, 'invalid_credentials');
          assert.match(f.event!.username as string, /^hmac:[0-9a-f]{32}$/);
        }
        assert.notEqual(failed[0]!.event!.username, failed[1]!.event!.username);
        assert.ok(!s.logs.text.includes('Alice-Typo') && !s.logs.text.includes('wrong password'));
        const ok = events(s.logs, 'login');
        assert.equal(ok.length, 1);
        assert.deepEqual(ok[0]!.event, { event: 'login', endpoint: 'token-obtain', userId: 1 });
      } finally {
        await s.close();
      }
    });

    test('log.usernames "plain": the username as typed', async () => {
      const s = await start(kind, { log: { usernames: 'plain' } });
      try {
        await s.send('POST', '/api/auth/login/', { body: { username: 'mallory', password: 'guess' } });
        const [f] = events(s.logs, 'login_failed');
        assert.equal(f!.event!.username, 'mallory');
        assert.equal(f!.event!.address, '127.0.0.1');
      } finally {
        await s.close();
      }
    });

    test('a lock-out is a warn event; refused attempts say so', async () => {
      const s = await start(kind, { throttle: { loginUsernameRate: '3/h' } });
      try {
        for (let i = 0; i < 4; i++) {
          await s.send('POST', '/api/token/', { body: { username: 'alice', password: `guess ${i}` } });
          s.clock.advance(1);
        }
        const locked = events(s.logs, 'login_locked');
        assert.deepEqual(new Set(locked.map((l) => l.event!.counter)), new Set(['username', 'pair']));
        for (const l of locked) {
          assert.equal(l.level, WARN);
          assert.equal(l.event!.failures, 3);
          assert.equal(l.event!.lockedSeconds, 1200);
          assert.match(l.event!.username as string, /^hmac:/);
        }
        // The fourth attempt met the lock: not counted, no second lock, reason "throttled".
        assert.equal(locked.length, 2);
        assert.equal(events(s.logs, 'login_failed').at(-1)!.event!.reason, 'throttled');
      } finally {
        await s.close();
      }
    });

    test('refresh, rotation, reuse detected (warn, family revoked), blacklist', async () => {
      const s = await start(kind, { jwt: { rotateRefreshTokens: true } });
      try {
        const pair = (await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).json as { refresh: string };
        const rotated = await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
        assert.equal(rotated.status, 200);
        const [rotation] = events(s.logs, 'token_rotated');
        assert.equal(rotation!.event!.userId, 1);
        assert.equal(rotation!.event!.grace, false);
        assert.equal(typeof rotation!.event!.familyId, 'string');
        // The rotated-away token again: reuse.
        assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } })).status, 401);
        const [reuse] = events(s.logs, 'refresh_reuse_detected');
        assert.equal(reuse!.level, WARN);
        assert.deepEqual(reuse!.event, { event: 'refresh_reuse_detected', userId: 1, familyId: rotation!.event!.familyId, familyRevoked: true });
        // The family is revoked: the replacement is refused too.
        const replacement = (rotated.json as { refresh: string }).refresh;
        assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: replacement } })).status, 401);

        const other = (await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).json as { refresh: string };
        assert.equal((await s.send('POST', '/api/token/blacklist/', { body: { refresh: other.refresh } })).status, 200);
        assert.deepEqual(events(s.logs, 'token_blacklisted').map((l) => l.event), [{ event: 'token_blacklisted', userId: 1 }]);
      } finally {
        await s.close();
      }
    });

    test('refresh without rotation; password change; logout-all', async () => {
      const s = await start(kind);
      try {
        const pair = (await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).json as { refresh: string };
        assert.equal((await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } })).status, 200);
        assert.deepEqual(events(s.logs, 'token_refreshed').map((l) => l.event), [{ event: 'token_refreshed', userId: 1 }]);
        const knox = (await s.send('POST', '/api/auth/login/', { body: { username: 'alice', password: PASSWORD } })).json as { token: string };
        assert.equal((await s.send('POST', '/api/auth/logoutall/', { headers: { Authorization: `Token ${knox.token}` } })).status, 204);
        assert.deepEqual(events(s.logs, 'logout_all').map((l) => l.event), [{ event: 'logout_all', userId: 1 }]);
        const alice = (await s.app.users.getByUsername('alice'))!;
        await s.app.users.setPassword(alice, 'a new password 123');
        assert.deepEqual(events(s.logs, 'password_changed').map((l) => l.event), [{ event: 'password_changed', userId: 1 }]);
      } finally {
        await s.close();
      }
    });

    test('a whole login / refresh / reuse / logout flow with the access log on: no token, password or cookie in any line', async () => {
      const s = await start(kind, { log: { access: true }, jwt: { rotateRefreshTokens: true }, metrics: { enabled: true, token: 'metrics-token-0123456789' } });
      const secrets = new Set<string>([PASSWORD, 'wrong-password-xyz', 'metrics-token-0123456789']);
      const keep = (r: TestResponse) => {
        const body = r.json as Record<string, unknown> | undefined;
        for (const v of Object.values(body ?? {})) if (typeof v === 'string' && v.length >= 20) secrets.add(v);
        for (const c of [r.headers['set-cookie'] ?? []].flat()) secrets.add(c.split(';')[0]!.split('=').slice(1).join('='));
        return r;
      };
      try {
        await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'wrong-password-xyz' } });
        const pair = keep(await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).json as { refresh: string; access: string };
        keep(await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } }));
        await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
        await s.send('GET', `/api/me/?token=${pair.access}&password=${encodeURIComponent(PASSWORD)}`, { headers: { Authorization: `Bearer ${pair.access}` } });
        const knox = keep(await s.send('POST', '/api/auth/login/', { headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` } })).json as { token: string };
        secrets.add(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
        await s.send('GET', '/api/auth/tokens/', { headers: { Authorization: `Token ${knox.token}`, Cookie: 'sessionid=cookie-secret-value-123456' } });
        secrets.add('cookie-secret-value-123456');
        await s.send('POST', '/api/auth/logout/', { headers: { Authorization: `Token ${knox.token}` } });
        await s.send('GET', '/metrics', { headers: { Authorization: 'Bearer metrics-token-0123456789' } });
        const text = s.logs.text;
        for (const secret of secrets) assert.ok(!text.includes(secret), `a credential appears in the log: ${secret.slice(0, 12)}…`);
        const access = lines(s.logs).filter((l) => l.msg === 'request');
        assert.ok(access.length >= 8);
        const me = access.find((l) => (l.path as string).startsWith('/api/me'))!;
        assert.deepEqual({ method: me.method, path: me.path, status: me.status, userId: me.userId }, { method: 'GET', path: '/api/me/', status: 200, userId: 1 });
        assert.equal(typeof me.ms, 'number');
        assert.ok(access.every((l) => !(l.path as string).includes('?')));
        assert.ok(events(s.logs, 'refresh_reuse_detected').length === 1);
      } finally {
        await s.close();
      }
    });
  });
}

test('the access log is off by default', async () => {
  const s = await start('memory');
  try {
    await s.send('GET', '/healthz');
    assert.equal(lines(s.logs).filter((l) => l.msg === 'request').length, 0);
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------- /metrics

/** A strict reader of the Prometheus text format 0.0.4: every sample under a declared family, values numeric. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith('\n'));
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sample = new RegExp(`^(${NAME})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"(?:,|(?=\\})))*\\})? (-?[0-9.e+-]+|\\+Inf|NaN)$`);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `family declared twice: ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = sample.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.get(family) === 'histogram', `sample without a TYPE: ${line}`);
    assert.ok(!Number.isNaN(Number(m[3])), line);
    samples.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return samples;
}

describe('/metrics', () => {
  test('off by default: 404', async () => {
    const s = await start('memory');
    try {
      assert.equal((await s.send('GET', '/metrics')).status, 404);
    } finally {
      await s.close();
    }
  });

  for (const kind of ['memory', 'sqlite'] as const) {
    test(`on with a token (${kind}): 401 without it, 200 with it; the counters move`, async () => {
      const token = 'scrape-token-0123456789abcdef';
      const s = await start(kind, { metrics: { enabled: true, token } });
      try {
        const none = await s.send('GET', '/metrics');
        assert.equal(none.status, 401);
        assert.equal(none.headers['www-authenticate'], 'Bearer realm="metrics"');
        assert.equal((await s.send('GET', '/metrics', { headers: { Authorization: `Bearer ${token}x` } })).status, 401);
        assert.equal((await s.send('GET', '/metrics', { headers: { Authorization: `Token ${token}` } })).status, 401);
        const scrape = async () => {
          const r = await s.send('GET', '/metrics', { headers: { Authorization: `Bearer ${token}`, Accept: 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } });
          assert.equal(r.status, 200);
          assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
          return parseExposition(r.text);
        };
        const before = await scrape();
        assert.equal(before.get('gatehouse_logins_total{result="ok"}'), 0);
        assert.equal(before.get('gatehouse_http_requests_total{route="/metrics",method="GET",status="401"}'), 3);

        await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'nope' } });
        const knox = (await s.send('POST', '/api/auth/login/', { body: { username: 'alice', password: PASSWORD } })).json as { token: string };
        for (let i = 0; i < 3; i++) assert.equal((await s.send('GET', '/api/me/', { headers: { Authorization: `Token ${knox.token}` } })).status, 200);
        assert.equal((await s.send('GET', '/api/me/', { headers: { Authorization: 'Token not-a-real-token' } })).status, 401);
        assert.equal((await s.send('GET', '/api/me/')).status, 401);

        const after = await scrape();
        assert.equal(after.get('gatehouse_logins_total{result="ok"}'), 1);
        assert.equal(after.get('gatehouse_logins_total{result="failed"}'), 1);
        assert.equal(after.get('gatehouse_http_requests_total{route="/api/me/",method="GET",status="200"}'), 3);
        assert.equal(after.get('gatehouse_http_requests_total{route="/api/me/",method="GET",status="401"}'), 2);
        assert.equal(after.get('gatehouse_auth_outcomes_total{outcome="authenticated"}'), 3);
        // The bad token, and the failed login (simplejwt's 401).
        assert.equal(after.get('gatehouse_auth_outcomes_total{outcome="authentication_failed"}'), 2);
        assert.equal(after.get('gatehouse_auth_outcomes_total{outcome="not_authenticated"}'), 1 + 3);
        // The first use of the token read the store (a miss), the next two came from the cache.
        assert.equal(after.get('gatehouse_cache_requests_total{cache="opaque_token",result="hit"}'), 2);
        assert.ok((after.get('gatehouse_cache_requests_total{cache="opaque_token",result="miss"}') ?? 0) >= 2);
        assert.ok((after.get('gatehouse_store_duration_seconds_count{store="users",operation="getByUsername"}') ?? 0) >= 2);
        assert.ok([...after.keys()].some((k) => k.startsWith('gatehouse_http_request_duration_seconds_bucket{route="/api/me/",le="+Inf"}')));
      } finally {
        await s.close();
      }
    });
  }

  test('metrics.allowFrom: another address gets 403, a listed one the metrics', async () => {
    const refused = await start('memory', { metrics: { enabled: true, allowFrom: ['10.0.0.0/8'] } });
    try {
      assert.equal((await refused.send('GET', '/metrics')).status, 403);
    } finally {
      await refused.close();
    }
    const allowed = await start('memory', { metrics: { enabled: true, allowFrom: ['127.0.0.1/32', '::1'] } });
    try {
      const r = await allowed.send('GET', '/metrics');
      assert.equal(r.status, 200);
      parseExposition(r.text);
    } finally {
      await allowed.close();
    }
  });

  test('metrics.allowFrom that is not an address stops the start (StartupError), with the value named', async () => {
    await assert.rejects(
      createGatehouse(parseSettings({ secretKey: SECRET, metrics: { enabled: true, allowFrom: ['999.0.0.1'] } }), { stores: new MemoryStores(), logger: createLogger('silent') }),
      (e: unknown) => e instanceof StartupError && /999\.0\.0\.1/.test(e.message),
    );
  });

  test("guards on the application's own routes are counted", async () => {
    const s = await start('memory', { metrics: { enabled: true } });
    const own: HttpServer = createServer(protect(s.app, { permissions: [IsAuthenticated] }, (_req, res, principal) => res.end(String(principal?.user.id))));
    own.listen(0, '127.0.0.1');
    await once(own, 'listening');
    const ownUrl = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
    try {
      const knox = (await s.send('POST', '/api/auth/login/', { body: { username: 'alice', password: PASSWORD } })).json as { token: string };
      assert.equal((await send(ownUrl, 'GET', '/orders', { headers: { Authorization: `Token ${knox.token}` } })).status, 200);
      assert.equal((await send(ownUrl, 'GET', '/orders')).status, 401);
      assert.equal((await send(ownUrl, 'GET', '/orders', { headers: { Authorization: 'Token wrong' } })).status, 401);
      const m = parseExposition((await s.send('GET', '/metrics')).text);
      assert.equal(m.get('gatehouse_guard_outcomes_total{outcome="authenticated"}'), 1);
      assert.equal(m.get('gatehouse_guard_outcomes_total{outcome="refused_401"}'), 2);
    } finally {
      own.close();
      await s.close();
    }
  });

  test('lock-outs and reuse are counted', async () => {
    const s = await start('memory', { metrics: { enabled: true }, throttle: { loginUsernameRate: '2/h' }, jwt: { rotateRefreshTokens: true } });
    try {
      const pair = (await s.send('POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } })).json as { refresh: string };
      await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
      await s.send('POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
      for (let i = 0; i < 2; i++) await s.send('POST', '/api/token/', { body: { username: 'alice', password: 'nope' } });
      const m = parseExposition((await s.send('GET', '/metrics')).text);
      assert.equal(m.get('gatehouse_refresh_reuse_total'), 1);
      assert.equal(m.get('gatehouse_login_lockouts_total{counter="username"}'), 1);
      assert.equal(m.get('gatehouse_login_lockouts_total{counter="pair"}'), 1);
    } finally {
      await s.close();
    }
  });
});

test('library mode: without a logger of its own, createGatehouse logs events on stderr at logLevel', () => {
  const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const script = `const { createGatehouse, parseSettings, MemoryStores } = await import(${JSON.stringify(entry)});
const app = await createGatehouse(parseSettings({ secretKey: '${SECRET}', logLevel: process.env.LEVEL }), { stores: new MemoryStores() });
await app.users.authenticate('nobody', 'pw', '192.0.2.7');
await app.close();`;
  const run = (level: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, LEVEL: level } });
  const info = run('info');
  assert.equal(info.status, 0, info.stderr);
  assert.equal(info.stdout, '');
  const line = info.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).find((l) => l.msg === 'login_failed');
  assert.ok(line, info.stderr);
  assert.equal(line.event!.address, '192.0.2.7');
  assert.match(line.event!.username as string, /^hmac:/);
  const quiet = run('warn');
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.ok(!quiet.stderr.includes('login_failed'));
});

test('the CLI: a command that changes state logs a `cli` event on standard error; a read-only one does not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-obs-cli-'));
  dirs.push(dir);
  const db = join(dir, 'cli.sqlite3');
  const entry = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  env.GATEHOUSE_SECRET_KEY = SECRET;
  env.GATEHOUSE_PASSWORDS__ALGORITHM = 'pbkdf2_sha256';
  env.GATEHOUSE_PASSWORDS__PBKDF2_ITERATIONS = '600000';
  const cli = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args, '--db', db], { cwd: dir, env, input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stderr.includes('cli-password-123'));
    return r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  };
  cli(['migrate']);
  const created = cli(['createuser', 'carol', '--password-stdin'], 'cli-password-123\n').filter((l) => l.msg === 'cli');
  assert.equal(created.length, 1);
  assert.equal(created[0]!.event!.command, 'createuser');
  assert.match(created[0]!.event!.username as string, /^hmac:[0-9a-f]{32}$/);
  const changed = cli(['changepassword', 'carol', '--password-stdin'], 'cli-password-456\n');
  assert.deepEqual(changed.filter((l) => l.msg === 'cli').map((l) => l.event!.command), ['changepassword']);
  assert.deepEqual(changed.filter((l) => l.msg === 'password_changed').map((l) => l.event), [{ event: 'password_changed', userId: 1 }]);
  assert.deepEqual(cli(['tokens', 'list', 'carol']).filter((l) => l.msg === 'cli'), []);
});
