/**
 * The login gate through the four framework adapters (node:http, Express, Fastify, Hono;
 * test/adapters/servers.ts): a token path and a JWT path under `/auth` answer the ticket
 * first and the credential on the second call, with the same statuses, headers and
 * bodies on every adapter (docs/security.md #167).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock.js';
import { parseSettings } from '../../src/core/settings.js';
import { createGatehouse, type Gatehouse } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { LogCapture, send } from '../helpers.js';
import { ADAPTERS, startAdapter, type Running } from '../adapters/servers.js';
import { enrol, PASSWORD, totpCode, wrongCode, type Enrolment } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-adapters-'));
const clock = new FakeClock(Date.now());
let g: Gatehouse;
before(async () => {
  const settings = parseSettings({ database: join(dir, 'db.sqlite3'), secretKey: 'mfa-adapters-test-secret-0123456789abcdef', logLevel: 'silent', mfa: { enabled: true }, throttle: { deviceCookieLifetime: null } });
  g = await createGatehouse(settings, { clock, logger: createLogger('silent', new LogCapture()) });
});
after(async () => {
  await g.close();
  rmSync(dir, { recursive: true, force: true });
});

const PATHS = [
  { path: '/auth/api-token-auth/', keys: ['token'] },
  { path: '/auth/api/token/', keys: ['refresh', 'access'] },
];

for (const adapter of ADAPTERS) {
  describe(`${adapter}: logins with a second factor`, () => {
    let running: Running;
    before(async () => {
      running = await startAdapter(adapter, { gatehouse: g, throttle: { allow: () => null } });
    });
    after(() => running.close());

    for (const { path, keys } of PATHS) {
      test(`${path}: ticket, wrong code refused, then the credential`, async () => {
        const username = `${adapter}-${path.length}`;
        const user = await g.users.create({ username, password: PASSWORD });
        const enrolment: Enrolment = await enrol({ app: g, clock }, user);
        const first = await send(running.url, 'POST', path, { body: { username, password: PASSWORD } });
        assert.equal(first.status, 401, first.text);
        assert.equal(first.headers['www-authenticate'], 'MFA realm="api"');
        const { mfa_ticket: ticket, code } = first.json as { mfa_ticket: string; code: string };
        assert.equal(code, 'mfa_required');
        assert.deepEqual(await g.tokens.list(user.id), []);
        const wrong = await send(running.url, 'POST', path, { body: { mfa_ticket: ticket, code: wrongCode(enrolment.secret, clock.now()) } });
        assert.equal(wrong.status, 401, wrong.text);
        assert.deepEqual(wrong.json, { detail: 'The second factor is not valid.', code: 'mfa_code_invalid' });
        const ok = await send(running.url, 'POST', path, { body: { mfa_ticket: ticket, code: totpCode(enrolment.secret, clock.now()) } });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(Object.keys(ok.json as object), keys);
        const replay = await send(running.url, 'POST', path, { body: { mfa_ticket: ticket, code: totpCode(enrolment.secret, clock.now()) } });
        assert.equal((replay.json as { code: string }).code, 'mfa_ticket_used');
      });
    }
  });
}
