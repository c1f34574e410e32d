/**
 * `gatehouse serve --workers N` (node:cluster), on a SQLite file (so these run without
 * any service): one port served by several processes sharing one generated secret and
 * the database; a killed worker is replaced; workers that cannot start make the primary
 * give up instead of forking forever; SIGTERM lets in-flight requests finish and exits 0.
 * (The PostgreSQL case runs `--workers 2` as instance B in instances.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import type { SettingsInput } from '../../src/core/settings.js';
import { send, tokenHeader } from '../helpers.js';
import { GATEHOUSE_BIN, childEnv, runCli, spawnServer, tempDir, type LogLine, type ServerProcess } from './harness.js';

const CONFIG: SettingsInput = { passwords: { argon2TimeCost: 1 } };
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve --workers 2 (SQLite)', () => {
  const dir = tempDir('workers');
  const database = join(dir.path, 'gatehouse.sqlite3');
  const alice = { username: 'alice', password: 'alice-password-1' };
  let server: ServerProcess;
  let pids: number[] = [];

  before(async () => {
    // No secretKey configured: the primary generates the file once, before forking.
    server = await spawnServer({ database, config: CONFIG, dir: dir.path, secret: null, args: ['--workers', '2'] });
    pids = (server.lines.find((l) => l.msg === 'gatehouse listening')!.pids as number[]) ?? [];
    const created = await runCli(['createuser', alice.username, '--password-stdin', '--db', database], { stdin: alice.password });
    assert.equal(created.code, 0, created.stderr);
  });

  after(async () => {
    if (server && server.proc.exitCode === null) await server.stop('SIGKILL');
    dir.cleanup();
  });

  const auditPids = (from = 0) =>
    new Set(server.lines.slice(from).filter((l: LogLine) => (l.event as { event?: string } | undefined)?.event === 'login').map((l) => l.pid));

  test('two worker processes, one port, one generated secret shared by both', async () => {
    assert.equal(pids.length, 2);
    assert.ok(pids.every((p) => p !== server.pid && alive(p)), 'the workers are processes of their own');
    const serving = server.lines.filter((l) => l.msg === 'worker serving');
    assert.deepEqual(new Set(serving.map((l) => l.url)), new Set([server.url]), 'both listen on the one URL');
    assert.equal(server.lines.filter((l) => /generated one/.test(String(l.msg))).length, 1, 'the secret was generated once');
    const secretFile = `${database}.secret`;
    assert.ok(existsSync(secretFile));
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.ok(readFileSync(secretFile, 'utf8').trim().length >= 32);
  });

  test('requests land on both workers; a JWT signed by one is accepted by the other', async () => {
    const from = server.lines.length;
    let access = '';
    for (let i = 0; i < 8; i++) {
      const r = await send(server.url, 'POST', '/api/token/', { body: alice });
      assert.equal(r.status, 200, r.text);
      access = (r.json as { access: string }).access;
    }
    await sleep(100); // the last audit lines
    assert.deepEqual(auditPids(from), new Set(pids), 'logins were served by both worker pids (audit log lines carry the pid)');
    for (let i = 0; i < 6; i++) {
      const r = await send(server.url, 'GET', '/api/me/', { headers: { Authorization: `Bearer ${access}` } });
      assert.equal(r.status, 200, 'every worker verifies the other’s signature: one secret');
    }
    const login = await send(server.url, 'POST', '/api/auth/login/', { body: alice });
    const key = (login.json as { token: string }).token;
    for (let i = 0; i < 4; i++) assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(key) })).status, 200);
    assert.equal((await send(server.url, 'POST', '/api/auth/logout/', { headers: tokenHeader(key) })).status, 204);
    // SQLite's data_version carries the revocation to the other worker (read at most once per ms).
    await sleep(5);
    for (let i = 0; i < 4; i++) assert.equal((await send(server.url, 'GET', '/api/me/', { headers: tokenHeader(key) })).status, 401, 'revoked on both workers');
  });

  test('a killed worker is replaced, and the new one serves', async () => {
    const victim = pids[0]!;
    const from = server.lines.length;
    process.kill(victim, 'SIGKILL');
    const exited = await server.waitForLog((l) => l.msg === 'worker exited: replacing it' && l.pid === victim, 'the primary to notice');
    assert.equal(exited.signal, 'SIGKILL');
    const replacement = await server.waitForLog((l) => l.msg === 'worker serving' && !pids.includes(l.pid as number), 'a replacement worker');
    const fresh = replacement.pid as number;
    assert.ok(alive(fresh));
    assert.ok(!alive(victim));
    for (let i = 0; i < 8; i++) assert.equal((await send(server.url, 'POST', '/api/token/', { body: alice })).status, 200);
    await sleep(100);
    assert.ok(auditPids(from).has(fresh), 'the replacement takes requests');
    pids = [fresh, pids[1]!];
  });

  test('SIGTERM: in-flight requests finish, every worker exits, the primary exits 0', async () => {
    // A request still being sent when the signal arrives.
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(Number(new URL(server.url).port), '127.0.0.1', resolve));
    const body = JSON.stringify({ token: 'not-a-token' });
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(`POST /api/token/verify/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await sleep(100);
    server.proc.kill('SIGTERM');
    await server.waitForLog((l) => l.msg === 'shutting down workers', 'the primary to forward the signal');
    await sleep(300);
    socket.end(body.slice(5));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 401 /, 'the in-flight request was answered');
    assert.match(answer, /"code":"token_not_valid"/);
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    for (const pid of pids) assert.ok(!alive(pid), `worker ${pid} exited`);
    assert.equal(server.lines.filter((l) => l.msg === 'worker stopped').every((l) => l.code === 0), true);
  });
});

describe('serve --workers: bad input and workers that cannot start', () => {
  test('--workers abc / -1 / settings: a clear error, exit 2 (flag) or 1 (settings)', async () => {
    for (const bad of ['abc', '-1', '2.5']) {
      const r = await runCli(['serve', '--workers', bad, '--db', ':memory:']);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--workers must be a positive integer or "auto", got/);
    }
    const env = await runCli(['serve', '--db', ':memory:'], { env: { GATEHOUSE_WORKERS: 'many' } });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /workers: must be an integer from 0 to 1024 or "auto"/);
    const memory = await runCli(['serve', '--db', ':memory:', '--workers', '2']);
    assert.equal(memory.code, 2);
    assert.match(memory.stderr, /share/);
  });

  test('a busy port: the primary stops at once with the one message a single process gives (no restarts)', async () => {
    const dir = tempDir('workers-busy');
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = (workers: string[]) => runUntilExit(['serve', '--db', join(dir.path, 'g.sqlite3'), '--port', String(port), ...workers]);
      const single = await run([]);
      const clustered = await run(['--workers', '2']);
      const message = `gatehouse: serve: cannot listen on 127.0.0.1:${port}: the address is already in use`;
      assert.equal(single.code, 1, single.out);
      assert.ok(single.stderr.includes(message), single.stderr);
      assert.equal(clustered.code, 1, clustered.out);
      assert.ok(clustered.stderr.includes(message), clustered.stderr);
      assert.equal(clustered.stderr.split(message).length - 1, 1, 'said once');
      const lines = clustered.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
      assert.equal(lines.filter((l) => l.msg === 'worker exited: replacing it').length, 0, `no restarts:\n${clustered.out}`);
      assert.equal(lines.filter((l) => (l.level as number) >= 50).length, 1, 'one error line in the log');
    } finally {
      busy.close();
      dir.cleanup();
    }
  });

  test('workers that keep failing before they listen: the primary backs off, then gives up (exit 1), no fork loop', async () => {
    // A prefix beyond /32 passes the settings schema but fails in every worker, which does
    // not know whether a restart could help: the generic path (backoff, then give up).
    const dir = tempDir('workers-failing');
    try {
      const { code, out } = await runUntilExit(['serve', '--db', join(dir.path, 'g.sqlite3'), '--port', '0', '--workers', '2'], { GATEHOUSE_HTTP__TRUSTED_PROXIES: '["10.0.0.0/33"]' });
      assert.equal(code, 1, out);
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
      const restarts = lines.filter((l) => l.msg === 'worker exited: replacing it');
      assert.ok(restarts.length >= 2 && restarts.length <= 6, `${restarts.length} restarts before giving up:\n${out}`);
      const delays = restarts.map((l) => l.restartInMs as number);
      assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!), `restart delays never shrink: ${delays.join(', ')}`);
      assert.ok(delays[delays.length - 1]! > delays[0]!, `restart delays grow: ${delays.join(', ')}`);
      assert.ok(lines.some((l) => /giving up/.test(String(l.msg))));
    } finally {
      dir.cleanup();
    }
  });
});

/** Run `gatehouse …` (a server expected to fail) to its exit; at most 30 s. */
async function runUntilExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; stderr: string }> {
  const proc = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { env: childEnv({ GATEHOUSE_SECRET_KEY: 'workers-test-secret-0123456789abcdefghijklmnop', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    stderr += d;
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, out, stderr };
}
