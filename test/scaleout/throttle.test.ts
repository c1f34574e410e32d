/**
 * Issue #5: a throttle limit is shared by the instances — N requests in total across
 * them, not N per instance — with the Redis throttle store (`--redis`, `throttle.store:
 * "redis"`). Two real server processes on one PostgreSQL schema and one Redis (a key
 * prefix of their own, so runs never collide; the counters expire with the window).
 * Skipped with a notice when PostgreSQL or Redis is unreachable, unless
 * GATEHOUSE_REQUIRE_SERVICES=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { SettingsInput } from '../../src/core/settings.js';
import { send } from '../helpers.js';
import { postgresTestDb, REQUIRE_SERVICES } from '../stores/postgres-helpers.js';
import { runCli, spawnServer, tempDir, withSchema, type ServerProcess } from './harness.js';

const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** PING over a raw socket: null when Redis answers, else why not. */
function redisProblem(url: string): Promise<string | null> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(2000, () => done('timeout'));
    socket.on('error', (e) => done(e.message));
    socket.on('data', (d) => done(/^\+PONG|^-NOAUTH/.test(d.toString()) ? null : `unexpected answer ${JSON.stringify(d.toString())}`));
    socket.connect(Number(u.port || 6379), u.hostname, () => socket.write('PING\r\n'));
  });
}

// The Redis backend (`--redis`, `throttle.store: "redis"`) came with the scale-out work:
// a build without it skips this file with a notice.
const help = await runCli(['serve', '--help']);
const hasRedis = help.stdout.includes('--redis');
if (!hasRedis) console.log('# scale-out: shared throttle: SKIPPING: this build of `gatehouse serve` has no --redis option');
const postgres = hasRedis ? await postgresTestDb('scale-out: shared throttle') : null;
const redisDown = postgres ? await redisProblem(REDIS_URL) : null;
if (redisDown !== null) {
  const notice = `Redis not reachable at ${REDIS_URL} (${redisDown}); set GATEHOUSE_TEST_REDIS`;
  if (REQUIRE_SERVICES) test('scale-out: Redis is reachable (GATEHOUSE_REQUIRE_SERVICES=1)', () => assert.fail(notice));
  else console.log(`# scale-out: shared throttle: SKIPPING: ${notice}`);
}
const run = hasRedis && postgres && redisDown === null ? describe : describe.skip;

const LIMIT = 6;

run('scale-out: one throttle limit across instances (Redis)', () => {
  const dir = tempDir('throttle');
  let A: ServerProcess;
  let B: ServerProcess;

  before(async () => {
    const database = withSchema(postgres!.url, postgres!.newSchema());
    const config = {
      passwords: { argon2TimeCost: 1 },
      throttle: { store: 'redis', rates: { token: `${LIMIT}/min`, anon: null, user: null } },
      redis: { keyPrefix: `gh_test_${randomBytes(6).toString('hex')}:` },
    } as unknown as SettingsInput;
    A = await spawnServer({ database, config, dir: dir.path, args: ['--redis', REDIS_URL] });
    B = await spawnServer({ database, config, dir: dir.path, args: ['--redis', REDIS_URL] });
  });

  after(async () => {
    const exits = await Promise.all([A?.stop(), B?.stop()]);
    await postgres!.cleanup();
    dir.cleanup();
    for (const e of exits) if (e) assert.equal(e.code, 0);
  });

  test(`"token": "${LIMIT}/min" allows ${LIMIT} requests in total over A and B, then 429 with Retry-After on both`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const r = await send(i % 2 ? B.url : A.url, 'POST', '/api/token/verify/', { body: { token: 'not-a-token' } });
      statuses.push(r.status);
      if (r.status === 429) {
        assert.match(String(r.headers['retry-after']), /^\d+$/);
        assert.match((r.json as { detail: string }).detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
      }
    }
    assert.equal(statuses.filter((s) => s !== 429).length, LIMIT, `allowed in total: ${statuses.join(' ')}`);
    assert.deepEqual(statuses.slice(LIMIT), Array(LIMIT).fill(429), 'then refused on both instances');
    assert.ok(statuses.slice(0, LIMIT).every((s) => s === 401), 'the allowed ones were answered by the endpoint');
  });
});
