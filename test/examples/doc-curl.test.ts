/**
 * The curl examples of docs/djoser.md, docs/dj-rest-auth.md and docs/api-keys.md, run with
 * bash and the real curl against a server configured as each page says (its settings
 * block; e-mails kept in memory instead of the page's SMTP server), in the page's order
 * (test/examples/doc-curl.ts). Each answer the page shows must be the server's. What a
 * reader pastes from elsewhere is filled in here: the uid and token (or key) of the link in
 * the last e-mail, the token or key the previous answer printed, a JWT for `<access>`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEmailBackend } from '../../src/email/memory.js';
import { HasScope } from '../../src/permissions/claims.js';
import { startServer, type TestServer } from '../helpers.js';
import { djangoHash } from '../cli/django-fixture.js';
import { jsonBlock, ROOT } from './walkthrough.js';
import { runBlocks, sectionShBlocks, type Answer } from './doc-curl.js';

/** The last path segments of the link in the last e-mail whose link matches `path`. */
function mailedLink(outbox: MemoryEmailBackend, path: RegExp): string[] {
  for (const m of [...outbox.messages].reverse()) {
    const link = [...m.text.matchAll(/https?:\/\/\S+/g)].map((x) => x[0]).find((l) => path.test(l));
    if (link) return new URL(link).href.split(/[/#]/).filter((p) => p !== '');
  }
  return assert.fail(`no e-mail with a ${path} link`);
}

/** A value of the last answer's JSON body that had `field`. */
function remember(previous: Answer | null, field: string, into: Map<string, string>): void {
  const m = previous && new RegExp(`"${field}":"([^"]+)"`).exec(previous.body);
  if (m) into.set(field, m[1]!);
}

/** A server as the page's settings block says, with `before` users already there (so ids match the page). */
async function pageServer(settings: unknown, before: number): Promise<{ s: TestServer; outbox: MemoryEmailBackend }> {
  const outbox = new MemoryEmailBackend();
  const s = await startServer({ settings: settings as Record<string, unknown>, email: outbox });
  for (let i = 1; i <= before; i++) await s.createUser(`earlier${i}`, null);
  return { s, outbox };
}

test('docs/djoser.md: the walkthrough, the reset and the changes answer what the page shows', async () => {
  const { s, outbox } = await pageServer(jsonBlock('docs/djoser.md', '# djoser-compatible account routes'), 3);
  const seen = new Map<string, string>();
  try {
    const curls = await runBlocks(sectionShBlocks('docs/djoser.md', '## Walkthrough'), {
      url: s.url,
      vars: {},
      fill: (command, previous) => {
        remember(previous, 'auth_token', seen);
        remember(previous, 'access', seen);
        const link = /\/activation\//.test(command) ? /#\/activate\// : /\/reset_password_confirm\//.test(command) ? /#\/password\/reset\/confirm\// : null;
        if (link) {
          const [uid, token] = mailedLink(outbox, link).slice(-2);
          command = command.replace(/"uid":"[^"]*","token":"[^"]*"/, `"uid":"${uid}","token":"${token}"`);
        }
        return command.replace('Token …', `Token ${seen.get('auth_token')}`).replace('Bearer <access>', `Bearer ${seen.get('access')}`);
      },
    });
    assert.ok(curls >= 9, `only ${curls} curl commands ran`);
    assert.equal((await s.app.stores.users.getByUsername('caroline'))?.id, 4, 'the last command renamed carol');
  } finally {
    await s.close();
  }
});

test('docs/dj-rest-auth.md: the walkthrough (Token mode) and JWT mode answer what the page shows', async () => {
  const settings = jsonBlock('docs/dj-rest-auth.md', '## Settings') as { accounts: Record<string, unknown> };
  const { s, outbox } = await pageServer(settings, 3);
  const seen = new Map<string, string>();
  const fill = (command: string, previous: Answer | null) => {
    remember(previous, 'key', seen);
    if (/\/verify-email\//.test(command)) command = command.replace(/"key":"[^"]*"/, `"key":"${mailedLink(outbox, /account-confirm-email/).at(-1)}"`);
    if (/\/password\/reset\/confirm\//.test(command)) {
      const [uid, token] = mailedLink(outbox, /password-reset\/confirm/).slice(-2);
      command = command.replace(/"uid":"[^"]*","token":"[^"]*"/, `"uid":"${uid}","token":"${token}"`);
    }
    return command;
  };
  try {
    const vars: Record<string, string> = {};
    const curls = await runBlocks(sectionShBlocks('docs/dj-rest-auth.md', '## Walkthrough (Token mode, mandatory verification)'), {
      url: s.url,
      vars,
      examples: { '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b': () => seen.get('key')!, '4d0bbc1f1e0e4c4ea2cd3f4f8a3c79f5a2b7c6d1': () => seen.get('key')! },
      fill,
    });
    assert.ok(curls >= 10, `only ${curls} curl commands ran`);
    // JWT mode: the same page's settings with `djRestAuthJwt`, a refresh token from a login.
    const jwtMode = await pageServer({ ...settings, accounts: { ...settings.accounts, djRestAuthJwt: true } }, 0);
    try {
      await jwtMode.s.createUser('erin', 'Tr1cky-Passphrase!');
      const { refresh } = await jwtMode.s.app.jwt.obtainPair((await jwtMode.s.app.stores.users.getByUsername('erin'))!);
      const ran = await runBlocks(sectionShBlocks('docs/dj-rest-auth.md', '## JWT mode'), {
        url: jwtMode.s.url,
        vars: { B: vars.B!.replace(s.url, jwtMode.s.url) },
        fill: (command) => command.replaceAll('<refresh jwt>', refresh),
      });
      assert.equal(ran, 2);
    } finally {
      await jwtMode.s.close();
    }
  } finally {
    await s.close();
  }
});

test('docs/api-keys.md: managing, changing, revoking, sending and imported keys answer what the page shows', async () => {
  const { s } = await pageServer({ apiKeys: { enabled: true } }, 0);
  try {
    // As the page's example: a route that needs the `reports:read` scope.
    s.app.engine.add({ path: '/api/reports/', authenticators: [s.app.authenticators.apiKey!], permissions: [HasScope('reports:read')], methods: { GET: () => ({ body: { reports: [] } }) } });
    await s.createUser('admin', 'admin-password-1', { isStaff: true });
    const admin = (await s.app.stores.users.getByUsername('admin'))!;
    // Two keys before the page's (its new key is number 3): the imported one, as `import-django`
    // writes it, and `$KEY`, one with `reports:read`.
    const drfKey = 'Xp3sQ9aL.6bH2kW0yVt7Rr1mNc4Zd8Ju5Ge3Fq9Po';
    await s.app.stores.apiKeys!.create({ lookupId: 'Xp3sQ9aL', digest: djangoHash(drfKey), name: 'imported', userId: null, scopes: [], createdAt: Date.now(), expiresAt: null, rate: null });
    const { key } = await s.app.apiKeys!.create({ name: 'reports', userId: admin.id, scopes: ['reports:read'] });
    const seen = new Map<string, string>();
    const gatehouse = `"${process.execPath}" --import ${import.meta.resolve('tsx')} ${ROOT}src/cli/run.ts`;
    const curls = await runBlocks(
      ['## Managing keys over HTTP', '## Sending a key', '## Keys from djangorestframework-api-key'].flatMap((h) => sectionShBlocks('docs/api-keys.md', h)),
      {
        url: s.url,
        vars: { ACCESS: (await s.app.jwt.obtainPair(admin)).access, KEY: key, GATEHOUSE_SECRET_KEY: s.settings.secretKey! },
        examples: { gk_Ab3dE6gH: () => seen.get('prefix')! },
        fill: (command, previous) => {
          remember(previous, 'prefix', seen);
          return command.startsWith('gatehouse ') ? `${command.replace(/^gatehouse /, `${gatehouse} `)} --db ${s.dbPath}` : command;
        },
      },
    );
    assert.ok(curls >= 8, `only ${curls} curl commands ran`);
  } finally {
    await s.close();
  }
});
