/**
 * `import 'gatehouse'` and each framework subpath load no database driver: `pg`,
 * `ioredis` and `better-sqlite3` come in only through `gatehouse/stores/*`, or when
 * `createGatehouse` opens that store. Nor nodemailer: only an SMTP delivery imports it.
 *
 * Each case runs in a fresh node process against the BUILT package (dist/, by its
 * package name), with a `module.register` resolve hook that appends every resolved URL to
 * a file; CommonJS modules loaded underneath are read from `require.cache` as well. The
 * store subpaths are the positive control: there the driver must show up.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVERS = ['pg', 'ioredis', 'better-sqlite3'] as const;
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-lean-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const HOOKS = join(scratch, 'hooks.mjs');
writeFileSync(
  HOOKS,
  `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}
`,
);
const REGISTER = join(scratch, 'register.mjs');
writeFileSync(
  REGISTER,
  `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(HOOKS).href)}, { data: { log: process.env.LEAN_LOG } });
`,
);

/** The drivers that a child process running `body` (an ES module, in the repository) loaded. */
function driversLoadedBy(name: string, body: string): string[] {
  const loaded = modulesLoadedBy(name, body);
  return DRIVERS.filter((d) => loaded.some((url) => url.includes(`/node_modules/${d}/`)));
}

/** Every module URL (and CommonJS path) a child process running `body` loaded. */
function modulesLoadedBy(name: string, body: string): string[] {
  const log = join(scratch, `${name.replace(/\W/g, '_')}.log`);
  writeFileSync(log, '');
  const script = `${body}
import { createRequire } from 'node:module';
const cached = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(cached));
`;
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(REGISTER).href, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, LEAN_LOG: log },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return [...readFileSync(log, 'utf8').split('\n'), ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as string[])];
}

describe('the package entry loads no database driver', () => {
  test('dist/ is built', () => {
    assert.ok(existsSync(join(ROOT, 'dist/index.js')), 'run `npm run build` first');
  });

  for (const entry of ['gatehouse', 'gatehouse/node', 'gatehouse/express', 'gatehouse/fastify', 'gatehouse/hono']) {
    test(`import '${entry}'`, () => {
      assert.deepEqual(driversLoadedBy(entry, `await import('${entry}');`), []);
    });
  }

  test('createGatehouse on the in-memory stores: still none', () => {
    const body = `const { createGatehouse, parseSettings, MemoryStores } = await import('gatehouse');
const app = await createGatehouse(parseSettings({ secretKey: 'lean-entry-test-secret-0123456789abcdef' }), { stores: new MemoryStores() });
await app.close();`;
    assert.deepEqual(driversLoadedBy('memory', body), []);
  });

  test('the metrics module is loaded only when metrics.enabled is on', () => {
    const body = (enabled: boolean) => `const { createGatehouse, parseSettings, MemoryStores } = await import('gatehouse');
const app = await createGatehouse(parseSettings({ secretKey: 'lean-entry-test-secret-0123456789abcdef', metrics: { enabled: ${enabled} } }), { stores: new MemoryStores() });
await app.close();`;
    const metricsModule = (urls: string[]) => urls.some((url) => url.endsWith('/dist/server/metrics.js'));
    assert.equal(metricsModule(modulesLoadedBy('metrics-off', body(false))), false);
    assert.equal(metricsModule(modulesLoadedBy('metrics-on', body(true))), true);
  });

  test('createGatehouse on a SQLite file loads better-sqlite3, and only it', () => {
    const body = `const { createGatehouse, parseSettings } = await import('gatehouse');
const app = await createGatehouse(parseSettings({ secretKey: 'lean-entry-test-secret-0123456789abcdef', database: ':memory:' }));
await app.close();`;
    assert.deepEqual(driversLoadedBy('sqlite-app', body), ['better-sqlite3']);
  });

  test('nodemailer is loaded by an SMTP delivery only', () => {
    const nodemailer = (urls: string[]) => urls.some((url) => url.includes('/node_modules/nodemailer/'));
    const body = (send: boolean) => `const { createEmailBackend, parseSettings } = await import('gatehouse');
const backend = createEmailBackend(parseSettings({ email: { backend: 'smtp', host: '127.0.0.1', port: 9, timeout: 1 } }).email);
${send ? "await backend.send({ from: 'a@example.com', to: ['b@example.com'], subject: 's', text: 't' }).catch(() => undefined);" : ''}
await backend.close();`;
    assert.equal(nodemailer(modulesLoadedBy('smtp-idle', body(false))), false);
    assert.equal(nodemailer(modulesLoadedBy('smtp-send', body(true))), true);
  });

  for (const [store, driver] of [['sqlite', 'better-sqlite3'], ['postgres', 'pg'], ['redis', 'ioredis']] as const) {
    test(`import 'gatehouse/stores/${store}' loads ${driver} (the detection works)`, () => {
      assert.ok(driversLoadedBy(store, `await import('gatehouse/stores/${store}');`).includes(driver));
    });
  }
});
