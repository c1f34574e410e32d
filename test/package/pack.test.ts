/**
 * The package as a consumer gets it: `npm pack`, installed from the tarball into a
 * scratch project with Express and Hono, type-checked with `skipLibCheck: false` (the
 * published `.d.ts` files must compile in a strict consumer), and the Express guide's
 * first snippet — copied from docs/frameworks/express.md as it stands — run against real
 * requests with every default (no secret configured), after `gatehouse createuser` from
 * the package's own bin.
 *
 * The install uses the npm cache `npm ci` filled (`--prefer-offline`: only what is missing
 * is fetched) and the same versions as this repository's lock file; install scripts are
 * skipped and better-sqlite3's native addon, built by `npm ci` for this very version, is
 * copied in, so no compiler runs. `dist/` must be built (`npm test` builds it first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const repoModules = join(root, 'node_modules');
const versionOf = (name: string) => (JSON.parse(readFileSync(join(repoModules, name, 'package.json'), 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

let dir = '';
let project = '';
let server: ChildProcess | undefined;

/** The first ```ts block after `heading` in a guide. */
function snippet(file: string, heading: string): string {
  const text = readFileSync(join(root, file), 'utf8');
  const from = text.indexOf(heading);
  assert.ok(from >= 0, `${file}: no "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(from));
  assert.ok(block, `${file}: no ts block after "${heading}"`);
  return block[1] as string;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Run a compiled guide; resolves with an access token from its `/auth/api/token/` once it answers. */
async function startGuide(name: string, port: number): Promise<{ access: string; base: string }> {
  const stderr: Buffer[] = [];
  const child = spawn(process.execPath, [`out/${name}-guide.js`], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
  server = child;
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const base = `http://127.0.0.1:${port}`;
  let login: Response | undefined;
  for (let attempt = 0; attempt < 300 && !login; attempt++) {
    login = await fetch(`${base}/auth/api/token/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-password-1' }) }).catch(
      () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
    );
    assert.equal(child.exitCode, null, `the ${name} guide's server exited: ${Buffer.concat(stderr).toString()}`);
  }
  assert.ok(login, `${name}: no answer: ${Buffer.concat(stderr).toString()}`);
  assert.equal(login.status, 200, `${name}: ${await login.clone().text()}`);
  return { access: ((await login.json()) as { access: string }).access, base };
}

async function stopGuide(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill();
  });
}

before(() => {
  if (!existsSync(join(root, 'dist/index.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
  const tarball = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], root).trim().split('\n').pop() as string;
  project = join(dir, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }));
  const pinned = ['express', 'hono', '@hono/node-server', 'better-sqlite3', '@types/express', '@types/node'].map((p) => `${p}@${versionOf(p)}`);
  npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', join(dir, tarball), ...pinned], project);
  // The native addon `npm ci` compiled for this better-sqlite3 version (install scripts were skipped above).
  const release = join(project, 'node_modules/better-sqlite3/build/Release');
  mkdirSync(release, { recursive: true });
  copyFileSync(join(repoModules, 'better-sqlite3/build/Release/better_sqlite3.node'), join(release, 'better_sqlite3.node'));
});

after(() => {
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the tarball holds the build, the bin, README, LICENSE and Django's common-password list; no sources, tests or secrets", () => {
  const installed = join(project, 'node_modules/gatehouse');
  for (const file of ['package.json', 'README.md', 'LICENSE', 'bin/gatehouse.js', 'dist/index.js', 'dist/index.d.ts', 'dist/http/express/index.d.ts', 'data/common-passwords.txt.gz', 'data/LICENSE-django.txt']) {
    assert.ok(existsSync(join(installed, file)), file);
  }
  assert.deepEqual(readdirSync(installed).sort(), ['LICENSE', 'README.md', 'bin', 'data', 'dist', 'package.json']);
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} Gatehouse contributors/);
  for (const key of ['repository', 'homepage', 'bugs']) assert.ok(pkg[key], key);
});

test("the published types compile in a strict consumer with skipLibCheck: false, and the Express, Hono and node:http guides' snippets answer real requests", async () => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', outDir: 'out', types: ['node'], noEmitOnError: true },
      include: ['*.ts'],
    }),
  );
  const port = await freePort();
  const withPort = (code: string) => code.replace(/listen\(8000\)|port: 8000/, (m) => m.replace('8000', String(port)));
  const guide = (name: string, ...sections: string[]) =>
    writeFileSync(join(project, `${name}-guide.ts`), withPort(sections.map((h) => snippet(`docs/frameworks/${name}.md`, h)).join('\n')));
  guide('express', '## Mount the token endpoints', '## Protect a route');
  guide('hono', '## Mount the token endpoints', '## Protect a route');
  guide('node', '## Mount the token endpoints', '## Protect a route');
  writeFileSync(join(project, 'readme.ts'), snippet('README.md', '### In your framework'));
  // Every public entry point but Fastify (not installed here: an optional peer), the stores included.
  writeFileSync(
    join(project, 'entries.ts'),
    [
      "import { createGatehouse, parseSettings, IsAuthenticated, type Gatehouse, type Principal } from 'gatehouse';",
      "import * as node from 'gatehouse/node';",
      "import * as sqlite from 'gatehouse/stores/sqlite';",
      "import * as memory from 'gatehouse/stores/memory';",
      "import * as postgres from 'gatehouse/stores/postgres';",
      "import * as redis from 'gatehouse/stores/redis';",
      'export const used: unknown[] = [createGatehouse, parseSettings, IsAuthenticated, node, sqlite, memory, postgres, redis];',
      'export type T = [Gatehouse, Principal | null];',
    ].join('\n'),
  );
  try {
    execFileSync(process.execPath, [join(repoModules, 'typescript/bin/tsc'), '-p', '.'], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc in the consumer:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
  }

  execFileSync(process.execPath, ['node_modules/gatehouse/bin/gatehouse.js', 'migrate'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(process.execPath, ['node_modules/gatehouse/bin/gatehouse.js', 'createuser', 'alice', '--password-stdin'], { cwd: project, input: 'alice-password-1\n', stdio: ['pipe', 'pipe', 'pipe'] });
  for (const name of ['express', 'hono', 'node']) {
    const { access, base } = await startGuide(name, port);
    const me = await fetch(`${base}/auth/api/me/`, { headers: { Authorization: `Bearer ${access}` } });
    assert.equal(me.status, 200, name);
    assert.deepEqual(await me.json(), { pk: 1, username: 'alice', email: '', first_name: '', last_name: '' }, name);
    const anonymous = await fetch(`${base}/auth/api/me/`);
    assert.equal(anonymous.status, 401, name);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="api"', name);
    if (name !== 'node') {
      // The guide's "Protect a route" snippet (the node:http one is not wired into its listener).
      const notes = await fetch(`${base}/notes`, { headers: { Authorization: `Bearer ${access}` } });
      assert.deepEqual([notes.status, await notes.json()], [200, { username: 'alice' }], name);
      const admin = await fetch(`${base}/admin`, { headers: { Authorization: `Bearer ${access}` } });
      assert.deepEqual([admin.status, await admin.json()], [403, { detail: 'You do not have permission to perform this action.' }], name);
    }
    await stopGuide();
  }
  // The generated secret is kept beside the database, as `gatehouse serve` keeps it.
  assert.ok(existsSync(join(project, 'gatehouse.sqlite3.secret')));
});
